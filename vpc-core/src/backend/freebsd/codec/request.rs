//! One ioctl described without pointers ([`Request`]), and the markers
//! that tell the executor what to do around it: whose name to put in
//! ([`Target`]), what to read and merge first ([`Merge`]), what to decode
//! afterwards ([`ReadBack`]).

use std::fmt;

use super::super::abi;
use super::bytes::{get_u16, get_u32, get_u64, set_checked};
use super::value::IfName;
#[cfg(doc)]
use super::{
    check_running, decode_description, decode_flags, decode_member_flags, decode_members,
    decode_mtu, decode_name, decode_vxlan_config, decode_wg_size, get_flags, members_need_more,
};
use super::{ifbreq, ifdrv, ifreq};
use crate::error::{Error, ErrorKind, Result};

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
    /// The size of a WireGuard interface's configuration in the outer
    /// `wg_data_io`: [`decode_wg_size`]. That the call succeeded at all is
    /// the answer: only wg(4) knows `SIOCGWG`.
    WgSize,
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
    /// A request sent as built, with nothing to read back.
    pub(super) fn new(what: String, code: u64, socket: Socket, outer: Vec<u8>) -> Request {
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
            get_u64(&self.outer, ifdrv::field::CMD, "ifdrv").ok()
        } else {
            None
        }
    }

    /// This request with `created` (the name a create returned) as its
    /// interface, for [`Target::Created`].
    pub fn with_created_name(&self, created: &IfName) -> Result<Request> {
        let mut r = self.clone();
        let slot = r.outer.get_mut(ifreq::field::NAME).ok_or_else(|| {
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
                let low = get_u16(&r.outer, ifreq::field::FLAGS, "ifreq")?;
                let high = get_u16(&r.outer, ifreq::field::FLAGSHIGH, "ifreq")?;
                let flags = (u32::from(high) << 16 | u32::from(low)) | current;
                set_checked(&mut r.outer, ifreq::field::FLAGS, &ifreq::low_half(flags))?;
                set_checked(
                    &mut r.outer,
                    ifreq::field::FLAGSHIGH,
                    &ifreq::high_half(flags),
                )?;
            }
            FlagsAt::Member => {
                let inner = r.inner.as_mut().ok_or_else(|| {
                    Error::new(
                        ErrorKind::Backend,
                        format!("{}: the request has no ifbreq", self.what),
                    )
                })?;
                let set = get_u32(&inner.bytes, ifbreq::field::IFSFLAGS, "ifbreq")?;
                // SPAN is read-only: the kernel refuses a set that holds it.
                let flags = (set | current) & !abi::IFBIF_SPAN;
                set_checked(
                    &mut inner.bytes,
                    ifbreq::field::IFSFLAGS,
                    &flags.to_le_bytes(),
                )?;
            }
        }
        Ok(r)
    }
}
