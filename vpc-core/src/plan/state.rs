//! What a node must have (desired, from the spec) and what its kernel
//! holds (observed).

use std::net::IpAddr;
use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::model::addr::{IfAddr, Mac, Network};
use crate::model::mesh::vni_of_name;
use crate::model::name::{NodeName, VpcName};
use crate::model::platform::Platform;
use crate::model::spec::Spec;

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
    /// This end's MAC (Linux only).
    pub mac: Option<Mac>,
    /// The far end's MAC, for the permanent neighbour entry (Linux only).
    pub peer_mac: Option<Mac>,
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

    /// Whether `iface` is one of this VPC's tunnels (by name and kind).
    pub(crate) fn owns_tunnel(&self, iface: &Iface) -> bool {
        matches!(iface.kind, IfaceKind::Vxlan(_))
            && vni_of_name(&iface.name).is_some_and(|vni| self.owned_vnis.contains(&vni))
    }
}

/// The MAC of one end of a tunnel: derived from the VPC, the VNI and the
/// end, so both ends compute both addresses.
fn tunnel_mac(vpc: &VpcName, vni: u32, end: usize) -> Mac {
    Mac::local_from(format!("vpc/{vpc}/{vni}/{end}").as_bytes())
}

/// What `node` must have for `spec` under `platform`'s rules.
pub fn desired(spec: &Spec, node: &NodeName, platform: Platform) -> Result<Desired> {
    let me = spec.slot_of(node).ok_or_else(|| {
        Error::new(
            ErrorKind::NotFound,
            format!("node {node} is not a member of VPC {}", spec.name),
        )
    })?;
    let mut tunnels = Vec::with_capacity(spec.members.len());
    for link in &spec.links_of(me)? {
        let Some((mine, far)) = link.side(me) else {
            continue;
        };
        let end = usize::from(link.ends[1].slot == me);
        let linux = platform == Platform::Linux;
        tunnels.push(Tunnel {
            name: link.interface(),
            vni: link.vni,
            local: mine.underlay,
            remote: far.underlay,
            port: spec.port,
            link_addr: mine.link_addr,
            peer_addr: far.link_addr,
            peer: far.node.clone(),
            mac: linux.then(|| tunnel_mac(&spec.name, link.vni, end)),
            peer_mac: linux.then(|| tunnel_mac(&spec.name, link.vni, 1 - end)),
        });
    }
    Ok(Desired {
        vpc: spec.name.clone(),
        mtu: spec.mtu()?,
        bridge_addrs: spec.member(node)?.bridge_addrs.clone(),
        peer_network: spec.peer_network,
        tunnels,
        owned_vnis: spec.vni_range(),
        vlan: spec.vlan,
        link_addrs: true,
        platform,
    })
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
    /// Permanent neighbour entries on this interface.
    #[serde(default)]
    pub neighbours: Vec<(IpAddr, Mac)>,
}

/// The kernel's interfaces as one node sees them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observed {
    /// Interfaces.
    pub ifaces: Vec<Iface>,
}

impl Observed {
    /// The interface called `name`.
    pub fn get(&self, name: &str) -> Option<&Iface> {
        self.ifaces.iter().find(|i| i.name == name)
    }
}
