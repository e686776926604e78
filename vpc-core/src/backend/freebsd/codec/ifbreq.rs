//! `struct ifbreq` (80 bytes on 13, 14 and 15): one bridge member, the
//! argument of if_bridge(4)'s member commands through an `ifdrv`.

use super::super::abi;
use super::bytes::{expect_len, get_u32, put, put_u32};
use super::ifdrv::drvspec;
use super::request::{FlagsAt, Merge, ReadBack, Request};
use super::value::IfName;
use crate::error::Result;

/// The fields this codec writes or reads, as byte ranges (the STP fields,
/// counters and pad stay zero, valid on every release).
pub(crate) mod field {
    use crate::backend::freebsd::abi;
    use core::ops::Range;

    /// `ifbr_ifsname` (`char[16]`).
    pub(crate) const IFSNAME: Range<usize> = abi::IFBR_IFSNAME..abi::IFBR_IFSNAME + abi::IFNAMSIZ;
    /// `ifbr_ifsflags` (u32).
    pub(crate) const IFSFLAGS: Range<usize> = abi::IFBR_IFSFLAGS..abi::IFBR_IFSFLAGS + 4;
}

/// An `ifbreq` naming `member`, the rest zero.
fn ifbreq(member: &IfName) -> Vec<u8> {
    let mut b = vec![0u8; abi::IFBREQ];
    put(&mut b, field::IFSNAME, &member.field());
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

/// Makes `member` a private (split-horizon) member of `bridge`:
/// `BRDGSIFFLGS` with `PRIVATE` and FreeBSD's defaults for a member,
/// ORed with the flags `BRDGGIFFLGS` reads first, as ifconfig's `private`
/// does, so nothing else set on the member is lost (`BRDGSIFFLGS` replaces
/// all of a member's flags and turns STP port options off that are not in
/// them).
pub fn make_private(bridge: &IfName, member: &IfName) -> Request {
    let flags = abi::IFBIF_DEFAULT | abi::IFBIF_PRIVATE;
    let mut b = ifbreq(member);
    put_u32(&mut b, field::IFSFLAGS, flags);
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
    get_u32(ifbreq, field::IFSFLAGS, "ifbreq")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::freebsd::codec::LenField;
    use crate::backend::freebsd::codec::Socket;
    use crate::backend::freebsd::codec::test_util::{hex, inner, n};

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
        let g = get_member_flags(&n("vpc1"), &n("vxlan1"));
        assert_eq!(inner(&g).bytes, hex("76 78 6c 61 6e 31 00*74"));
    }
}
