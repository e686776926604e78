//! Desired state, observed state, and the pure planner between them.
//!
//! `desired(spec, node)` says which interfaces one node must have;
//! `plan(desired, observed)` lists the ordered changes that get it there.
//! Both are computed before anything is touched. A converged node plans
//! nothing, and only interfaces the VPC owns ever appear in a change.

use std::collections::HashMap;
use std::fmt;
use std::net::IpAddr;
use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::model::addr::{IfAddr, Mac};
use crate::model::mesh::vni_of_name;
use crate::model::name::{NodeName, VpcName};
use crate::model::spec::Spec;

/// The kernel whose rules a node's desired state follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// FreeBSD: vxlan(4), if_bridge(4) with `private` members.
    FreeBsd,
    /// Linux: vxlan and bridge links with `isolated` ports. A vxlan port's
    /// own address stops resolving once enslaved, so every tunnel gets a
    /// derived MAC and a permanent neighbour entry for the far end.
    Linux,
}

impl Platform {
    /// The platform this program runs on (Linux rules elsewhere, for tests).
    pub fn host() -> Platform {
        if cfg!(target_os = "freebsd") {
            Platform::FreeBsd
        } else {
            Platform::Linux
        }
    }

    /// Parses `freebsd` or `linux`.
    pub fn parse(text: &str) -> Result<Platform> {
        match text {
            "freebsd" => Ok(Platform::FreeBsd),
            "linux" => Ok(Platform::Linux),
            _ => Err(Error::invalid(format!(
                "os {text:?} is not valid: expected freebsd or linux"
            ))),
        }
    }
}

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
        format!("tunnel-to-{}", self.peer)
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
    fn owns_tunnel(&self, iface: &Iface) -> bool {
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

/// One change to the kernel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Change {
    /// Remove an interface (a bridge releases its ports).
    Destroy {
        /// Interface.
        name: String,
    },
    /// Create the VPC bridge.
    CreateBridge {
        /// Interface.
        name: String,
        /// MTU.
        mtu: u32,
        /// Description.
        description: String,
    },
    /// Create a tunnel.
    CreateVxlan {
        /// Interface.
        name: String,
        /// VNI.
        vni: u32,
        /// Local underlay address.
        local: IpAddr,
        /// Remote underlay address.
        remote: IpAddr,
        /// UDP port.
        port: u16,
        /// MTU.
        mtu: u32,
        /// MAC, where the platform wants a fixed one.
        mac: Option<Mac>,
        /// Description.
        description: String,
    },
    /// Set an interface's MTU.
    SetMtu {
        /// Interface.
        name: String,
        /// MTU.
        mtu: u32,
    },
    /// Set an interface's description.
    SetDescription {
        /// Interface.
        name: String,
        /// Text.
        text: String,
    },
    /// Remove an address.
    DelAddr {
        /// Interface.
        name: String,
        /// Address.
        addr: IfAddr,
    },
    /// Add an address.
    AddAddr {
        /// Interface.
        name: String,
        /// Address.
        addr: IfAddr,
    },
    /// Add or replace a permanent neighbour entry.
    SetNeighbour {
        /// Interface.
        name: String,
        /// The neighbour's address.
        ip: IpAddr,
        /// Its MAC.
        mac: Mac,
    },
    /// Make `port` a member of `bridge`.
    AddPort {
        /// Bridge.
        bridge: String,
        /// Port.
        port: String,
        /// Split horizon (`private` / `isolated`): true for tunnels.
        private: bool,
    },
    /// Take `port` out of `bridge`.
    DelPort {
        /// Bridge.
        bridge: String,
        /// Port.
        port: String,
    },
    /// Mark an existing port split-horizon.
    SetPrivate {
        /// Bridge.
        bridge: String,
        /// Port.
        port: String,
    },
    /// Bring an interface up.
    Up {
        /// Interface.
        name: String,
    },
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::Destroy { name } => write!(f, "destroy {name}"),
            Change::CreateBridge {
                name,
                mtu,
                description,
            } => {
                write!(
                    f,
                    "create bridge {name} mtu {mtu} description {description}"
                )
            }
            Change::CreateVxlan {
                name,
                vni,
                local,
                remote,
                port,
                mtu,
                mac,
                description,
            } => {
                write!(
                    f,
                    "create vxlan {name} vni {vni} local {local} remote {remote} port {port} mtu {mtu}"
                )?;
                if let Some(mac) = mac {
                    write!(f, " mac {mac}")?;
                }
                write!(f, " description {description}")
            }
            Change::SetMtu { name, mtu } => write!(f, "set {name} mtu {mtu}"),
            Change::SetDescription { name, text } => write!(f, "set {name} description {text}"),
            Change::DelAddr { name, addr } => write!(f, "delete address {addr} from {name}"),
            Change::AddAddr { name, addr } => write!(f, "add address {addr} to {name}"),
            Change::SetNeighbour { name, ip, mac } => {
                write!(f, "set neighbour {ip} {mac} on {name}")
            }
            Change::AddPort {
                bridge,
                port,
                private,
            } => {
                let kind = if *private { "private " } else { "" };
                write!(f, "add {kind}port {port} to {bridge}")
            }
            Change::DelPort { bridge, port } => write!(f, "remove port {port} from {bridge}"),
            Change::SetPrivate { bridge, port } => write!(f, "set port {port} of {bridge} private"),
            Change::Up { name } => write!(f, "up {name}"),
        }
    }
}

/// Which part of a node's VPC a command converges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Tunnels only (`init_vxlan`); they join the bridge if it exists.
    Tunnels,
    /// The bridge only (`init_bridge`); existing tunnels join it.
    Bridge,
    /// Both (`apply`).
    All,
}

/// Ordered changes, and notes for the user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Changes, in the order they must be made.
    pub changes: Vec<Change>,
    /// Things the user should know (e.g. a tunnel the bridge waits for).
    pub warnings: Vec<String>,
}

/// Changes grouped by phase; the phases run in field order.
#[derive(Default)]
struct Phases {
    destroy: Vec<Change>,
    create: Vec<Change>,
    set: Vec<Change>,
    del_addr: Vec<Change>,
    add_addr: Vec<Change>,
    ports: Vec<Change>,
    up: Vec<Change>,
    up_bridge: Vec<Change>,
}

impl Phases {
    fn into_changes(self) -> Vec<Change> {
        [
            self.destroy,
            self.create,
            self.set,
            self.del_addr,
            self.add_addr,
            self.ports,
            self.up,
            self.up_bridge,
        ]
        .concat()
    }
}

fn conflict(name: &str, what: &str, found: &IfaceKind) -> Error {
    let found = match found {
        IfaceKind::Vxlan(_) => "vxlan".to_owned(),
        IfaceKind::Bridge => "bridge".to_owned(),
        IfaceKind::Other(k) => k.clone(),
    };
    Error::new(
        ErrorKind::Conflict,
        format!(
            "interface {name} exists as a {found}, not a {what}: it is not this VPC's, \
             so it is left alone; remove or rename it"
        ),
    )
}

/// Address changes that take `have` to `want`, ignoring the kernel's own
/// IPv6 link-local addresses.
fn addr_changes(name: &str, have: &[IfAddr], want: &[IfAddr], p: &mut Phases) {
    for a in have
        .iter()
        .filter(|a| !a.is_link_local() && !want.contains(a))
    {
        p.del_addr.push(Change::DelAddr {
            name: name.to_owned(),
            addr: *a,
        });
    }
    for a in want.iter().filter(|a| !have.contains(a)) {
        p.add_addr.push(Change::AddAddr {
            name: name.to_owned(),
            addr: *a,
        });
    }
}

/// The changes that take `observed` to `desired` within `scope`.
pub fn plan(desired: &Desired, observed: &Observed, scope: Scope) -> Result<Plan> {
    let by_name: HashMap<&str, &Iface> = observed
        .ifaces
        .iter()
        .map(|i| (i.name.as_str(), i))
        .collect();
    let bridge_name = desired.bridge();
    let bridge = match by_name.get(bridge_name) {
        Some(i) if i.kind != IfaceKind::Bridge => {
            return Err(conflict(bridge_name, "bridge", &i.kind));
        }
        b => b.copied(),
    };
    let mut tunnels: Vec<(&Tunnel, Option<&Iface>)> = Vec::with_capacity(desired.tunnels.len());
    for t in &desired.tunnels {
        let have = by_name.get(t.name.as_str()).copied();
        if let Some(i) = have.filter(|i| !matches!(i.kind, IfaceKind::Vxlan(_))) {
            return Err(conflict(&t.name, "vxlan", &i.kind));
        }
        tunnels.push((t, have));
    }

    let do_tunnels = scope != Scope::Bridge;
    let do_bridge = scope != Scope::Tunnels;
    let bridge_after = do_bridge || bridge.is_some();
    let mut p = Phases::default();
    let mut plan = Plan::default();

    if do_tunnels {
        // A foreign vxlan holding a tunnel's VNI on the same local address
        // and port would make the kernel refuse the tunnel midway: refuse
        // the whole plan now instead, before anything changes.
        for t in &desired.tunnels {
            let holder = observed.ifaces.iter().find(|i| {
                !desired.owns_tunnel(i)
                    && matches!(&i.kind, IfaceKind::Vxlan(c)
                        if c.vni == t.vni && c.port == t.port && (c.local == Some(t.local) || c.local.is_none()))
            });
            if let Some(holder) = holder {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "VNI {} on local address {} port {} is held by {}, which is not this VPC's: \
                         {} cannot be created; remove {} or choose another vni_base",
                        t.vni, t.local, t.port, holder.name, t.name, holder.name
                    ),
                ));
            }
        }
        let wanted: std::collections::HashSet<&str> =
            desired.tunnels.iter().map(|t| t.name.as_str()).collect();
        for i in &observed.ifaces {
            if desired.owns_tunnel(i) && !wanted.contains(i.name.as_str()) {
                p.destroy.push(Change::Destroy {
                    name: i.name.clone(),
                });
            }
        }
        for (t, have) in &mut tunnels {
            let conf = VxlanConf {
                vni: t.vni,
                local: Some(t.local),
                remote: Some(t.remote),
                port: t.port,
            };
            let same = have.is_some_and(|i| {
                i.kind == IfaceKind::Vxlan(conf.clone()) && (t.mac.is_none() || i.mac == t.mac)
            });
            if have.is_some() && !same {
                p.destroy.push(Change::Destroy {
                    name: t.name.clone(),
                });
                *have = None;
            }
            tunnel_changes(t, *have, desired, &mut p);
        }
    }

    if do_bridge {
        let name = bridge_name.to_owned();
        let description = desired.bridge_description();
        match bridge {
            None => {
                p.create.push(Change::CreateBridge {
                    name: name.clone(),
                    mtu: desired.mtu,
                    description,
                });
                addr_changes(&name, &[], &desired.bridge_addrs, &mut p);
                p.up_bridge.push(Change::Up { name });
            }
            Some(b) => {
                let mtu = Change::SetMtu {
                    name: name.clone(),
                    mtu: desired.mtu,
                };
                if b.mtu != desired.mtu && !p.set.contains(&mtu) {
                    p.set.push(mtu);
                }
                if b.description.as_deref() != Some(description.as_str()) {
                    p.set.push(Change::SetDescription {
                        name: name.clone(),
                        text: description,
                    });
                }
                addr_changes(&name, &b.addrs, &desired.bridge_addrs, &mut p);
                if !b.up {
                    p.up_bridge.push(Change::Up { name });
                }
            }
        }
    }

    if bridge_after {
        for (t, have) in &tunnels {
            let exists_after = do_tunnels || have.is_some();
            if !exists_after {
                plan.warnings.push(format!(
                    "{} does not exist yet: run mode=init_vxlan and it joins the bridge",
                    t.name
                ));
                continue;
            }
            let port = t.name.clone();
            let bridge = bridge_name.to_owned();
            match have {
                Some(i) if i.master.as_deref() == Some(bridge_name) => {
                    if !i.private {
                        p.ports.push(Change::SetPrivate { bridge, port });
                    }
                }
                _ => p.ports.push(Change::AddPort {
                    bridge,
                    port,
                    private: true,
                }),
            }
        }
    }

    plan.changes = p.into_changes();
    Ok(plan)
}

/// Changes for one tunnel, given what exists under its name (`None` when it
/// is missing or about to be recreated).
fn tunnel_changes(t: &Tunnel, have: Option<&Iface>, desired: &Desired, p: &mut Phases) {
    let mtu = desired.mtu;
    let name = &t.name;
    let description = t.description();
    match have {
        None => p.create.push(Change::CreateVxlan {
            name: name.clone(),
            vni: t.vni,
            local: t.local,
            remote: t.remote,
            port: t.port,
            mtu,
            mac: t.mac,
            description,
        }),
        Some(i) => {
            if i.mtu != mtu {
                // FreeBSD refuses a member's MTU; the bridge's reaches every
                // member instead.
                let member = desired.platform == Platform::FreeBsd
                    && i.master.as_deref() == Some(desired.bridge());
                let target = if member {
                    desired.bridge()
                } else {
                    name.as_str()
                };
                let change = Change::SetMtu {
                    name: target.to_owned(),
                    mtu,
                };
                if !p.set.contains(&change) {
                    p.set.push(change);
                }
            }
            if i.description.as_deref() != Some(description.as_str()) {
                p.set.push(Change::SetDescription {
                    name: name.clone(),
                    text: description,
                });
            }
        }
    }
    let addrs = have.map(|i| i.addrs.as_slice()).unwrap_or(&[]);
    let want: &[IfAddr] = if desired.link_addrs {
        std::slice::from_ref(&t.link_addr)
    } else {
        &[]
    };
    addr_changes(name, addrs, want, p);
    if let Some(peer_mac) = t.peer_mac {
        let ip = t.peer_addr.addr;
        if !have.is_some_and(|i| i.neighbours.contains(&(ip, peer_mac))) {
            p.add_addr.push(Change::SetNeighbour {
                name: name.clone(),
                ip,
                mac: peer_mac,
            });
        }
    }
    if !have.is_some_and(|i| i.up) {
        p.up.push(Change::Up { name: name.clone() });
    }
}

/// The changes that remove this VPC's interfaces from a node: the bridge
/// first (it releases guest ports), then the tunnels. Foreign interfaces are
/// never named.
pub fn teardown(desired: &Desired, observed: &Observed, scope: Scope) -> Plan {
    let mut changes = Vec::new();
    if scope != Scope::Tunnels
        && let Some(b) = observed.get(desired.bridge())
        && b.kind == IfaceKind::Bridge
    {
        changes.push(Change::Destroy {
            name: b.name.clone(),
        });
    }
    if scope != Scope::Bridge {
        let mut owned: Vec<&Iface> = observed
            .ifaces
            .iter()
            .filter(|i| desired.owns_tunnel(i))
            .collect();
        owned.sort_by_key(|i| vni_of_name(&i.name));
        changes.extend(owned.into_iter().map(|i| Change::Destroy {
            name: i.name.clone(),
        }));
    }
    Plan {
        changes,
        warnings: Vec::new(),
    }
}

/// Checks, before anything is changed, that every tunnel's local underlay
/// address is on an interface whose MTU carries the VPC MTU plus the VXLAN
/// overhead.
pub fn check_underlay(desired: &Desired, observed: &Observed) -> Result<()> {
    let mut checked: Vec<IpAddr> = Vec::new();
    for t in &desired.tunnels {
        if checked.contains(&t.local) {
            continue;
        }
        checked.push(t.local);
        let carrier = observed
            .ifaces
            .iter()
            .find(|i| i.addrs.iter().any(|a| a.addr == t.local));
        let Some(carrier) = carrier else {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!(
                    "underlay address {} of this node is on no interface: expected it configured \
                     (it is this node's address in the spec; see vpc node mode=init)",
                    t.local
                ),
            ));
        };
        let need = desired.mtu
            + crate::model::mtu::overhead(crate::model::addr::Family::of(t.local), desired.vlan);
        if carrier.mtu < need {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "underlay interface {} (address {}) has MTU {}; the VPC MTU {} needs {need} \
                     with VXLAN overhead: lower the VPC's mtu= or raise the underlay MTU",
                    carrier.name, t.local, carrier.mtu, desired.mtu
                ),
            ));
        }
    }
    Ok(())
}

/// The changes that attach guest port `iface` to the VPC bridge: its MTU
/// set to the VPC's first, then joined as a normal (not split-horizon)
/// port, then up. Attaching an attached port plans nothing.
pub fn attach(desired: &Desired, observed: &Observed, iface: &str) -> Result<Plan> {
    let bridge = desired.bridge();
    let b = observed
        .get(bridge)
        .filter(|b| b.kind == IfaceKind::Bridge)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!(
                    "the bridge {bridge} of VPC {} does not exist: run vpc mode=apply first",
                    desired.vpc
                ),
            )
        })?;
    let port = observed.get(iface).ok_or_else(|| {
        Error::new(
            ErrorKind::NotFound,
            format!("interface {iface:?} does not exist on this node"),
        )
    })?;
    if port.kind == IfaceKind::Bridge || desired.owns_tunnel(port) || port.name == b.name {
        return Err(Error::invalid(format!(
            "iface {iface} is not a guest port: expected an epair, tap or veth end"
        )));
    }
    let mut changes = Vec::new();
    match port.master.as_deref() {
        Some(m) if m == bridge => {}
        Some(other) => {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!("iface {iface} is a port of bridge {other}: detach it there first"),
            ));
        }
        None => {
            if port.mtu != desired.mtu {
                changes.push(Change::SetMtu {
                    name: iface.to_owned(),
                    mtu: desired.mtu,
                });
            }
            changes.push(Change::AddPort {
                bridge: bridge.to_owned(),
                port: iface.to_owned(),
                private: false,
            });
        }
    }
    if port.master.as_deref() == Some(bridge) && port.mtu != desired.mtu {
        changes.push(Change::SetMtu {
            name: iface.to_owned(),
            mtu: desired.mtu,
        });
    }
    if !port.up {
        changes.push(Change::Up {
            name: iface.to_owned(),
        });
    }
    Ok(Plan {
        changes,
        warnings: Vec::new(),
    })
}

/// The change that takes guest port `iface` out of the VPC bridge (none if
/// it is not in it).
pub fn detach(desired: &Desired, observed: &Observed, iface: &str) -> Plan {
    let mut plan = Plan::default();
    match observed.get(iface) {
        Some(p) if p.master.as_deref() == Some(desired.bridge()) => {
            plan.changes.push(Change::DelPort {
                bridge: desired.bridge().to_owned(),
                port: iface.to_owned(),
            });
        }
        _ => plan
            .warnings
            .push(format!("{iface} is not a port of {}", desired.bridge())),
    }
    plan
}

/// One tunnel's health as the kernel shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TunnelHealth {
    /// The far end's node.
    pub peer: NodeName,
    /// Interface name.
    pub interface: String,
    /// VNI.
    pub vni: u32,
    /// The far end's link address (what the probe targets).
    pub peer_addr: IpAddr,
    /// The interface exists as a vxlan.
    pub present: bool,
    /// Its VNI, addresses and port are the spec's.
    pub matching: bool,
    /// Administratively up.
    pub up: bool,
    /// Operationally up.
    pub running: bool,
    /// Round-trip time of the probe to `peer_addr`, if it answered.
    pub rtt_ms: Option<f64>,
}

/// What `status` reports: every difference between the spec and the
/// kernel, and every tunnel's health.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Health {
    /// The VPC.
    pub vpc: VpcName,
    /// Differences, one sentence each; `apply` repairs exactly these.
    pub differences: Vec<String>,
    /// Tunnels, by VNI.
    pub tunnels: Vec<TunnelHealth>,
    /// Whether the far ends were probed (they cannot be without link
    /// addresses).
    pub probed: bool,
}

impl Health {
    /// No difference, and every tunnel present, matching, running and
    /// answering.
    pub fn healthy(&self) -> bool {
        self.differences.is_empty()
            && self.tunnels.iter().all(|t| {
                t.present && t.matching && t.up && t.running && (t.rtt_ms.is_some() || !self.probed)
            })
    }
}

/// Compares the kernel with the spec, without probing (`rtt_ms` stays
/// `None`): the differences are the plan's changes, said as findings.
pub fn health(desired: &Desired, observed: &Observed) -> Result<Health> {
    let plan = plan(desired, observed, Scope::All)?;
    let wanted = |name: &str| desired.tunnels.iter().find(|t| t.name == name);
    let mut differences = Vec::new();
    let mut recreated: Vec<&str> = Vec::new();
    for c in &plan.changes {
        let found = |name: &str| observed.get(name);
        let d = match c {
            Change::Destroy { name } => match (wanted(name), found(name).map(|i| &i.kind)) {
                (Some(t), Some(IfaceKind::Vxlan(v))) => {
                    recreated.push(name);
                    format!(
                        "{name} has VNI {} local {} remote {} port {}; expected VNI {} local {} remote {} port {} (or another MAC)",
                        v.vni,
                        v.local.map_or("-".to_owned(), |a| a.to_string()),
                        v.remote.map_or("-".to_owned(), |a| a.to_string()),
                        v.port,
                        t.vni,
                        t.local,
                        t.remote,
                        t.port
                    )
                }
                _ => format!("{name} is a tunnel of this VPC that the spec no longer has"),
            },
            Change::CreateVxlan { name, .. } if recreated.contains(&name.as_str()) => continue,
            Change::CreateVxlan { name, remote, .. } => {
                format!("tunnel {name} to {remote} is missing")
            }
            Change::CreateBridge { name, .. } => format!("bridge {name} is missing"),
            Change::SetMtu { name, mtu } => format!(
                "{name} has MTU {}, expected {mtu}",
                found(name).map_or(0, |i| i.mtu)
            ),
            Change::SetDescription { name, text } => format!(
                "{name} has description {:?}, expected {text:?}",
                found(name)
                    .and_then(|i| i.description.clone())
                    .unwrap_or_default()
            ),
            Change::AddAddr { name, addr } => format!("{name} lacks address {addr}"),
            Change::DelAddr { name, addr } => {
                format!("{name} has address {addr}, which the spec does not")
            }
            Change::SetNeighbour { name, ip, mac } => {
                format!("{name} lacks the permanent neighbour entry {ip} {mac}")
            }
            Change::AddPort { bridge, port, .. } => format!("{port} is not a port of {bridge}"),
            Change::DelPort { bridge, port } => format!("{port} should not be a port of {bridge}"),
            Change::SetPrivate { bridge, port } => {
                format!("port {port} of {bridge} is not split-horizon (private / isolated)")
            }
            Change::Up { name } => format!("{name} is down"),
        };
        // A recreated tunnel's own changes follow from the recreation.
        if let Some(name) = change_subject(c)
            && recreated.contains(&name)
            && !matches!(c, Change::Destroy { .. })
        {
            continue;
        }
        differences.push(d);
    }
    let tunnels = desired
        .tunnels
        .iter()
        .map(|t| {
            let have = observed.get(&t.name);
            let conf = VxlanConf {
                vni: t.vni,
                local: Some(t.local),
                remote: Some(t.remote),
                port: t.port,
            };
            TunnelHealth {
                peer: t.peer.clone(),
                interface: t.name.clone(),
                vni: t.vni,
                peer_addr: t.peer_addr.addr,
                present: have.is_some_and(|i| matches!(i.kind, IfaceKind::Vxlan(_))),
                matching: have.is_some_and(|i| i.kind == IfaceKind::Vxlan(conf)),
                up: have.is_some_and(|i| i.up),
                running: have.is_some_and(|i| i.running),
                rtt_ms: None,
            }
        })
        .collect();
    Ok(Health {
        vpc: desired.vpc.clone(),
        differences,
        tunnels,
        probed: desired.link_addrs,
    })
}

/// The interface a change is about (the port, for port changes).
fn change_subject(c: &Change) -> Option<&str> {
    match c {
        Change::Destroy { name }
        | Change::CreateBridge { name, .. }
        | Change::CreateVxlan { name, .. }
        | Change::SetMtu { name, .. }
        | Change::SetDescription { name, .. }
        | Change::DelAddr { name, .. }
        | Change::AddAddr { name, .. }
        | Change::SetNeighbour { name, .. }
        | Change::Up { name } => Some(name),
        Change::AddPort { port, .. }
        | Change::DelPort { port, .. }
        | Change::SetPrivate { port, .. } => Some(port),
    }
}
