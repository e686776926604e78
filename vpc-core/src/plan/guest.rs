//! Guest ports: joining a guest's port to the VPC bridge and taking it out.

use super::diff::{Change, Plan};
use super::state::{Desired, Iface, IfaceKind, Observed};
use crate::error::{Error, ErrorKind, Result};

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
    if !desired.made(b) {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "{}: guest ports join only a bridge vpc made, so {iface} was not attached",
                desired.not_made(b)
            ),
        ));
    }
    let port = observed.get(iface).ok_or_else(|| {
        Error::new(
            ErrorKind::NotFound,
            format!("interface {iface:?} does not exist on this node"),
        )
    })?;
    Ok(Plan {
        changes: port_changes(desired, port)?,
        warnings: Vec::new(),
    })
}

/// The changes that make `port` a guest port of the VPC bridge (which
/// exists or is about to): MTU, join, up. Ports that are no guest's are
/// refused, before anything changes.
fn port_changes(desired: &Desired, port: &Iface) -> Result<Vec<Change>> {
    let bridge = desired.bridge();
    let iface = port.name.as_str();
    // A well-formed name of the wrong sort of interface: a refusal by the
    // host's state (exit 1), not a malformed value.
    if port.kind == IfaceKind::Bridge || desired.owns_tunnel(port) || port.name == bridge {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!("iface {iface} is not a guest port: expected an epair, tap or veth end"),
        ));
    }
    // Linux refuses to make a loopback a bridge port, but only after its
    // MTU was set: refused here, nothing changes.
    if port.kind == IfaceKind::Other("loopback".to_owned()) {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "iface {iface} is a loopback interface, not a guest port: \
                 expected an epair, tap or veth end"
            ),
        ));
    }
    // A port's addresses stop working in a bridge: one of this host's (the
    // underlay's above all) would take the host's own traffic into the VPC.
    // The kernel's IPv6 link-local address is on every port that is up.
    if let Some(a) = port.addrs.iter().find(|a| !a.is_link_local()) {
        let whose = if desired.tunnels.iter().any(|t| t.local == a.addr) {
            ", an underlay address of this host: attaching it would cut the tunnels"
        } else {
            " of this host"
        };
        return Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "iface {iface} holds address {a}{whose}; expected a guest port with no address \
                 (an epair, tap or veth end)"
            ),
        ));
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
    Ok(changes)
}

/// The changes that bring the guest ports this host records for the VPC
/// ([`Desired::guests`]) back into its bridge, which exists or is about to
/// (after `teardown` at stop, `apply` at start re-attaches them: a restart
/// keeps guests). Being recorded proves they are the VPC's. A recorded
/// port that is missing (its guest is stopped or gone), or one that is no
/// longer fit to be a guest port, is a warning naming it, not a refusal:
/// the rest of the VPC comes up all the same.
pub fn reattach(desired: &Desired, observed: &Observed) -> Plan {
    let mut plan = Plan::default();
    for iface in &desired.guests {
        let Some(port) = observed.get(iface) else {
            plan.warnings.push(missing_guest(desired, iface));
            continue;
        };
        match port_changes(desired, port) {
            Ok(changes) => plan.changes.extend(changes),
            Err(e) => plan.warnings.push(refused_guest(desired, iface, &e)),
        }
    }
    plan
}

/// The note that recorded guest port `iface` is not on this host.
fn missing_guest(desired: &Desired, iface: &str) -> String {
    format!(
        "guest port {iface} (recorded in guests/{vpc}.json) does not exist on this host: not \
         attached to {vpc}; it is re-attached once it exists and vpc mode=apply runs again, \
         or vpc mode=detach vpc_name={vpc} iface={iface} forgets it",
        vpc = desired.vpc
    )
}

/// The note that recorded guest port `iface` cannot rejoin the bridge.
pub(crate) fn refused_guest(desired: &Desired, iface: &str, why: &Error) -> String {
    format!(
        "guest port {iface} (recorded in guests/{vpc}.json) cannot rejoin bridge {vpc}: {}",
        why.message(),
        vpc = desired.vpc
    )
}

/// The recorded guest ports that exist but cannot rejoin the bridge, with
/// why: for `status`, each is a difference.
pub(crate) fn unfit_guests(desired: &Desired, observed: &Observed) -> Vec<String> {
    desired
        .guests
        .iter()
        .filter_map(|g| {
            let port = observed.get(g)?;
            port_changes(desired, port)
                .err()
                .map(|e| refused_guest(desired, g, &e))
        })
        .collect()
}

/// The changes that put guest port `iface` back as `observed` had it
/// before an [`attach`] whose changes failed midway: its MTU (the kernel
/// may refuse the port after its MTU was set).
pub fn attach_undo(observed: &Observed, iface: &str) -> Vec<Change> {
    observed
        .get(iface)
        .map(|port| Change::SetMtu {
            name: iface.to_owned(),
            mtu: port.mtu,
        })
        .into_iter()
        .collect()
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
