//! Pure FreeBSD ioctl encoding and decoding: [`Change`]s become
//! [`Request`]s (the bytes of one ioctl each, pointers left out), and the
//! kernel's replies become values. No socket and no `libc` here, so every
//! byte is checked by tests on any host.
//!
//! A request's pointer slots are zero: the executor pins [`Request::inner`]
//! (and its own inner buffer, for `BRDGGIFS`), writes the buffers'
//! addresses at [`Inner::ptr_at`] (8 bytes, host order), calls `ioctl(2)`
//! on the [`Socket`] the request names, and copies the kernel's answer
//! back. Around the call, three markers ask for more:
//!
//! - [`Target::Created`]: the interface name in `outer` is the one the
//!   preceding create returned ([`ReadBack::CreatedName`]): put it in with
//!   [`Request::with_created_name`] first.
//! - [`Merge::OrFlags`]: a read-modify-write. Send its `read` request,
//!   decode the flags, and send [`Request::merged`] instead of this one.
//! - [`ReadBack`]: what to decode afterwards; `RequireRunning` means: send
//!   its `read` request and fail with [`check_running`] unless the
//!   interface is RUNNING (vxlan(4) answers success and stays UP but not
//!   RUNNING when its tunnel cannot start).
//!
//! On failure, [`ioctl_error`] turns the errno into the error to report.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::num::NonZeroU16;

use super::abi;
use crate::error::{Error, ErrorKind, Result};
use crate::model::addr::{IfAddr, Mac};
use crate::plan::{Change, VxlanConf};

// Host-order fields are written little-endian and structs laid out for LP64:
// FreeBSD's amd64 and arm64. Any other FreeBSD target needs another codec.
#[cfg(all(target_os = "freebsd", not(target_endian = "little")))]
compile_error!("the FreeBSD ioctl codec writes host-order fields little-endian (amd64, arm64)");
#[cfg(all(target_os = "freebsd", not(target_pointer_width = "64")))]
compile_error!("the FreeBSD ioctl codec lays structs out for LP64 (amd64, arm64)");

// ---------------------------------------------------------------------------
// Validated values

/// An interface name FreeBSD accepts: 1 to 15 ASCII bytes, no NUL.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IfName(String);

impl IfName {
    /// Validates `name`.
    pub fn new(name: &str) -> Result<IfName> {
        if name.is_empty() || name.len() >= abi::IFNAMSIZ || !name.is_ascii() || name.contains('\0')
        {
            return Err(Error::invalid(format!(
                "interface name {name:?} is not valid: expected 1 to 15 ASCII bytes without NUL"
            )));
        }
        Ok(IfName(name.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name as a NUL-padded `char[IFNAMSIZ]` field.
    fn field(&self) -> [u8; abi::IFNAMSIZ] {
        name_field(self.0.as_bytes())
    }
}

impl fmt::Display for IfName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A VXLAN network identifier, 1 to 16777215.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Vni(u32);

impl Vni {
    /// Validates `vni`: the kernel silently ignores a VNI of 2^24 or more
    /// at create time, so it is refused here.
    pub fn new(vni: u32) -> Result<Vni> {
        if vni == 0 || vni >= abi::VXLAN_VNI_MAX {
            return Err(Error::invalid(format!(
                "VNI {vni} is not valid: expected 1 to 16777215"
            )));
        }
        Ok(Vni(vni))
    }

    /// The number.
    pub fn get(self) -> u32 {
        self.0
    }
}

/// The interface cloners this backend creates from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cloner {
    /// vxlan(4).
    Vxlan,
    /// if_bridge(4).
    Bridge,
}

impl Cloner {
    /// The cloner's name, which `SIOCIFCREATE2` takes as `ifr_name` to pick
    /// the next free unit.
    pub fn name(self) -> &'static str {
        match self {
            Cloner::Vxlan => "vxlan",
            Cloner::Bridge => "bridge",
        }
    }
}

// ---------------------------------------------------------------------------
// Requests

/// The socket a request is sent on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Socket {
    /// `socket(AF_INET, SOCK_DGRAM, 0)`: IPv4 address requests, which
    /// `in_control` handles, and every interface, clone and driver request
    /// (any datagram socket serves those; this one spares a third).
    Inet,
    /// `socket(AF_INET6, SOCK_DGRAM, 0)`: IPv6 address requests.
    Inet6,
}

/// A length field in the enclosing buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LenField {
    /// Offset in the enclosing buffer.
    pub at: usize,
    /// Width in bytes: 8 (`size_t`) or 4 (`ifbic_len`).
    pub width: usize,
}

/// A buffer the enclosing one points at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inner {
    /// Offset in the enclosing buffer of the 8-byte pointer to `bytes`
    /// (zero as encoded: the executor writes the address).
    pub ptr_at: usize,
    /// The enclosing buffer's field holding `bytes.len()`, already written
    /// (`ifd_len`, `ifr_buffer.length`, `ifbic_len`), if there is one.
    pub len_at: Option<LenField>,
    /// The buffer: in for sets, in and out for gets.
    pub bytes: Vec<u8>,
    /// A buffer this one points at in turn (`BRDGGIFS`: the `ifbreq` array
    /// an `ifbifconf` points at).
    pub inner: Option<Box<Inner>>,
}

/// Which interface a request's `ifr_name` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The name in `outer` is final.
    Named,
    /// `outer` holds the cloner's name as a placeholder: the executor puts
    /// in the name the preceding create returned
    /// ([`Request::with_created_name`]).
    Created,
}

/// Where the flags a read-modify-write merges into sit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagsAt {
    /// `ifr_flags` and `ifr_flagshigh` of the outer `ifreq`.
    Interface,
    /// `ifbr_ifsflags` of the inner `ifbreq`.
    Member,
}

/// A read-modify-write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Merge {
    /// Sent as built.
    None,
    /// The kernel replaces the flags this request sets: send `read` first,
    /// decode its flags ([`decode_flags`] or [`decode_member_flags`], per
    /// its [`ReadBack`]) and send [`Request::merged`] with them instead.
    OrFlags {
        /// The request that reads the current flags.
        read: Box<Request>,
        /// Where this request's flags are.
        at: FlagsAt,
    },
}

/// What the executor reads back after a successful call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadBack {
    /// Nothing.
    Nothing,
    /// `ifr_name` (outer) holds the created interface's name, which the
    /// kernel chose: [`decode_name`]. The next request with
    /// [`Target::Created`] renames it.
    CreatedName,
    /// Interface flags in the outer `ifreq`: [`decode_flags`].
    Flags,
    /// The MTU in the outer `ifreq`: [`decode_mtu`].
    Mtu,
    /// The index in the outer `ifreq`: [`decode_index`].
    Index,
    /// The inner `ifvxlancfg`: [`decode_vxlan_config`].
    VxlanConfig,
    /// The inner `ifbreq`'s flags: [`decode_member_flags`].
    MemberFlags,
    /// The members: [`decode_members`] of the inner `ifbifconf` and its
    /// inner `ifbreq` array; when [`members_need_more`] says so, list again
    /// with twice the records.
    Members,
    /// The description in the inner buffer: [`decode_description`] (an
    /// ENOMSG answer means none).
    Description,
    /// Send `read` (an [`get_flags`] of the same interface) and fail with
    /// [`check_running`] unless it is UP and RUNNING.
    RequireRunning {
        /// The request that reads the flags.
        read: Box<Request>,
    },
}

/// One ioctl, described without pointers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// What it does, for messages ("add vxlan1 to bridge vpc1").
    pub what: String,
    /// The request code.
    pub code: u64,
    /// The socket to send it on.
    pub socket: Socket,
    /// The argument: an `ifreq`, `ifdrv`, `in_aliasreq`, `in6_aliasreq` or
    /// `in6_ifreq`, pointer slots zero.
    pub outer: Vec<u8>,
    /// The buffer `outer` points at, if any.
    pub inner: Option<Inner>,
    /// Whether `outer`'s name is final.
    pub target: Target,
    /// Whether the request is a read-modify-write.
    pub merge: Merge,
    /// What to read back.
    pub read_back: ReadBack,
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.what)
    }
}

impl Request {
    fn new(what: String, code: u64, socket: Socket, outer: Vec<u8>) -> Request {
        Request {
            what,
            code,
            socket,
            outer,
            inner: None,
            target: Target::Named,
            merge: Merge::None,
            read_back: ReadBack::Nothing,
        }
    }

    /// `ifd_cmd` of a driver request (`SIOCSDRVSPEC`, `SIOCGDRVSPEC`).
    pub fn ifd_cmd(&self) -> Option<u64> {
        if self.code == abi::SIOCSDRVSPEC || self.code == abi::SIOCGDRVSPEC {
            get_u64(&self.outer, abi::IFD_CMD, "ifdrv").ok()
        } else {
            None
        }
    }

    /// This request with `created` (the name a create returned) as its
    /// interface, for [`Target::Created`].
    pub fn with_created_name(&self, created: &IfName) -> Result<Request> {
        let mut r = self.clone();
        let slot = r
            .outer
            .get_mut(abi::IFR_NAME..abi::IFR_NAME + abi::IFNAMSIZ)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Backend,
                    format!("{}: the request has no interface name field", self.what),
                )
            })?;
        slot.copy_from_slice(&created.field());
        r.target = Target::Named;
        Ok(r)
    }

    /// This request with the `current` flags (read by the `read` request of
    /// [`Merge::OrFlags`]) ORed into the flags it sets.
    pub fn merged(&self, current: u32) -> Result<Request> {
        let Merge::OrFlags { at, .. } = &self.merge else {
            return Ok(self.clone());
        };
        let mut r = self.clone();
        r.merge = Merge::None;
        match at {
            FlagsAt::Interface => {
                let low = get_u16(&r.outer, abi::IFR_FLAGS, "ifreq")?;
                let high = get_u16(&r.outer, abi::IFR_FLAGSHIGH, "ifreq")?;
                let flags = (u32::from(high) << 16 | u32::from(low)) | current;
                set_checked(&mut r.outer, abi::IFR_FLAGS, &low_half(flags))?;
                set_checked(&mut r.outer, abi::IFR_FLAGSHIGH, &high_half(flags))?;
            }
            FlagsAt::Member => {
                let inner = r.inner.as_mut().ok_or_else(|| {
                    Error::new(
                        ErrorKind::Backend,
                        format!("{}: the request has no ifbreq", self.what),
                    )
                })?;
                let set = get_u32(&inner.bytes, abi::IFBR_IFSFLAGS, "ifbreq")?;
                // SPAN is read-only: the kernel refuses a set that holds it.
                let flags = (set | current) & !abi::IFBIF_SPAN;
                set_checked(&mut inner.bytes, abi::IFBR_IFSFLAGS, &flags.to_le_bytes())?;
            }
        }
        Ok(r)
    }
}

// ---------------------------------------------------------------------------
// Byte helpers

fn name_field(name: &[u8]) -> [u8; abi::IFNAMSIZ] {
    let mut field = [0u8; abi::IFNAMSIZ];
    for (slot, b) in field.iter_mut().zip(name.iter().take(abi::IFNAMSIZ - 1)) {
        *slot = *b;
    }
    field
}

/// Writes `bytes` at `at` in a buffer whose size the encoder fixed (the
/// offsets are the ABI's constants, pinned by tests).
fn put(buf: &mut [u8], at: usize, bytes: &[u8]) {
    buf[at..at + bytes.len()].copy_from_slice(bytes);
}

fn put_u16(buf: &mut [u8], at: usize, v: u16) {
    put(buf, at, &v.to_le_bytes());
}

fn put_u32(buf: &mut [u8], at: usize, v: u32) {
    put(buf, at, &v.to_le_bytes());
}

fn put_u64(buf: &mut [u8], at: usize, v: u64) {
    put(buf, at, &v.to_le_bytes());
}

fn low_half(flags: u32) -> [u8; 2] {
    ((flags & 0xffff) as u16).to_le_bytes()
}

fn high_half(flags: u32) -> [u8; 2] {
    ((flags >> 16) as u16).to_le_bytes()
}

/// Writes into a buffer that may come from outside (a `Request`'s public
/// fields), without panicking.
fn set_checked(buf: &mut [u8], at: usize, bytes: &[u8]) -> Result<()> {
    let len = buf.len();
    let slot = at
        .checked_add(bytes.len())
        .and_then(|end| buf.get_mut(at..end))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Backend,
                format!(
                    "a {len}-byte request buffer has no field at {at}..{}",
                    at.saturating_add(bytes.len())
                ),
            )
        })?;
    slot.copy_from_slice(bytes);
    Ok(())
}

fn malformed(what: &str, detail: impl fmt::Display) -> Error {
    Error::new(
        ErrorKind::Backend,
        format!("malformed {what} from the kernel: {detail}"),
    )
}

fn get<const N: usize>(buf: &[u8], at: usize, what: &str) -> Result<[u8; N]> {
    at.checked_add(N)
        .and_then(|end| buf.get(at..end))
        .and_then(|s| <[u8; N]>::try_from(s).ok())
        .ok_or_else(|| {
            malformed(
                what,
                format_args!("{} bytes end before field {at}..{}", buf.len(), at + N),
            )
        })
}

fn get_u8(buf: &[u8], at: usize, what: &str) -> Result<u8> {
    get::<1>(buf, at, what).map(|[b]| b)
}

fn get_u16(buf: &[u8], at: usize, what: &str) -> Result<u16> {
    get(buf, at, what).map(u16::from_le_bytes)
}

fn get_u32(buf: &[u8], at: usize, what: &str) -> Result<u32> {
    get(buf, at, what).map(u32::from_le_bytes)
}

fn get_u64(buf: &[u8], at: usize, what: &str) -> Result<u64> {
    get(buf, at, what).map(u64::from_le_bytes)
}

fn expect_len(buf: &[u8], len: usize, what: &str) -> Result<()> {
    if buf.len() == len {
        Ok(())
    } else {
        Err(malformed(
            what,
            format_args!("expected {len} bytes, got {}", buf.len()),
        ))
    }
}

/// A `char[IFNAMSIZ]` field: NUL-terminated, non-empty, ASCII.
fn read_name(buf: &[u8], at: usize, what: &str) -> Result<IfName> {
    let field: [u8; abi::IFNAMSIZ] = get(buf, at, what)?;
    let end = field
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(|| malformed(what, "an interface name without NUL in its 16 bytes"))?;
    let name = field
        .get(..end)
        .filter(|b| b.is_ascii())
        .and_then(|b| std::str::from_utf8(b).ok())
        .ok_or_else(|| malformed(what, "an interface name that is not ASCII"))?;
    IfName::new(name).map_err(|_| malformed(what, format_args!("interface name {name:?}")))
}

fn sockaddr_in(addr: Ipv4Addr, port: u16) -> [u8; abi::SOCKADDR_IN] {
    let mut sa = [0u8; abi::SOCKADDR_IN];
    sa[abi::SIN_LEN] = abi::SOCKADDR_IN as u8;
    sa[abi::SIN_FAMILY] = abi::AF_INET;
    put(&mut sa, abi::SIN_PORT, &port.to_be_bytes());
    put(&mut sa, abi::SIN_ADDR, &addr.octets());
    sa
}

fn sockaddr_in6(addr: Ipv6Addr, port: u16) -> [u8; abi::SOCKADDR_IN6] {
    let mut sa = [0u8; abi::SOCKADDR_IN6];
    sa[abi::SIN6_LEN] = abi::SOCKADDR_IN6 as u8;
    sa[abi::SIN6_FAMILY] = abi::AF_INET6;
    put(&mut sa, abi::SIN6_PORT, &port.to_be_bytes());
    // Flow info and scope stay 0: only global addresses get here.
    put(&mut sa, abi::SIN6_ADDR, &addr.octets());
    sa
}

/// A `union vxlan_sockaddr` (28 bytes) holding `addr`; `port` goes in
/// `sin_port` (network order).
fn vxlan_sockaddr(addr: IpAddr, port: u16) -> [u8; abi::VXLAN_SOCKADDR] {
    match addr {
        IpAddr::V4(a) => {
            let mut sa = [0u8; abi::VXLAN_SOCKADDR];
            put(&mut sa, 0, &sockaddr_in(a, port));
            sa
        }
        IpAddr::V6(a) => sockaddr_in6(a, port),
    }
}

/// Reads a `union vxlan_sockaddr`: the address (`None` when unset: family
/// 0, or the any address) and `sin_port`.
fn read_vxlan_sockaddr(buf: &[u8], at: usize, what: &str) -> Result<(Option<IpAddr>, u16)> {
    let sa: [u8; abi::VXLAN_SOCKADDR] = get(buf, at, what)?;
    let family = get_u8(&sa, abi::SIN_FAMILY, what)?;
    let port = u16::from_be_bytes(get(&sa, abi::SIN_PORT, what)?);
    let addr = match family {
        // A fresh vxlan's addresses are zeroed apart from the port.
        abi::AF_UNSPEC => None,
        abi::AF_INET => Some(IpAddr::V4(Ipv4Addr::from(get::<4>(
            &sa,
            abi::SIN_ADDR,
            what,
        )?))),
        abi::AF_INET6 => Some(IpAddr::V6(Ipv6Addr::from(get::<16>(
            &sa,
            abi::SIN6_ADDR,
            what,
        )?))),
        other => {
            return Err(malformed(
                what,
                format_args!("unknown address family {other} at offset {at} (expected 0, 2 or 28)"),
            ));
        }
    };
    Ok((addr.filter(|a| !a.is_unspecified()), port))
}

fn is_link_local(addr: IpAddr) -> bool {
    IfAddr { addr, prefix: 0 }.is_link_local()
}

/// An underlay address the kernel can use without a zone.
fn check_underlay(addr: IpAddr, role: &str) -> Result<()> {
    if is_link_local(addr) {
        return Err(Error::invalid(format!(
            "vxlan {role} address {addr} is IPv6 link-local: it needs a zone, which this \
             backend does not pass; expected a global address"
        )));
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Generic interface requests (§2)

fn ifreq(name: &IfName) -> Vec<u8> {
    let mut r = vec![0u8; abi::IFREQ];
    put(&mut r, abi::IFR_NAME, &name.field());
    r
}

fn cloner_ifreq(cloner: Cloner) -> Vec<u8> {
    let mut r = vec![0u8; abi::IFREQ];
    put(&mut r, abi::IFR_NAME, &name_field(cloner.name().as_bytes()));
    r
}

/// `SIOCIFCREATE2` of a bridge: `ifr_name = "bridge"`, no parameters; the
/// kernel answers the name it chose.
pub fn create_bridge() -> Request {
    let mut r = Request::new(
        "create a bridge".to_owned(),
        abi::SIOCIFCREATE2,
        Socket::Inet,
        cloner_ifreq(Cloner::Bridge),
    );
    r.read_back = ReadBack::CreatedName;
    r
}

/// `SIOCSIFNAME`: rename `old` to `new` (`ifr_data` → the new name).
pub fn rename(old: &IfName, new: &IfName) -> Request {
    let mut r = Request::new(
        format!("rename {old} to {new}"),
        abi::SIOCSIFNAME,
        Socket::Inet,
        ifreq(old),
    );
    r.inner = Some(Inner {
        ptr_at: abi::IFR_DATA,
        len_at: None,
        // The kernel reads it with copyinstr(…, IFNAMSIZ).
        bytes: new.field().to_vec(),
        inner: None,
    });
    r
}

/// `SIOCSIFNAME` of the interface the preceding create of `cloner` made,
/// to `new` ([`Target::Created`]).
pub fn rename_created(cloner: Cloner, new: &IfName) -> Request {
    let mut r = Request::new(
        format!("rename the new {} to {new}", cloner.name()),
        abi::SIOCSIFNAME,
        Socket::Inet,
        cloner_ifreq(cloner),
    );
    r.inner = Some(Inner {
        ptr_at: abi::IFR_DATA,
        len_at: None,
        bytes: new.field().to_vec(),
        inner: None,
    });
    r.target = Target::Created;
    r
}

/// `SIOCIFDESTROY`: a bridge releases its members first; a vxlan leaves
/// its bridge.
pub fn destroy(name: &IfName) -> Request {
    Request::new(
        format!("destroy {name}"),
        abi::SIOCIFDESTROY,
        Socket::Inet,
        ifreq(name),
    )
}

/// `SIOCSIFDESCR`: `ifr_buffer.length` counts the NUL the buffer ends
/// with; an empty text clears the description (length 0, no buffer).
pub fn set_description(name: &IfName, text: &str) -> Result<Request> {
    if text.contains('\0') {
        return Err(Error::invalid(format!(
            "description {text:?} of {name} is not valid: it holds a NUL byte"
        )));
    }
    let mut r = Request::new(
        format!("set the description of {name}"),
        abi::SIOCSIFDESCR,
        Socket::Inet,
        ifreq(name),
    );
    if !text.is_empty() {
        let mut bytes = text.as_bytes().to_vec();
        bytes.push(0);
        put_u64(&mut r.outer, abi::IFR_BUFFER_LENGTH, bytes.len() as u64);
        r.inner = Some(Inner {
            ptr_at: abi::IFR_BUFFER_BUFFER,
            len_at: Some(LenField {
                at: abi::IFR_BUFFER_LENGTH,
                width: 8,
            }),
            bytes,
            inner: None,
        });
    }
    Ok(r)
}

/// Room `SIOCGIFDESCR` is given: the kernel's default `net.ifdescr_maxlen`.
pub const DESCRIPTION_ROOM: usize = 1024;

/// `SIOCGIFDESCR`: the description into a buffer of [`DESCRIPTION_ROOM`]
/// bytes. The kernel answers ENOMSG when there is none, and a null buffer
/// with the length needed when it does not fit.
pub fn get_description(name: &IfName) -> Request {
    let mut r = Request::new(
        format!("read the description of {name}"),
        abi::SIOCGIFDESCR,
        Socket::Inet,
        ifreq(name),
    );
    put_u64(
        &mut r.outer,
        abi::IFR_BUFFER_LENGTH,
        DESCRIPTION_ROOM as u64,
    );
    r.inner = Some(Inner {
        ptr_at: abi::IFR_BUFFER_BUFFER,
        len_at: Some(LenField {
            at: abi::IFR_BUFFER_LENGTH,
            width: 8,
        }),
        bytes: vec![0; DESCRIPTION_ROOM],
        inner: None,
    });
    r.read_back = ReadBack::Description;
    r
}

/// The text `SIOCGIFDESCR` wrote: `ifreq` is the outer buffer after the
/// call (its length field holds the bytes the description needs, NUL
/// included), `buffer` the inner one.
pub fn decode_description(ifreq: &[u8], buffer: &[u8]) -> Result<String> {
    const WHAT: &str = "SIOCGIFDESCR answer";
    expect_len(ifreq, abi::IFREQ, WHAT)?;
    let needed = get_u64(ifreq, abi::IFR_BUFFER_LENGTH, WHAT)?;
    let needed = usize::try_from(needed).map_err(|_| malformed(WHAT, "a length beyond memory"))?;
    if needed > buffer.len() {
        return Err(malformed(
            WHAT,
            format_args!(
                "a description of {needed} bytes, longer than the {}-byte buffer",
                buffer.len()
            ),
        ));
    }
    let text = buffer.get(..needed).unwrap_or(&[]);
    let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
    String::from_utf8(text[..end].to_vec())
        .map_err(|_| malformed(WHAT, "a description that is not UTF-8"))
}

/// `SIOCGIFFLAGS`: reads `if_flags | if_drv_flags` (so RUNNING shows).
pub fn get_flags(name: &IfName) -> Request {
    let mut r = Request::new(
        format!("read the flags of {name}"),
        abi::SIOCGIFFLAGS,
        Socket::Inet,
        ifreq(name),
    );
    r.read_back = ReadBack::Flags;
    r
}

/// `SIOCSIFFLAGS` with exactly `flags`, both halves (the kernel rebuilds
/// the flag word from both and keeps its own bits whatever is sent).
pub fn set_flags(name: &IfName, flags: u32) -> Request {
    let mut outer = ifreq(name);
    put(&mut outer, abi::IFR_FLAGS, &low_half(flags));
    put(&mut outer, abi::IFR_FLAGSHIGH, &high_half(flags));
    Request::new(
        format!("set the flags of {name} to {flags:#x}"),
        abi::SIOCSIFFLAGS,
        Socket::Inet,
        outer,
    )
}

/// Brings `name` up: `SIOCSIFFLAGS` with `IFF_UP` ORed into the flags read
/// first, then the flags read again, and an error unless RUNNING.
pub fn up(name: &IfName) -> Request {
    let mut r = set_flags(name, abi::IFF_UP);
    r.what = format!("bring {name} up");
    r.merge = Merge::OrFlags {
        read: Box::new(get_flags(name)),
        at: FlagsAt::Interface,
    };
    r.read_back = ReadBack::RequireRunning {
        read: Box::new(get_flags(name)),
    };
    r
}

/// `SIOCSIFMTU`: 72 to 65535 (recent kernels refuse it on a bridge
/// member: set a member's MTU before it joins, or the bridge's).
pub fn set_mtu(name: &IfName, mtu: u32) -> Result<Request> {
    if !(abi::IF_MINMTU..=abi::IF_MAXMTU).contains(&mtu) {
        return Err(Error::invalid(format!(
            "MTU {mtu} of {name} is not valid: expected {} to {}",
            abi::IF_MINMTU,
            abi::IF_MAXMTU
        )));
    }
    let mut outer = ifreq(name);
    put_u32(&mut outer, abi::IFR_MTU, mtu);
    Ok(Request::new(
        format!("set the MTU of {name} to {mtu}"),
        abi::SIOCSIFMTU,
        Socket::Inet,
        outer,
    ))
}

/// `SIOCGIFMTU`.
pub fn get_mtu(name: &IfName) -> Request {
    let mut r = Request::new(
        format!("read the MTU of {name}"),
        abi::SIOCGIFMTU,
        Socket::Inet,
        ifreq(name),
    );
    r.read_back = ReadBack::Mtu;
    r
}

/// `SIOCGIFINDEX`.
pub fn get_index(name: &IfName) -> Request {
    let mut r = Request::new(
        format!("read the index of {name}"),
        abi::SIOCGIFINDEX,
        Socket::Inet,
        ifreq(name),
    );
    r.read_back = ReadBack::Index;
    r
}

// ---------------------------------------------------------------------------
// Driver requests (ifdrv)

/// A `SIOCSDRVSPEC` / `SIOCGDRVSPEC` on `target` carrying `data`, whose
/// size goes in `ifd_len` (the drivers require it exact).
fn drvspec(what: String, code: u64, target: &IfName, cmd: u64, data: Vec<u8>) -> Request {
    let mut outer = vec![0u8; abi::IFDRV];
    put(&mut outer, abi::IFD_NAME, &target.field());
    put_u64(&mut outer, abi::IFD_CMD, cmd);
    put_u64(&mut outer, abi::IFD_LEN, data.len() as u64);
    let mut r = Request::new(what, code, Socket::Inet, outer);
    r.inner = Some(Inner {
        ptr_at: abi::IFD_DATA,
        len_at: Some(LenField {
            at: abi::IFD_LEN,
            width: 8,
        }),
        bytes: data,
        inner: None,
    });
    r
}

// ---------------------------------------------------------------------------
// vxlan(4) (§1)

/// The vxlan driver commands. Number 3 is an empty slot of the kernel's
/// table that would call a null function (§1.7): it has no variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VxlanCmd {
    /// 0, the only get.
    GetConfig,
    /// 1.
    SetVni,
    /// 2.
    SetLocalAddr,
    /// 4.
    SetRemoteAddr,
    /// 5.
    SetLocalPort,
    /// 6.
    SetRemotePort,
    /// 7.
    SetPortRange,
    /// 8.
    SetFtableTimeout,
    /// 9.
    SetFtableMax,
    /// 10.
    SetMulticastIf,
    /// 11.
    SetTtl,
    /// 12.
    SetLearn,
    /// 13.
    FtableEntryAdd,
    /// 14.
    FtableEntryRem,
    /// 15.
    Flush,
}

impl VxlanCmd {
    /// Every command.
    pub const ALL: [VxlanCmd; 15] = [
        VxlanCmd::GetConfig,
        VxlanCmd::SetVni,
        VxlanCmd::SetLocalAddr,
        VxlanCmd::SetRemoteAddr,
        VxlanCmd::SetLocalPort,
        VxlanCmd::SetRemotePort,
        VxlanCmd::SetPortRange,
        VxlanCmd::SetFtableTimeout,
        VxlanCmd::SetFtableMax,
        VxlanCmd::SetMulticastIf,
        VxlanCmd::SetTtl,
        VxlanCmd::SetLearn,
        VxlanCmd::FtableEntryAdd,
        VxlanCmd::FtableEntryRem,
        VxlanCmd::Flush,
    ];

    /// The `ifd_cmd` number.
    pub fn number(self) -> u64 {
        match self {
            VxlanCmd::GetConfig => abi::VXLAN_CMD_GET_CONFIG,
            VxlanCmd::SetVni => abi::VXLAN_CMD_SET_VNI,
            VxlanCmd::SetLocalAddr => abi::VXLAN_CMD_SET_LOCAL_ADDR,
            VxlanCmd::SetRemoteAddr => abi::VXLAN_CMD_SET_REMOTE_ADDR,
            VxlanCmd::SetLocalPort => abi::VXLAN_CMD_SET_LOCAL_PORT,
            VxlanCmd::SetRemotePort => abi::VXLAN_CMD_SET_REMOTE_PORT,
            VxlanCmd::SetPortRange => abi::VXLAN_CMD_SET_PORT_RANGE,
            VxlanCmd::SetFtableTimeout => abi::VXLAN_CMD_SET_FTABLE_TIMEOUT,
            VxlanCmd::SetFtableMax => abi::VXLAN_CMD_SET_FTABLE_MAX,
            VxlanCmd::SetMulticastIf => abi::VXLAN_CMD_SET_MULTICAST_IF,
            VxlanCmd::SetTtl => abi::VXLAN_CMD_SET_TTL,
            VxlanCmd::SetLearn => abi::VXLAN_CMD_SET_LEARN,
            VxlanCmd::FtableEntryAdd => abi::VXLAN_CMD_FTABLE_ENTRY_ADD,
            VxlanCmd::FtableEntryRem => abi::VXLAN_CMD_FTABLE_ENTRY_REM,
            VxlanCmd::Flush => abi::VXLAN_CMD_FLUSH,
        }
    }
}

/// What a vxlan is created with; each given field sets its `vxlp_with`
/// bit. The kernel ignores bad create-time values silently, so
/// [`create_vxlan`] refuses them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VxlanParams {
    /// VNI.
    pub vni: Option<Vni>,
    /// Local underlay address.
    pub local: Option<IpAddr>,
    /// Remote underlay address (unicast, or a multicast group).
    pub remote: Option<IpAddr>,
    /// Local UDP port.
    pub local_port: Option<NonZeroU16>,
    /// Remote UDP port.
    pub remote_port: Option<NonZeroU16>,
    /// Address learning (on by default).
    pub learn: Option<bool>,
}

/// `SIOCIFCREATE2` with `ifr_name = "vxlan"` and `ifr_data` → a 104-byte
/// `ifvxlanparam`; the kernel picks the unit and answers the name.
pub fn create_vxlan(p: &VxlanParams) -> Result<Request> {
    if let (Some(l), Some(r)) = (p.local, p.remote)
        && l.is_ipv4() != r.is_ipv4()
    {
        return Err(Error::invalid(format!(
            "vxlan local address {l} and remote address {r} are of different families: \
             expected both IPv4 or both IPv6"
        )));
    }
    if let Some(l) = p.local {
        check_underlay(l, "local")?;
        if l.is_multicast() {
            return Err(Error::invalid(format!(
                "vxlan local address {l} is multicast: expected a unicast address"
            )));
        }
    }
    if let Some(r) = p.remote {
        check_underlay(r, "remote")?;
        if r.is_unspecified() {
            return Err(Error::invalid(format!(
                "vxlan remote address {r} is the any address: the tunnel would never run"
            )));
        }
    }
    let mut param = [0u8; abi::IFVXLANPARAM];
    let mut with = 0;
    if let Some(vni) = p.vni {
        with |= abi::VXLAN_PARAM_WITH_VNI;
        put_u32(&mut param, abi::VXLP_VNI, vni.get());
    }
    if let Some(l) = p.local {
        with |= match l {
            IpAddr::V4(_) => abi::VXLAN_PARAM_WITH_LOCAL_ADDR4,
            IpAddr::V6(_) => abi::VXLAN_PARAM_WITH_LOCAL_ADDR6,
        };
        // sin_port is ignored at create time; ports have fields of their own.
        put(&mut param, abi::VXLP_LOCAL_SA, &vxlan_sockaddr(l, 0));
    }
    if let Some(r) = p.remote {
        with |= match r {
            IpAddr::V4(_) => abi::VXLAN_PARAM_WITH_REMOTE_ADDR4,
            IpAddr::V6(_) => abi::VXLAN_PARAM_WITH_REMOTE_ADDR6,
        };
        put(&mut param, abi::VXLP_REMOTE_SA, &vxlan_sockaddr(r, 0));
    }
    if let Some(port) = p.local_port {
        with |= abi::VXLAN_PARAM_WITH_LOCAL_PORT;
        put_u16(&mut param, abi::VXLP_LOCAL_PORT, port.get());
    }
    if let Some(port) = p.remote_port {
        with |= abi::VXLAN_PARAM_WITH_REMOTE_PORT;
        put_u16(&mut param, abi::VXLP_REMOTE_PORT, port.get());
    }
    if let Some(learn) = p.learn {
        with |= abi::VXLAN_PARAM_WITH_LEARN;
        param[abi::VXLP_LEARN] = u8::from(learn);
    }
    put_u64(&mut param, abi::VXLP_WITH, with);
    let what = match (p.vni, p.local, p.remote) {
        (Some(vni), Some(l), Some(r)) => {
            format!("create a vxlan (VNI {}, {l} to {r})", vni.get())
        }
        _ => "create a vxlan".to_owned(),
    };
    let mut r = Request::new(
        what,
        abi::SIOCIFCREATE2,
        Socket::Inet,
        cloner_ifreq(Cloner::Vxlan),
    );
    r.inner = Some(Inner {
        ptr_at: abi::IFR_DATA,
        len_at: None,
        bytes: param.to_vec(),
        inner: None,
    });
    r.read_back = ReadBack::CreatedName;
    Ok(r)
}

/// One vxlan setting, changed with `SIOCSDRVSPEC` and an `ifvxlancmd`.
/// Tunnel settings (VNI, addresses, ports, multicast interface) are
/// refused with EBUSY while the interface runs: bring it down first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VxlanSetting {
    /// The VNI.
    Vni(Vni),
    /// The local address.
    LocalAddr(IpAddr),
    /// The remote address or multicast group.
    RemoteAddr(IpAddr),
    /// The local UDP port.
    LocalPort(NonZeroU16),
    /// The remote UDP port.
    RemotePort(NonZeroU16),
    /// The UDP source-port range.
    PortRange {
        /// Lowest.
        min: NonZeroU16,
        /// Highest, at least `min`.
        max: NonZeroU16,
    },
    /// Forwarding-table timeout in seconds, at most 86400.
    FtableTimeout(u32),
    /// Forwarding-table size, at most 2000.
    FtableMax(u32),
    /// The multicast egress interface.
    MulticastIf(IfName),
    /// The outer TTL.
    Ttl(u8),
    /// Address learning.
    Learn(bool),
    /// A static forwarding entry: inner MAC → remote VTEP.
    FtableEntryAdd {
        /// Inner MAC.
        mac: Mac,
        /// The VTEP, of the remote's family.
        remote: IpAddr,
        /// Its UDP port; `None`: the remote port.
        port: Option<NonZeroU16>,
    },
    /// Remove a static forwarding entry.
    FtableEntryRem {
        /// Inner MAC.
        mac: Mac,
    },
    /// Flush learned entries (`all`: static ones too).
    Flush {
        /// Static entries too.
        all: bool,
    },
}

impl VxlanSetting {
    /// The command that carries it.
    pub fn cmd(&self) -> VxlanCmd {
        match self {
            VxlanSetting::Vni(_) => VxlanCmd::SetVni,
            VxlanSetting::LocalAddr(_) => VxlanCmd::SetLocalAddr,
            VxlanSetting::RemoteAddr(_) => VxlanCmd::SetRemoteAddr,
            VxlanSetting::LocalPort(_) => VxlanCmd::SetLocalPort,
            VxlanSetting::RemotePort(_) => VxlanCmd::SetRemotePort,
            VxlanSetting::PortRange { .. } => VxlanCmd::SetPortRange,
            VxlanSetting::FtableTimeout(_) => VxlanCmd::SetFtableTimeout,
            VxlanSetting::FtableMax(_) => VxlanCmd::SetFtableMax,
            VxlanSetting::MulticastIf(_) => VxlanCmd::SetMulticastIf,
            VxlanSetting::Ttl(_) => VxlanCmd::SetTtl,
            VxlanSetting::Learn(_) => VxlanCmd::SetLearn,
            VxlanSetting::FtableEntryAdd { .. } => VxlanCmd::FtableEntryAdd,
            VxlanSetting::FtableEntryRem { .. } => VxlanCmd::FtableEntryRem,
            VxlanSetting::Flush { .. } => VxlanCmd::Flush,
        }
    }
}

/// `SIOCSDRVSPEC` on vxlan `name` with a 76-byte `ifvxlancmd`.
pub fn vxlan_set(name: &IfName, setting: &VxlanSetting) -> Result<Request> {
    let bad = |why: String| Err(Error::invalid(format!("vxlan setting of {name}: {why}")));
    let mut cmd = [0u8; abi::IFVXLANCMD];
    match setting {
        VxlanSetting::Vni(vni) => put_u32(&mut cmd, abi::VXLCMD_VNI, vni.get()),
        VxlanSetting::LocalAddr(a) => {
            check_underlay(*a, "local")?;
            if a.is_multicast() {
                return bad(format!("local address {a} is multicast"));
            }
            put(&mut cmd, abi::VXLCMD_SA, &vxlan_sockaddr(*a, 0));
        }
        VxlanSetting::RemoteAddr(a) => {
            check_underlay(*a, "remote")?;
            put(&mut cmd, abi::VXLCMD_SA, &vxlan_sockaddr(*a, 0));
        }
        VxlanSetting::LocalPort(p) | VxlanSetting::RemotePort(p) => {
            put_u16(&mut cmd, abi::VXLCMD_PORT, p.get());
        }
        VxlanSetting::PortRange { min, max } => {
            if max < min {
                return bad(format!("port range {min}-{max} is inverted"));
            }
            put_u16(&mut cmd, abi::VXLCMD_PORT_MIN, min.get());
            put_u16(&mut cmd, abi::VXLCMD_PORT_MAX, max.get());
        }
        VxlanSetting::FtableTimeout(t) => {
            if *t > abi::VXLAN_FTABLE_TIMEOUT_MAX {
                return bad(format!("forwarding-table timeout {t} s is above 86400"));
            }
            put_u32(&mut cmd, abi::VXLCMD_FTABLE_TIMEOUT, *t);
        }
        VxlanSetting::FtableMax(m) => {
            if *m > abi::VXLAN_FTABLE_MAX {
                return bad(format!("forwarding-table size {m} is above 2000"));
            }
            put_u32(&mut cmd, abi::VXLCMD_FTABLE_MAX, *m);
        }
        VxlanSetting::MulticastIf(ifname) => put(&mut cmd, abi::VXLCMD_IFNAME, &ifname.field()),
        VxlanSetting::Ttl(ttl) => cmd[abi::VXLCMD_TTL] = *ttl,
        VxlanSetting::Learn(on) => {
            if *on {
                put_u32(&mut cmd, abi::VXLCMD_FLAGS, abi::VXLAN_CMD_FLAG_LEARN);
            }
        }
        VxlanSetting::FtableEntryAdd { mac, remote, port } => {
            if remote.is_unspecified() || remote.is_multicast() {
                return bad(format!(
                    "forwarding entry VTEP {remote} is not a unicast address"
                ));
            }
            check_underlay(*remote, "forwarding entry")?;
            put(&mut cmd, abi::VXLCMD_MAC, &mac.0);
            let port = port.map_or(0, NonZeroU16::get);
            put(&mut cmd, abi::VXLCMD_SA, &vxlan_sockaddr(*remote, port));
        }
        VxlanSetting::FtableEntryRem { mac } => put(&mut cmd, abi::VXLCMD_MAC, &mac.0),
        VxlanSetting::Flush { all } => {
            if *all {
                put_u32(&mut cmd, abi::VXLCMD_FLAGS, abi::VXLAN_CMD_FLAG_FLUSH_ALL);
            }
        }
    }
    Ok(drvspec(
        format!("vxlan command {:?} on {name}", setting.cmd()),
        abi::SIOCSDRVSPEC,
        name,
        setting.cmd().number(),
        cmd.to_vec(),
    ))
}

/// `SIOCGDRVSPEC` GET_CONFIG on `name` (an 84-byte `ifvxlancfg` comes
/// back); succeeding is also the test of "is this a vxlan".
pub fn vxlan_get_config(name: &IfName) -> Request {
    let mut r = drvspec(
        format!("read the vxlan configuration of {name}"),
        abi::SIOCGDRVSPEC,
        name,
        VxlanCmd::GetConfig.number(),
        vec![0u8; abi::IFVXLANCFG],
    );
    r.read_back = ReadBack::VxlanConfig;
    r
}

// ---------------------------------------------------------------------------
// if_bridge(4) (§3)

fn ifbreq(member: &IfName) -> Vec<u8> {
    let mut b = vec![0u8; abi::IFBREQ];
    put(&mut b, abi::IFBR_IFSNAME, &member.field());
    b
}

/// `BRDGADD`: `member` joins `bridge` with `LEARNING|DISCOVER`. The first
/// member sets the bridge's MTU; later ones are set to it.
pub fn bridge_add(bridge: &IfName, member: &IfName) -> Request {
    drvspec(
        format!("add {member} to bridge {bridge}"),
        abi::SIOCSDRVSPEC,
        bridge,
        abi::BRDGADD,
        ifbreq(member),
    )
}

/// `BRDGDEL`.
pub fn bridge_del(bridge: &IfName, member: &IfName) -> Request {
    drvspec(
        format!("remove {member} from bridge {bridge}"),
        abi::SIOCSDRVSPEC,
        bridge,
        abi::BRDGDEL,
        ifbreq(member),
    )
}

/// `BRDGGIFFLGS` (a get: `SIOCGDRVSPEC`, `ifbreq` in and out).
pub fn get_member_flags(bridge: &IfName, member: &IfName) -> Request {
    let mut r = drvspec(
        format!("read the flags of {member} in bridge {bridge}"),
        abi::SIOCGDRVSPEC,
        bridge,
        abi::BRDGGIFFLGS,
        ifbreq(member),
    );
    r.read_back = ReadBack::MemberFlags;
    r
}

/// `BRDGSIFFLGS` with exactly `flags`: the kernel replaces all of the
/// member's flags (and turns STP port options off that are not in them).
pub fn set_member_flags(bridge: &IfName, member: &IfName, flags: u32) -> Result<Request> {
    if flags & abi::IFBIF_SPAN != 0 {
        return Err(Error::invalid(format!(
            "member flags {flags:#x} of {member} hold SPAN, which is read-only"
        )));
    }
    let mut b = ifbreq(member);
    put_u32(&mut b, abi::IFBR_IFSFLAGS, flags);
    Ok(drvspec(
        format!("set the flags of {member} in bridge {bridge} to {flags:#x}"),
        abi::SIOCSDRVSPEC,
        bridge,
        abi::BRDGSIFFLGS,
        b,
    ))
}

/// Makes `member` a private (split-horizon) member of `bridge`:
/// `BRDGSIFFLGS` with `PRIVATE` and FreeBSD's defaults for a member,
/// ORed with the flags `BRDGGIFFLGS` reads first, as ifconfig's `private`
/// does, so nothing else set on the member is lost.
pub fn make_private(bridge: &IfName, member: &IfName) -> Request {
    let flags = abi::IFBIF_DEFAULT | abi::IFBIF_PRIVATE;
    let mut b = ifbreq(member);
    put_u32(&mut b, abi::IFBR_IFSFLAGS, flags);
    let mut r = drvspec(
        format!("make {member} a private member of bridge {bridge}"),
        abi::SIOCSDRVSPEC,
        bridge,
        abi::BRDGSIFFLGS,
        b,
    );
    r.merge = Merge::OrFlags {
        read: Box::new(get_member_flags(bridge, member)),
        at: FlagsAt::Member,
    };
    r
}

/// `BRDGGIFS` with room for `records` members: `ifdrv` → `ifbifconf` →
/// an array of `ifbreq`. Truncation is silent: see [`members_need_more`].
pub fn list_members(bridge: &IfName, records: NonZeroU16) -> Request {
    let capacity = usize::from(records.get()) * abi::IFBREQ;
    let mut conf = vec![0u8; abi::IFBIFCONF];
    // At most 65535 × 80 bytes: fits ifbic_len's 32 bits.
    put_u32(&mut conf, abi::IFBIC_LEN, capacity as u32);
    let mut r = drvspec(
        format!("list the members of bridge {bridge}"),
        abi::SIOCGDRVSPEC,
        bridge,
        abi::BRDGGIFS,
        conf,
    );
    if let Some(inner) = r.inner.as_mut() {
        inner.inner = Some(Box::new(Inner {
            ptr_at: abi::IFBIC_BUF,
            len_at: Some(LenField {
                at: abi::IFBIC_LEN,
                width: 4,
            }),
            bytes: vec![0u8; capacity],
            inner: None,
        }));
    }
    r.read_back = ReadBack::Members;
    r
}

// ---------------------------------------------------------------------------
// Addresses (§4)

fn v4_mask(prefix: u8) -> u32 {
    u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0)
}

fn v6_mask(prefix: u8) -> u128 {
    u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0)
}

/// `SIOCAIFADDR` (on an AF_INET socket) with an `in_aliasreq`: address,
/// broadcast and mask. Adding an address the interface has replaces it.
pub fn add_inet(name: &IfName, addr: Ipv4Addr, prefix: u8) -> Result<Request> {
    if prefix > 32 {
        return Err(Error::invalid(format!(
            "prefix length {prefix} of {addr} is not valid: expected 0 to 32"
        )));
    }
    let mask = v4_mask(prefix);
    let mut req = vec![0u8; abi::IN_ALIASREQ];
    put(&mut req, abi::IFRA_NAME, &name.field());
    put(&mut req, abi::IFRA_ADDR, &sockaddr_in(addr, 0));
    // /31 and /32 have no broadcast address (RFC 3021): left zero, for the
    // kernel to derive. Otherwise the same value the kernel would derive.
    if prefix <= 30 {
        let broadcast = Ipv4Addr::from(u32::from(addr) | !mask);
        put(&mut req, abi::IFRA_BROADADDR, &sockaddr_in(broadcast, 0));
    }
    put(
        &mut req,
        abi::IFRA_MASK,
        &sockaddr_in(Ipv4Addr::from(mask), 0),
    );
    Ok(Request::new(
        format!("add {addr}/{prefix} to {name}"),
        abi::SIOCAIFADDR,
        Socket::Inet,
        req,
    ))
}

/// `SIOCDIFADDR` (AF_INET socket): an `ifreq` whose `ifr_addr` is the
/// address (a malformed one would delete the first IPv4 address).
pub fn del_inet(name: &IfName, addr: Ipv4Addr) -> Request {
    let mut req = ifreq(name);
    put(&mut req, abi::IFR_ADDR, &sockaddr_in(addr, 0));
    Request::new(
        format!("delete {addr} from {name}"),
        abi::SIOCDIFADDR,
        Socket::Inet,
        req,
    )
}

/// `SIOCAIFADDR_IN6` (AF_INET6 socket) with an `in6_aliasreq`: address,
/// prefix mask, infinite lifetimes (a valid lifetime of 0 adds nothing and
/// still answers success).
pub fn add_inet6(name: &IfName, addr: Ipv6Addr, prefix: u8) -> Result<Request> {
    if prefix > 128 {
        return Err(Error::invalid(format!(
            "prefix length {prefix} of {addr} is not valid: expected 0 to 128"
        )));
    }
    let mut req = vec![0u8; abi::IN6_ALIASREQ];
    put(&mut req, abi::IFRA6_NAME, &name.field());
    put(&mut req, abi::IFRA6_ADDR, &sockaddr_in6(addr, 0));
    put(
        &mut req,
        abi::IFRA6_PREFIXMASK,
        &sockaddr_in6(Ipv6Addr::from(v6_mask(prefix)), 0),
    );
    let lifetime = abi::IFRA6_LIFETIME;
    put_u32(
        &mut req,
        lifetime + abi::IA6T_VLTIME,
        abi::ND6_INFINITE_LIFETIME,
    );
    put_u32(
        &mut req,
        lifetime + abi::IA6T_PLTIME,
        abi::ND6_INFINITE_LIFETIME,
    );
    Ok(Request::new(
        format!("add {addr}/{prefix} to {name}"),
        abi::SIOCAIFADDR_IN6,
        Socket::Inet6,
        req,
    ))
}

/// `SIOCDIFADDR_IN6` (AF_INET6 socket) with a full 288-byte `in6_ifreq`
/// (a shorter struct changes the request code).
pub fn del_inet6(name: &IfName, addr: Ipv6Addr) -> Request {
    let mut req = vec![0u8; abi::IN6_IFREQ];
    put(&mut req, abi::IN6_IFR_NAME, &name.field());
    put(&mut req, abi::IN6_IFR_ADDR, &sockaddr_in6(addr, 0));
    Request::new(
        format!("delete {addr} from {name}"),
        abi::SIOCDIFADDR_IN6,
        Socket::Inet6,
        req,
    )
}

/// Adds `addr` to `name`, by family.
pub fn add_addr(name: &IfName, addr: &IfAddr) -> Result<Request> {
    match addr.addr {
        IpAddr::V4(a) => add_inet(name, a, addr.prefix),
        IpAddr::V6(a) => add_inet6(name, a, addr.prefix),
    }
}

/// Deletes `addr` from `name`, by family.
pub fn del_addr(name: &IfName, addr: &IfAddr) -> Request {
    match addr.addr {
        IpAddr::V4(a) => del_inet(name, a),
        IpAddr::V6(a) => del_inet6(name, a),
    }
}

// ---------------------------------------------------------------------------
// Decoders

/// The interface name in an `ifreq` (what `SIOCIFCREATE2` answers).
pub fn decode_name(ifreq: &[u8]) -> Result<IfName> {
    expect_len(ifreq, abi::IFREQ, "ifreq")?;
    read_name(ifreq, abi::IFR_NAME, "ifreq")
}

/// The flags in an `ifreq` (`SIOCGIFFLAGS`): `ifr_flags` and
/// `ifr_flagshigh` as one word.
pub fn decode_flags(ifreq: &[u8]) -> Result<u32> {
    expect_len(ifreq, abi::IFREQ, "ifreq")?;
    let low = get_u16(ifreq, abi::IFR_FLAGS, "ifreq")?;
    let high = get_u16(ifreq, abi::IFR_FLAGSHIGH, "ifreq")?;
    Ok(u32::from(high) << 16 | u32::from(low))
}

/// The MTU in an `ifreq` (`SIOCGIFMTU`).
pub fn decode_mtu(ifreq: &[u8]) -> Result<u32> {
    expect_len(ifreq, abi::IFREQ, "ifreq")?;
    let mtu = i32::from_le_bytes(get(ifreq, abi::IFR_MTU, "ifreq")?);
    u32::try_from(mtu).map_err(|_| malformed("ifreq", format_args!("negative MTU {mtu}")))
}

/// The index in an `ifreq` (`SIOCGIFINDEX`).
pub fn decode_index(ifreq: &[u8]) -> Result<u16> {
    expect_len(ifreq, abi::IFREQ, "ifreq")?;
    get_u16(ifreq, abi::IFR_INDEX, "ifreq")
}

/// Fails unless `flags` (read after bringing `name` up) show UP and
/// RUNNING: vxlan(4) reports a tunnel that cannot start only this way.
pub fn check_running(name: &IfName, flags: u32) -> Result<()> {
    if flags & abi::IFF_UP == 0 {
        return Err(Error::new(
            ErrorKind::Backend,
            format!("{name} is not up after being brought up (flags {flags:#x})"),
        ));
    }
    if flags & abi::IFF_RUNNING == 0 {
        return Err(Error::new(
            ErrorKind::Backend,
            format!(
                "{name} is up but not running (flags {flags:#x}): the kernel could not start \
                 it, e.g. its VNI is used by another vxlan on the same local address and port, \
                 or the UDP port is taken; the reason is in dmesg"
            ),
        ));
    }
    Ok(())
}

/// A vxlan's configuration as GET_CONFIG reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VxlanConfig {
    /// VNI; `None` when unset. (The kernel accepts 0.)
    pub vni: Option<u32>,
    /// Local address; `None` when unset or the any address.
    pub local: Option<IpAddr>,
    /// Local UDP port.
    pub local_port: u16,
    /// Remote address or group; `None` when unset.
    pub remote: Option<IpAddr>,
    /// Remote UDP port.
    pub remote_port: u16,
    /// Multicast interface index (0: none).
    pub mc_ifindex: u32,
    /// Forwarding entries now.
    pub ftable_count: u32,
    /// Forwarding-table size.
    pub ftable_max: u32,
    /// Forwarding-table timeout, seconds.
    pub ftable_timeout: u32,
    /// Lowest UDP source port.
    pub port_min: u16,
    /// Highest UDP source port.
    pub port_max: u16,
    /// Address learning.
    pub learn: bool,
    /// Outer TTL.
    pub ttl: u8,
}

impl VxlanConfig {
    /// The planner's view. A tunnel whose local and remote ports differ
    /// gets port 0, and one without a VNI VNI 0: neither matches a spec,
    /// so the planner recreates it.
    pub fn conf(&self) -> VxlanConf {
        VxlanConf {
            vni: self.vni.unwrap_or(0),
            local: self.local,
            remote: self.remote,
            port: if self.local_port == self.remote_port {
                self.remote_port
            } else {
                0
            },
        }
    }
}

/// An 84-byte `ifvxlancfg` (GET_CONFIG's answer).
pub fn decode_vxlan_config(cfg: &[u8]) -> Result<VxlanConfig> {
    const WHAT: &str = "ifvxlancfg";
    expect_len(cfg, abi::IFVXLANCFG, WHAT)?;
    let vni = get_u32(cfg, abi::VXLC_VNI, WHAT)?;
    let vni = match vni {
        abi::VXLAN_VNI_MAX => None,
        v if v < abi::VXLAN_VNI_MAX => Some(v),
        v => {
            return Err(malformed(
                WHAT,
                format_args!("VNI {v} is out of range (at most 16777216)"),
            ));
        }
    };
    let (local, local_port) = read_vxlan_sockaddr(cfg, abi::VXLC_LOCAL_SA, WHAT)?;
    let (remote, remote_port) = read_vxlan_sockaddr(cfg, abi::VXLC_REMOTE_SA, WHAT)?;
    Ok(VxlanConfig {
        vni,
        local,
        local_port,
        remote,
        remote_port,
        mc_ifindex: get_u32(cfg, abi::VXLC_MC_IFINDEX, WHAT)?,
        ftable_count: get_u32(cfg, abi::VXLC_FTABLE_CNT, WHAT)?,
        ftable_max: get_u32(cfg, abi::VXLC_FTABLE_MAX, WHAT)?,
        ftable_timeout: get_u32(cfg, abi::VXLC_FTABLE_TIMEOUT, WHAT)?,
        port_min: get_u16(cfg, abi::VXLC_PORT_MIN, WHAT)?,
        port_max: get_u16(cfg, abi::VXLC_PORT_MAX, WHAT)?,
        learn: get_u8(cfg, abi::VXLC_LEARN, WHAT)? != 0,
        ttl: get_u8(cfg, abi::VXLC_TTL, WHAT)?,
    })
}

/// A bridge member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The member interface.
    pub name: IfName,
    /// Its `IFBIF_*` flags.
    pub flags: u32,
}

impl Member {
    /// Split horizon (`IFBIF_PRIVATE`).
    pub fn private(&self) -> bool {
        self.flags & abi::IFBIF_PRIVATE != 0
    }
}

/// The flags in an 80-byte `ifbreq` (`BRDGGIFFLGS`'s answer).
pub fn decode_member_flags(ifbreq: &[u8]) -> Result<u32> {
    expect_len(ifbreq, abi::IFBREQ, "ifbreq")?;
    get_u32(ifbreq, abi::IFBR_IFSFLAGS, "ifbreq")
}

/// Bytes `BRDGGIFS` wrote, from its `ifbifconf`.
fn members_written(conf: &[u8]) -> Result<usize> {
    expect_len(conf, abi::IFBIFCONF, "ifbifconf")?;
    let written = get_u32(conf, abi::IFBIC_LEN, "ifbifconf")?;
    usize::try_from(written).map_err(|_| malformed("ifbifconf", "a length beyond memory"))
}

/// The members `BRDGGIFS` wrote: `conf` is the `ifbifconf` after the call
/// (`ifbic_len` = bytes written), `records` the `ifbreq` array it pointed
/// at. Span ports are listed too, with `IFBIF_SPAN`.
pub fn decode_members(conf: &[u8], records: &[u8]) -> Result<Vec<Member>> {
    const WHAT: &str = "BRDGGIFS member list";
    let written = members_written(conf)?;
    if written > records.len() {
        return Err(malformed(
            WHAT,
            format_args!(
                "{written} bytes reported written into a {}-byte buffer",
                records.len()
            ),
        ));
    }
    if written % abi::IFBREQ != 0 {
        return Err(malformed(
            WHAT,
            format_args!("{written} bytes is not a whole number of 80-byte records"),
        ));
    }
    let used = records
        .get(..written)
        .ok_or_else(|| malformed(WHAT, "the buffer ends early"))?;
    used.chunks_exact(abi::IFBREQ)
        .map(|r| {
            Ok(Member {
                name: read_name(r, abi::IFBR_IFSNAME, WHAT)?,
                flags: get_u32(r, abi::IFBR_IFSFLAGS, WHAT)?,
            })
        })
        .collect()
}

/// Whether a `BRDGGIFS` answer may have been cut short (the kernel
/// truncates silently): list again with twice the records, as ifconfig
/// does, while one more record would not have fitted.
pub fn members_need_more(conf: &[u8], records: NonZeroU16) -> Result<bool> {
    let written = members_written(conf)?;
    let capacity = usize::from(records.get()) * abi::IFBREQ;
    Ok(written + abi::IFBREQ > capacity)
}

// ---------------------------------------------------------------------------
// errno (§6)

/// FreeBSD's name of `errno`, for the numbers these requests meet.
pub fn errno_name(errno: i32) -> Option<&'static str> {
    Some(match errno {
        abi::EPERM => "EPERM",
        abi::ENOENT => "ENOENT",
        abi::ENXIO => "ENXIO",
        abi::EFAULT => "EFAULT",
        abi::EBUSY => "EBUSY",
        abi::EEXIST => "EEXIST",
        abi::EINVAL => "EINVAL",
        abi::ENOTTY => "ENOTTY",
        abi::ENOSPC => "ENOSPC",
        abi::EDESTADDRREQ => "EDESTADDRREQ",
        abi::EPROTONOSUPPORT => "EPROTONOSUPPORT",
        abi::EOPNOTSUPP => "EOPNOTSUPP",
        abi::EAFNOSUPPORT => "EAFNOSUPPORT",
        abi::EADDRINUSE => "EADDRINUSE",
        abi::EADDRNOTAVAIL => "EADDRNOTAVAIL",
        abi::ENAMETOOLONG => "ENAMETOOLONG",
        abi::ENOMSG => "ENOMSG",
        _ => return None,
    })
}

/// What a FreeBSD `errno` means for these requests, in words.
pub fn errno_message(errno: i32) -> &'static str {
    match errno {
        abi::EPERM => {
            "not permitted: changing interfaces needs root (in a jail, a VNET jail allowed to)"
        }
        abi::ENXIO => "no such interface",
        abi::EEXIST => {
            "already exists (an interface of that name or unit, or a member of this bridge)"
        }
        abi::EINVAL => {
            "invalid argument (for a create: no such cloner, is the if_vxlan or if_bridge \
             module loaded?; otherwise a value the kernel refuses)"
        }
        abi::EBUSY => {
            "busy: a running vxlan's tunnel settings cannot change (bring it down first), or \
             the interface is a member of another bridge"
        }
        abi::ENOENT => "not found: no such interface, or it is not a member of the bridge",
        abi::EADDRNOTAVAIL => "the address is not on the interface",
        abi::ENAMETOOLONG => {
            "too long: names take at most 15 bytes, descriptions at most net.ifdescr_maxlen"
        }
        abi::EOPNOTSUPP => {
            "not supported (recent kernels refuse an MTU change on a bridge member: set the \
             bridge's MTU instead)"
        }
        abi::ENOSPC => "no free unit left for the interface cloner",
        abi::EAFNOSUPPORT => {
            "address family not supported (IPv6 on a kernel without INET6, or a forwarding \
             entry of another family than the remote)"
        }
        abi::EFAULT => "bad address passed to the kernel (a bug in this program)",
        abi::ENOTTY => "the interface does not know this request",
        abi::EDESTADDRREQ => "a destination address is required on a point-to-point interface",
        abi::EPROTONOSUPPORT => "not supported: CARP is not loaded",
        abi::EADDRINUSE => "the address or UDP port is in use",
        abi::ENOMSG => "the interface has no description",
        _ => "unexpected error",
    }
}

/// The error for a request (`what`) the kernel refused with `errno`.
pub fn ioctl_error(what: &str, errno: i32) -> Error {
    let name = errno_name(errno).unwrap_or("errno");
    Error::new(
        ErrorKind::Backend,
        format!("{what}: {} ({name} {errno})", errno_message(errno)),
    )
}

// ---------------------------------------------------------------------------
// Changes

fn port(port: u16) -> Result<NonZeroU16> {
    NonZeroU16::new(port)
        .ok_or_else(|| Error::invalid("vxlan port 0 is not valid: expected 1 to 65535"))
}

/// The requests that make `change`, in order. Every value is validated
/// before any request is built, so a change is refused whole or not at
/// all. FreeBSD names interfaces in every ioctl: no index is needed.
pub fn requests(change: &Change) -> Result<Vec<Request>> {
    Ok(match change {
        Change::Destroy { name } => vec![destroy(&IfName::new(name)?)],
        Change::CreateBridge {
            name,
            mtu,
            description,
        } => {
            let name = IfName::new(name)?;
            // The VPC's name is no cloner unit name: create, then rename.
            // The first member sets the bridge's MTU anyway; the tunnels
            // have the same one.
            vec![
                create_bridge(),
                rename_created(Cloner::Bridge, &name),
                set_mtu(&name, *mtu)?,
                set_description(&name, description)?,
            ]
        }
        Change::CreateVxlan {
            name,
            vni,
            local,
            remote,
            port: udp,
            mtu,
            // FreeBSD needs no fixed MAC: frames for a member's own address
            // reach the member, so the planner asks for none there; one
            // asked for anyway would change nothing that matters.
            mac: _,
            description,
        } => {
            let name = IfName::new(name)?;
            let udp = port(*udp)?;
            let params = VxlanParams {
                vni: Some(Vni::new(*vni)?),
                local: Some(*local),
                remote: Some(*remote),
                local_port: Some(udp),
                remote_port: Some(udp),
                learn: None,
            };
            // Create by cloner name, then rename: "vxlan<vni>" given to
            // the create would fail with EEXIST while a renamed interface
            // holds that unit, whereas a wildcard create always finds a
            // free one. Rename at once, so a failure leaves little behind.
            vec![
                create_vxlan(&params)?,
                rename_created(Cloner::Vxlan, &name),
                set_mtu(&name, *mtu)?,
                set_description(&name, description)?,
            ]
        }
        Change::SetMtu { name, mtu } => vec![set_mtu(&IfName::new(name)?, *mtu)?],
        Change::SetDescription { name, text } => {
            vec![set_description(&IfName::new(name)?, text)?]
        }
        Change::DelAddr { name, addr } => vec![del_addr(&IfName::new(name)?, addr)],
        Change::AddAddr { name, addr } => vec![add_addr(&IfName::new(name)?, addr)?],
        Change::SetNeighbour { name, ip, mac } => {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!(
                    "a permanent neighbour entry ({ip} {mac} on {name}) is a Linux change: \
                     FreeBSD delivers frames for a bridge member's own address to the member, \
                     and its plans never hold one"
                ),
            ));
        }
        Change::AddPort {
            bridge,
            port,
            private,
        } => {
            let bridge = IfName::new(bridge)?;
            let port = IfName::new(port)?;
            let mut v = vec![bridge_add(&bridge, &port)];
            if *private {
                v.push(make_private(&bridge, &port));
            }
            v
        }
        Change::DelPort { bridge, port } => {
            vec![bridge_del(&IfName::new(bridge)?, &IfName::new(port)?)]
        }
        Change::SetPrivate { bridge, port } => {
            vec![make_private(&IfName::new(bridge)?, &IfName::new(port)?)]
        }
        Change::Up { name } => vec![up(&IfName::new(name)?)],
    })
}

#[cfg(test)]
mod description_tests {
    use super::*;

    #[test]
    fn description_request_and_answer() {
        let name = IfName::new("vpc1").unwrap_or_else(|e| unreachable!("{e}"));
        let r = get_description(&name);
        assert_eq!(r.code, 0xc020_692a);
        assert_eq!(&r.outer[..5], b"vpc1\0");
        assert_eq!(
            get_u64(&r.outer, abi::IFR_BUFFER_LENGTH, "t").ok(),
            Some(1024)
        );
        let inner = r.inner.as_ref().map(|i| (i.ptr_at, i.bytes.len()));
        assert_eq!(inner, Some((abi::IFR_BUFFER_BUFFER, 1024)));
        // The kernel's answer: length 9 ("vpc-vpc1" and its NUL).
        let mut outer = r.outer.clone();
        put_u64(&mut outer, abi::IFR_BUFFER_LENGTH, 9);
        let mut buf = vec![0u8; 1024];
        buf[..8].copy_from_slice(b"vpc-vpc1");
        assert_eq!(
            decode_description(&outer, &buf).ok().as_deref(),
            Some("vpc-vpc1")
        );
        put_u64(&mut outer, abi::IFR_BUFFER_LENGTH, 2048);
        assert!(
            decode_description(&outer, &buf).is_err(),
            "longer than the buffer"
        );
        assert!(
            decode_description(&outer[..20], &buf).is_err(),
            "short ifreq"
        );
        buf[0] = 0xff;
        put_u64(&mut outer, abi::IFR_BUFFER_LENGTH, 9);
        assert!(decode_description(&outer, &buf).is_err(), "not UTF-8");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes written by hand: whitespace-separated hex bytes, `XX*N` for a
    /// run of N, `#` to the end of a line is a comment.
    fn hex(text: &str) -> Vec<u8> {
        let mut out = Vec::new();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            for word in line.split_whitespace() {
                let (byte, count) = match word.split_once('*') {
                    Some((b, n)) => (b, n.parse::<usize>().unwrap()),
                    None => (word, 1),
                };
                let byte = u8::from_str_radix(byte, 16).unwrap();
                out.extend(std::iter::repeat_n(byte, count));
            }
        }
        out
    }

    fn n(name: &str) -> IfName {
        IfName::new(name).unwrap()
    }

    fn inner(r: &Request) -> &Inner {
        r.inner.as_ref().unwrap()
    }

    fn nz(port: u16) -> NonZeroU16 {
        NonZeroU16::new(port).unwrap()
    }

    /// The article's tunnel: VNI 1 from gold-hoster1 to jhoster1, IPv6.
    #[test]
    fn create_vxlan_ipv6_is_byte_exact() {
        let r = create_vxlan(&VxlanParams {
            vni: Some(Vni::new(1).unwrap()),
            local: Some("2a01:4f8:241:500c::1".parse().unwrap()),
            remote: Some("2a05:3580:d800:20f7::1".parse().unwrap()),
            local_port: Some(nz(4789)),
            remote_port: Some(nz(4789)),
            learn: None,
        })
        .unwrap();
        assert_eq!(r.code, 0xc020_697c);
        assert_eq!(r.socket, Socket::Inet);
        assert_eq!(r.read_back, ReadBack::CreatedName);
        assert_eq!(
            r.outer,
            hex("
                76 78 6c 61 6e 00*11   # ifr_name \"vxlan\": the cloner, any unit
                00*8                   # ifr_data: pointer, written by the executor
                00*8                   # rest of the union
            ")
        );
        assert_eq!(inner(&r).ptr_at, 16);
        assert_eq!(inner(&r).len_at, None);
        assert_eq!(
            inner(&r).bytes,
            hex("
                75 00 00 00 00 00 00 00   # vxlp_with: VNI 01 | LOCAL_ADDR6 04 | REMOTE_ADDR6 10
                                          #   | LOCAL_PORT 20 | REMOTE_PORT 40
                01 00 00 00               # vxlp_vni 1
                1c 1c 00 00               # local: sin6_len 28, sin6_family 28, sin6_port 0
                00 00 00 00               #   sin6_flowinfo
                2a 01 04 f8 02 41 50 0c 00 00 00 00 00 00 00 01   # 2a01:4f8:241:500c::1
                00 00 00 00               #   sin6_scope_id
                1c 1c 00 00               # remote: len 28, family 28, port 0
                00 00 00 00               #   flowinfo
                2a 05 35 80 d8 00 20 f7 00 00 00 00 00 00 00 01   # 2a05:3580:d800:20f7::1
                00 00 00 00               #   scope
                b5 12                     # vxlp_local_port 4789, host order
                b5 12                     # vxlp_remote_port 4789
                00 00 00 00               # vxlp_min_port, vxlp_max_port
                00*16                     # vxlp_mc_ifname
                00 00 00 00               # vxlp_ftable_timeout
                00 00 00 00               # vxlp_ftable_max
                00 00                     # vxlp_ttl, vxlp_learn
                00 00                     # tail padding
            ")
        );
    }

    /// The reference's worked example (§1.2), copied from its hex dump.
    #[test]
    fn create_vxlan_matches_the_reference_example() {
        let r = create_vxlan(&VxlanParams {
            vni: Some(Vni::new(42).unwrap()),
            local: Some("192.0.2.1".parse().unwrap()),
            remote: Some("192.0.2.2".parse().unwrap()),
            local_port: Some(nz(4789)),
            remote_port: Some(nz(4789)),
            learn: Some(false),
        })
        .unwrap();
        assert_eq!(
            inner(&r).bytes,
            hex("
                6b 10 00 00 00 00 00 00 2a 00 00 00 10 02 00 00
                c0 00 02 01 00 00 00 00 00 00 00 00 00 00 00 00
                00 00 00 00 00 00 00 00 10 02 00 00 c0 00 02 02
                00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00
                00 00 00 00 b5 12 b5 12 00 00 00 00 00 00 00 00
                00*24
            ")
        );
        // Only the given fields are flagged.
        let bare = create_vxlan(&VxlanParams {
            vni: Some(Vni::new(5).unwrap()),
            ..VxlanParams::default()
        })
        .unwrap();
        assert_eq!(&inner(&bare).bytes[..12], &hex("01 00*7 05 00 00 00")[..]);
        assert!(inner(&bare).bytes[12..].iter().all(|&b| b == 0));
    }

    #[test]
    fn create_vxlan_refuses_what_the_kernel_would_ignore() {
        let v4 = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        let mixed = VxlanParams {
            local: v4("192.0.2.1"),
            remote: v4("2001:db8::2"),
            ..VxlanParams::default()
        };
        let e = create_vxlan(&mixed).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid);
        assert!(e.message().contains("different families"), "{e}");
        let ll = VxlanParams {
            local: v4("fe80::1"),
            remote: v4("2001:db8::2"),
            ..VxlanParams::default()
        };
        assert!(
            create_vxlan(&ll)
                .unwrap_err()
                .message()
                .contains("link-local")
        );
        let any = VxlanParams {
            remote: v4("0.0.0.0"),
            ..VxlanParams::default()
        };
        assert!(
            create_vxlan(&any)
                .unwrap_err()
                .message()
                .contains("any address")
        );
        let mc = VxlanParams {
            local: v4("239.1.1.1"),
            ..VxlanParams::default()
        };
        assert!(
            create_vxlan(&mc)
                .unwrap_err()
                .message()
                .contains("multicast")
        );
        for bad in [0, 1 << 24, u32::MAX] {
            assert!(Vni::new(bad).is_err(), "{bad}");
        }
        assert_eq!(Vni::new(16_777_215).unwrap().get(), 16_777_215);
    }

    #[test]
    fn interface_names_are_validated() {
        for good in ["a", "vxlan1", "vpc1", "tunnel-to-gold.", "123456789012345"] {
            assert_eq!(IfName::new(good).unwrap().as_str(), good);
        }
        for bad in ["", "1234567890123456", "vx\0lan", "vxlanü"] {
            let e = IfName::new(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Invalid);
            assert!(e.message().contains("1 to 15 ASCII bytes"), "{e}");
        }
    }

    /// IPv4 link address 10.100.0.1/30 on vxlan1.
    #[test]
    fn add_inet_is_byte_exact() {
        let r = add_inet(&n("vxlan1"), "10.100.0.1".parse().unwrap(), 30).unwrap();
        assert_eq!(r.code, 0x8044_692b);
        assert_eq!(r.socket, Socket::Inet);
        assert_eq!(r.inner, None);
        assert_eq!(
            r.outer,
            hex("
                76 78 6c 61 6e 31 00*10   # ifra_name \"vxlan1\"
                10 02 00 00 0a 64 00 01 00*8   # ifra_addr: len 16, AF_INET, port 0, 10.100.0.1
                10 02 00 00 0a 64 00 03 00*8   # ifra_broadaddr 10.100.0.3
                10 02 00 00 ff ff ff fc 00*8   # ifra_mask 255.255.255.252
                00 00 00 00                    # ifra_vhid
            ")
        );
        // /31 and /32: no broadcast address, left to the kernel.
        let r = add_inet(&n("vxlan1"), "10.100.0.0".parse().unwrap(), 31).unwrap();
        assert!(r.outer[32..48].iter().all(|&b| b == 0));
        assert_eq!(&r.outer[48..56], &hex("10 02 00 00 ff ff ff fe")[..]);
        let r = add_inet(&n("vxlan1"), "10.0.0.1".parse().unwrap(), 0).unwrap();
        assert_eq!(&r.outer[48..56], &hex("10 02 00 00 00 00 00 00")[..]);
        assert_eq!(&r.outer[32..40], &hex("10 02 00 00 ff ff ff ff")[..]);
        assert!(add_inet(&n("vxlan1"), "10.0.0.1".parse().unwrap(), 33).is_err());
    }

    /// The reference's example (§4.1) apart from the broadcast address,
    /// which this codec writes as the kernel would derive it.
    #[test]
    fn add_inet_matches_the_reference_example() {
        let r = add_inet(&n("bridge0"), "10.1.0.1".parse().unwrap(), 24).unwrap();
        let reference = hex("
            62 72 69 64 67 65 30 00 00 00 00 00 00 00 00 00
            10 02 00 00 0a 01 00 01 00 00 00 00 00 00 00 00
            00*16
            10 02 00 00 ff ff ff 00 00 00 00 00 00 00 00 00
            00 00 00 00
        ");
        assert_eq!(r.outer[..32], reference[..32]);
        assert_eq!(r.outer[48..], reference[48..]);
        assert_eq!(&r.outer[32..48], &hex("10 02 00 00 0a 01 00 ff 00*8")[..]);
    }

    #[test]
    fn del_inet_is_byte_exact() {
        let r = del_inet(&n("vpc1"), "10.10.11.1".parse().unwrap());
        assert_eq!(r.code, 0x8020_6919);
        assert_eq!(r.socket, Socket::Inet);
        assert_eq!(
            r.outer,
            hex("
                76 70 63 31 00*12               # ifr_name \"vpc1\"
                10 02 00 00 0a 0a 0b 01 00*8    # ifr_addr 10.10.11.1
            ")
        );
    }

    /// IPv6 link address 2001:db8:100::1/126 on vpc1.
    #[test]
    fn add_inet6_is_byte_exact() {
        let r = add_inet6(&n("vpc1"), "2001:db8:100::1".parse().unwrap(), 126).unwrap();
        assert_eq!(r.code, 0x8088_691b);
        assert_eq!(r.socket, Socket::Inet6);
        assert_eq!(
            r.outer,
            hex("
                76 70 63 31 00*12         # ifra_name \"vpc1\"
                1c 1c 00 00 00 00 00 00   # ifra_addr: len 28, AF_INET6 28, port, flowinfo
                20 01 0d b8 01 00 00 00 00 00 00 00 00 00 00 01   # 2001:db8:100::1
                00 00 00 00               #   scope id
                00*28                     # ifra_dstaddr: none
                1c 1c 00 00 00 00 00 00   # ifra_prefixmask: len 28, AF_INET6
                ff ff ff ff ff ff ff ff ff ff ff ff ff ff ff fc   # /126
                00 00 00 00               #   scope id
                00 00 00 00               # ifra_flags
                00*8                      # ia6t_expire
                00*8                      # ia6t_preferred
                ff ff ff ff               # ia6t_vltime: infinite
                ff ff ff ff               # ia6t_pltime: infinite
                00 00 00 00               # ifra_vhid
                00 00 00 00               # padding
            ")
        );
        assert!(add_inet6(&n("vpc1"), "2001:db8::1".parse().unwrap(), 129).is_err());
        let all = add_inet6(&n("vpc1"), "2001:db8::1".parse().unwrap(), 0).unwrap();
        assert!(all.outer[80..96].iter().all(|&b| b == 0));
    }

    #[test]
    fn del_inet6_is_byte_exact() {
        let r = del_inet6(&n("vxlan2"), "2001:db8:100::2".parse().unwrap());
        assert_eq!(r.code, 0x8120_6919);
        assert_eq!(r.socket, Socket::Inet6);
        assert_eq!(
            r.outer,
            hex("
                76 78 6c 61 6e 32 00*10   # ifr_name \"vxlan2\"
                1c 1c 00 00 00 00 00 00   # ifr_addr: len 28, AF_INET6, port, flowinfo
                20 01 0d b8 01 00 00 00 00 00 00 00 00 00 00 02
                00 00 00 00               # scope id
                00*244                    # the rest of the 288-byte in6_ifreq
            ")
        );
    }

    /// BRDGADD of vxlan1 to vpc1.
    #[test]
    fn bridge_add_is_byte_exact() {
        let r = bridge_add(&n("vpc1"), &n("vxlan1"));
        assert_eq!(r.code, 0x8028_697b);
        assert_eq!(r.socket, Socket::Inet);
        assert_eq!(r.ifd_cmd(), Some(0));
        assert_eq!(
            r.outer,
            hex("
                76 70 63 31 00*12          # ifd_name \"vpc1\": the bridge
                00 00 00 00 00 00 00 00    # ifd_cmd BRDGADD 0
                50 00 00 00 00 00 00 00    # ifd_len 80
                00*8                       # ifd_data: pointer
            ")
        );
        let i = inner(&r);
        assert_eq!(i.ptr_at, 32);
        assert_eq!(i.len_at, Some(LenField { at: 24, width: 8 }));
        assert_eq!(
            i.bytes,
            hex("
                76 78 6c 61 6e 31 00*10    # ifbr_ifsname \"vxlan1\"
                00*64                      # flags, STP fields, counters, pad
            ")
        );
        let d = bridge_del(&n("vpc1"), &n("vxlan1"));
        assert_eq!(d.ifd_cmd(), Some(1));
        assert_eq!(d.code, 0x8028_697b);
        assert_eq!(inner(&d).bytes, i.bytes);
    }

    #[test]
    fn set_description_is_byte_exact() {
        let r = set_description(&n("vxlan1"), "tunnel-to-b").unwrap();
        assert_eq!(r.code, 0x8020_6929);
        assert_eq!(
            r.outer,
            hex("
                76 78 6c 61 6e 31 00*10    # ifr_name \"vxlan1\"
                0c 00 00 00 00 00 00 00    # ifr_buffer.length 12: 11 bytes and the NUL
                00*8                       # ifr_buffer.buffer: pointer
            ")
        );
        let i = inner(&r);
        assert_eq!(i.ptr_at, 24);
        assert_eq!(i.len_at, Some(LenField { at: 16, width: 8 }));
        assert_eq!(i.bytes, b"tunnel-to-b\0");
        // Empty clears: length 0, no buffer.
        let clear = set_description(&n("vxlan1"), "").unwrap();
        assert_eq!(clear.inner, None);
        assert!(clear.outer[16..].iter().all(|&b| b == 0));
        assert!(set_description(&n("vxlan1"), "a\0b").is_err());
    }

    #[test]
    fn interface_requests_are_byte_exact() {
        let name = hex("76 78 6c 61 6e 31 00*10");
        // SIOCIFDESTROY: only the name.
        let r = destroy(&n("vxlan1"));
        assert_eq!(r.code, 0x8020_6979);
        assert_eq!(r.outer, [name.clone(), vec![0; 16]].concat());
        // SIOCSIFMTU: ifr_mtu 1430 = 0x596.
        let r = set_mtu(&n("vxlan1"), 1430).unwrap();
        assert_eq!(r.code, 0x8020_6934);
        assert_eq!(r.outer, [name.clone(), hex("96 05 00 00 00*12")].concat());
        for bad in [0, 71, 65536] {
            assert!(set_mtu(&n("vxlan1"), bad).is_err(), "{bad}");
        }
        assert_eq!(get_mtu(&n("vxlan1")).code, 0xc020_6933);
        assert_eq!(get_index(&n("vxlan1")).code, 0xc020_6920);
        // SIOCGIFFLAGS / SIOCSIFFLAGS.
        let r = get_flags(&n("vxlan1"));
        assert_eq!((r.code, &r.read_back), (0xc020_6911, &ReadBack::Flags));
        let r = set_flags(&n("vxlan1"), 0x0002_8843);
        assert_eq!(r.code, 0x8020_6910);
        assert_eq!(
            r.outer,
            [name.clone(), hex("43 88 02 00 00*12")].concat(),
            "low half 0x8843, high half 0x0002"
        );
        // SIOCSIFNAME: ifr_data → NUL-padded new name.
        let r = rename(&n("vxlan3"), &n("vxlan1"));
        assert_eq!(r.code, 0x8020_6928);
        assert_eq!(r.outer, hex("76 78 6c 61 6e 33 00*10 00*16"));
        assert_eq!(inner(&r).ptr_at, 16);
        assert_eq!(inner(&r).bytes, name);
        // Bridge creation: the cloner's name, no parameters.
        let r = create_bridge();
        assert_eq!(r.code, 0xc020_697c);
        assert_eq!(r.outer, hex("62 72 69 64 67 65 00*10 00*16"));
        assert_eq!(r.inner, None);
        assert_eq!(r.read_back, ReadBack::CreatedName);
    }

    #[test]
    fn up_reads_merges_and_requires_running() {
        let r = up(&n("vxlan1"));
        assert_eq!(r.code, abi::SIOCSIFFLAGS);
        assert_eq!(&r.outer[16..20], &hex("01 00 00 00")[..]);
        let Merge::OrFlags { read, at } = &r.merge else {
            panic!("{r:?}")
        };
        assert_eq!(**read, get_flags(&n("vxlan1")));
        assert_eq!(*at, FlagsAt::Interface);
        let ReadBack::RequireRunning { read } = &r.read_back else {
            panic!("{r:?}")
        };
        assert_eq!(**read, get_flags(&n("vxlan1")));
        // BROADCAST|SIMPLEX|MULTICAST and PPROMISC in the high half.
        let merged = r.merged(0x0002_8802).unwrap();
        assert_eq!(merged.merge, Merge::None);
        assert_eq!(&merged.outer[16..20], &hex("03 88 02 00")[..]);
        assert_eq!(merged.read_back, r.read_back);
        // Nothing to merge: unchanged.
        let d = destroy(&n("vxlan1"));
        assert_eq!(d.merged(0xffff).unwrap(), d);
    }

    #[test]
    fn private_member_keeps_freebsd_s_defaults_and_what_was_set() {
        let r = make_private(&n("vpc1"), &n("vxlan1"));
        assert_eq!(r.code, 0x8028_697b);
        assert_eq!(r.ifd_cmd(), Some(3), "BRDGSIFFLGS");
        assert_eq!(
            inner(&r).bytes,
            hex("
                76 78 6c 61 6e 31 00*10    # ifbr_ifsname \"vxlan1\"
                43 09 00 00                # ifbr_ifsflags: LEARNING 1 | DISCOVER 2 | AUTOEDGE 40
                                           #   | AUTOPTP 100 | PRIVATE 800
                00*60
            ")
        );
        let Merge::OrFlags { read, at } = &r.merge else {
            panic!("{r:?}")
        };
        assert_eq!(*at, FlagsAt::Member);
        assert_eq!(read.code, 0xc028_697b, "BRDGGIFFLGS is a get");
        assert_eq!(read.ifd_cmd(), Some(2));
        assert_eq!(read.read_back, ReadBack::MemberFlags);
        // STICKY set by someone stays; SPAN never goes back.
        let merged = r.merged(abi::IFBIF_STICKY | abi::IFBIF_SPAN | 0x3).unwrap();
        assert_eq!(&inner(&merged).bytes[16..20], &hex("53 09 00 00")[..]);
        assert_eq!(merged.merge, Merge::None);
        assert!(set_member_flags(&n("vpc1"), &n("vxlan1"), abi::IFBIF_SPAN).is_err());
        let g = get_member_flags(&n("vpc1"), &n("vxlan1"));
        assert_eq!(inner(&g).bytes, hex("76 78 6c 61 6e 31 00*74"));
    }

    #[test]
    fn list_members_points_twice() {
        let r = list_members(&n("vpc1"), nz(3));
        assert_eq!(r.code, 0xc028_697b);
        assert_eq!(r.ifd_cmd(), Some(6), "BRDGGIFS");
        assert_eq!(&r.outer[24..32], &hex("10 00*7")[..], "ifd_len 16");
        let conf = inner(&r);
        assert_eq!(conf.ptr_at, 32);
        assert_eq!(
            conf.bytes,
            hex("
                f0 00 00 00     # ifbic_len 240: three records
                00 00 00 00     # padding
                00*8            # ifbic_buf: pointer
            ")
        );
        let records = conf.inner.as_ref().unwrap();
        assert_eq!(records.ptr_at, 8);
        assert_eq!(records.len_at, Some(LenField { at: 0, width: 4 }));
        assert_eq!(records.bytes.len(), 240);
        assert_eq!(r.read_back, ReadBack::Members);
    }

    #[test]
    fn with_created_name_fills_the_placeholder() {
        let r = rename_created(Cloner::Vxlan, &n("vxlan1"));
        assert_eq!(r.target, Target::Created);
        assert_eq!(&r.outer[..16], &hex("76 78 6c 61 6e 00*11")[..]);
        let named = r.with_created_name(&n("vxlan12")).unwrap();
        assert_eq!(named.target, Target::Named);
        assert_eq!(named, {
            let mut want = rename(&n("vxlan12"), &n("vxlan1"));
            want.what = r.what.clone();
            want
        });
    }

    fn sample_settings() -> Vec<VxlanSetting> {
        let mac = Mac([2, 0, 0, 0, 0, 1]);
        vec![
            VxlanSetting::Vni(Vni::new(7).unwrap()),
            VxlanSetting::LocalAddr("192.0.2.1".parse().unwrap()),
            VxlanSetting::RemoteAddr("2001:db8::2".parse().unwrap()),
            VxlanSetting::LocalPort(nz(4789)),
            VxlanSetting::RemotePort(nz(8472)),
            VxlanSetting::PortRange {
                min: nz(1000),
                max: nz(2000),
            },
            VxlanSetting::FtableTimeout(1200),
            VxlanSetting::FtableMax(2000),
            VxlanSetting::MulticastIf(n("em0")),
            VxlanSetting::Ttl(64),
            VxlanSetting::Learn(true),
            VxlanSetting::FtableEntryAdd {
                mac,
                remote: "192.0.2.9".parse().unwrap(),
                port: None,
            },
            VxlanSetting::FtableEntryRem { mac },
            VxlanSetting::Flush { all: true },
        ]
    }

    /// Command 3 would call a null function in the kernel (§1.7): no
    /// command and no encoding carries it.
    #[test]
    fn no_vxlan_encoding_carries_command_3() {
        let numbers: Vec<u64> = VxlanCmd::ALL.iter().map(|c| c.number()).collect();
        assert_eq!(numbers, [0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
        let mut seen: Vec<VxlanCmd> = vec![VxlanCmd::GetConfig];
        let get = vxlan_get_config(&n("vxlan1"));
        assert_eq!(get.ifd_cmd(), Some(0));
        for s in sample_settings() {
            let r = vxlan_set(&n("vxlan1"), &s).unwrap();
            assert_eq!(
                r.code,
                abi::SIOCSDRVSPEC,
                "{s:?}: sets go with SIOCSDRVSPEC"
            );
            assert_eq!(r.ifd_cmd(), Some(s.cmd().number()));
            assert_ne!(r.ifd_cmd(), Some(3), "{s:?}");
            assert_eq!(inner(&r).bytes.len(), abi::IFVXLANCMD);
            seen.push(s.cmd());
        }
        for c in VxlanCmd::ALL {
            assert!(seen.contains(&c), "{c:?} has no sample");
        }
        // Nor does any request the planner's changes turn into.
        for r in every_request() {
            if let Some(cmd) = r.ifd_cmd()
                && r.outer[..5] == *b"vxlan"
            {
                assert_ne!(cmd, 3, "{}", r.what);
            }
        }
    }

    /// Every request some encoder makes, for the checks that hold for all.
    fn every_request() -> Vec<Request> {
        let (vx, br) = (n("vxlan1"), n("vpc1"));
        let mut v = vec![
            create_vxlan(&VxlanParams {
                vni: Some(Vni::new(1).unwrap()),
                local: Some("192.0.2.1".parse().unwrap()),
                remote: Some("192.0.2.2".parse().unwrap()),
                local_port: Some(nz(4789)),
                remote_port: Some(nz(4789)),
                learn: Some(true),
            })
            .unwrap(),
            vxlan_get_config(&vx),
            create_bridge(),
            rename(&vx, &br),
            rename_created(Cloner::Bridge, &br),
            destroy(&vx),
            set_description(&vx, "d").unwrap(),
            get_flags(&vx),
            set_flags(&vx, 1),
            up(&vx),
            set_mtu(&vx, 1500).unwrap(),
            get_mtu(&vx),
            get_index(&vx),
            bridge_add(&br, &vx),
            bridge_del(&br, &vx),
            get_member_flags(&br, &vx),
            set_member_flags(&br, &vx, 3).unwrap(),
            make_private(&br, &vx),
            list_members(&br, nz(2)),
            add_inet(&vx, "10.0.0.1".parse().unwrap(), 24).unwrap(),
            del_inet(&vx, "10.0.0.1".parse().unwrap()),
            add_inet6(&vx, "2001:db8::1".parse().unwrap(), 64).unwrap(),
            del_inet6(&vx, "2001:db8::1".parse().unwrap()),
        ];
        for s in sample_settings() {
            v.push(vxlan_set(&vx, &s).unwrap());
        }
        v
    }

    /// The request code's embedded size is the outer struct's, every
    /// length field holds its buffer's length, every pointer slot is zero
    /// and inside its buffer, and address requests go to their family's
    /// socket.
    #[test]
    fn every_request_is_self_consistent() {
        fn check_inner(enclosing: &[u8], i: &Inner, what: &str) {
            assert!(i.ptr_at + 8 <= enclosing.len(), "{what}");
            assert!(
                enclosing[i.ptr_at..i.ptr_at + 8].iter().all(|&b| b == 0),
                "{what}"
            );
            if let Some(LenField { at, width }) = i.len_at {
                let mut le = [0u8; 8];
                le[..width].copy_from_slice(&enclosing[at..at + width]);
                assert_eq!(u64::from_le_bytes(le), i.bytes.len() as u64, "{what}");
            }
            if let Some(next) = &i.inner {
                check_inner(&i.bytes, next, what);
            }
        }
        for r in every_request() {
            let size = ((r.code >> 16) & abi::IOCPARM_MASK) as usize;
            assert_eq!(size, r.outer.len(), "{}", r.what);
            assert_eq!(r.code >> 8 & 0xff, u64::from(b'i'), "{}", r.what);
            if let Some(i) = &r.inner {
                check_inner(&r.outer, i, &r.what);
            }
            let want = if r.code == abi::SIOCAIFADDR_IN6 || r.code == abi::SIOCDIFADDR_IN6 {
                Socket::Inet6
            } else {
                Socket::Inet
            };
            assert_eq!(r.socket, want, "{}", r.what);
            // Gets copy out: their codes have the OUT bit.
            let gets = matches!(
                r.read_back,
                ReadBack::Flags
                    | ReadBack::Mtu
                    | ReadBack::Index
                    | ReadBack::VxlanConfig
                    | ReadBack::MemberFlags
                    | ReadBack::Members
                    | ReadBack::CreatedName
            );
            assert_eq!(r.code & abi::IOC_OUT != 0, gets, "{}", r.what);
        }
    }

    #[test]
    fn vxlan_settings_are_byte_exact() {
        // §1.3's example: SET_REMOTE_ADDR 2001:db8::2, bytes 32..60.
        let r = vxlan_set(
            &n("vxlan1"),
            &VxlanSetting::RemoteAddr("2001:db8::2".parse().unwrap()),
        )
        .unwrap();
        assert_eq!(r.ifd_cmd(), Some(4));
        assert_eq!(&r.outer[24..32], &hex("4c 00*7")[..], "ifd_len 76");
        assert_eq!(
            inner(&r).bytes[32..60],
            hex("1c 1c 00 00 00 00 00 00 20 01 0d b8 00*11 02 00 00 00 00")[..]
        );
        let r = vxlan_set(&n("vxlan1"), &VxlanSetting::LocalPort(nz(4789))).unwrap();
        assert_eq!(&inner(&r).bytes[16..18], &hex("b5 12")[..], "host order");
        let r = vxlan_set(
            &n("vxlan1"),
            &VxlanSetting::FtableEntryAdd {
                mac: Mac([2, 0, 0, 0, 0, 1]),
                remote: "192.0.2.9".parse().unwrap(),
                port: Some(nz(4789)),
            },
        )
        .unwrap();
        assert_eq!(&inner(&r).bytes[22..28], &hex("02 00 00 00 00 01")[..]);
        assert_eq!(
            &inner(&r).bytes[32..40],
            &hex("10 02 12 b5 c0 00 02 09")[..],
            "sin_port in network order"
        );
        let r = vxlan_set(&n("vxlan1"), &VxlanSetting::Learn(true)).unwrap();
        assert_eq!(&inner(&r).bytes[..4], &hex("02 00 00 00")[..]);
        let r = vxlan_set(&n("vxlan1"), &VxlanSetting::Learn(false)).unwrap();
        assert!(inner(&r).bytes.iter().all(|&b| b == 0));
        let get = vxlan_get_config(&n("vxlan1"));
        assert_eq!(get.code, 0xc028_697b);
        assert_eq!(inner(&get).bytes.len(), 84);
        assert_eq!(&get.outer[24..32], &hex("54 00*7")[..], "ifd_len 84");
    }

    #[test]
    fn vxlan_settings_are_validated() {
        let bad = [
            VxlanSetting::PortRange {
                min: nz(2000),
                max: nz(1000),
            },
            VxlanSetting::FtableTimeout(86401),
            VxlanSetting::FtableMax(2001),
            VxlanSetting::LocalAddr("224.0.0.1".parse().unwrap()),
            VxlanSetting::LocalAddr("fe80::1".parse().unwrap()),
            VxlanSetting::FtableEntryAdd {
                mac: Mac([0; 6]),
                remote: "0.0.0.0".parse().unwrap(),
                port: None,
            },
        ];
        for s in bad {
            let e = vxlan_set(&n("vxlan1"), &s).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Invalid, "{s:?}");
        }
    }

    // -- decoders ----------------------------------------------------------

    #[test]
    fn decode_name_and_flags() {
        let reply = hex("76 78 6c 61 6e 37 00*10  43 88 02 00 00*12");
        assert_eq!(decode_name(&reply).unwrap(), n("vxlan7"));
        assert_eq!(decode_flags(&reply).unwrap(), 0x0002_8843);
        assert_eq!(decode_index(&reply).unwrap(), 0x8843);
        let mtu = hex("76 78 6c 61 6e 37 00*10  96 05 00 00 00*12");
        assert_eq!(decode_mtu(&mtu).unwrap(), 1430);
        let negative = hex("76 78 6c 61 6e 37 00*10  ff ff ff ff 00*12");
        assert!(
            decode_mtu(&negative)
                .unwrap_err()
                .message()
                .contains("negative MTU")
        );

        let malformed = [
            (hex("61*16 00*16"), "without NUL"),
            (hex("00*32"), "interface name \"\""),
            (hex("76 c3 bc 00*13 00*16"), "not ASCII"),
            (hex("76 78 00*10"), "expected 32 bytes, got 12"),
            (Vec::new(), "expected 32 bytes, got 0"),
        ];
        for (bytes, needle) in malformed {
            let e = decode_name(&bytes).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Backend);
            assert!(e.message().contains(needle), "{e}");
            assert!(e.message().contains("ifreq"), "{e}");
        }
        assert!(decode_flags(&reply[..31]).is_err());
        assert!(decode_flags(&[reply.clone(), vec![0]].concat()).is_err());
    }

    #[test]
    fn check_running_names_the_silent_failure() {
        check_running(&n("vxlan1"), 0x8843).unwrap();
        let e = check_running(&n("vxlan1"), 0x8803).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Backend);
        assert!(e.message().contains("vxlan1 is up but not running"), "{e}");
        let e = check_running(&n("vxlan1"), 0x8842).unwrap_err();
        assert!(e.message().contains("not up"), "{e}");
    }

    /// An `ifvxlancfg` as the kernel writes it for the article's tunnel.
    fn cfg_v6() -> Vec<u8> {
        hex("
            01 00 00 00               # vxlc_vni 1
            1c 1c 12 b5 00 00 00 00   # local: len, AF_INET6, port 4789 (network order), flowinfo
            2a 01 04 f8 02 41 50 0c 00 00 00 00 00 00 00 01
            00 00 00 00
            1c 1c 12 b5 00 00 00 00   # remote
            2a 05 35 80 d8 00 20 f7 00 00 00 00 00 00 00 01
            00 00 00 00
            00 00 00 00               # vxlc_mc_ifindex
            03 00 00 00               # vxlc_ftable_cnt 3
            d0 07 00 00               # vxlc_ftable_max 2000
            b0 04 00 00               # vxlc_ftable_timeout 1200
            00 c0                     # vxlc_port_min 49152 (host order)
            ff ff                     # vxlc_port_max 65535
            01                        # vxlc_learn
            40                        # vxlc_ttl 64
            00 00                     # padding
        ")
    }

    #[test]
    fn decode_vxlan_config_reads_every_field() {
        let c = decode_vxlan_config(&cfg_v6()).unwrap();
        assert_eq!(
            c,
            VxlanConfig {
                vni: Some(1),
                local: Some("2a01:4f8:241:500c::1".parse().unwrap()),
                local_port: 4789,
                remote: Some("2a05:3580:d800:20f7::1".parse().unwrap()),
                remote_port: 4789,
                mc_ifindex: 0,
                ftable_count: 3,
                ftable_max: 2000,
                ftable_timeout: 1200,
                port_min: 49152,
                port_max: 65535,
                learn: true,
                ttl: 64,
            }
        );
        assert_eq!(
            c.conf(),
            VxlanConf {
                vni: 1,
                local: c.local,
                remote: c.remote,
                port: 4789
            }
        );
        // IPv4.
        let v4 = hex("
            2a 00 00 00
            10 02 12 b5 c0 00 02 01 00*20
            10 02 12 b5 c0 00 02 02 00*20
            00*24
        ");
        let c = decode_vxlan_config(&v4).unwrap();
        assert_eq!(c.vni, Some(42));
        assert_eq!(c.local, Some("192.0.2.1".parse().unwrap()));
        assert_eq!(c.remote, Some("192.0.2.2".parse().unwrap()));
        // A fresh vxlan: no VNI (2^24), addresses zeroed but the ports.
        let fresh = hex("
            00 00 00 01
            00 00 12 b5 00*24
            00 00 12 b5 00*24
            00*24
        ");
        let c = decode_vxlan_config(&fresh).unwrap();
        assert_eq!((c.vni, c.local, c.remote), (None, None, None));
        assert_eq!((c.local_port, c.remote_port), (4789, 4789));
        assert_eq!(c.conf().vni, 0);
        // Different ports: port 0 in the planner's view.
        let mut ports = cfg_v6();
        ports[32 + 2..32 + 4].copy_from_slice(&8472u16.to_be_bytes());
        assert_eq!(decode_vxlan_config(&ports).unwrap().conf().port, 0);
    }

    #[test]
    fn decode_vxlan_config_refuses_malformed_replies() {
        let mut family = cfg_v6();
        family[32 + 1] = 10; // Linux's AF_INET6, not FreeBSD's
        let mut vni = cfg_v6();
        vni[..4].copy_from_slice(&(1u32 << 24 | 1).to_le_bytes());
        let cases = [
            (cfg_v6()[..83].to_vec(), "expected 84 bytes, got 83"),
            (Vec::new(), "expected 84 bytes, got 0"),
            (family, "unknown address family 10 at offset 32"),
            (vni, "VNI 16777217 is out of range"),
        ];
        for (bytes, needle) in cases {
            let e = decode_vxlan_config(&bytes).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Backend);
            assert!(e.message().contains("ifvxlancfg"), "{e}");
            assert!(e.message().contains(needle), "{e}");
        }
    }

    fn record(name: &str, flags: u32) -> Vec<u8> {
        let mut r = vec![0u8; abi::IFBREQ];
        r[..name.len()].copy_from_slice(name.as_bytes());
        r[16..20].copy_from_slice(&flags.to_le_bytes());
        r
    }

    fn conf(written: u32) -> Vec<u8> {
        [written.to_le_bytes().to_vec(), vec![0; 12]].concat()
    }

    #[test]
    fn decode_members_lists_names_and_flags() {
        let buf = [
            record("vxlan1", 0x943),
            record("epair0a", 0x143),
            vec![0; 80],
        ]
        .concat();
        let members = decode_members(&conf(160), &buf).unwrap();
        assert_eq!(
            members,
            [
                Member {
                    name: n("vxlan1"),
                    flags: 0x943
                },
                Member {
                    name: n("epair0a"),
                    flags: 0x143
                },
            ]
        );
        assert!(members[0].private() && !members[1].private());
        assert_eq!(decode_members(&conf(0), &[]).unwrap(), []);
        // Room for three, two written: one more would have fitted.
        assert!(!members_need_more(&conf(160), nz(3)).unwrap());
        assert!(members_need_more(&conf(240), nz(3)).unwrap());
        assert!(members_need_more(&conf(160), nz(2)).unwrap());
        assert_eq!(
            decode_member_flags(&record("vxlan1", 0x943)).unwrap(),
            0x943
        );
    }

    #[test]
    fn decode_members_refuses_malformed_replies() {
        let two = [record("vxlan1", 3), record("vxlan2", 3)].concat();
        let cases: [(Vec<u8>, Vec<u8>, &str); 5] = [
            (
                conf(240),
                two.clone(),
                "240 bytes reported written into a 160-byte buffer",
            ),
            (
                conf(100),
                two.clone(),
                "not a whole number of 80-byte records",
            ),
            (
                conf(160)[..15].to_vec(),
                two.clone(),
                "expected 16 bytes, got 15",
            ),
            (
                conf(80),
                [b"vxlan1vxlan1vxlan1".to_vec(), vec![0; 62]].concat(),
                "without NUL",
            ),
            (conf(80), vec![0; 80], "interface name \"\""),
        ];
        for (c, buf, needle) in cases {
            let e = decode_members(&c, &buf).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Backend);
            assert!(e.message().contains(needle), "{e}");
        }
        assert!(decode_member_flags(&[0; 79]).is_err());
        assert!(members_need_more(&[0; 3], nz(1)).is_err());
    }

    /// Random, truncated and mutated bytes never make a decoder panic.
    #[test]
    fn decoders_never_panic() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let valid: Vec<Vec<u8>> = vec![
            cfg_v6(),
            hex("76 78 6c 61 6e 37 00*10 43 88 02 00 00*12"),
            record("vxlan1", 0x943),
            conf(160),
            [record("a", 1), record("b", 2)].concat(),
        ];
        let run = |b: &[u8], c: &[u8]| {
            let _ = decode_name(b);
            let _ = decode_flags(b);
            let _ = decode_mtu(b);
            let _ = decode_index(b);
            let _ = decode_vxlan_config(b);
            let _ = decode_member_flags(b);
            let _ = decode_members(c, b);
            let _ = decode_members(b, c);
            let _ = members_need_more(b, NonZeroU16::MIN);
            let _ = members_need_more(b, NonZeroU16::MAX);
        };
        for round in 0..20_000 {
            let len = match round % 4 {
                0 => (next() % 400) as usize,
                1 => [32, 80, 84, 16, 160][(next() % 5) as usize],
                _ => 0,
            };
            let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            if round % 4 >= 2 {
                // Truncated or mutated copies of valid replies.
                let v = &valid[(next() as usize) % valid.len()];
                bytes = v.clone();
                if round % 4 == 2 {
                    bytes.truncate((next() as usize) % (v.len() + 1));
                } else if !bytes.is_empty() {
                    let at = (next() as usize) % bytes.len();
                    bytes[at] = next() as u8;
                }
            }
            let other: Vec<u8> = (0..(next() % 300) as usize).map(|_| next() as u8).collect();
            run(&bytes, &other);
            run(&bytes, &conf(next() as u32));
        }
        // And requests built from outside, with broken buffers.
        let mut r = up(&n("vxlan1"));
        r.outer.truncate(17);
        assert!(r.merged(1).is_err());
        let mut r = make_private(&n("vpc1"), &n("vxlan1"));
        r.inner = None;
        assert!(r.merged(1).is_err());
        let mut r = rename_created(Cloner::Vxlan, &n("vxlan1"));
        r.outer.clear();
        assert!(r.with_created_name(&n("vxlan2")).is_err());
    }

    // -- errno ---------------------------------------------------------------

    #[test]
    fn errno_messages_cover_the_reference_table() {
        // §6's table, by FreeBSD number.
        let table = [
            (1, "EPERM", "not permitted"),
            (6, "ENXIO", "no such interface"),
            (17, "EEXIST", "already exists"),
            (22, "EINVAL", "module loaded"),
            (16, "EBUSY", "bring it down first"),
            (2, "ENOENT", "not a member"),
            (49, "EADDRNOTAVAIL", "not on the interface"),
            (63, "ENAMETOOLONG", "too long"),
            (45, "EOPNOTSUPP", "bridge member"),
            (28, "ENOSPC", "no free unit"),
            (47, "EAFNOSUPPORT", "INET6"),
            (14, "EFAULT", "bug"),
        ];
        for (errno, name, needle) in table {
            assert_eq!(errno_name(errno), Some(name));
            assert!(errno_message(errno).contains(needle), "{name}");
        }
        // The host's numbers are not FreeBSD's: Linux's EOPNOTSUPP is 95.
        assert_eq!(errno_name(95), None);
        assert_eq!(errno_message(95), "unexpected error");
        let e = ioctl_error("add vxlan1 to bridge vpc1", 16);
        assert_eq!(e.kind(), ErrorKind::Backend);
        assert!(
            e.message().starts_with("add vxlan1 to bridge vpc1: busy: ")
                && e.message().ends_with("(EBUSY 16)"),
            "{e}"
        );
        assert!(ioctl_error("x", 999).message().ends_with("(errno 999)"));
    }
}
