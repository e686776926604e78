//! `struct ifvxlanparam` (104 bytes, the 13.0+ union layout): what
//! `SIOCIFCREATE2` creates a vxlan with, through `ifr_data` of an `ifreq`
//! naming the cloner. Each field given sets its bit in `vxlp_with`.

use std::net::IpAddr;
use std::num::NonZeroU16;

use super::super::abi;
use super::bytes::{put, put_u8, put_u16, put_u32, put_u64};
use super::ifreq::{self, cloner_ifreq};
use super::request::{Inner, ReadBack, Request, Socket};
use super::sockaddr::vxlan_sockaddr;
use super::value::{Cloner, Vni};
use crate::error::{Error, Result};
use crate::model::addr::IfAddr;

/// The fields this codec writes, as byte ranges (the port range, multicast
/// interface, forwarding table and TTL are left to the kernel's defaults).
pub(crate) mod field {
    use crate::backend::freebsd::abi;
    use core::ops::Range;

    /// `vxlp_with` (u64): which fields are valid.
    pub(crate) const WITH: Range<usize> = abi::VXLP_WITH..abi::VXLP_WITH + 8;
    /// `vxlp_vni` (u32).
    pub(crate) const VNI: Range<usize> = abi::VXLP_VNI..abi::VXLP_VNI + 4;
    /// `vxlp_local_sa` (union vxlan_sockaddr).
    pub(crate) const LOCAL_SA: Range<usize> =
        abi::VXLP_LOCAL_SA..abi::VXLP_LOCAL_SA + abi::VXLAN_SOCKADDR;
    /// `vxlp_remote_sa`.
    pub(crate) const REMOTE_SA: Range<usize> =
        abi::VXLP_REMOTE_SA..abi::VXLP_REMOTE_SA + abi::VXLAN_SOCKADDR;
    /// `vxlp_local_port` (u16, host order).
    pub(crate) const LOCAL_PORT: Range<usize> = abi::VXLP_LOCAL_PORT..abi::VXLP_LOCAL_PORT + 2;
    /// `vxlp_remote_port` (u16, host order).
    pub(crate) const REMOTE_PORT: Range<usize> = abi::VXLP_REMOTE_PORT..abi::VXLP_REMOTE_PORT + 2;
    /// `vxlp_learn` (u8).
    pub(crate) const LEARN: Range<usize> = abi::VXLP_LEARN..abi::VXLP_LEARN + 1;
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

/// An underlay address the kernel can use without a zone.
fn check_underlay(addr: IpAddr, role: &str) -> Result<()> {
    if (IfAddr { addr, prefix: 0 }).is_link_local() {
        return Err(Error::invalid(format!(
            "vxlan {role} address {addr} is IPv6 link-local: it needs a zone, which this \
             backend does not pass; expected a global address"
        )));
    }
    Ok(())
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
        put_u32(&mut param, field::VNI, vni.get());
    }
    if let Some(l) = p.local {
        with |= match l {
            IpAddr::V4(_) => abi::VXLAN_PARAM_WITH_LOCAL_ADDR4,
            IpAddr::V6(_) => abi::VXLAN_PARAM_WITH_LOCAL_ADDR6,
        };
        // sin_port is ignored at create time; ports have fields of their own.
        put(&mut param, field::LOCAL_SA, &vxlan_sockaddr(l, 0));
    }
    if let Some(r) = p.remote {
        with |= match r {
            IpAddr::V4(_) => abi::VXLAN_PARAM_WITH_REMOTE_ADDR4,
            IpAddr::V6(_) => abi::VXLAN_PARAM_WITH_REMOTE_ADDR6,
        };
        put(&mut param, field::REMOTE_SA, &vxlan_sockaddr(r, 0));
    }
    if let Some(port) = p.local_port {
        with |= abi::VXLAN_PARAM_WITH_LOCAL_PORT;
        put_u16(&mut param, field::LOCAL_PORT, port.get());
    }
    if let Some(port) = p.remote_port {
        with |= abi::VXLAN_PARAM_WITH_REMOTE_PORT;
        put_u16(&mut param, field::REMOTE_PORT, port.get());
    }
    if let Some(learn) = p.learn {
        with |= abi::VXLAN_PARAM_WITH_LEARN;
        put_u8(&mut param, field::LEARN, u8::from(learn));
    }
    put_u64(&mut param, field::WITH, with);
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
        ptr_at: ifreq::field::DATA.start,
        len_at: None,
        bytes: param.to_vec(),
        inner: None,
    });
    r.read_back = ReadBack::CreatedName;
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::freebsd::codec::test_util::{hex, inner, nz};
    use crate::error::ErrorKind;

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
}
