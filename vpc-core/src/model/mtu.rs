//! MTU accounting: one MTU for the whole VPC, from the underlay MTU and the
//! VXLAN overhead of the worst pair.

use crate::error::{Error, Result};
use crate::model::addr::Family;

/// The smallest MTU a VPC may have: IPv6's minimum link MTU, since guests
/// may speak IPv6.
pub const MTU_MIN: u32 = 1280;

/// The largest MTU either kernel accepts on these interfaces.
pub const MTU_MAX: u32 = 65_535;

/// VXLAN overhead on the underlay: outer IP header (20 or 40) + UDP 8 +
/// VXLAN 8 + inner Ethernet 14, and 4 more for an inner 802.1Q tag.
pub fn overhead(family: Family, vlan: bool) -> u32 {
    let outer_ip = match family {
        Family::V4 => 20,
        Family::V6 => 40,
    };
    outer_ip + 8 + 8 + 14 + if vlan { 4 } else { 0 }
}

/// WireGuard's overhead on the underlay: outer IP header (20 or 40) + UDP
/// 8 + WireGuard's data header 16 + its authentication tag 16.
pub fn wg_overhead(family: Family) -> u32 {
    match family {
        Family::V4 => 60,
        Family::V6 => 80,
    }
}

/// Where a VPC's MTU comes from, for `init_peers`, `list` and `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// `underlay_mtu`.
    pub underlay: u32,
    /// WireGuard's overhead and the underlay family it is paid over, on an
    /// encrypted VPC.
    pub wireguard: Option<(Family, u32)>,
    /// VXLAN's overhead and the family of the addresses it runs between.
    pub vxlan: (Family, u32),
    /// The VPC MTU.
    pub mtu: u32,
}

impl Budget {
    /// The MTU of an encrypted VPC's WireGuard interface (`None` when the
    /// VPC is plain).
    pub fn wg_mtu(&self) -> Option<u32> {
        self.wireguard.map(|(_, cost)| self.underlay - cost)
    }
}

impl std::fmt::Display for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let limit = self.underlay - self.wireguard.map_or(0, |(_, c)| c) - self.vxlan.1;
        write!(f, "underlay_mtu {}", self.underlay)?;
        if let Some((family, cost)) = self.wireguard {
            write!(f, " - {cost} WireGuard over {family}")?;
        }
        write!(f, " - {} VXLAN over {}", self.vxlan.1, self.vxlan.0)?;
        if self.mtu == limit {
            write!(f, " = {}", self.mtu)
        } else {
            write!(f, " = {limit}, lowered to mtu {}", self.mtu)
        }
    }
}

/// The MTU of an encrypted VPC: WireGuard's overhead over the worst
/// underlay family first, then VXLAN's over the inner network's family.
pub fn wg_vpc_mtu(
    underlay_mtu: u32,
    families: impl IntoIterator<Item = Family>,
    inner: Family,
    vlan: bool,
    requested: Option<u32>,
) -> Result<Budget> {
    let worst = families.into_iter().max().unwrap_or(Family::V6);
    let wg = wg_overhead(worst);
    let vx = overhead(inner, vlan);
    let cost = wg + vx;
    if !(MTU_MIN + cost..=MTU_MAX).contains(&underlay_mtu) {
        return Err(Error::invalid(format!(
            "underlay_mtu {underlay_mtu} is not valid: expected {} to {MTU_MAX} \
             ({wg} bytes of WireGuard over {worst} and {vx} of VXLAN over {inner}, and the VPC \
             MTU must be at least {MTU_MIN})",
            MTU_MIN + cost
        )));
    }
    let limit = underlay_mtu - cost;
    let mtu = match requested {
        None => limit,
        Some(mtu) if (MTU_MIN..=limit).contains(&mtu) => mtu,
        Some(mtu) => {
            return Err(Error::invalid(format!(
                "mtu {mtu} is not valid: expected {MTU_MIN} to {limit} (underlay_mtu \
                 {underlay_mtu} minus {wg} bytes of WireGuard over {worst} and {vx} of VXLAN \
                 over {inner})"
            )));
        }
    };
    Ok(Budget {
        underlay: underlay_mtu,
        wireguard: Some((worst, wg)),
        vxlan: (inner, vx),
        mtu,
    })
}

/// The VPC's MTU: the largest that every pair's underlay carries, or the
/// requested `mtu` after checking it against that limit and [`MTU_MIN`].
/// `families` are the underlay families of the VPC's pairs (a VPC without
/// pairs counts as IPv6, the larger overhead, so its MTU never has to fall
/// when members arrive over IPv6).
pub fn vpc_mtu(
    underlay_mtu: u32,
    families: impl IntoIterator<Item = Family>,
    vlan: bool,
    requested: Option<u32>,
) -> Result<u32> {
    let worst = families.into_iter().max().unwrap_or(Family::V6);
    let cost = overhead(worst, vlan);
    if !(MTU_MIN + cost..=MTU_MAX).contains(&underlay_mtu) {
        return Err(Error::invalid(format!(
            "underlay_mtu {underlay_mtu} is not valid: expected {} to {MTU_MAX} \
             ({worst} VXLAN overhead is {cost} bytes and the VPC MTU must be at least {MTU_MIN})",
            MTU_MIN + cost
        )));
    }
    let limit = underlay_mtu - cost;
    match requested {
        None => Ok(limit),
        Some(mtu) if (MTU_MIN..=limit).contains(&mtu) => Ok(mtu),
        Some(mtu) => Err(Error::invalid(format!(
            "mtu {mtu} is not valid: expected {MTU_MIN} to {limit} \
             (underlay_mtu {underlay_mtu} minus {cost} bytes of {worst} VXLAN overhead)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wireguard_adds_its_overhead() {
        let b = wg_vpc_mtu(1500, [Family::V4], Family::V6, false, None).unwrap();
        assert_eq!((b.mtu, b.wg_mtu()), (1370, Some(1440)));
        assert_eq!(
            b.to_string(),
            "underlay_mtu 1500 - 60 WireGuard over IPv4 - 70 VXLAN over IPv6 = 1370"
        );
        let b = wg_vpc_mtu(1500, [Family::V6], Family::V4, false, None).unwrap();
        assert_eq!((b.mtu, b.wg_mtu()), (1370, Some(1420)));
        let b = wg_vpc_mtu(1500, [Family::V6], Family::V6, true, Some(1300)).unwrap();
        assert_eq!(b.mtu, 1300);
        assert_eq!(
            b.to_string(),
            "underlay_mtu 1500 - 80 WireGuard over IPv6 - 74 VXLAN over IPv6 = 1346, lowered to mtu 1300"
        );
        let e = wg_vpc_mtu(1500, [Family::V6], Family::V6, false, Some(1351)).unwrap_err();
        assert!(e.message().contains("expected 1280 to 1350"), "{e}");
        let e = wg_vpc_mtu(1400, [Family::V6], Family::V6, false, None).unwrap_err();
        assert!(e.message().contains("underlay_mtu 1400"), "{e}");
    }

    #[test]
    fn article_figures() {
        assert_eq!(vpc_mtu(1500, [Family::V4], false, None).unwrap(), 1450);
        assert_eq!(vpc_mtu(1500, [Family::V6], false, None).unwrap(), 1430);
        assert_eq!(vpc_mtu(1500, [Family::V4], true, None).unwrap(), 1446);
        assert_eq!(vpc_mtu(1500, [Family::V6], true, None).unwrap(), 1426);
        assert_eq!(
            vpc_mtu(1500, [Family::V4, Family::V6], false, None).unwrap(),
            1430
        );
        assert_eq!(vpc_mtu(9000, [Family::V4], false, None).unwrap(), 8950);
    }

    #[test]
    fn requested_mtu_is_bounded() {
        assert_eq!(
            vpc_mtu(1500, [Family::V4], false, Some(1400)).unwrap(),
            1400
        );
        assert_eq!(
            vpc_mtu(1500, [Family::V4], false, Some(1280)).unwrap(),
            1280
        );
        let e = vpc_mtu(1500, [Family::V4], false, Some(1451)).unwrap_err();
        assert!(
            e.message().contains("mtu 1451") && e.message().contains("1450"),
            "{e}"
        );
        let e = vpc_mtu(1500, [Family::V6], false, Some(1279)).unwrap_err();
        assert!(
            e.message().contains("mtu 1279") && e.message().contains("1280"),
            "{e}"
        );
        let e = vpc_mtu(1300, [Family::V4], false, None).unwrap_err();
        assert!(e.message().contains("underlay_mtu 1300"), "{e}");
    }
}
