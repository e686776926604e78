//! `struct ifvxlancfg` (84 bytes): what vxlan(4)'s GET_CONFIG answers
//! through an `ifdrv`, and the planner's view of it.

use std::net::IpAddr;

use super::super::abi;
use super::bytes::{expect_len, get_u8, get_u16, get_u32, malformed};
use super::ifdrv::{VxlanCmd, drvspec};
use super::request::{ReadBack, Request};
use super::sockaddr::read_vxlan_sockaddr;
use super::value::IfName;
use crate::error::Result;
use crate::plan::VxlanConf;

/// The fields this codec reads, as byte ranges.
pub(crate) mod field {
    use crate::backend::freebsd::abi;
    use core::ops::Range;

    /// `vxlc_vni` (u32; `VXLAN_VNI_MAX` = none).
    pub(crate) const VNI: Range<usize> = abi::VXLC_VNI..abi::VXLC_VNI + 4;
    /// `vxlc_local_sa` (port inside, network order).
    pub(crate) const LOCAL_SA: Range<usize> =
        abi::VXLC_LOCAL_SA..abi::VXLC_LOCAL_SA + abi::VXLAN_SOCKADDR;
    /// `vxlc_remote_sa`.
    pub(crate) const REMOTE_SA: Range<usize> =
        abi::VXLC_REMOTE_SA..abi::VXLC_REMOTE_SA + abi::VXLAN_SOCKADDR;
    /// `vxlc_mc_ifindex` (u32).
    pub(crate) const MC_IFINDEX: Range<usize> = abi::VXLC_MC_IFINDEX..abi::VXLC_MC_IFINDEX + 4;
    /// `vxlc_ftable_cnt` (u32).
    pub(crate) const FTABLE_CNT: Range<usize> = abi::VXLC_FTABLE_CNT..abi::VXLC_FTABLE_CNT + 4;
    /// `vxlc_ftable_max` (u32).
    pub(crate) const FTABLE_MAX: Range<usize> = abi::VXLC_FTABLE_MAX..abi::VXLC_FTABLE_MAX + 4;
    /// `vxlc_ftable_timeout` (u32).
    pub(crate) const FTABLE_TIMEOUT: Range<usize> =
        abi::VXLC_FTABLE_TIMEOUT..abi::VXLC_FTABLE_TIMEOUT + 4;
    /// `vxlc_port_min` (u16, host order).
    pub(crate) const PORT_MIN: Range<usize> = abi::VXLC_PORT_MIN..abi::VXLC_PORT_MIN + 2;
    /// `vxlc_port_max` (u16, host order).
    pub(crate) const PORT_MAX: Range<usize> = abi::VXLC_PORT_MAX..abi::VXLC_PORT_MAX + 2;
    /// `vxlc_learn` (u8).
    pub(crate) const LEARN: Range<usize> = abi::VXLC_LEARN..abi::VXLC_LEARN + 1;
    /// `vxlc_ttl` (u8).
    pub(crate) const TTL: Range<usize> = abi::VXLC_TTL..abi::VXLC_TTL + 1;
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
    let vni = get_u32(cfg, field::VNI, WHAT)?;
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
    let (local, local_port) = read_vxlan_sockaddr(cfg, field::LOCAL_SA, WHAT)?;
    let (remote, remote_port) = read_vxlan_sockaddr(cfg, field::REMOTE_SA, WHAT)?;
    Ok(VxlanConfig {
        vni,
        local,
        local_port,
        remote,
        remote_port,
        mc_ifindex: get_u32(cfg, field::MC_IFINDEX, WHAT)?,
        ftable_count: get_u32(cfg, field::FTABLE_CNT, WHAT)?,
        ftable_max: get_u32(cfg, field::FTABLE_MAX, WHAT)?,
        ftable_timeout: get_u32(cfg, field::FTABLE_TIMEOUT, WHAT)?,
        port_min: get_u16(cfg, field::PORT_MIN, WHAT)?,
        port_max: get_u16(cfg, field::PORT_MAX, WHAT)?,
        learn: get_u8(cfg, field::LEARN, WHAT)? != 0,
        ttl: get_u8(cfg, field::TTL, WHAT)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::freebsd::codec::test_util::{cfg_v6, hex, inner, n};
    use crate::error::ErrorKind;

    #[test]
    fn vxlan_get_config_is_byte_exact() {
        let get = vxlan_get_config(&n("vxlan1"));
        assert_eq!(get.code, 0xc028_697b);
        assert_eq!(get.ifd_cmd(), Some(0));
        assert_eq!(inner(&get).bytes.len(), 84);
        assert_eq!(&get.outer[24..32], &hex("54 00*7")[..], "ifd_len 84");
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
}
