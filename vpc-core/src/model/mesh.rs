//! The full mesh: member slots, pair numbering, VNIs, interface names and
//! link addresses. Everything is a pure function of the spec, so every
//! member computes the same map.

use std::net::IpAddr;
use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::model::addr::{Family, IfAddr, Network};
use crate::model::name::NodeName;
use crate::model::node::Node;

/// The largest VNI VXLAN can carry (24 bits).
pub const VNI_MAX: u32 = 16_777_215;

/// How pairs of members are numbered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Numbering {
    /// `p = j*(j-1)/2 + i` over slots: membership changes never renumber.
    #[default]
    Stable,
    /// CBSD's row-major order over the present members: matches interfaces
    /// an existing CBSD VPC made, but membership changes renumber.
    Cbsd,
}

crate::model::words!(Numbering, "numbering", { Stable => "stable", Cbsd => "cbsd" }, display);

/// One member slot's occupant: the node and this node's own addresses on
/// the VPC bridge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    /// The node in this slot.
    pub node: Node,
    /// Addresses this node puts on its VPC bridge (`bridge_ips=`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bridge_addrs: Vec<IfAddr>,
    /// On an encrypted VPC, the public half of the WireGuard key this
    /// node made for it (`None` until `deploy` has asked the node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wg_key: Option<crate::model::wgkey::PublicKey>,
}

/// Number of unordered pairs among `n` things.
pub fn pairs_of(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// The pair index of slots `i < j` under stable numbering.
pub fn stable_index(i: usize, j: usize) -> u64 {
    pairs_of(j as u64) + i as u64
}

/// One pair of member slots, `lo < hi`, with its pair index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    /// Pair index `p`: VNI is `vni_base + p + 1`, the link block is the
    /// `p`-th of the peer network.
    pub index: u64,
    /// The lower slot.
    pub lo: usize,
    /// The higher slot.
    pub hi: usize,
}

/// The pairs of the occupied slots, in ascending pair index, made as they
/// are consumed (a 1000-member map has half a million).
pub fn pairs(slots: &[Option<Member>], numbering: Numbering) -> impl Iterator<Item = Pair> {
    let present: Vec<usize> = (0..slots.len()).filter(|s| slots[*s].is_some()).collect();
    // Stable: `b` (the higher slot) outer, `a` inner; CBSD: `a` outer.
    let (mut a, mut b, mut index) = (0usize, 1usize, 0u64);
    std::iter::from_fn(move || {
        loop {
            match numbering {
                Numbering::Stable => {
                    let &hi = present.get(b)?;
                    if a < b {
                        let lo = present[a];
                        a += 1;
                        return Some(Pair {
                            index: stable_index(lo, hi),
                            lo,
                            hi,
                        });
                    }
                    (a, b) = (0, b + 1);
                }
                Numbering::Cbsd => {
                    let &lo = present.get(a)?;
                    if let Some(&hi) = present.get(b) {
                        b += 1;
                        index += 1;
                        return Some(Pair {
                            index: index - 1,
                            lo,
                            hi,
                        });
                    }
                    (a, b) = (a + 1, a + 2);
                }
            }
        }
    })
}

/// How many pair indexes the slots can use: the size of the VNI range and
/// of the link block range a VPC reserves. Vacant slots keep their indexes,
/// so a tunnel to a removed member stays recognisable as the VPC's own.
pub fn index_capacity(slots: usize) -> u64 {
    pairs_of(slots as u64)
}

/// The VNIs a VPC reserves: `vni_base + 1 ..= vni_base + capacity`.
pub fn vni_range(vni_base: u32, slots: usize) -> RangeInclusive<u64> {
    u64::from(vni_base) + 1..=u64::from(vni_base) + index_capacity(slots)
}

/// What a tunnel's interface name starts with; its VNI follows.
pub const VXLAN_PREFIX: &str = "vxlan";

/// The interface name of the tunnel carrying `vni` (CBSD's name).
pub fn vxlan_name(vni: u32) -> String {
    format!("{VXLAN_PREFIX}{vni}")
}

/// The VNI a name of [`vxlan_name`]'s form carries (`vxlan01` is none).
pub fn vni_of_name(ifname: &str) -> Option<u64> {
    ifname
        .strip_prefix(VXLAN_PREFIX)
        .filter(|d| !d.starts_with('0'))
        .and_then(|d| d.parse().ok())
}

/// How link addresses are cut from the peer network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkPlan {
    /// The peer network.
    pub network: Network,
    /// Prefix of one link block (30/31 for IPv4, 126/127 for IPv6).
    pub prefix: u8,
}

impl LinkPlan {
    /// Checks that `prefix` suits the network's family and that the
    /// network holds at least one block.
    pub fn new(network: Network, prefix: u8) -> Result<LinkPlan> {
        let allowed: [u8; 2] = match network.family() {
            Family::V4 => [30, 31],
            Family::V6 => [126, 127],
        };
        if !allowed.contains(&prefix) {
            return Err(Error::invalid(format!(
                "link_prefix {prefix} does not suit peer_network {network}: expected {} or {}",
                allowed[0], allowed[1]
            )));
        }
        if network.blocks(prefix) == 0 {
            return Err(Error::new(
                ErrorKind::Capacity,
                format!(
                    "peer_network {network} cannot hold one link of /{prefix}: \
                     expected a prefix of /{prefix} or shorter"
                ),
            ));
        }
        Ok(LinkPlan { network, prefix })
    }

    /// The default link prefix for a network's family.
    pub fn default_prefix(family: Family) -> u8 {
        match family {
            Family::V4 => 30,
            Family::V6 => 126,
        }
    }

    /// How many links fit.
    pub fn capacity(&self) -> u128 {
        self.network.blocks(self.prefix)
    }

    /// Both ends' addresses of pair `index` (lower slot first). The caller
    /// has checked `index < capacity()`.
    pub fn ends(&self, index: u64) -> [IfAddr; 2] {
        let size = 1u128 << (self.network.family().bits() - self.prefix);
        let block = u128::from(index) * size;
        // A /30 block is network, two ends, broadcast; a /31 is two ends.
        let first = if size >= 4 { 1 } else { 0 };
        [first, first + 1].map(|o| IfAddr {
            addr: self.network.nth(block + o),
            prefix: self.prefix,
        })
    }
}

/// One end of a link.
#[derive(Debug, Clone, Serialize)]
pub struct End<'a> {
    /// The member's slot.
    pub slot: usize,
    /// The member's name.
    pub node: &'a NodeName,
    /// The member's underlay address used by this link.
    pub underlay: IpAddr,
    /// The link address this end puts on its tunnel interface.
    pub link_addr: IfAddr,
}

/// One tunnel of the mesh.
#[derive(Debug, Clone)]
pub struct Link<'a> {
    /// Pair index.
    pub pair: u64,
    /// VXLAN network identifier, the same on both ends.
    pub vni: u32,
    /// Underlay family of the tunnel.
    pub family: Family,
    /// The lower slot's end, then the higher slot's.
    pub ends: [End<'a>; 2],
}

impl Serialize for Link<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Link", 5)?;
        st.serialize_field("pair", &self.pair)?;
        st.serialize_field("vni", &self.vni)?;
        st.serialize_field("interface", &self.interface())?;
        st.serialize_field("family", &self.family)?;
        st.serialize_field("ends", &self.ends)?;
        st.end()
    }
}

impl Link<'_> {
    /// The tunnel's interface name on both ends.
    pub fn interface(&self) -> String {
        vxlan_name(self.vni)
    }

    /// This link's end on `slot` and the far end, if `slot` is on it.
    pub fn side(&self, slot: usize) -> Option<(&End<'_>, &End<'_>)> {
        match (self.ends[0].slot == slot, self.ends[1].slot == slot) {
            (true, _) => Some((&self.ends[0], &self.ends[1])),
            (_, true) => Some((&self.ends[1], &self.ends[0])),
            _ => None,
        }
    }
}

/// The underlay a pair uses: IPv6 when both ends have it, else IPv4.
/// Returns the family and both ends' addresses of it.
pub fn pair_underlay(a: &Node, b: &Node) -> Result<(Family, IpAddr, IpAddr)> {
    for family in [Family::V6, Family::V4] {
        if let (Some(x), Some(y)) = (a.underlay(family), b.underlay(family)) {
            return Ok((family, x, y));
        }
    }
    Err(Error::invalid(format!(
        "nodes {} ({}) and {} ({}) have no common underlay family: \
         expected both to have an IPv4 or both an IPv6 address",
        a.name,
        a.families(),
        b.name,
        b.families()
    )))
}

/// Checks that the peer network and the VNI space hold every pair index
/// the slots can use (vacant slots keep theirs).
pub fn check_capacity(slots: &[Option<Member>], links: &LinkPlan, vni_base: u32) -> Result<()> {
    let needed = index_capacity(slots.len());
    let available = links.capacity();
    if u128::from(needed) > available {
        let vacant = slots.iter().filter(|s| s.is_none()).count();
        let members = match vacant {
            0 => format!("{} members", slots.len()),
            v => format!("{} member slots ({v} vacant)", slots.len()),
        };
        return Err(Error::new(
            ErrorKind::Capacity,
            format!(
                "peer_network {} holds {available} links of /{}; {needed} are needed for {members}",
                links.network, links.prefix
            ),
        ));
    }
    let top = u64::from(vni_base) + needed;
    if top > u64::from(VNI_MAX) {
        return Err(Error::new(
            ErrorKind::Capacity,
            format!(
                "vni_base {vni_base} with {needed} links reaches VNI {top}, past {VNI_MAX}: \
                 expected a vni_base of at most {}",
                u64::from(VNI_MAX) - needed
            ),
        ));
    }
    Ok(())
}

/// The worst underlay family over all pairs (`None` without pairs), after
/// checking that every pair has a common family. Linear in the members: a
/// pair lacks a common family exactly when one end is IPv4-only and the
/// other IPv6-only, and some pair runs over IPv6 exactly when two members
/// have IPv6.
pub fn worst_family(slots: &[Option<Member>]) -> Result<Option<Family>> {
    let (mut v4_only, mut v6_only) = (None, None);
    let (mut members, mut with_v6) = (0usize, 0usize);
    for m in slots.iter().flatten() {
        members += 1;
        match (m.node.ip4.is_some(), m.node.ip6.is_some()) {
            (true, false) => v4_only = v4_only.or(Some(&m.node)),
            (false, true) => v6_only = v6_only.or(Some(&m.node)),
            _ => {}
        }
        with_v6 += usize::from(m.node.ip6.is_some());
    }
    if let (Some(a), Some(b)) = (v4_only, v6_only) {
        pair_underlay(a, b)?;
    }
    Ok(match (members, with_v6) {
        (0 | 1, _) => None,
        (_, 2..) => Some(Family::V6),
        _ => Some(Family::V4),
    })
}

/// The link of `pair`; capacity was checked by the caller.
fn link<'a>(
    slots: &'a [Option<Member>],
    pair: Pair,
    links: &LinkPlan,
    vni_base: u32,
) -> Result<Option<Link<'a>>> {
    let (Some(a), Some(b)) = (&slots[pair.lo], &slots[pair.hi]) else {
        return Ok(None);
    };
    let (family, ua, ub) = pair_underlay(&a.node, &b.node)?;
    let [la, lb] = links.ends(pair.index);
    Ok(Some(Link {
        pair: pair.index,
        // check_capacity() keeps vni_base + every index below VNI_MAX.
        vni: (u64::from(vni_base) + pair.index + 1) as u32,
        family,
        ends: [
            End {
                slot: pair.lo,
                node: &a.node.name,
                underlay: ua,
                link_addr: la,
            },
            End {
                slot: pair.hi,
                node: &b.node.name,
                underlay: ub,
                link_addr: lb,
            },
        ],
    }))
}

/// How many links the occupied slots make: one per pair of members, under
/// either numbering (a vacant slot keeps its pair indexes but makes no
/// link). Linear in the slots: what a summary prints without the map.
pub fn link_count(slots: &[Option<Member>]) -> u64 {
    pairs_of(slots.iter().flatten().count() as u64)
}

/// The peer map of `slots` one link at a time, in ascending pair index,
/// after checking the peer network's capacity and the VNI space: what a
/// writer streams, holding one link at a time. A link fails only when its
/// pair has no common underlay family, which a checked spec rules out.
pub fn links<'a>(
    slots: &'a [Option<Member>],
    numbering: Numbering,
    links: &LinkPlan,
    vni_base: u32,
) -> Result<impl Iterator<Item = Result<Link<'a>>> + use<'a>> {
    check_capacity(slots, links, vni_base)?;
    let plan = *links;
    Ok(pairs(slots, numbering)
        .filter_map(move |pair| link(slots, pair, &plan, vni_base).transpose()))
}

/// Computes the peer map of `slots`: one link per pair, checked against
/// the peer network's capacity and the VNI space.
pub fn peer_map<'a>(
    slots: &'a [Option<Member>],
    numbering: Numbering,
    plan: &LinkPlan,
    vni_base: u32,
) -> Result<Vec<Link<'a>>> {
    let all = links(slots, numbering, plan, vni_base)?;
    let mut out = Vec::with_capacity(link_count(slots) as usize);
    for link in all {
        out.push(link?);
    }
    Ok(out)
}

/// The links of the member in slot `me`, in ascending VNI: the part of the
/// peer map one node needs, in time linear in the members.
pub fn links_of<'a>(
    slots: &'a [Option<Member>],
    numbering: Numbering,
    links: &LinkPlan,
    vni_base: u32,
    me: usize,
) -> Result<Vec<Link<'a>>> {
    check_capacity(slots, links, vni_base)?;
    // Rank of each occupied slot among the occupied ones (CBSD numbering).
    let mut rank = vec![0u64; slots.len()];
    let mut present = 0u64;
    for (slot, m) in slots.iter().enumerate() {
        if m.is_some() {
            rank[slot] = present;
            present += 1;
        }
    }
    let mut out = Vec::with_capacity(slots.len());
    for other in (0..slots.len()).filter(|s| *s != me && slots[*s].is_some()) {
        let (lo, hi) = (me.min(other), me.max(other));
        let index = match numbering {
            Numbering::Stable => stable_index(lo, hi),
            Numbering::Cbsd => {
                let (a, b) = (rank[lo], rank[hi]);
                a * (2 * present - a - 1) / 2 + (b - a - 1)
            }
        };
        out.extend(link(slots, Pair { index, lo, hi }, links, vni_base)?);
    }
    out.sort_by_key(|l| l.pair);
    Ok(out)
}
