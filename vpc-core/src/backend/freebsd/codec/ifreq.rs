//! `struct ifreq` (32 bytes: a name and a 16-byte union): creating,
//! renaming and destroying interfaces, flags, MTU, description, and the
//! IPv4 address delete (`SIOCDIFADDR` takes an `ifreq`). Decoders for the
//! answers the kernel writes into it.

use super::super::abi;
use super::bytes::{
    expect_len, get, get_u16, get_u64, len_field, malformed, put, put_u32, put_u64, read_name,
};
use super::request::{FlagsAt, Inner, Merge, ReadBack, Request, Socket, Target};
use super::sockaddr::sockaddr_in;
use super::value::{Cloner, IfName};
use crate::error::{Error, ErrorKind, Result};
use std::net::Ipv4Addr;

/// The fields this codec writes or reads, as byte ranges (members of the
/// `ifr_ifru` union overlap).
pub(crate) mod field {
    use crate::backend::freebsd::abi;
    use core::ops::Range;

    /// `ifr_name`.
    pub(crate) const NAME: Range<usize> = abi::IFR_NAME..abi::IFR_NAME + abi::IFNAMSIZ;
    /// `ifr_flags` (short: the low half of the flags).
    pub(crate) const FLAGS: Range<usize> = abi::IFR_FLAGS..abi::IFR_FLAGS + 2;
    /// `ifr_flagshigh` (short: the high half).
    pub(crate) const FLAGSHIGH: Range<usize> = abi::IFR_FLAGSHIGH..abi::IFR_FLAGSHIGH + 2;
    /// `ifr_index` (short).
    pub(crate) const INDEX: Range<usize> = abi::IFR_INDEX..abi::IFR_INDEX + 2;
    /// `ifr_mtu` (int).
    pub(crate) const MTU: Range<usize> = abi::IFR_MTU..abi::IFR_MTU + 4;
    /// `ifr_addr` (a `sockaddr_in` fits exactly).
    pub(crate) const ADDR: Range<usize> = abi::IFR_ADDR..abi::IFR_ADDR + abi::SOCKADDR_IN;
    /// `ifr_data` (pointer).
    pub(crate) const DATA: Range<usize> = abi::IFR_DATA..abi::IFR_DATA + abi::POINTER;
    /// `ifr_buffer.length` (size_t, counts the terminating NUL).
    pub(crate) const BUFFER_LENGTH: Range<usize> =
        abi::IFR_BUFFER_LENGTH..abi::IFR_BUFFER_LENGTH + 8;
    /// `ifr_buffer.buffer` (pointer).
    pub(crate) const BUFFER_BUFFER: Range<usize> =
        abi::IFR_BUFFER_BUFFER..abi::IFR_BUFFER_BUFFER + abi::POINTER;
}

/// An `ifreq` naming `name`, the rest zero.
pub(super) fn ifreq(name: &IfName) -> Vec<u8> {
    let mut r = vec![0u8; abi::IFREQ];
    put(&mut r, field::NAME, &name.field());
    r
}

/// An `ifreq` naming a cloner: a create picks the unit, and a
/// [`Target::Created`] request holds it as a placeholder.
pub(super) fn cloner_ifreq(cloner: Cloner) -> Vec<u8> {
    let mut r = vec![0u8; abi::IFREQ];
    put(
        &mut r,
        field::NAME,
        &super::bytes::name_field(cloner.name().as_bytes()),
    );
    r
}

/// `ifr_flags`: the low half of a flag word.
pub(super) fn low_half(flags: u32) -> [u8; 2] {
    ((flags & 0xffff) as u16).to_le_bytes()
}

/// `ifr_flagshigh`: the high half.
pub(super) fn high_half(flags: u32) -> [u8; 2] {
    ((flags >> 16) as u16).to_le_bytes()
}

/// Writes both halves of `flags` (the kernel rebuilds the flag word from
/// both and keeps its own bits whatever is sent).
fn put_flags(ifreq: &mut [u8], flags: u32) {
    put(ifreq, field::FLAGS, &low_half(flags));
    put(ifreq, field::FLAGSHIGH, &high_half(flags));
}

/// The inner buffer of a rename: `ifr_data` → the new name, which the
/// kernel reads with copyinstr(…, IFNAMSIZ).
fn new_name(new: &IfName) -> Inner {
    Inner {
        ptr_at: field::DATA.start,
        len_at: None,
        bytes: new.field().to_vec(),
        inner: None,
    }
}

/// `SIOCIFCREATE2` of a bridge: `ifr_name = "bridge"`, no parameters; the
/// kernel answers the name it chose.
pub fn create_bridge() -> Request {
    create_plain(Cloner::Bridge, "create a bridge")
}

/// `SIOCIFCREATE2` of a WireGuard interface: `ifr_name = "wg"` (a simple
/// cloner: no parameters); the kernel answers the name it chose. The
/// `if_wg` module must be loaded first (the executor runs `kldload`).
pub fn create_wireguard() -> Request {
    create_plain(Cloner::Wireguard, "create a WireGuard interface")
}

fn create_plain(cloner: Cloner, what: &str) -> Request {
    let mut r = Request::new(
        what.to_owned(),
        abi::SIOCIFCREATE2,
        Socket::Inet,
        cloner_ifreq(cloner),
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
    r.inner = Some(new_name(new));
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
    r.inner = Some(new_name(new));
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
        put_u64(&mut r.outer, field::BUFFER_LENGTH, bytes.len() as u64);
        r.inner = Some(Inner {
            ptr_at: field::BUFFER_BUFFER.start,
            len_at: Some(len_field(field::BUFFER_LENGTH)),
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
    put_u64(&mut r.outer, field::BUFFER_LENGTH, DESCRIPTION_ROOM as u64);
    r.inner = Some(Inner {
        ptr_at: field::BUFFER_BUFFER.start,
        len_at: Some(len_field(field::BUFFER_LENGTH)),
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
    let needed = get_u64(ifreq, field::BUFFER_LENGTH, WHAT)?;
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

/// Brings `name` up: `SIOCSIFFLAGS` with `IFF_UP` ORed into the flags read
/// first, then the flags read again, and an error unless RUNNING.
pub fn up(name: &IfName) -> Request {
    let mut outer = ifreq(name);
    put_flags(&mut outer, abi::IFF_UP);
    let mut r = Request::new(
        format!("bring {name} up"),
        abi::SIOCSIFFLAGS,
        Socket::Inet,
        outer,
    );
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
    put_u32(&mut outer, field::MTU, mtu);
    Ok(Request::new(
        format!("set the MTU of {name} to {mtu}"),
        abi::SIOCSIFMTU,
        Socket::Inet,
        outer,
    ))
}

/// `SIOCGIFMTU`: the executor reads each interface's MTU this way, as
/// getifaddrs(3) through `nix` does not hand out `ifa_data`.
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

/// `SIOCDIFADDR` (AF_INET socket): an `ifreq` whose `ifr_addr` is the
/// address (a malformed one would delete the first IPv4 address).
pub fn del_inet(name: &IfName, addr: Ipv4Addr) -> Request {
    let mut req = ifreq(name);
    put(&mut req, field::ADDR, &sockaddr_in(addr, 0));
    Request::new(
        format!("delete {addr} from {name}"),
        abi::SIOCDIFADDR,
        Socket::Inet,
        req,
    )
}

/// The interface name in an `ifreq` (what `SIOCIFCREATE2` answers).
pub fn decode_name(ifreq: &[u8]) -> Result<IfName> {
    expect_len(ifreq, abi::IFREQ, "ifreq")?;
    read_name(ifreq, field::NAME, "ifreq")
}

/// The flags in an `ifreq` (`SIOCGIFFLAGS`): `ifr_flags` and
/// `ifr_flagshigh` as one word.
pub fn decode_flags(ifreq: &[u8]) -> Result<u32> {
    expect_len(ifreq, abi::IFREQ, "ifreq")?;
    let low = get_u16(ifreq, field::FLAGS, "ifreq")?;
    let high = get_u16(ifreq, field::FLAGSHIGH, "ifreq")?;
    Ok(u32::from(high) << 16 | u32::from(low))
}

/// The MTU in an `ifreq` (what `SIOCGIFMTU` answers).
pub fn decode_mtu(ifreq: &[u8]) -> Result<u32> {
    expect_len(ifreq, abi::IFREQ, "ifreq")?;
    let mtu = i32::from_le_bytes(get(ifreq, field::MTU, "ifreq")?);
    u32::try_from(mtu).map_err(|_| malformed("ifreq", format_args!("negative MTU {mtu}")))
}

/// The index in an `ifreq` (what `SIOCGIFINDEX` answers).
pub fn decode_index(ifreq: &[u8]) -> Result<u16> {
    expect_len(ifreq, abi::IFREQ, "ifreq")?;
    get_u16(ifreq, field::INDEX, "ifreq")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::freebsd::codec::test_util::{hex, inner, n};

    #[test]
    fn description_request_and_answer() {
        let name = IfName::new("vpc1").unwrap_or_else(|e| unreachable!("{e}"));
        let r = get_description(&name);
        assert_eq!(r.code, 0xc020_692a);
        assert_eq!(&r.outer[..5], b"vpc1\0");
        assert_eq!(
            get_u64(&r.outer, field::BUFFER_LENGTH, "t").ok(),
            Some(1024)
        );
        let inner = r.inner.as_ref().map(|i| (i.ptr_at, i.bytes.len()));
        assert_eq!(inner, Some((abi::IFR_BUFFER_BUFFER, 1024)));
        // The kernel's answer: length 9 ("vpc-vpc1" and its NUL).
        let mut outer = r.outer.clone();
        put_u64(&mut outer, field::BUFFER_LENGTH, 9);
        let mut buf = vec![0u8; 1024];
        buf[..8].copy_from_slice(b"vpc-vpc1");
        assert_eq!(
            decode_description(&outer, &buf).ok().as_deref(),
            Some("vpc-vpc1")
        );
        put_u64(&mut outer, field::BUFFER_LENGTH, 2048);
        assert!(
            decode_description(&outer, &buf).is_err(),
            "longer than the buffer"
        );
        assert!(
            decode_description(&outer[..20], &buf).is_err(),
            "short ifreq"
        );
        buf[0] = 0xff;
        put_u64(&mut outer, field::BUFFER_LENGTH, 9);
        assert!(decode_description(&outer, &buf).is_err(), "not UTF-8");
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
        assert_eq!(
            i.len_at,
            Some(crate::backend::freebsd::codec::LenField { at: 16, width: 8 })
        );
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
        let r = get_mtu(&n("vxlan1"));
        assert_eq!((r.code, &r.read_back), (0xc020_6933, &ReadBack::Mtu));
        // SIOCGIFFLAGS; the flag word as SIOCSIFFLAGS carries it.
        let r = get_flags(&n("vxlan1"));
        assert_eq!((r.code, &r.read_back), (0xc020_6911, &ReadBack::Flags));
        let mut outer = ifreq(&n("vxlan1"));
        put_flags(&mut outer, 0x0002_8843);
        assert_eq!(
            outer,
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
}
