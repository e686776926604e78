//! The VPC spec: the one document every member holds and computes its
//! interfaces from. Built locally from `key=value` options, or received
//! from a peer as JSON; both paths end in [`Spec::check`].

use std::net::IpAddr;
use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result, Schema, Unread};
use crate::model::addr::{IfAddr, Network, USABLE_NETWORK};
use crate::model::mesh::{self, Link, LinkPlan, Member, Numbering, VNI_MAX};
use crate::model::mtu;
use crate::model::name::{NodeName, VpcName};
use crate::model::node::Node;
use crate::model::quota::{self, Quota};

/// The spec format this build writes, and the newest it reads. A spec of
/// [`SPEC_SCHEMA_OLDEST_READ`] (one back) is read too, upgraded on read by
/// `upgrade_spec`; anything else is refused, a newer one with a message
/// telling to upgrade this host. Raising it means: write the migration
/// from the previous version in `upgrade_spec`, and release that build
/// everywhere before a build that stops reading the previous version.
pub const SPEC_SCHEMA: u32 = 1;

/// The oldest spec format this build reads: `SPEC_SCHEMA − 1` (while
/// `SPEC_SCHEMA` is 1, itself: there is no version 0).
pub const SPEC_SCHEMA_OLDEST_READ: u32 = crate::error::oldest_read(SPEC_SCHEMA);

/// The versions of a spec this build reads.
const SPEC: Schema = Schema {
    newest: SPEC_SCHEMA,
    oldest: SPEC_SCHEMA_OLDEST_READ,
};

/// Upgrades a spec document of version `from` (at least
/// [`SPEC_SCHEMA_OLDEST_READ`], below [`SPEC_SCHEMA`]) to the current
/// format. No older format exists yet: the document is unchanged.
fn upgrade_spec(from: u32, doc: serde_json::Value) -> serde_json::Value {
    debug_assert!((SPEC_SCHEMA_OLDEST_READ..SPEC_SCHEMA).contains(&from));
    doc
}

/// VXLAN's IANA port, the default.
pub const DEFAULT_PORT: u16 = 4789;

/// The most member slots a VPC may have: every host of it runs one tunnel
/// per other member, and the peer map grows with the square of this.
pub const MAX_SLOTS: usize = 1024;

/// Default `vni_base` values are multiples of this, one block per VPC.
pub const VNI_BLOCK: u32 = 4096;

/// A VPC definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Format version of this document ([`SPEC_SCHEMA`]).
    pub schema_version: u32,
    /// The VPC's name.
    pub name: VpcName,
    /// Incremented by every change; a node accepts a synced spec only when
    /// it is newer than the one it holds.
    pub generation: u64,
    /// Member slots; slot 0 is the initiator; `null` is a vacant slot.
    pub members: Vec<Option<Member>>,
    /// Network the link addresses are cut from.
    pub peer_network: Network,
    /// Prefix of one link block.
    pub link_prefix: u8,
    /// VNIs are `vni_base + pair + 1`.
    pub vni_base: u32,
    /// VXLAN UDP port.
    pub port: u16,
    /// Pair numbering scheme.
    pub numbering: Numbering,
    /// MTU of the underlay path between members.
    pub underlay_mtu: u32,
    /// A chosen VPC MTU, below the computed limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u32>,
    /// Whether guests carry 802.1Q tags (4 more bytes of overhead).
    #[serde(default)]
    pub vlan: bool,
    /// Cluster-wide limits on guests.
    #[serde(default, skip_serializing_if = "Quota::is_unlimited")]
    pub quota: Quota,
    /// Nodes removed from the VPC whose interfaces `deploy` still has to
    /// take down; a node leaves this list when it rejoins.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub departed: Vec<NodeName>,
    /// `encrypt=wireguard`: the tunnels run inside WireGuard. `None` is
    /// `encrypt=none`, CBSD's plain VXLAN.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wireguard: Option<WgSpec>,
}

/// How an encrypted VPC's WireGuard runs: the same on every member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WgSpec {
    /// The UDP port every member's WireGuard listens on.
    pub port: u16,
    /// The inner network: member slot `k` has its address `k + 1`.
    pub network: Network,
}

/// `encrypt=`: whether the underlay carries the VPC in the clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Encrypt {
    /// Plain VXLAN, as CBSD makes it.
    #[default]
    None,
    /// VXLAN inside WireGuard.
    Wireguard,
}

crate::model::words!(Encrypt, "encrypt", { None => "none", Wireguard => "wireguard" });

/// The name of an encrypted VPC's WireGuard interface is this and its
/// VNI base.
pub const WG_INTERFACE_PREFIX: &str = "vpcwg";

/// WireGuard's customary port, the default `wg_port`.
pub const DEFAULT_WG_PORT: u16 = 51820;

/// The default inner network of an encrypted VPC: a unique local IPv6
/// /64 (RFC 4193) whose 40-bit global ID is taken from the VPC's name and
/// VNI base, so it is the same wherever the spec is and unlikely to meet
/// any other network.
pub fn default_wg_network(name: &VpcName, vni_base: u32) -> Result<Network> {
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.as_str().bytes().chain(vni_base.to_be_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let id = h & 0xff_ffff_ffff;
    let addr = (0xfd_u128 << 120) | (u128::from(id) << 80);
    Network::parse(&format!("{}/64", std::net::Ipv6Addr::from(addr)))
}

/// The tunable part of a spec, as given with `key=value` words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `peer_network=` (required to define a VPC).
    pub peer_network: Option<Network>,
    /// `link_prefix=`; default by the peer network's family.
    pub link_prefix: Option<u8>,
    /// `vni_base=`; default: the first free block of [`VNI_BLOCK`].
    pub vni_base: Option<u32>,
    /// `port=`.
    pub port: u16,
    /// `numbering=`.
    pub numbering: Numbering,
    /// `underlay_mtu=`.
    pub underlay_mtu: u32,
    /// `mtu=`.
    pub mtu: Option<u32>,
    /// `vlan=`.
    pub vlan: bool,
    /// `max_guests=`, `max_cpus=`, `max_mem=`, `max_disk=`.
    pub quota: Quota,
    /// `encrypt=`.
    pub encrypt: Encrypt,
    /// `wg_port=`; default [`DEFAULT_WG_PORT`].
    pub wg_port: Option<u16>,
    /// `wg_network=`; default [`default_wg_network`].
    pub wg_network: Option<Network>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            peer_network: None,
            link_prefix: None,
            vni_base: None,
            port: DEFAULT_PORT,
            numbering: Numbering::Stable,
            underlay_mtu: 1500,
            mtu: None,
            vlan: false,
            quota: Quota::default(),
            encrypt: Encrypt::None,
            wg_port: None,
            wg_network: None,
        }
    }
}

/// The keys [`Options::set`] understands, with one line of help each.
pub const OPTION_KEYS: &[(&str, &str)] = &[
    (
        "peer_network",
        "CIDR the link addresses are cut from, e.g. 10.100.0.0/24",
    ),
    (
        "link_prefix",
        "link block prefix: 30 or 31 (IPv4), 126 or 127 (IPv6); default 30 / 126",
    ),
    (
        "vni_base",
        "VNIs are vni_base+1, vni_base+2, …; default: first free multiple of 4096",
    ),
    ("port", "VXLAN UDP port; default 4789"),
    (
        "numbering",
        "stable (default: membership changes keep links) or cbsd (CBSD's order)",
    ),
    (
        "underlay_mtu",
        "MTU of the path between members; default 1500",
    ),
    (
        "mtu",
        "VPC MTU, from 1280 up to underlay_mtu minus VXLAN overhead (the default)",
    ),
    (
        "vlan",
        "1 if guests send 802.1Q-tagged frames (4 more bytes of overhead); default 0",
    ),
    (
        "max_guests",
        "most guests attached at once, cluster-wide; 0 = unlimited",
    ),
    (
        "max_cpus",
        "most virtual CPUs over all guests; 0 = unlimited",
    ),
    (
        "max_mem",
        "most memory over all guests, e.g. 64g; 0 = unlimited",
    ),
    (
        "max_disk",
        "most disk over all guests, e.g. 2t; 0 = unlimited",
    ),
    (
        "encrypt",
        "none (default: plain VXLAN, as CBSD) or wireguard (VXLAN inside WireGuard; use it across the Internet)",
    ),
    (
        "wg_port",
        "with encrypt=wireguard: the UDP port WireGuard listens on; default 51820",
    ),
    (
        "wg_network",
        "with encrypt=wireguard: the inner network, one address per member; default a ULA /64 from the VPC's name",
    ),
];

/// Parses a whole number in `range`; `key` names the argument in errors.
pub fn parse_number<T>(key: &str, text: &str, range: RangeInclusive<T>) -> Result<T>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    text.parse::<T>()
        .ok()
        .filter(|v| range.contains(v))
        .ok_or_else(|| {
            Error::invalid(format!(
                "{key} {text:?} is not valid: expected a whole number from {} to {}",
                range.start(),
                range.end()
            ))
        })
}

/// Parses `0` or `1`.
pub fn parse_flag(key: &str, text: &str) -> Result<bool> {
    match text {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(Error::invalid(format!(
            "{key} {text:?} is not valid: expected 0 or 1"
        ))),
    }
}

impl Options {
    /// Sets option `key` from its text; `Ok(false)` when `key` is not a
    /// spec option (the caller decides whether that is an error).
    pub fn set(&mut self, key: &str, value: &str) -> Result<bool> {
        match key {
            "peer_network" => self.peer_network = Some(Network::parse(value)?),
            "link_prefix" => {
                let p = value
                    .parse()
                    .ok()
                    .filter(|p| [30, 31, 126, 127].contains(p));
                self.link_prefix = Some(p.ok_or_else(|| {
                    Error::invalid(format!(
                        "link_prefix {value:?} is not valid: expected 30 or 31 (IPv4), 126 or 127 (IPv6)"
                    ))
                })?);
            }
            "vni_base" => self.vni_base = Some(parse_number(key, value, 0..=VNI_MAX - 1)?),
            "port" => self.port = parse_number(key, value, 1..=65535)?,
            "numbering" => self.numbering = value.parse()?,
            "underlay_mtu" => self.underlay_mtu = parse_number(key, value, 1..=mtu::MTU_MAX)?,
            "mtu" => self.mtu = Some(parse_number(key, value, 1..=mtu::MTU_MAX)?),
            "vlan" => self.vlan = parse_flag(key, value)?,
            "max_guests" => self.quota.max_guests = parse_number(key, value, 0..=u64::MAX)?,
            "max_cpus" => self.quota.max_cpus = parse_number(key, value, 0..=u64::MAX)?,
            "max_mem" => self.quota.max_mem = quota::parse_size(key, value)?,
            "max_disk" => self.quota.max_disk = quota::parse_size(key, value)?,
            "encrypt" => self.encrypt = value.parse()?,
            "wg_port" => self.wg_port = Some(parse_number(key, value, 1..=65535)?),
            "wg_network" => {
                self.wg_network = Some(Network::parse(value).map_err(|e| {
                    Error::invalid(e.message().replacen("peer_network", "wg_network", 1))
                })?)
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

impl Spec {
    /// Defines a VPC: `initiator` takes slot 0, `others` follow in order.
    /// `held` are the other VPCs this node holds.
    pub fn define(
        name: VpcName,
        initiator: Node,
        others: Vec<Node>,
        options: &Options,
        held: &[Spec],
    ) -> Result<Spec> {
        let peer_network = options.peer_network.ok_or_else(|| {
            Error::invalid("peer_network is required: expected a CIDR such as 10.100.0.0/24")
        })?;
        if others.is_empty() {
            return Err(Error::invalid(format!(
                "node_member gives no node besides this one ({}): expected at least one other",
                initiator.name
            )));
        }
        let mut members: Vec<Option<Member>> = Vec::with_capacity(others.len() + 1);
        for node in std::iter::once(initiator).chain(others) {
            if members.iter().flatten().any(|m| m.node.name == node.name) {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "node_member lists {} twice: expected each node once",
                        node.name
                    ),
                ));
            }
            members.push(Some(Member {
                node,
                bridge_addrs: Vec::new(),
                wg_key: None,
            }));
        }
        let vni_base = match options.vni_base {
            Some(base) => base,
            None => free_vni_base(members.len(), held)?,
        };
        let spec = Spec {
            schema_version: SPEC_SCHEMA,
            name,
            generation: 1,
            members,
            peer_network,
            link_prefix: options
                .link_prefix
                .unwrap_or_else(|| LinkPlan::default_prefix(peer_network.family())),
            vni_base,
            port: options.port,
            numbering: options.numbering,
            underlay_mtu: options.underlay_mtu,
            mtu: options.mtu,
            vlan: options.vlan,
            quota: options.quota,
            departed: Vec::new(),
            wireguard: None,
        };
        if options.encrypt == Encrypt::None
            && (options.wg_port.is_some() || options.wg_network.is_some())
        {
            let key = if options.wg_port.is_some() {
                "wg_port"
            } else {
                "wg_network"
            };
            return Err(Error::invalid(format!(
                "{key} is given but encrypt is none: expected encrypt=wireguard with it"
            )));
        }
        let mut spec = spec;
        if options.encrypt == Encrypt::Wireguard {
            spec.wireguard = Some(WgSpec {
                port: options.wg_port.unwrap_or(DEFAULT_WG_PORT),
                network: match options.wg_network {
                    Some(n) => n,
                    None => default_wg_network(&spec.name, spec.vni_base)?,
                },
            });
        }
        spec.check()?;
        spec.check_beside(held)?;
        Ok(spec)
    }

    /// Checks every rule a spec must keep, whoever wrote it.
    pub fn check(&self) -> Result<()> {
        // Only the current version is held and written: an older one is
        // upgraded on read, before this.
        if self.schema_version != SPEC_SCHEMA {
            let of = format!(" of VPC {}", self.name);
            return Err(Error::invalid(
                SPEC.refusal(self.schema_version, &of).unwrap_or_else(|| {
                    format!(
                        "schema_version {}{of} is read, not written: expected {SPEC_SCHEMA}",
                        self.schema_version
                    )
                }),
            ));
        }
        if self.members.len() > MAX_SLOTS {
            return Err(Error::new(
                ErrorKind::Capacity,
                format!(
                    "members has {} slots: expected at most {MAX_SLOTS}",
                    self.members.len()
                ),
            ));
        }
        // Every departed node had a slot once, so there are no more of them.
        if self.departed.len() > MAX_SLOTS {
            return Err(Error::new(
                ErrorKind::Capacity,
                format!(
                    "departed lists {} nodes: expected at most {MAX_SLOTS}",
                    self.departed.len()
                ),
            ));
        }
        match self.members.first() {
            Some(Some(_)) => {}
            _ => {
                return Err(Error::invalid(
                    "members[0] is empty: expected the initiator in slot 0",
                ));
            }
        }
        let mut names: Vec<&NodeName> = self.members().map(|m| &m.node.name).collect();
        names.sort_unstable();
        if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!("members lists {} twice: expected each node once", w[0]),
            ));
        }
        // `deploy` runs `leave` on every departed node: one that is also a
        // member would lose its interfaces right after being applied.
        let mut departed: Vec<&NodeName> = self.departed.iter().collect();
        departed.sort_unstable();
        if let Some(w) = departed.windows(2).find(|w| w[0] == w[1]) {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!("departed lists {} twice: expected each node once", w[0]),
            ));
        }
        if let Some(back) = departed.iter().find(|d| names.binary_search(d).is_ok()) {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "departed lists {back}, which is a member: expected only nodes removed \
                     and not added back"
                ),
            ));
        }
        for m in self.members() {
            m.node.check()?;
            let mut addrs = m.bridge_addrs.clone();
            addrs.sort_unstable();
            if let Some(w) = addrs.windows(2).find(|w| w[0] == w[1]) {
                return Err(Error::invalid(format!(
                    "bridge_ips of {} lists {} twice",
                    m.node.name, w[0]
                )));
            }
        }
        self.check_addresses()?;
        if self.port == 0 {
            return Err(Error::invalid("port 0 is not valid: expected 1 to 65535"));
        }
        mesh::check_capacity(&self.members, &self.link_plan()?, self.vni_base)?;
        self.check_wireguard()?;
        self.mtu()?;
        Ok(())
    }

    /// Every member's underlay addresses, with the member, in slot order.
    fn underlays(&self) -> impl Iterator<Item = (IpAddr, &NodeName)> {
        self.members().flat_map(|m| {
            let n = &m.node;
            [n.ip4.map(IpAddr::V4), n.ip6.map(IpAddr::V6)]
                .into_iter()
                .flatten()
                .map(move |a| (a, &n.name))
        })
    }

    /// The address rules between members: one member per underlay
    /// address; the peer network and every bridge address usable and
    /// apart from every underlay address (else the kernel would route the
    /// way to a peer into the tunnels that run over it); bridge addresses
    /// apart from the peer network (the link addresses) and not repeated
    /// on another member.
    ///
    /// Bridge subnets may be shared between members: the bridges of all
    /// members are one Ethernet segment (the tunnels are its ports), so
    /// `10.10.11.1/24` on one and `10.10.11.2/24` on another is the normal
    /// case; the same address twice on that segment is the conflict.
    fn check_addresses(&self) -> Result<()> {
        let mut underlays: Vec<(IpAddr, &NodeName)> = self.underlays().collect();
        underlays.sort_unstable();
        if let Some(w) = underlays.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "underlay address {} is both member {}'s and member {}'s: \
                     expected one member per address",
                    w[0].0, w[0].1, w[1].1
                ),
            ));
        }
        let net = self.peer_network;
        if let Some(why) = net.unusable() {
            return Err(Error::invalid(format!(
                "peer_network {net} {why}: expected {USABLE_NETWORK}"
            )));
        }
        if let Some((u, of)) = underlays.iter().find(|(u, _)| net.contains(*u)) {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "peer_network {net} overlaps the underlay address {u} of member {of}: \
                     expected a network apart from every member's underlay"
                ),
            ));
        }
        let mut bridge: Vec<(IpAddr, &IfAddr, &NodeName)> = Vec::new();
        for m in self.members() {
            let name = &m.node.name;
            for b in &m.bridge_addrs {
                let head = format!("bridge_ips {b} of member {name}");
                if let Some(why) = b.unusable() {
                    return Err(Error::invalid(format!(
                        "{head} {why}: expected {USABLE_NETWORK}"
                    )));
                }
                if let Some((u, of)) = underlays.iter().find(|(u, _)| b.contains(*u)) {
                    return Err(Error::new(
                        ErrorKind::Conflict,
                        format!(
                            "{head} overlaps the underlay address {u} of member {of}: \
                             expected a network apart from every member's underlay"
                        ),
                    ));
                }
                if net.overlaps(&b.subnet()) {
                    return Err(Error::new(
                        ErrorKind::Conflict,
                        format!(
                            "{head} overlaps peer_network {net}: expected a network apart \
                             from the tunnels' link addresses"
                        ),
                    ));
                }
                bridge.push((b.addr, b, name));
            }
        }
        bridge.sort_unstable();
        // A member's own repeats are refused above with their own message.
        if let Some(w) = bridge
            .windows(2)
            .find(|w| w[0].0 == w[1].0 && w[0].2 != w[1].2)
        {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "bridge_ips {} of member {} has the address of bridge_ips {} of member {}: \
                     expected an address of its own on the VPC's one segment",
                    w[1].1, w[1].2, w[0].1, w[0].2
                ),
            ));
        }
        Ok(())
    }

    /// The occupied slots' members, in slot order.
    pub fn members(&self) -> impl Iterator<Item = &Member> {
        self.members.iter().flatten()
    }

    /// The slot of member `name`.
    pub fn slot_of(&self, name: &NodeName) -> Option<usize> {
        self.members
            .iter()
            .position(|m| m.as_ref().is_some_and(|m| &m.node.name == name))
    }

    /// The member `name`, or a not-found error naming the VPC.
    pub fn member(&self, name: &NodeName) -> Result<&Member> {
        self.members()
            .find(|m| &m.node.name == name)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::NotFound,
                    format!("node {name} is not a member of VPC {}", self.name),
                )
            })
    }

    /// How link addresses are cut.
    pub fn link_plan(&self) -> Result<LinkPlan> {
        LinkPlan::new(self.peer_network, self.link_prefix)
    }

    /// The peer map: one link per pair of members.
    pub fn peer_map(&self) -> Result<Vec<Link<'_>>> {
        mesh::peer_map(
            &self.members,
            self.numbering,
            &self.link_plan()?,
            self.vni_base,
        )
    }

    /// The peer map one link at a time, for a writer that must not hold
    /// all of them (a 1000-member map has half a million). Capacity is
    /// checked first; see [`mesh::links`].
    pub fn links(&self) -> Result<impl Iterator<Item = Result<Link<'_>>> + '_> {
        mesh::links(
            &self.members,
            self.numbering,
            &self.link_plan()?,
            self.vni_base,
        )
    }

    /// How many links the peer map has, in time linear in the members:
    /// refused where [`Spec::peer_map`] is refused (the link plan, the
    /// capacity, a pair with no common underlay family), and otherwise
    /// its length, without making it.
    pub fn link_count(&self) -> Result<usize> {
        mesh::check_capacity(&self.members, &self.link_plan()?, self.vni_base)?;
        mesh::worst_family(&self.members)?;
        // Below MAX_SLOTS² / 2 for a checked spec; saturated for any other.
        Ok(usize::try_from(mesh::link_count(&self.members)).unwrap_or(usize::MAX))
    }

    /// The links of member `slot`: its part of the peer map.
    pub fn links_of(&self, slot: usize) -> Result<Vec<Link<'_>>> {
        mesh::links_of(
            &self.members,
            self.numbering,
            &self.link_plan()?,
            self.vni_base,
            slot,
        )
    }

    /// The VPC-wide MTU.
    pub fn mtu(&self) -> Result<u32> {
        self.budget().map(|b| b.mtu)
    }

    /// The VPC-wide MTU and where it comes from.
    pub fn budget(&self) -> Result<mtu::Budget> {
        let worst = mesh::worst_family(&self.members)?;
        match &self.wireguard {
            Some(wg) => mtu::wg_vpc_mtu(
                self.underlay_mtu,
                worst,
                wg.network.family(),
                self.vlan,
                self.mtu,
            ),
            None => {
                let family = worst.unwrap_or(crate::model::addr::Family::V6);
                Ok(mtu::Budget {
                    underlay: self.underlay_mtu,
                    wireguard: None,
                    vxlan: (family, mtu::overhead(family, self.vlan)),
                    mtu: mtu::vpc_mtu(self.underlay_mtu, worst, self.vlan, self.mtu)?,
                })
            }
        }
    }

    /// The WireGuard interface of an encrypted VPC, `vpcwg<vni_base>`: the
    /// VNI base is unique among a host's VPCs, and the name short enough
    /// for every kernel.
    pub fn wg_interface(&self) -> String {
        format!("{WG_INTERFACE_PREFIX}{}", self.vni_base)
    }

    /// The inner (WireGuard) address of member `slot`, with the inner
    /// network's prefix; `None` on a plain VPC.
    pub fn inner_addr(&self, slot: usize) -> Option<IfAddr> {
        let wg = self.wireguard.as_ref()?;
        Some(IfAddr {
            addr: wg.network.nth(slot as u128 + 1),
            prefix: wg.network.prefix(),
        })
    }

    /// The rules of an encrypted VPC, and of members behind NAT.
    fn check_wireguard(&self) -> Result<()> {
        let hidden: Vec<&Member> = self.members().filter(|m| !m.node.inbound).collect();
        let Some(wg) = &self.wireguard else {
            if let Some(m) = hidden.first() {
                return Err(Error::invalid(format!(
                    "member {} has inbound=0 (nobody can reach it), which works only inside \
                     WireGuard: expected encrypt=wireguard for VPC {}",
                    m.node.name, self.name
                )));
            }
            if let Some(m) = self.members().find(|m| m.wg_key.is_some()) {
                return Err(Error::invalid(format!(
                    "member {} has a wg_key but VPC {} is not encrypted: expected no wg_key \
                     without wireguard",
                    m.node.name, self.name
                )));
            }
            return Ok(());
        };
        if let [a, b, ..] = hidden[..] {
            return Err(Error::invalid(format!(
                "members {} and {} both have inbound=0: neither can reach the other, so their \
                 pair cannot work; expected at most one member nobody can reach",
                a.node.name, b.node.name
            )));
        }
        if wg.port == 0 {
            return Err(Error::invalid(
                "wireguard.port 0 is not valid: expected 1 to 65535",
            ));
        }
        let net = wg.network;
        if let Some(why) = net.unusable() {
            return Err(Error::invalid(format!(
                "wg_network {net} {why}: expected {USABLE_NETWORK}"
            )));
        }
        // Slot k has address k + 1; IPv4 keeps its broadcast address.
        let spare = match net.family() {
            crate::model::addr::Family::V4 => 2,
            crate::model::addr::Family::V6 => 1,
        };
        let hosts = net.blocks(net.family().bits());
        if hosts < self.members.len() as u128 + spare {
            return Err(Error::new(
                ErrorKind::Capacity,
                format!(
                    "wg_network {net} holds {} member addresses; {} are needed: expected a \
                     larger network",
                    hosts.saturating_sub(spare),
                    self.members.len()
                ),
            ));
        }
        if net.overlaps(&self.peer_network) {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "wg_network {net} overlaps peer_network {}: expected networks apart",
                    self.peer_network
                ),
            ));
        }
        for m in self.members() {
            let n = &m.node;
            let all = [
                n.ip4.map(IpAddr::V4),
                n.ip6.map(IpAddr::V6),
                n.local4.map(IpAddr::V4),
                n.local6.map(IpAddr::V6),
            ];
            if let Some(u) = all.into_iter().flatten().find(|u| net.contains(*u)) {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "wg_network {net} overlaps the underlay address {u} of member {}: \
                         expected a network apart from every member's underlay",
                        n.name
                    ),
                ));
            }
            if let Some(b) = m.bridge_addrs.iter().find(|b| net.overlaps(&b.subnet())) {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "bridge_ips {b} of member {} overlaps wg_network {net}: expected a \
                         network apart from the inner addresses",
                        n.name
                    ),
                ));
            }
        }
        let mut keys: Vec<(&crate::model::wgkey::PublicKey, &NodeName)> = self
            .members()
            .filter_map(|m| m.wg_key.as_ref().map(|k| (k, &m.node.name)))
            .collect();
        keys.sort_unstable();
        if let Some(w) = keys.windows(2).find(|w| w[0].0 == w[1].0) {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "members {} and {} have the same wg_key: expected a key pair of each \
                     member's own",
                    w[0].1, w[1].1
                ),
            ));
        }
        Ok(())
    }

    /// The VNIs this VPC reserves on every member.
    pub fn vni_range(&self) -> RangeInclusive<u64> {
        mesh::vni_range(self.vni_base, self.members.len())
    }

    /// The interface names this VPC owns: its bridge and the tunnels of
    /// its VNI range. Nothing else is ever changed.
    pub fn owns(&self, ifname: &str) -> bool {
        if ifname == self.name.as_str() {
            return true;
        }
        mesh::vni_of_name(ifname).is_some_and(|vni| self.vni_range().contains(&vni))
    }

    /// Refuses to sit beside `held` (the other VPCs of a node) when its VNI
    /// range or its peer network overlaps one of theirs: tunnels would mix,
    /// or link addresses would clash.
    pub fn check_beside(&self, held: &[Spec]) -> Result<()> {
        let mine = self.vni_range();
        for other in held.iter().filter(|o| o.name != self.name) {
            let theirs = other.vni_range();
            if overlaps(&mine, &theirs) {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "VNI range {}..={} of VPC {} overlaps VNI range {}..={} of VPC {}: \
                         expected a vni_base outside it",
                        mine.start(),
                        mine.end(),
                        self.name,
                        theirs.start(),
                        theirs.end(),
                        other.name
                    ),
                ));
            }
            if self.peer_network.overlaps(&other.peer_network) {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "peer_network {} of VPC {} overlaps peer_network {} of VPC {}: \
                         expected a network of its own",
                        self.peer_network, self.name, other.peer_network, other.name
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The generation a change makes: a received spec may already hold the
    /// last one there is, and wrapping to 0 would make every member refuse
    /// the change as stale.
    fn next_generation(&self) -> Result<u64> {
        self.generation.checked_add(1).ok_or_else(|| {
            Error::new(
                ErrorKind::Capacity,
                format!(
                    "VPC {} is at generation {}, the last there is, and cannot change: \
                     expected a lower generation (remove the VPC and define it again)",
                    self.name, self.generation
                ),
            )
        })
    }

    /// Adds `node` in the first vacant slot (else at the end); bumps the
    /// generation.
    pub fn add_member(&mut self, node: Node) -> Result<()> {
        if self.slot_of(&node.name).is_some() {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "node {} is already a member of VPC {}",
                    node.name, self.name
                ),
            ));
        }
        let mut next = self.clone();
        next.departed.retain(|d| *d != node.name);
        let member = Some(Member {
            node,
            bridge_addrs: Vec::new(),
            wg_key: None,
        });
        match next.members.iter_mut().find(|s| s.is_none()) {
            Some(slot) => *slot = member,
            None => next.members.push(member),
        }
        next.commit(self)
    }

    /// Makes `self`, a changed copy of `held`, the next generation of it if
    /// it keeps every rule; a refused change leaves `held` as it was.
    fn commit(mut self, held: &mut Spec) -> Result<()> {
        self.generation = held.next_generation()?;
        self.check()?;
        *held = self;
        Ok(())
    }

    /// Vacates `name`'s slot; bumps the generation. The initiator stays.
    pub fn remove_member(&mut self, name: &NodeName) -> Result<()> {
        let slot = self.slot_of(name).ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("node {name} is not a member of VPC {}", self.name),
            )
        })?;
        if slot == 0 {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "node {name} is VPC {}'s initiator (slot 0) and cannot be removed",
                    self.name
                ),
            ));
        }
        let mut next = self.clone();
        next.members[slot] = None;
        if !next.departed.contains(name) {
            next.departed.push(name.clone());
        }
        next.commit(self)
    }

    /// Replaces `name`'s bridge addresses; bumps the generation when they
    /// change. Returns whether they did.
    pub fn set_bridge_addrs(&mut self, name: &NodeName, addrs: Vec<IfAddr>) -> Result<bool> {
        let slot = self.slot_of(name).ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("node {name} is not a member of VPC {}", self.name),
            )
        })?;
        let mut next = self.clone();
        let Some(member) = next.members[slot].as_mut() else {
            return Ok(false);
        };
        if member.bridge_addrs == addrs {
            return Ok(false);
        }
        member.bridge_addrs = addrs;
        next.commit(self)?;
        Ok(true)
    }

    /// Sets member `name`'s WireGuard public key; bumps the generation
    /// when it changes. Returns whether it did.
    pub fn set_wg_key(
        &mut self,
        name: &NodeName,
        key: crate::model::wgkey::PublicKey,
    ) -> Result<bool> {
        let slot = self.slot_of(name).ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("node {name} is not a member of VPC {}", self.name),
            )
        })?;
        if self.wireguard.is_none() {
            return Err(Error::invalid(format!(
                "VPC {} is not encrypted: it has no WireGuard keys",
                self.name
            )));
        }
        let mut next = self.clone();
        let Some(member) = next.members[slot].as_mut() else {
            return Ok(false);
        };
        if member.wg_key == Some(key) {
            return Ok(false);
        }
        member.wg_key = Some(key);
        next.commit(self)?;
        Ok(true)
    }

    /// Forgets every member's WireGuard key but `keep`'s, which becomes
    /// `key` (`rotate_keys` on the initiator); bumps the generation.
    pub fn rotate_wg_keys(
        &mut self,
        keep: &NodeName,
        key: crate::model::wgkey::PublicKey,
    ) -> Result<()> {
        if self.wireguard.is_none() {
            return Err(Error::invalid(format!(
                "VPC {} is not encrypted (encrypt=none): it has no keys to rotate",
                self.name
            )));
        }
        let mut next = self.clone();
        for m in next.members.iter_mut().flatten() {
            m.wg_key = (m.node.name == *keep).then_some(key);
        }
        next.commit(self)
    }

    /// Reads and checks a spec received as JSON; errors name the offending
    /// key path.
    /// A spec of the previous [`SPEC_SCHEMA`] is upgraded; a newer one is
    /// refused, telling to upgrade this host.
    pub fn from_json(text: &str) -> Result<Spec> {
        let spec = Spec::read_versioned(text).map_err(|e| match e {
            Unread::Version(why) => Error::invalid(format!("spec {why}")),
            Unread::Json(why) => Error::invalid(format!("spec JSON is not valid: {why}")),
        })?;
        spec.check()?;
        Ok(spec)
    }

    /// Reads spec JSON of a version this build reads, upgraded to
    /// [`SPEC_SCHEMA`]; not checked. For received and stored specs alike.
    pub(crate) fn read_versioned(text: &str) -> Result<Spec, Unread> {
        crate::error::from_versioned_json(text, SPEC, upgrade_spec)
    }

    /// The spec as pretty JSON.
    pub fn to_json(&self) -> String {
        // Serializing plain data to a string cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

fn overlaps(a: &RangeInclusive<u64>, b: &RangeInclusive<u64>) -> bool {
    !a.is_empty() && !b.is_empty() && a.start() <= b.end() && b.start() <= a.end()
}

/// The lowest multiple of [`VNI_BLOCK`] whose block (or the whole range
/// the slots need, if larger) overlaps none of `held`'s VNI ranges.
pub fn free_vni_base(slots: usize, held: &[Spec]) -> Result<u32> {
    let span = mesh::index_capacity(slots).max(u64::from(VNI_BLOCK));
    let mut base: u64 = 0;
    while base + span <= u64::from(VNI_MAX) {
        let want = base + 1..=base + span;
        if !held.iter().any(|o| overlaps(&want, &o.vni_range())) {
            return Ok(base as u32);
        }
        base += u64::from(VNI_BLOCK);
    }
    Err(Error::new(
        ErrorKind::Capacity,
        format!("no free VNI block of {span} left on this node: expected fewer VPCs or vni_base="),
    ))
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;
    use crate::model::addr::Family;

    fn name(n: &str) -> NodeName {
        NodeName::new(n).unwrap()
    }

    fn node(n: &str, ip6: &str) -> Node {
        Node::new(name(n), None, Some(ip6.parse().unwrap())).unwrap()
    }

    /// The article's VPC: three hosts over IPv6.
    fn article() -> Spec {
        let options = Options {
            peer_network: Some(Network::parse("10.100.0.0/24").unwrap()),
            ..Options::default()
        };
        Spec::define(
            VpcName::new("vpc1").unwrap(),
            node("jhoster1.olevole.ru", "2a05:3580:d800:20f7::1"),
            vec![
                node("gold-hoster-02.hz.fbs.dev", "2a01:4f8:241:500b::1"),
                node("gold-hoster1.prod.inf.hz.fbs.dev", "2a01:4f8:241:500c::1"),
            ],
            &options,
            &[],
        )
        .unwrap()
    }

    /// Found by fuzzing (`fuzz/`, target `spec_json`): a received spec could
    /// list a member as departed, or a node twice, and `deploy` would run
    /// `leave` on a live member.
    /// What a refusal says is expected.
    fn expected() -> String {
        if SPEC_SCHEMA_OLDEST_READ == SPEC_SCHEMA {
            SPEC_SCHEMA.to_string()
        } else {
            format!("{SPEC_SCHEMA_OLDEST_READ} or {SPEC_SCHEMA}")
        }
    }

    #[test]
    fn a_spec_is_read_at_this_version_and_the_one_before_and_written_at_this_one() {
        assert_eq!(
            SPEC_SCHEMA_OLDEST_READ,
            SPEC_SCHEMA.saturating_sub(1).max(1)
        );
        let spec = article();
        assert_eq!(spec.schema_version, SPEC_SCHEMA, "written at this version");
        let mut doc: serde_json::Value = serde_json::from_str(&spec.to_json()).unwrap();
        for v in SPEC_SCHEMA_OLDEST_READ..=SPEC_SCHEMA {
            doc["schema_version"] = v.into();
            let read = Spec::from_json(&doc.to_string()).unwrap();
            assert_eq!(
                read, spec,
                "read from version {v}, upgraded to {SPEC_SCHEMA}"
            );
        }
    }

    #[test]
    fn a_spec_from_a_newer_vpc_is_refused_telling_to_upgrade_this_host() {
        let mut doc: serde_json::Value = serde_json::from_str(&article().to_json()).unwrap();
        // A newer format may carry fields this build does not know: the
        // version is what is reported, not the field.
        doc["schema_version"] = (SPEC_SCHEMA + 1).into();
        doc["shiny_new_option"] = true.into();
        let e = Spec::from_json(&doc.to_string()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid);
        assert_eq!(
            e.message(),
            format!(
                "spec schema_version {} is not supported: expected {}; \
                 it was written by a newer vpc: upgrade vpc on this host",
                SPEC_SCHEMA + 1,
                expected()
            )
        );
        for v in [0, SPEC_SCHEMA_OLDEST_READ - 1, 7, u32::MAX] {
            if (SPEC_SCHEMA_OLDEST_READ..=SPEC_SCHEMA).contains(&v) {
                continue;
            }
            doc["schema_version"] = v.into();
            let e = Spec::from_json(&doc.to_string()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Invalid);
            let head = format!(
                "spec schema_version {v} is not supported: expected {}; ",
                expected()
            );
            assert!(e.message().starts_with(&head), "{v}: {e}");
        }
    }

    #[test]
    fn a_held_spec_of_another_version_is_refused_naming_the_vpc() {
        let mut spec = article();
        spec.schema_version = SPEC_SCHEMA + 1;
        let e = spec.check().unwrap_err();
        let head = format!(
            "schema_version {} of VPC {} is not supported: expected {}; ",
            SPEC_SCHEMA + 1,
            spec.name,
            expected()
        );
        assert!(e.message().starts_with(&head), "{e}");
    }

    #[test]
    fn departed_never_lists_a_member_or_a_node_twice() {
        let gone = name("gold-hoster1.prod.inf.hz.fbs.dev");
        let mut spec = article();
        spec.remove_member(&gone).unwrap();
        assert_eq!(spec.departed, std::slice::from_ref(&gone));
        assert_eq!(Spec::from_json(&spec.to_json()).unwrap(), spec);

        let mut twice = spec.clone();
        twice.departed.push(gone.clone());
        let e = Spec::from_json(&twice.to_json()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        assert!(
            e.message()
                .contains("departed lists gold-hoster1.prod.inf.hz.fbs.dev twice"),
            "{e}"
        );

        let mut member = spec.clone();
        member.departed.push(name("gold-hoster-02.hz.fbs.dev"));
        let e = Spec::from_json(&member.to_json()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        assert!(
            e.message()
                .contains("departed lists gold-hoster-02.hz.fbs.dev, which is a member"),
            "{e}"
        );

        // Added back, it leaves the list.
        spec.add_member(node(
            "gold-hoster1.prod.inf.hz.fbs.dev",
            "2a01:4f8:241:500c::1",
        ))
        .unwrap();
        assert!(spec.departed.is_empty());
    }

    /// Found with the `spec_json` fuzz target (`fuzz/`), on a boundary
    /// input: a received spec at generation `u64::MAX` made the next
    /// membership change overflow (a panic in debug builds, generation 0 in
    /// release, which every member then refuses as stale).
    #[test]
    fn a_received_spec_is_one_document_and_nothing_after_it() {
        let json = article().to_json();
        assert!(Spec::from_json(&format!("{json}\n")).is_ok());
        for tail in ["{}", "x", "\0", &json] {
            let e = Spec::from_json(&format!("{json}{tail}")).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Invalid);
            assert!(
                e.message()
                    .starts_with("spec JSON is not valid: trailing characters"),
                "{tail:?}: {e}"
            );
        }
    }

    #[test]
    fn departed_is_bounded_like_the_slots() {
        let mut spec = article();
        spec.departed = (0..=MAX_SLOTS).map(|i| name(&format!("gone{i}"))).collect();
        let e = spec.check().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Capacity);
        assert!(e.message().contains("departed lists 1025 nodes"), "{e}");
    }

    #[test]
    fn a_change_at_the_last_generation_is_an_error() {
        let mut spec = article();
        spec.generation = u64::MAX;
        let spec = Spec::from_json(&spec.to_json()).unwrap();
        let refused = |e: Error| {
            assert_eq!(e.kind(), ErrorKind::Capacity);
            assert!(
                e.message()
                    .contains("VPC vpc1 is at generation 18446744073709551615, the last"),
                "{e}"
            );
        };
        let gone = name("gold-hoster1.prod.inf.hz.fbs.dev");
        refused(spec.clone().remove_member(&gone).unwrap_err());
        let newcomer = node("newcomer", "2001:db8::9");
        refused(spec.clone().add_member(newcomer).unwrap_err());
        let addr = IfAddr::parse("10.10.11.1/24", "bridge_ips").unwrap();
        let me = name("jhoster1.olevole.ru");
        refused(spec.clone().set_bridge_addrs(&me, vec![addr]).unwrap_err());
    }

    fn node4(n: &str, ip4: &str) -> Node {
        Node::new(name(n), Some(ip4.parse().unwrap()), None).unwrap()
    }

    /// Three IPv4 members on the benchmarking range, and `peer_network`.
    fn spec4(peer_network: &str) -> Result<Spec> {
        let options = Options {
            peer_network: Some(Network::parse(peer_network).unwrap()),
            ..Options::default()
        };
        Spec::define(
            VpcName::new("vpc1").unwrap(),
            node4("a", "198.18.0.1"),
            vec![node4("b", "198.18.0.2"), node4("c", "198.19.0.3")],
            &options,
            &[],
        )
    }

    fn bridge(spec: &mut Spec, member: &str, addrs: &[&str]) -> Result<bool> {
        let addrs = addrs
            .iter()
            .map(|a| IfAddr::parse(a, "bridge_ips").unwrap())
            .collect();
        spec.set_bridge_addrs(&name(member), addrs)
    }

    const USABLE: &str = "expected a unicast network of its own, not a default (/0), \
         unspecified, loopback, link-local, multicast or broadcast range";

    #[test]
    fn the_peer_network_is_apart_from_every_underlay_address() {
        let e = spec4("198.18.0.0/15").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        assert_eq!(
            e.message(),
            "peer_network 198.18.0.0/15 overlaps the underlay address 198.18.0.1 of member a: \
             expected a network apart from every member's underlay"
        );
        let e = spec4("198.19.0.0/24").unwrap_err();
        assert!(
            e.message().starts_with(
                "peer_network 198.19.0.0/24 overlaps the underlay address 198.19.0.3 of member c:"
            ),
            "{e}"
        );
        assert!(spec4("198.20.0.0/24").is_ok());
        // Also when it comes from a peer, and when a member joins later.
        let mut spec = spec4("10.100.0.0/24").unwrap();
        let mut doc: serde_json::Value = serde_json::from_str(&spec.to_json()).unwrap();
        doc["peer_network"] = "198.18.0.0/16".into();
        let e = Spec::from_json(&doc.to_string()).unwrap_err();
        assert!(e.message().contains("198.18.0.1 of member a"), "{e}");
        let e = spec.add_member(node4("d", "10.100.0.77")).unwrap_err();
        assert_eq!(
            e.message(),
            "peer_network 10.100.0.0/24 overlaps the underlay address 10.100.0.77 of member d: \
             expected a network apart from every member's underlay"
        );
    }

    #[test]
    fn the_peer_network_is_no_default_or_special_range() {
        for (net, why) in [
            ("0.0.0.0/0", "is a default network (0.0.0.0/0, /0)"),
            ("::/0", "is a default network (::/0, /0)"),
            ("224.0.0.0/24", "overlaps the multicast range 224.0.0.0/4"),
            ("127.0.0.0/24", "overlaps the loopback range 127.0.0.0/8"),
            (
                "169.254.0.0/24",
                "overlaps the link-local range 169.254.0.0/16",
            ),
            ("0.0.0.0/24", "overlaps the unspecified range 0.0.0.0/8"),
            ("fe80::/64", "overlaps the link-local range fe80::/10"),
            ("ff05::/64", "overlaps the multicast range ff00::/8"),
            ("::/64", "overlaps the unspecified range ::/128"),
        ] {
            let e = spec4(net).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Invalid, "{net}");
            assert_eq!(e.message(), format!("peer_network {net} {why}: {USABLE}"));
        }
    }

    #[test]
    fn one_member_per_underlay_address() {
        let options = Options {
            peer_network: Some(Network::parse("10.100.0.0/24").unwrap()),
            ..Options::default()
        };
        let e = Spec::define(
            VpcName::new("vpc1").unwrap(),
            node4("a", "198.18.0.1"),
            vec![node4("b", "198.18.0.2"), node4("c", "198.18.0.1")],
            &options,
            &[],
        )
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        assert_eq!(
            e.message(),
            "underlay address 198.18.0.1 is both member a's and member c's: \
             expected one member per address"
        );
        let mut spec = spec4("10.100.0.0/24").unwrap();
        let e = spec.add_member(node4("d", "198.18.0.2")).unwrap_err();
        assert!(
            e.message()
                .starts_with("underlay address 198.18.0.2 is both member b's and member d's"),
            "{e}"
        );
    }

    #[test]
    fn bridge_addresses_are_usable_and_apart() {
        let mut spec = spec4("10.100.0.0/24").unwrap();
        for (addr, why) in [
            ("10.1.0.1/0", "is a default network (0.0.0.0/0, /0)"),
            ("127.0.0.2/8", "overlaps the loopback range 127.0.0.0/8"),
            (
                "169.254.9.1/16",
                "overlaps the link-local range 169.254.0.0/16",
            ),
            ("224.0.0.9/24", "overlaps the multicast range 224.0.0.0/4"),
            ("fe80::9/64", "overlaps the link-local range fe80::/10"),
            ("::/128", "overlaps the unspecified range ::/128"),
        ] {
            let e = bridge(&mut spec, "a", &[addr]).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Invalid, "{addr}");
            assert_eq!(
                e.message(),
                format!("bridge_ips {addr} of member a {why}: {USABLE}")
            );
        }
        let e = bridge(&mut spec, "a", &["198.18.9.9/16"]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        assert_eq!(
            e.message(),
            "bridge_ips 198.18.9.9/16 of member a overlaps the underlay address 198.18.0.1 \
             of member a: expected a network apart from every member's underlay"
        );
        let e = bridge(&mut spec, "b", &["198.19.0.1/24"]).unwrap_err();
        assert!(
            e.message()
                .contains("overlaps the underlay address 198.19.0.3 of member c"),
            "{e}"
        );
        let e = bridge(&mut spec, "a", &["10.100.0.200/25"]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        assert_eq!(
            e.message(),
            "bridge_ips 10.100.0.200/25 of member a overlaps peer_network 10.100.0.0/24: \
             expected a network apart from the tunnels' link addresses"
        );
        let e = bridge(&mut spec, "a", &["10.0.0.1/8"]).unwrap_err();
        assert!(
            e.message().contains("overlaps peer_network 10.100.0.0/24"),
            "{e}"
        );
        // A refused change leaves the spec as it was.
        assert_eq!(spec, spec4("10.100.0.0/24").unwrap());
    }

    /// The bridges of all members are one segment: one subnet across
    /// members is the normal case, one address on two members is not.
    #[test]
    fn bridge_subnets_are_shared_and_addresses_are_not() {
        let mut spec = spec4("10.100.0.0/24").unwrap();
        assert!(bridge(&mut spec, "a", &["10.10.11.1/24", "2001:db8:11::1/64"]).unwrap());
        assert!(bridge(&mut spec, "b", &["10.10.11.2/24"]).unwrap());
        let e = bridge(&mut spec, "c", &["10.10.11.1/25"]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Conflict);
        assert_eq!(
            e.message(),
            "bridge_ips 10.10.11.1/25 of member c has the address of bridge_ips 10.10.11.1/24 \
             of member a: expected an address of its own on the VPC's one segment"
        );
        Spec::from_json(&spec.to_json()).unwrap();
    }

    /// A received spec whose peer network covers an underlay address is
    /// always refused, wherever in the network the address lies.
    mod properties {
        use proptest::prelude::*;
        use proptest::test_runner::FileFailurePersistence;

        use super::*;

        fn config() -> ProptestConfig {
            ProptestConfig {
                cases: 512,
                failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
                ..ProptestConfig::default()
            }
        }

        proptest! {
            #![proptest_config(config())]

            #[test]
            fn a_peer_network_over_a_member_address_is_refused(
                host in any::<u32>(),
                prefix in 1u8..=30,
                member in 0usize..3,
                v6 in any::<bool>(),
                bits in any::<u128>(),
            ) {
                // A usable underlay address: benchmarking or documentation range.
                let addr: IpAddr = if v6 {
                    Ipv6Addr::from((0x2001_0db8u128 << 96) | (bits & ((1 << 96) - 1))).into()
                } else {
                    Ipv4Addr::from(0xc612_0000 | (host & 0x1_ffff)).into()
                };
                let prefix = if v6 { prefix + 32 } else { prefix.max(15) };
                let net = IfAddr { addr, prefix }.subnet();
                let mut spec = spec4("10.100.0.0/24").unwrap();
                prop_assume!(spec.underlays().all(|(u, _)| u != addr));
                let m = spec.members[member].as_mut().unwrap();
                match addr {
                    IpAddr::V4(a) => m.node.ip4 = Some(a),
                    IpAddr::V6(a) => m.node.ip6 = Some(a),
                }
                spec.peer_network = net;
                if net.family() == Family::V6 {
                    spec.link_prefix = 126;
                }
                let e = Spec::from_json(&spec.to_json()).unwrap_err();
                // The first member (by address order) whose address the
                // network covers is named: `member`'s, or one before it.
                let mut covered: Vec<(IpAddr, &NodeName)> =
                    spec.underlays().filter(|(u, _)| net.contains(*u)).collect();
                covered.sort_unstable();
                prop_assert!(covered.iter().any(|(u, _)| *u == addr));
                let of = format!("the underlay address {} of member {}:", covered[0].0, covered[0].1);
                prop_assert_eq!(e.kind(), ErrorKind::Conflict, "{}", e);
                prop_assert!(e.message().contains(&of), "{}", e);
                prop_assert!(e.message().starts_with(&format!("peer_network {net} overlaps")), "{}", e);
            }
        }
    }
}
