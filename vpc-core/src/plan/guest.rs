//! Guest ports: joining a guest's port to the VPC bridge and taking it out.

use super::diff::{Change, Plan};
use super::state::{Desired, IfaceKind, Observed};
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
