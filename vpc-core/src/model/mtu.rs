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
