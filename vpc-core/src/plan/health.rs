//! `status`: the kernel against the spec, as findings and per-tunnel health.

use std::collections::HashSet;
use std::net::IpAddr;

use serde::Serialize;

use super::diff::{Change, Scope, plan, underlay_carriers, underlay_down};
use super::state::{Desired, FirewallTable, IfaceKind, Observed, VxlanConf};
use crate::error::Result;
use crate::model::name::{NodeName, VpcName};

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
    /// Differences, one sentence each; `apply` repairs exactly these, but
    /// for a down underlay interface (the host's own, which it warns of).
    pub differences: Vec<String>,
    /// Tunnels, by VNI.
    pub tunnels: Vec<TunnelHealth>,
    /// Whether the far ends were probed (they cannot be without link
    /// addresses).
    pub probed: bool,
    /// What the operator should know that does not make the VPC unhealthy
    /// (the plan's warnings: pf not enabled, an interface named like the
    /// VPC's left alone…).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
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
    let mut plan = plan(desired, observed, Scope::All)?;
    // A recorded guest port outside the bridge (after a restart, say) is a
    // difference `apply` repairs; a missing one is its guest's business.
    plan.changes
        .extend(super::guest::reattach(desired, observed).changes);
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
                        "{name} has VNI {} local {} remote {} port {}; expected VNI {} local {} remote {} port {}",
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
            Change::CreateWireguard { name, .. } => {
                format!("WireGuard interface {name} is missing: the tunnels run inside it")
            }
            Change::SetWireguard { device, .. } => {
                match observed.wireguard.iter().find(|d| d.name == device.name) {
                    _ if observed.get(&device.name).is_none() => continue,
                    None => format!("WireGuard interface {} has no configuration", device.name),
                    Some(have) => wg_difference(device, have),
                }
            }
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
            Change::DelNeighbour { name, ip } => format!(
                "{name} pins {ip} to a MAC with a permanent neighbour entry (an older vpc's)"
            ),
            Change::AddPort { bridge, port, .. } => format!("{port} is not a port of {bridge}"),
            Change::DelPort { bridge, port } => format!("{port} should not be a port of {bridge}"),
            Change::SetPrivate { bridge, port } => {
                format!("port {port} of {bridge} is not split-horizon (private / isolated)")
            }
            Change::Up { name } => format!("{name} is down"),
            Change::SetFirewall { rules } => match observed.firewall(&rules.table) {
                None => format!(
                    "firewall {} is missing: anyone may send to udp port {}",
                    rules.table, rules.port
                ),
                Some(FirewallTable { rules: None, .. }) => format!(
                    "firewall {} was changed: it is not the rule set vpc writes",
                    rules.table
                ),
                Some(FirewallTable {
                    rules: Some(have), ..
                }) => format!(
                    "firewall {} lets {} send to udp port {}; expected {} to udp port {}",
                    rules.table,
                    super::diff::allowed(have),
                    have.port,
                    super::diff::allowed(rules),
                    rules.port
                ),
            },
            Change::RemoveFirewall { table } => {
                format!("firewall {table} should not exist")
            }
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
    // A recorded guest port that exists but cannot rejoin: `apply` warns.
    differences.extend(super::guest::unfit_guests(desired, observed));
    // Not one of the plan's changes: the underlay is the host's, and
    // `apply` only warns of it. The tunnels over it are not healthy.
    for (carrier, addr) in underlay_carriers(desired, observed) {
        if !carrier.up {
            differences.push(underlay_down(carrier, addr));
        }
    }
    // Looked up, not scanned per tunnel: status is linear in the peers.
    let held: HashSet<IpAddr> = observed
        .ifaces
        .iter()
        .flat_map(|i| i.addrs.iter().map(|a| a.addr))
        .collect();
    let by_name = observed.by_name();
    let mut missing: Vec<IpAddr> = Vec::new();
    for t in &desired.tunnels {
        if !held.contains(&t.local) && !missing.contains(&t.local) {
            missing.push(t.local);
            differences.push(format!(
                "underlay address {} of this node is on no interface: the tunnels from it \
                 carry nothing",
                t.local
            ));
        }
    }
    let tunnels = desired
        .tunnels
        .iter()
        .map(|t| {
            let have = by_name.get(t.name.as_str()).copied();
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
    let warnings = plan
        .warnings
        .iter()
        .filter(|w| !differences.contains(w))
        .cloned()
        .collect();
    Ok(Health {
        vpc: desired.vpc.clone(),
        differences,
        tunnels,
        probed: desired.link_addrs,
        warnings,
    })
}

/// How an observed WireGuard configuration differs from the wanted one.
fn wg_difference(want: &crate::plan::WgDevice, have: &crate::plan::WgDevice) -> String {
    let name = &want.name;
    if want.public_key != have.public_key {
        return format!(
            "WireGuard interface {name} has key {}, expected {}",
            have.public_key.map_or("none".to_owned(), |k| k.to_string()),
            want.public_key.map_or("none".to_owned(), |k| k.to_string())
        );
    }
    if want.listen_port != have.listen_port {
        return format!(
            "WireGuard interface {name} listens on port {}, expected {}",
            have.listen_port, want.listen_port
        );
    }
    for p in &want.peers {
        match have.peers.iter().find(|h| h.public_key == p.public_key) {
            None => return format!("WireGuard interface {name} lacks peer {}", p.public_key),
            Some(h) if !p.same(h) => {
                return format!(
                    "WireGuard peer {} on {name} is configured otherwise (endpoint {}, allowed \
                     {}, keepalive {}); expected endpoint {}, allowed {}, keepalive {}",
                    p.public_key,
                    h.endpoint.map_or("learned".to_owned(), |e| e.to_string()),
                    h.allowed_ips
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(","),
                    h.keepalive,
                    p.endpoint.map_or("learned".to_owned(), |e| e.to_string()),
                    p.allowed_ips
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(","),
                    p.keepalive
                );
            }
            Some(_) => {}
        }
    }
    match have
        .peers
        .iter()
        .find(|h| !want.peers.iter().any(|p| p.public_key == h.public_key))
    {
        Some(extra) => format!(
            "WireGuard interface {name} has peer {}, which the spec does not",
            extra.public_key
        ),
        None => format!("WireGuard interface {name} is configured otherwise"),
    }
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
        | Change::DelNeighbour { name, .. }
        | Change::Up { name } => Some(name),
        Change::AddPort { port, .. }
        | Change::DelPort { port, .. }
        | Change::SetPrivate { port, .. } => Some(port),
        Change::CreateWireguard { name, .. } => Some(name),
        Change::SetWireguard { device, .. } => Some(&device.name),
        Change::SetFirewall { .. } | Change::RemoveFirewall { .. } => None,
    }
}
