//! The changes between desired and observed state, ordered in phases.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::IpAddr;

use serde::Serialize;

use super::state::{
    Desired, Firewall, Iface, IfaceKind, Observed, OwnedIface, OwnedKind, Tunnel, VxlanConf,
    WgDevice,
};
use crate::error::{Error, ErrorKind, Result};
use crate::model::addr::IfAddr;
use crate::model::mesh::vni_of_name;
use crate::model::platform::Platform;

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
    /// Remove a permanent neighbour entry (one an older vpc pinned).
    DelNeighbour {
        /// Interface.
        name: String,
        /// The neighbour's address.
        ip: IpAddr,
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
    /// Replace the VPC's rule set, whatever its table holds, with `rules`,
    /// in one transaction.
    SetFirewall {
        /// The whole rule set.
        rules: Firewall,
    },
    /// Remove one of vpc's rule sets.
    RemoveFirewall {
        /// Its name.
        table: String,
    },
    /// Create an encrypted VPC's WireGuard interface (the kernel's, or a
    /// userspace one where the kernel has none).
    CreateWireguard {
        /// Interface.
        name: String,
        /// MTU.
        mtu: u32,
        /// Description.
        description: String,
    },
    /// Give a WireGuard interface its whole configuration — key, port and
    /// every peer, replacing the ones it has — in one request.
    SetWireguard {
        /// The VPC, whose key file in the store holds the private key.
        vpc: crate::model::name::VpcName,
        /// The configuration; its private key is never serialized.
        device: WgDevice,
    },
}

/// The addresses of `fw`, comma-separated, for messages.
pub(crate) fn allowed(fw: &Firewall) -> String {
    let all: Vec<String> = fw
        .allow4
        .iter()
        .map(ToString::to_string)
        .chain(fw.allow6.iter().map(ToString::to_string))
        .collect();
    if all.is_empty() {
        "nobody".to_owned()
    } else {
        all.join(", ")
    }
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
                description,
            } => write!(
                f,
                "create vxlan {name} vni {vni} local {local} remote {remote} port {port} mtu {mtu} \
                 description {description}"
            ),
            Change::SetMtu { name, mtu } => write!(f, "set {name} mtu {mtu}"),
            Change::SetDescription { name, text } => write!(f, "set {name} description {text}"),
            Change::DelAddr { name, addr } => write!(f, "delete address {addr} from {name}"),
            Change::AddAddr { name, addr } => write!(f, "add address {addr} to {name}"),
            Change::DelNeighbour { name, ip } => {
                write!(f, "delete permanent neighbour {ip} from {name}")
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
            Change::SetFirewall { rules } => write!(
                f,
                "set firewall {}: only {} may send to udp port {} for VNIs {}-{}",
                rules.table,
                allowed(rules),
                rules.port,
                rules.vnis[0],
                rules.vnis[1]
            ),
            Change::RemoveFirewall { table } => write!(f, "remove firewall {table}"),
            Change::CreateWireguard {
                name,
                mtu,
                description,
            } => write!(
                f,
                "create wireguard {name} mtu {mtu} description {description}"
            ),
            Change::SetWireguard { device, .. } => {
                write!(
                    f,
                    "set wireguard {} port {} key {} peers",
                    device.name,
                    device.listen_port,
                    device
                        .public_key
                        .map_or_else(|| "none".to_owned(), |k| k.to_string())
                )?;
                if device.peers.is_empty() {
                    f.write_str(" none")?;
                }
                for peer in &device.peers {
                    write!(f, " {}", peer.public_key)?;
                    match peer.endpoint {
                        Some(e) => write!(f, " endpoint {e}")?,
                        None => f.write_str(" endpoint learned")?,
                    }
                    let allowed: Vec<String> =
                        peer.allowed_ips.iter().map(ToString::to_string).collect();
                    write!(f, " allowed {}", allowed.join(","))?;
                    if peer.keepalive != 0 {
                        write!(f, " keepalive {}", peer.keepalive)?;
                    }
                    f.write_str(";")?;
                }
                Ok(())
            }
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

crate::model::words!(Scope, "scope", { All => "all", Tunnels => "tunnels", Bridge => "bridge" }, display);

/// Ordered changes, and notes for the user.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Changes, in the order they must be made.
    pub changes: Vec<Change>,
    /// Things the user should know (e.g. a tunnel the bridge waits for).
    pub warnings: Vec<String>,
}

impl Plan {
    /// How many interfaces the plan destroys (a rule set is not one).
    pub fn destroyed(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| matches!(c, Change::Destroy { .. }))
            .count()
    }
}

/// Changes grouped by phase; the phases run in field order.
#[derive(Default)]
struct Phases {
    firewall: Vec<Change>,
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
            self.firewall,
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
        IfaceKind::Wireguard => "wireguard".to_owned(),
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

/// The refusal to use `iface`, which has a name this VPC needs, as `what`.
fn not_ours(desired: &Desired, iface: &Iface, what: &str) -> Error {
    Error::new(
        ErrorKind::Conflict,
        format!(
            "{}; VPC {} needs the name for {what}, and vpc changes only what it made, so \
             nothing was changed: remove or rename {}, or give the VPC another name",
            desired.not_made(iface),
            desired.vpc,
            iface.name
        ),
    )
}

/// The note that `iface`, named like this VPC's, was left alone.
fn left_alone(desired: &Desired, iface: &Iface) -> String {
    format!("{}: left alone", desired.not_made(iface))
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
    // Whatever the scope, nothing is adopted that vpc did not make: tunnels
    // would join a foreign bridge, or a foreign bridge's addresses go.
    let bridge = match by_name.get(bridge_name) {
        Some(i) if i.kind != IfaceKind::Bridge => {
            return Err(conflict(bridge_name, "bridge", &i.kind));
        }
        Some(i) if !desired.made(i) => return Err(not_ours(desired, i, "its bridge")),
        b => b.copied(),
    };
    let mut tunnels: Vec<(&Tunnel, Option<&Iface>)> = Vec::with_capacity(desired.tunnels.len());
    for t in &desired.tunnels {
        let have = by_name.get(t.name.as_str()).copied();
        if let Some(i) = have.filter(|i| !matches!(i.kind, IfaceKind::Vxlan(_))) {
            return Err(conflict(&t.name, "vxlan", &i.kind));
        }
        if let Some(i) = have.filter(|i| !desired.made(i)) {
            return Err(not_ours(desired, i, &format!("its tunnel to {}", t.peer)));
        }
        tunnels.push((t, have));
    }

    let wireguard = match &desired.wireguard {
        Some(wg) => {
            let name = wg.device.name.as_str();
            match by_name.get(name) {
                Some(i) if i.kind != IfaceKind::Wireguard => {
                    return Err(conflict(name, "wireguard", &i.kind));
                }
                Some(i) if !desired.made(i) => {
                    return Err(not_ours(desired, i, "its WireGuard interface"));
                }
                have => Some((wg, have.copied())),
            }
        }
        None => None,
    };
    let do_tunnels = scope != Scope::Bridge;
    let do_bridge = scope != Scope::Tunnels;
    let bridge_after = do_bridge || bridge.is_some();
    let mut p = Phases::default();
    let mut plan = Plan::default();

    if do_tunnels {
        firewall_changes(desired, observed, &mut p, &mut plan.warnings)?;
        if let Some((wg, have)) = wireguard {
            wireguard_changes(desired, wg, have, observed, &mut p);
        }
        // A foreign vxlan holding a tunnel's VNI on the same local address
        // and port would make the kernel refuse the tunnel midway: refuse
        // the whole plan now instead, before anything changes. The vxlans
        // are looked up by VNI and port (in the kernel's order), not
        // scanned per tunnel.
        let mut vxlans: HashMap<(u32, u16), Vec<(&Iface, &VxlanConf)>> = HashMap::new();
        for i in &observed.ifaces {
            if let IfaceKind::Vxlan(c) = &i.kind {
                vxlans.entry((c.vni, c.port)).or_default().push((i, c));
            }
        }
        for t in &desired.tunnels {
            let holder = vxlans
                .get(&(t.vni, t.port))
                .into_iter()
                .flatten()
                .find(|(i, c)| (c.local == Some(t.local) || c.local.is_none()) && !desired.made(i))
                .map(|(i, _)| *i);
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
        let wanted: HashSet<&str> = desired.tunnels.iter().map(|t| t.name.as_str()).collect();
        for i in &observed.ifaces {
            if wanted.contains(i.name.as_str()) || !matches!(i.kind, IfaceKind::Vxlan(_)) {
                continue;
            }
            if desired.made(i) {
                p.destroy.push(Change::Destroy {
                    name: i.name.clone(),
                });
            } else if desired.owns_tunnel(i) {
                plan.warnings.push(left_alone(desired, i));
            }
        }
        for (t, have) in &mut tunnels {
            let conf = VxlanConf {
                vni: t.vni,
                local: Some(t.local),
                remote: Some(t.remote),
                port: t.port,
            };
            // The MAC is the kernel's choice: a tunnel an older vpc made
            // with a derived one is kept.
            let same = have.is_some_and(|i| i.kind == IfaceKind::Vxlan(conf.clone()));
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

    if do_tunnels {
        for (carrier, addr) in underlay_carriers(desired, observed) {
            if !carrier.up {
                plan.warnings.push(underlay_down(carrier, addr));
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

/// The rule set comes first: no tunnel is created before only members
/// may reach it. On FreeBSD it is a pf anchor, which depends on the
/// admin's pf: where pf is not loaded no rule set can be loaded (a
/// warning instead of a change that would fail), and where it is disabled
/// or its main ruleset does not evaluate vpc's anchors the rule set is
/// loaded and a warning says it filters nothing yet. vpc never enables pf
/// nor edits the main ruleset.
fn firewall_changes(
    desired: &Desired,
    observed: &Observed,
    p: &mut Phases,
    warnings: &mut Vec<String>,
) -> Result<()> {
    let fw = &desired.firewall;
    if desired.platform == Platform::FreeBsd {
        refuse_shared_port(desired, observed)?;
        if let Some(pf) = observed.packet_filter {
            let vpc = &desired.vpc;
            let port = fw.port;
            // `backend::freebsd::pf::ANCHOR_CALL`, which the admin's
            // pf.conf needs (the planner names no backend).
            let call = "anchor \"vpc/*\"";
            if !pf.loaded {
                warnings.push(format!(
                    "pf is not loaded: VPC {vpc}'s members-only rules cannot be set, so its VXLAN \
                     port {port} is open to anyone who reaches this host; enable pf \
                     (pf_enable=\"YES\" in /etc/rc.conf, service pf start) with `{call}` in \
                     /etc/pf.conf, then apply again"
                ));
                return Ok(());
            }
            if !pf.enabled {
                warnings.push(format!(
                    "pf is not enabled: VPC {vpc}'s members-only rules (pf anchor vpc/{vpc}) \
                     filter nothing, so its VXLAN port {port} is open; enable pf (pfctl -e, \
                     pf_enable=\"YES\" in /etc/rc.conf) and add `{call}` to /etc/pf.conf"
                ));
            } else if !pf.evaluates_anchors {
                warnings.push(format!(
                    "pf's main ruleset does not evaluate `{call}`: VPC {vpc}'s members-only rules \
                     (pf anchor vpc/{vpc}) filter nothing, so its VXLAN port {port} is open; add \
                     `{call}` to /etc/pf.conf, before any `pass quick` rule, and reload it \
                     (pfctl -f /etc/pf.conf)"
                ));
            }
        }
    }
    let have = observed.firewall(&fw.table);
    if have.and_then(|f| f.rules.as_ref()) != Some(fw) {
        p.firewall.push(Change::SetFirewall { rules: fw.clone() });
    }
    Ok(())
}

/// Refuses, on FreeBSD, a rule set that would cut another VXLAN user of
/// the VPC's UDP port on this host. pf cannot read the VNI, so a rule set
/// drops every packet to the port from outside its table (and, on an
/// encrypted VPC, every one not out of its WireGuard interface), whatever
/// tunnel it is for. Two users of one port get along only when neither is
/// encrypted and they have the same members: this VPC's rules must let
/// every other tunnel's far end in, and another VPC's anchor on the port
/// must hold exactly this VPC's members. Anything else is refused before
/// any change, naming who holds the port.
fn refuse_shared_port(desired: &Desired, observed: &Observed) -> Result<()> {
    let fw = &desired.firewall;
    let port = fw.port;
    let member = |ip: IpAddr| match ip {
        IpAddr::V4(a) => fw.allow4.contains(&a),
        IpAddr::V6(a) => fw.allow6.contains(&a),
    };
    let refuse = |holder: String| {
        Error::new(
            ErrorKind::Conflict,
            format!(
                "VPC {} cannot have members-only rules on UDP port {port} here: {holder}, and pf, \
                 unlike nftables, cannot tell VXLAN packets apart by VNI, so one rule set would \
                 drop the other's peers; nothing was changed: on FreeBSD VPCs share a host's \
                 VXLAN port only with the same members and no encryption, so give this VPC its \
                 own port (port= when it is defined)",
                desired.vpc
            ),
        )
    };
    for i in &observed.ifaces {
        let IfaceKind::Vxlan(c) = &i.kind else {
            continue;
        };
        // A vxlan of this VPC's VNI range is its business either way (the
        // Linux rules judge those VNIs too): one vpc made, or a stale one
        // left alone.
        if c.port != port || desired.made(i) || desired.owns_tunnel(i) {
            continue;
        }
        let remote = c
            .remote
            .map_or_else(|| "no remote".to_owned(), |r| format!("remote {r}"));
        if fw.via.is_some() {
            return Err(refuse(format!(
                "{} (VNI {}, {remote}) receives on that port outside this VPC's WireGuard \
                 interface",
                i.name, c.vni
            )));
        }
        if !c.remote.is_some_and(member) {
            return Err(refuse(format!(
                "{} (VNI {}, {remote}), which is not this VPC's, receives on that port from a \
                 host that is not this VPC's member",
                i.name, c.vni
            )));
        }
    }
    for f in &observed.firewalls {
        let Some(other) = f
            .rules
            .as_ref()
            .filter(|o| o.port == port && f.table != fw.table)
        else {
            continue;
        };
        let anchor = other
            .table
            .strip_prefix(super::state::FIREWALL_PREFIX)
            .map_or_else(|| other.table.clone(), |vpc| format!("vpc/{vpc}"));
        if other.via.is_some() || fw.via.is_some() {
            return Err(refuse(format!(
                "pf anchor {anchor} guards that port too, and one of the two VPCs is encrypted"
            )));
        }
        if other.allow4 != fw.allow4 || other.allow6 != fw.allow6 {
            return Err(refuse(format!(
                "pf anchor {anchor} guards that port too, for other members ({})",
                allowed(other)
            )));
        }
    }
    Ok(())
}

/// The WireGuard interface comes before the tunnels that run inside it:
/// created first, brought up and configured (key, port, peers in one
/// request) before any tunnel is up.
fn wireguard_changes(
    desired: &Desired,
    wg: &super::state::Wireguard,
    have: Option<&Iface>,
    observed: &Observed,
    p: &mut Phases,
) {
    let name = wg.device.name.clone();
    let description = desired.wireguard_description();
    match have {
        None => p.create.push(Change::CreateWireguard {
            name: name.clone(),
            mtu: wg.mtu,
            description,
        }),
        Some(i) => {
            if i.mtu != wg.mtu {
                p.set.push(Change::SetMtu {
                    name: name.clone(),
                    mtu: wg.mtu,
                });
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
    addr_changes(&name, addrs, std::slice::from_ref(&wg.addr), p);
    if !have.is_some_and(|i| i.up) {
        p.up.push(Change::Up { name: name.clone() });
    }
    // Configured once up, so that a member behind NAT sends its first
    // keepalive (and handshake) at once rather than a keepalive later.
    let configured = have.is_some()
        && observed
            .wireguard
            .iter()
            .any(|d| d.name == name && wg.device.same(d));
    if !configured {
        p.up.push(Change::SetWireguard {
            vpc: desired.vpc.clone(),
            device: wg.device.clone(),
        });
    }
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
    // An older vpc pinned the far end's link address to a MAC it derived,
    // which a peer it did not build never has: such a host's replies to
    // that peer's probes went nowhere. The kernel learns the MAC instead.
    let ip = t.peer_addr.addr;
    if have.is_some_and(|i| i.neighbours.iter().any(|(a, _)| *a == ip)) {
        p.set.push(Change::DelNeighbour {
            name: name.clone(),
            ip,
        });
    }
    if !have.is_some_and(|i| i.up) {
        p.up.push(Change::Up { name: name.clone() });
    }
}

/// The changes that remove this VPC's interfaces from a node: the bridge
/// first (it releases guest ports), then the tunnels. Only what vpc made
/// ([`Desired::made`]) is named; a foreign interface with one of the VPC's
/// names is left alone, with a warning.
pub fn teardown(desired: &Desired, observed: &Observed, scope: Scope) -> Plan {
    let mut changes = Vec::new();
    let mut warnings = Vec::new();
    if scope != Scope::Tunnels
        && let Some(b) = observed.get(desired.bridge())
        && b.kind == IfaceKind::Bridge
    {
        if desired.made(b) {
            changes.push(Change::Destroy {
                name: b.name.clone(),
            });
        } else {
            warnings.push(left_alone(desired, b));
        }
    }
    if scope != Scope::Bridge {
        let mut owned: Vec<&Iface> = Vec::new();
        for i in observed
            .ifaces
            .iter()
            .filter(|i| matches!(i.kind, IfaceKind::Vxlan(_)))
        {
            if desired.made(i) {
                owned.push(i);
            } else if desired.owns_tunnel(i) {
                warnings.push(left_alone(desired, i));
            }
        }
        owned.sort_by_key(|i| (vni_of_name(&i.name), i.name.clone()));
        changes.extend(owned.into_iter().map(|i| Change::Destroy {
            name: i.name.clone(),
        }));
        // The WireGuard interface the tunnels ran inside, after them.
        if let Some(wg) = &desired.wireguard
            && let Some(i) = observed.get(&wg.device.name)
            && i.kind == IfaceKind::Wireguard
        {
            if desired.made(i) {
                changes.push(Change::Destroy {
                    name: i.name.clone(),
                });
            } else {
                warnings.push(left_alone(desired, i));
            }
        }
        // Last: the guard stays while a tunnel does.
        if let Some(f) = observed.firewall(&desired.firewall.table) {
            changes.push(Change::RemoveFirewall {
                table: f.table.clone(),
            });
        }
    }
    Plan { changes, warnings }
}

/// What the store records as made by vpc for the VPC once `changes` were
/// carried out (wholly or not) on `before`, leaving `after`: what was the
/// VPC's before and is still there under the same index, and what the
/// changes created. Interfaces destroyed drop out; one recreated is
/// recorded under its new index.
pub fn owned_after(
    desired: &Desired,
    before: &Observed,
    changes: &[Change],
    after: &Observed,
) -> Vec<OwnedIface> {
    // Both looked up by name: a scan per interface made recording
    // quadratic in the number of peers.
    let created: HashSet<&str> = changes
        .iter()
        .filter_map(|c| match c {
            Change::CreateBridge { name, .. }
            | Change::CreateVxlan { name, .. }
            | Change::CreateWireguard { name, .. } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    let was = before.by_name();
    let mut owned: Vec<OwnedIface> = after
        .ifaces
        .iter()
        .filter(|i| i.index != 0)
        .filter_map(|i| {
            let kind = OwnedKind::of(&i.kind)?;
            let old = was.get(i.name.as_str()).filter(|b| b.index == i.index);
            let ours = match old {
                Some(b) => desired.made(b),
                None => created.contains(i.name.as_str()),
            };
            ours.then(|| OwnedIface {
                name: i.name.clone(),
                index: i.index,
                kind,
            })
        })
        .collect();
    owned.sort();
    owned
}

/// The interfaces holding this node's underlay addresses (each once, with
/// the first of its addresses the VPC sends from), in tunnel order.
pub(crate) fn underlay_carriers<'a>(
    desired: &Desired,
    observed: &'a Observed,
) -> Vec<(&'a Iface, IpAddr)> {
    let mut carriers: Vec<(&Iface, IpAddr)> = Vec::new();
    for (addr, _) in desired.underlay() {
        let carrier = observed
            .ifaces
            .iter()
            .find(|i| i.addrs.iter().any(|a| a.addr == addr));
        if let Some(c) = carrier
            && !carriers.iter().any(|(i, _)| i.name == c.name)
        {
            carriers.push((c, addr));
        }
    }
    carriers
}

/// What is said of an underlay interface that is down, in a plan's
/// warnings and in `status`'s differences.
pub(crate) fn underlay_down(iface: &Iface, addr: IpAddr) -> String {
    format!(
        "underlay interface {} (address {addr}) is down: the tunnels over it carry nothing \
         until it is up",
        iface.name
    )
}

/// Checks, before anything is changed, that neither the peer network nor
/// this node's bridge addresses overlap an address the kernel holds on an
/// interface that is not this VPC's (its bridge, its tunnels): the routes
/// `apply` adds would take that traffic — the way to a peer over the
/// underlay among it — into the tunnels.
pub fn check_addresses(desired: &Desired, observed: &Observed) -> Result<()> {
    let own = |i: &Iface| {
        (i.name == desired.bridge() && i.kind == IfaceKind::Bridge) || desired.owns_tunnel(i)
    };
    let foreign = observed.ifaces.iter().filter(|i| !own(i));
    for i in foreign {
        for a in &i.addrs {
            let mine = if desired.peer_network.overlaps(&a.subnet()) {
                format!("peer_network {}", desired.peer_network)
            } else if let Some(b) = desired.bridge_addrs.iter().find(|b| b.overlaps(a)) {
                format!("bridge_ips {b}")
            } else {
                continue;
            };
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "{mine} of VPC {} overlaps address {a} on interface {} of this host: \
                     applying would route that traffic into the VPC; expected a network apart \
                     from this host's addresses",
                    desired.vpc, i.name
                ),
            ));
        }
    }
    Ok(())
}

/// Checks, before anything is changed, that every underlay address the
/// VPC sends from is on an interface whose MTU carries the VPC MTU plus
/// the overhead (VXLAN's, and on an encrypted VPC WireGuard's).
pub fn check_underlay(desired: &Desired, observed: &Observed) -> Result<()> {
    for (addr, need) in desired.underlay() {
        let carrier = observed
            .ifaces
            .iter()
            .find(|i| i.addrs.iter().any(|a| a.addr == addr));
        let Some(carrier) = carrier else {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!(
                    "underlay address {addr} of this node is on no interface: expected it \
                     configured (it is this node's address in the spec, or its local4=/local6= \
                     behind NAT; see vpc node mode=init)"
                ),
            ));
        };
        if carrier.mtu < need {
            let over = if desired.wireguard.is_some() {
                "WireGuard and VXLAN overhead"
            } else {
                "VXLAN overhead"
            };
            return Err(Error::new(
                ErrorKind::Conflict,
                format!(
                    "underlay interface {} (address {addr}) has MTU {}; the VPC MTU {} needs \
                     {need} with {over}: lower the VPC's mtu= or raise the underlay MTU",
                    carrier.name, carrier.mtu, desired.mtu
                ),
            ));
        }
    }
    Ok(())
}
