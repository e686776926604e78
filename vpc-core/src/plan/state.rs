//! What a node must have (desired, from the spec) and what its kernel
//! holds (observed).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::model::addr::{Family, IfAddr, Mac, Network};
use crate::model::mesh::vni_of_name;
use crate::model::name::{NodeName, VpcName};
use crate::model::platform::Platform;
use crate::model::spec::Spec;
use crate::model::wgkey::{PrivateKey, PublicKey};

/// One tunnel this node must have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tunnel {
    /// Interface name, `vxlan<vni>`.
    pub name: String,
    /// VXLAN network identifier.
    pub vni: u32,
    /// This node's underlay address.
    pub local: IpAddr,
    /// The far end's underlay address.
    pub remote: IpAddr,
    /// UDP port.
    pub port: u16,
    /// This end's link address.
    pub link_addr: IfAddr,
    /// The far end's link address.
    pub peer_addr: IfAddr,
    /// The far end's node.
    pub peer: NodeName,
}

impl Tunnel {
    /// The interface description, CBSD's `tunnel-to-<node>`.
    pub fn description(&self) -> String {
        format!(
            "{}{}",
            crate::model::name::TUNNEL_DESCRIPTION_PREFIX,
            self.peer
        )
    }
}

/// Everything one node must have for one VPC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Desired {
    /// The VPC.
    pub vpc: VpcName,
    /// MTU of every tunnel, the bridge and guest ports.
    pub mtu: u32,
    /// Addresses of this node on the bridge.
    pub bridge_addrs: Vec<IfAddr>,
    /// The network the tunnels' link addresses are cut from.
    pub peer_network: Network,
    /// Tunnels in ascending VNI.
    pub tunnels: Vec<Tunnel>,
    /// The VNIs the VPC reserves: `vxlan<n>` for `n` in it belongs to it.
    pub owned_vnis: RangeInclusive<u64>,
    /// Whether guests carry 802.1Q tags (4 more bytes on the underlay).
    pub vlan: bool,
    /// Whether tunnels carry their link addresses. A kernel that refuses
    /// addresses on bridge members (FreeBSD 15 by default) runs without
    /// them; tunnels are then checked by their RUNNING state alone.
    pub link_addrs: bool,
    /// Whose kernel rules apply.
    pub platform: Platform,
    /// What this host recorded making for the VPC (the store's
    /// `owned/<vpc>.json`), or `None` when it holds no record (state made
    /// before records were kept, or a VPC never applied here): see
    /// [`Desired::made`].
    #[serde(skip)]
    pub owned: Option<Record>,
    /// The guest ports this host records as attached to the VPC (the
    /// store's `guests/<vpc>.json`): the record proves they are the VPC's,
    /// so `apply` brings them back into the bridge ([`super::reattach`]).
    #[serde(skip)]
    pub guests: Vec<String>,
    /// Who may send to the VPC's VXLAN port here: the members' underlay
    /// addresses, and nobody else.
    pub firewall: Firewall,
    /// On an encrypted VPC (`encrypt=wireguard`), the WireGuard interface
    /// the tunnels run inside.
    pub wireguard: Option<Wireguard>,
}

/// The WireGuard interface of an encrypted VPC on one node: the VXLAN
/// tunnels run between inner addresses on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Wireguard {
    /// Its MTU: the underlay MTU less WireGuard's overhead.
    pub mtu: u32,
    /// This node's inner address, with the inner network's prefix.
    pub addr: IfAddr,
    /// This node's underlay addresses WireGuard sends from (the local
    /// ones, behind NAT), which must be on an interface here.
    pub underlay: Vec<IpAddr>,
    /// The device's keys, port and peers.
    pub device: WgDevice,
}

/// A WireGuard device's configuration, as vpc sets it or the kernel
/// reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WgDevice {
    /// Interface name, `vpcwg<vni_base>`.
    pub name: String,
    /// UDP port it listens on.
    pub listen_port: u16,
    /// The private key, never serialized (a desired device carries this
    /// node's; an observed one what the kernel holds, when it tells).
    #[serde(skip)]
    pub private_key: Option<PrivateKey>,
    /// The public half of the private key.
    pub public_key: Option<PublicKey>,
    /// Peers, ascending by public key.
    pub peers: Vec<WgPeer>,
}

impl WgDevice {
    /// Whether `have` (observed) is this configuration: same port, same
    /// key (by its public half) and the same peers.
    ///
    /// A peer vpc gives no endpoint (one nobody can reach, `inbound=0`)
    /// has the endpoint WireGuard learned from its last handshake: that is
    /// not a difference.
    pub fn same(&self, have: &WgDevice) -> bool {
        self.name == have.name
            && self.listen_port == have.listen_port
            && self.public_key.is_some()
            && self.public_key == have.public_key
            && self.peers.len() == have.peers.len()
            && self.peers.iter().zip(&have.peers).all(|(w, h)| w.same(h))
    }
}

impl WgPeer {
    /// Whether `have` (observed) is this peer: an endpoint is compared
    /// only where vpc sets one.
    pub fn same(&self, have: &WgPeer) -> bool {
        self.public_key == have.public_key
            && self.allowed_ips == have.allowed_ips
            && self.keepalive == have.keepalive
            && (self.endpoint.is_none() || self.endpoint == have.endpoint)
    }
}

/// One WireGuard peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WgPeer {
    /// Its public key.
    pub public_key: PublicKey,
    /// Where to send to it: its advertised underlay address and port, or
    /// `None` for a peer with no inbound reachability (it comes to us).
    pub endpoint: Option<SocketAddr>,
    /// The inner addresses it may send from: its inner address, as a /32
    /// or /128.
    pub allowed_ips: Vec<IfAddr>,
    /// Persistent keepalive in seconds, 0 for none: set when this node has
    /// no inbound reachability, so its NAT keeps the way back open.
    pub keepalive: u16,
}

impl Desired {
    /// The bridge's name: the VPC's name.
    pub fn bridge(&self) -> &str {
        self.vpc.as_str()
    }

    /// The bridge's description, by which CBSD's guest code finds it.
    pub fn bridge_description(&self) -> String {
        format!("vpc-{}", self.vpc)
    }

    /// The WireGuard interface's description.
    pub fn wireguard_description(&self) -> String {
        format!("vpc-{}-wireguard", self.vpc)
    }

    /// Every underlay address this node sends the VPC from, once, with the
    /// MTU its interface needs: the tunnels' local addresses on a plain
    /// VPC, WireGuard's on an encrypted one.
    pub fn underlay(&self) -> Vec<(IpAddr, u32)> {
        let mut out: Vec<(IpAddr, u32)> = Vec::new();
        let mut add = |addr: IpAddr, need: u32| {
            if !out.iter().any(|(a, _)| *a == addr) {
                out.push((addr, need));
            }
        };
        match &self.wireguard {
            Some(wg) => {
                for a in &wg.underlay {
                    add(*a, wg.mtu + crate::model::mtu::wg_overhead(Family::of(*a)));
                }
            }
            None => {
                for t in &self.tunnels {
                    add(
                        t.local,
                        self.mtu + crate::model::mtu::overhead(Family::of(t.local), self.vlan),
                    );
                }
            }
        }
        out
    }

    /// Whether `iface` is named and kinded like one of this VPC's tunnels
    /// (`vxlan<n>`, `n` in its VNI range). That is a claim, not a proof:
    /// see [`Desired::made`].
    pub(crate) fn owns_tunnel(&self, iface: &Iface) -> bool {
        matches!(iface.kind, IfaceKind::Vxlan(_))
            && vni_of_name(&iface.name).is_some_and(|vni| self.owned_vnis.contains(&vni))
    }

    /// Whether vpc can prove it made `iface` for this VPC on this host, so
    /// that it may change or remove it.
    ///
    /// With a record ([`Desired::owned`]): its name, kernel index and kind
    /// are recorded. An interface recreated by anyone else has another
    /// index, so a foreign interface that took our name is never ours,
    /// whatever its description says.
    ///
    /// Without a record (state made before records were kept): its kind is
    /// right and it carries the mark vpc gives what it creates — the bridge
    /// is named like the VPC and described `vpc-<vpc>`; a tunnel is a
    /// `vxlan<n>` in the VPC's VNI range described `tunnel-to-<node>`.
    /// Nobody's LAN bridge, `docker0` or hand-made vxlan carries that mark
    /// by accident. (CBSD marks its interfaces the same way; taking over
    /// CBSD's is a later, explicit import.)
    pub fn made(&self, iface: &Iface) -> bool {
        let Some(kind) = OwnedKind::of(&iface.kind) else {
            return false;
        };
        match &self.owned {
            Some(record) => iface.index != 0 && record.holds(&iface.name, iface.index, kind),
            None => {
                let description = iface.description.as_deref().unwrap_or("");
                match kind {
                    OwnedKind::Bridge => {
                        iface.name == self.bridge() && description == self.bridge_description()
                    }
                    OwnedKind::Vxlan => {
                        self.owns_tunnel(iface)
                            && description
                                .strip_prefix("tunnel-to-")
                                .is_some_and(|peer| NodeName::new(peer).is_ok())
                    }
                    OwnedKind::Wireguard => {
                        self.wireguard
                            .as_ref()
                            .is_some_and(|w| w.device.name == iface.name)
                            && description == self.wireguard_description()
                    }
                }
            }
        }
    }

    /// Why `iface` is not taken for this VPC's: what it is, as far as the
    /// kernel tells, for a message that lets the admin find its owner.
    pub(crate) fn not_made(&self, iface: &Iface) -> String {
        let kind = match &iface.kind {
            IfaceKind::Vxlan(c) => format!("a vxlan (VNI {})", c.vni),
            IfaceKind::Bridge => "a bridge".to_owned(),
            IfaceKind::Wireguard => "a wireguard interface".to_owned(),
            IfaceKind::Other(k) => format!("a {k}"),
        };
        let description = match iface.description.as_deref() {
            Some(d) if !d.is_empty() => format!("description {d:?}"),
            _ => "no description".to_owned(),
        };
        let recorded = self.owned.as_ref().and_then(|r| r.named(&iface.name));
        let why = match (&self.owned, recorded) {
            (Some(_), Some(o)) => format!(
                "vpc made an interface of that name here with index {}; this one was made by                  someone else since",
                o.index
            ),
            (Some(_), None) => {
                "this host's record of what vpc made for the VPC does not hold it".to_owned()
            }
            (None, _) => match iface.kind {
                IfaceKind::Bridge => format!(
                    "vpc describes the bridges it makes {:?}",
                    self.bridge_description()
                ),
                IfaceKind::Wireguard => format!(
                    "vpc describes the WireGuard interfaces it makes {:?}",
                    self.wireguard_description()
                ),
                _ => "vpc describes the tunnels it makes \"tunnel-to-<node>\"".to_owned(),
            },
        };
        format!(
            "interface {} exists and is {kind} not made by vpc for VPC {} (index {}, {description}: \
             {why})",
            iface.name, self.vpc, iface.index
        )
    }
}

/// The kinds of interface vpc creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OwnedKind {
    /// The VPC's bridge.
    Bridge,
    /// A tunnel.
    Vxlan,
    /// An encrypted VPC's WireGuard interface.
    Wireguard,
}

impl OwnedKind {
    /// The kind of `kind`, if vpc creates that kind.
    pub fn of(kind: &IfaceKind) -> Option<OwnedKind> {
        match kind {
            IfaceKind::Bridge => Some(OwnedKind::Bridge),
            IfaceKind::Vxlan(_) => Some(OwnedKind::Vxlan),
            IfaceKind::Wireguard => Some(OwnedKind::Wireguard),
            IfaceKind::Other(_) => None,
        }
    }
}

/// One interface vpc created on this host, as the store records it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OwnedIface {
    /// Name.
    pub name: String,
    /// Kernel index when vpc last saw it: a recreated interface has another.
    pub index: u32,
    /// Kind.
    pub kind: OwnedKind,
}

/// What this host recorded making for a VPC, sorted (by name, index and
/// kind) and so searched in logarithmic time: a plan asks
/// [`Desired::made`] of every interface, and a scan of the record each
/// time made a plan quadratic in the number of peers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Record(Vec<OwnedIface>);

impl Record {
    /// The record of `ifaces`, in any order.
    pub fn new(mut ifaces: Vec<OwnedIface>) -> Record {
        ifaces.sort();
        ifaces.dedup();
        Record(ifaces)
    }

    /// The recorded interfaces, ascending.
    pub fn ifaces(&self) -> &[OwnedIface] {
        &self.0
    }

    /// Whether the record holds exactly this interface.
    pub fn holds(&self, name: &str, index: u32, kind: OwnedKind) -> bool {
        self.0
            .binary_search_by(|o| (o.name.as_str(), o.index, o.kind).cmp(&(name, index, kind)))
            .is_ok()
    }

    /// The first recorded interface called `name`.
    pub fn named(&self, name: &str) -> Option<&OwnedIface> {
        let at = self.0.partition_point(|o| o.name.as_str() < name);
        self.0.get(at).filter(|o| o.name == name)
    }
}

impl From<Vec<OwnedIface>> for Record {
    fn from(ifaces: Vec<OwnedIface>) -> Record {
        Record::new(ifaces)
    }
}

/// What `node` must have for `spec` under `platform`'s rules. On an
/// encrypted VPC the device's private key is left for the caller, which
/// holds this host's store, to fill in.
pub fn desired(spec: &Spec, node: &NodeName, platform: Platform) -> Result<Desired> {
    let me = spec.slot_of(node).ok_or_else(|| {
        Error::new(
            ErrorKind::NotFound,
            format!("node {node} is not a member of VPC {}", spec.name),
        )
    })?;
    let my_node = &spec.member(node)?.node;
    let mut tunnels = Vec::with_capacity(spec.members.len());
    let mut peers = Vec::new();
    let mut underlay: Vec<IpAddr> = Vec::new();
    let inner = |slot: usize| spec.inner_addr(slot);
    for link in &spec.links_of(me)? {
        let Some((mine, far)) = link.side(me) else {
            continue;
        };
        let local = my_node.local_of(mine.underlay);
        let (tunnel_local, tunnel_remote) = match (inner(mine.slot), inner(far.slot)) {
            (Some(a), Some(b)) => (a.addr, b.addr),
            _ => (local, far.underlay),
        };
        if let Some(wg) = &spec.wireguard {
            let member = spec
                .members
                .get(far.slot)
                .and_then(Option::as_ref)
                .ok_or_else(|| Error::invalid(format!("slot {} is vacant", far.slot)))?;
            // A member whose key `deploy` has not fetched yet (it was
            // unreachable) has no tunnel: nothing could pass it.
            let Some(key) = member.wg_key else {
                continue;
            };
            let peer_inner = inner(far.slot).map(|a| IfAddr {
                addr: a.addr,
                prefix: a.family().bits(),
            });
            peers.push(WgPeer {
                public_key: key,
                endpoint: member
                    .node
                    .inbound
                    .then(|| SocketAddr::new(far.underlay, wg.port)),
                allowed_ips: peer_inner.into_iter().collect(),
                keepalive: if my_node.inbound { 0 } else { KEEPALIVE },
            });
            if !underlay.contains(&local) {
                underlay.push(local);
            }
        }
        tunnels.push(Tunnel {
            name: link.interface(),
            vni: link.vni,
            local: tunnel_local,
            remote: tunnel_remote,
            port: spec.port,
            link_addr: mine.link_addr,
            peer_addr: far.link_addr,
            peer: far.node.clone(),
        });
    }
    let budget = spec.budget()?;
    let wireguard = match (&spec.wireguard, inner(me), budget.wg_mtu()) {
        (Some(_), _, _) if spec.member(node)?.wg_key.is_none() => {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!(
                    "node {node} has no WireGuard key in VPC {}'s spec yet: run vpc mode=deploy \
                     vpc_name={} on the initiator, which asks every member for its key",
                    spec.name, spec.name
                ),
            ));
        }
        (Some(wg), Some(addr), Some(mtu)) => {
            peers.sort_by_key(|p| p.public_key);
            Some(Wireguard {
                mtu,
                addr,
                underlay,
                device: WgDevice {
                    name: spec.wg_interface(),
                    listen_port: wg.port,
                    private_key: None,
                    public_key: spec.member(node)?.wg_key,
                    peers,
                },
            })
        }
        _ => None,
    };
    Ok(Desired {
        vpc: spec.name.clone(),
        mtu: budget.mtu,
        bridge_addrs: spec.member(node)?.bridge_addrs.clone(),
        peer_network: spec.peer_network,
        tunnels,
        owned_vnis: spec.vni_range(),
        vlan: spec.vlan,
        link_addrs: true,
        platform,
        owned: None,
        guests: Vec::new(),
        firewall: Firewall::of(spec),
        wireguard,
    })
}

/// WireGuard's persistent keepalive, in seconds, from a member nobody can
/// reach: well inside the UDP timeout of common NAT routers.
pub const KEEPALIVE: u16 = 25;

/// The members-only underlay of one VPC: on every member, only the
/// members' underlay addresses may send to the VPC's VXLAN port. The same
/// on every member (this node is in it too: it is what the spec says, and
/// a rule set that differs per node would be one more thing to get wrong).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Firewall {
    /// The rule set's name in the kernel, `vpc_<vpc>` (Linux: `table inet
    /// vpc_<vpc>`): one per VPC, so removing one VPC's touches no other.
    pub table: String,
    /// The VXLAN UDP port guarded.
    pub port: u16,
    /// The VPC's VNIs, first and last: only packets for them are this
    /// rule set's business, so VPCs sharing a port with other members do
    /// not shut each other out.
    pub vnis: [u32; 2],
    /// IPv4 addresses allowed to send to it, ascending.
    pub allow4: Vec<Ipv4Addr>,
    /// IPv6 addresses allowed to send to it, ascending.
    pub allow6: Vec<Ipv6Addr>,
    /// On an encrypted VPC, the only interface VXLAN for its VNIs may
    /// arrive on (its WireGuard interface); the allowed addresses are then
    /// the members' inner ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
}

impl Firewall {
    /// A rule set with its addresses sorted and deduplicated.
    pub fn new(
        table: String,
        port: u16,
        vnis: [u32; 2],
        mut allow4: Vec<Ipv4Addr>,
        mut allow6: Vec<Ipv6Addr>,
    ) -> Firewall {
        allow4.sort_unstable();
        allow4.dedup();
        allow6.sort_unstable();
        allow6.dedup();
        Firewall {
            table,
            port,
            vnis,
            allow4,
            allow6,
            via: None,
        }
    }

    /// The rule set's name for VPC `vpc`.
    pub fn table_of(vpc: &VpcName) -> String {
        format!("{}{vpc}", FIREWALL_PREFIX)
    }

    /// The rule set `spec` asks of every member: on a plain VPC the
    /// members' underlay addresses; on an encrypted one their inner
    /// addresses, arriving through the VPC's WireGuard interface only (the
    /// only way an inner address is authenticated), so VXLAN forged with a
    /// member's underlay address is dropped.
    pub fn of(spec: &Spec) -> Firewall {
        let mut allow4 = Vec::new();
        let mut allow6 = Vec::new();
        for (slot, m) in spec.members.iter().enumerate() {
            let Some(m) = m else { continue };
            match spec.inner_addr(slot).map(|a| a.addr) {
                Some(IpAddr::V4(a)) => allow4.push(a),
                Some(IpAddr::V6(a)) => allow6.push(a),
                None => {
                    allow4.extend(m.node.ip4);
                    allow6.extend(m.node.ip6);
                }
            }
        }
        let vnis = spec.vni_range();
        let vni = |v: u64| u32::try_from(v).unwrap_or(u32::MAX);
        let mut fw = Firewall::new(
            Firewall::table_of(&spec.name),
            spec.port,
            [vni(*vnis.start()), vni(*vnis.end())],
            allow4,
            allow6,
        );
        fw.via = spec.wireguard.is_some().then(|| spec.wg_interface());
        fw
    }
}

/// The prefix of the rule sets vpc makes: a table named so is vpc's.
pub const FIREWALL_PREFIX: &str = "vpc_";

/// One of vpc's rule sets as the kernel holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirewallTable {
    /// Its name.
    pub table: String,
    /// What it holds, when that is exactly a rule set vpc writes; `None`
    /// when it was changed (a rule removed, a chain added…).
    pub rules: Option<Firewall>,
}

/// A vxlan interface's tunnel settings as the kernel reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VxlanConf {
    /// VNI.
    pub vni: u32,
    /// Local underlay address.
    pub local: Option<IpAddr>,
    /// Remote underlay address.
    pub remote: Option<IpAddr>,
    /// UDP port.
    pub port: u16,
}

/// What kind of interface an observed one is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IfaceKind {
    /// A vxlan interface.
    Vxlan(VxlanConf),
    /// A bridge.
    Bridge,
    /// A WireGuard interface (the kernel's, or a userspace one's TUN).
    Wireguard,
    /// Anything else (physical, veth, epair, tap…), by its kind's name.
    Other(String),
}

/// One interface as the kernel reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Iface {
    /// Name.
    pub name: String,
    /// Kernel index (changes when an interface is recreated).
    #[serde(default)]
    pub index: u32,
    /// Kind and, for vxlan, tunnel settings.
    pub kind: IfaceKind,
    /// MTU.
    pub mtu: u32,
    /// Administratively up.
    #[serde(default)]
    pub up: bool,
    /// Operationally up: the kernel can pass traffic (FreeBSD RUNNING,
    /// Linux carrier).
    #[serde(default)]
    pub running: bool,
    /// Description (FreeBSD) or alias (Linux).
    #[serde(default)]
    pub description: Option<String>,
    /// Link-layer address.
    #[serde(default)]
    pub mac: Option<Mac>,
    /// The bridge this interface is a port of.
    #[serde(default)]
    pub master: Option<String>,
    /// Port flag `private` (FreeBSD) / `isolated` (Linux).
    #[serde(default)]
    pub private: bool,
    /// Addresses.
    #[serde(default)]
    pub addrs: Vec<IfAddr>,
    /// Permanent neighbour entries on this interface: vpc makes none
    /// (the kernel learns the far end's MAC), but an older vpc pinned one
    /// per tunnel, which [`plan`](super::plan) removes.
    #[serde(default)]
    pub neighbours: Vec<(IpAddr, Mac)>,
}

/// The kernel's interfaces as one node sees them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observed {
    /// Interfaces.
    pub ifaces: Vec<Iface>,
    /// vpc's rule sets (tables named `vpc_…`; the admin's are not read).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub firewalls: Vec<FirewallTable>,
    /// The configuration of vpc's WireGuard interfaces (`vpcwg…`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub wireguard: Vec<WgDevice>,
    /// The packet filter vpc's rule sets live in, where they depend on
    /// the admin's setup (FreeBSD pf: loaded, enabled, evaluating vpc's
    /// anchors); `None` where nothing is known of it or nothing depends
    /// on it (Linux: an nftables base chain is always evaluated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packet_filter: Option<PacketFilter>,
}

/// What vpc's rule sets need of the admin's packet filter (FreeBSD pf),
/// as observed. vpc never enables pf nor edits its main ruleset: it
/// tells what is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PacketFilter {
    /// The filter is in the kernel (pf(4) loaded, `/dev/pf` present):
    /// without it no rule set can be loaded at all.
    pub loaded: bool,
    /// It filters packets (`pfctl -e`, `pf_enable="YES"`).
    pub enabled: bool,
    /// Its main ruleset evaluates vpc's anchors for every incoming packet
    /// (`anchor "vpc/*"`).
    pub evaluates_anchors: bool,
}

impl Observed {
    /// The interface called `name`.
    pub fn get(&self, name: &str) -> Option<&Iface> {
        self.ifaces.iter().find(|i| i.name == name)
    }

    /// The interfaces by name, for a caller that looks up many: each name
    /// stands for the first interface so called, as with [`Observed::get`].
    pub fn by_name(&self) -> HashMap<&str, &Iface> {
        let mut out = HashMap::with_capacity(self.ifaces.len());
        for i in &self.ifaces {
            out.entry(i.name.as_str()).or_insert(i);
        }
        out
    }

    /// vpc's rule set called `table`.
    pub fn firewall(&self, table: &str) -> Option<&FirewallTable> {
        self.firewalls.iter().find(|f| f.table == table)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owned(name: &str, index: u32, kind: OwnedKind) -> OwnedIface {
        OwnedIface {
            name: name.to_owned(),
            index,
            kind,
        }
    }

    #[test]
    fn a_record_in_any_order_finds_exactly_what_it_holds() {
        // As a hand-edited or older file may list them: unsorted, twice.
        let record = Record::new(vec![
            owned("vxlan9", 12, OwnedKind::Vxlan),
            owned("v1", 3, OwnedKind::Bridge),
            owned("vxlan10", 11, OwnedKind::Vxlan),
            owned("v1", 3, OwnedKind::Bridge),
        ]);
        assert_eq!(record.ifaces().len(), 3);
        assert!(record.ifaces().is_sorted());
        assert!(record.holds("v1", 3, OwnedKind::Bridge));
        assert!(record.holds("vxlan9", 12, OwnedKind::Vxlan));
        assert!(record.holds("vxlan10", 11, OwnedKind::Vxlan));
        // Another index (recreated by someone else), kind or name is not.
        assert!(!record.holds("vxlan9", 13, OwnedKind::Vxlan));
        assert!(!record.holds("v1", 3, OwnedKind::Vxlan));
        assert!(!record.holds("vxlan1", 12, OwnedKind::Vxlan));
        assert_eq!(record.named("vxlan10").map(|o| o.index), Some(11));
        assert_eq!(record.named("vxlan1"), None);
        assert_eq!(record.named("zzz"), None);
        assert!(!Record::default().holds("v1", 3, OwnedKind::Bridge));
    }
}
