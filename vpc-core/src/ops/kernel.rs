//! Operations on this host's kernel: converge, teardown, guest ports,
//! status, leaving a VPC. Each holds the store's lock while it changes
//! the kernel.

use super::state::vpc_remove;
use crate::backend::Backend;
use crate::backend::dryrun::DryRun;
use crate::error::Result;
use crate::model::addr::IfAddr;
use crate::model::name::{NodeName, VpcName};
use crate::model::spec::Spec;
use crate::plan::{self, Plan, Scope};
use crate::store::{Locked, Outcome, Owned, STATE_SCHEMA, Store};

/// What a dry run previews.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preview {
    /// `apply`, `init_vxlan`, `init_bridge`.
    Converge(Scope),
    /// `teardown`, `destroy_vxlan`, `destroy_bridge`.
    Teardown(Scope),
}

/// Plans `what` for `spec` on member `node` against what `backend`
/// observes, and renders it as `backend`'s platform's commands. Nothing is
/// changed.
pub fn dry_run(
    spec: &Spec,
    node: &NodeName,
    backend: &mut dyn Backend,
    what: Preview,
) -> Result<(Plan, Vec<String>)> {
    let platform = backend.platform();
    let desired = for_backend(plan::desired(spec, node, platform)?, backend);
    let observed = backend.observe()?;
    let plan = match what {
        Preview::Converge(scope) => plan_for(&desired, &observed, scope)?,
        Preview::Teardown(scope) => plan::teardown(&desired, &observed, scope),
    };
    let mut render = DryRun::new(platform, observed);
    render.apply(&plan.changes)?;
    let lines = render.lines().to_vec();
    Ok((plan, lines))
}

/// The spec of `vpc` and this node's desired state in it, as `backend`'s
/// kernel can hold it.
fn local_desired(
    store: &Store,
    vpc: &VpcName,
    backend: &dyn Backend,
) -> Result<(Spec, plan::Desired)> {
    let spec = store.require_vpc(vpc)?;
    let desired = desired_of(store, &spec, backend)?;
    Ok((spec, desired))
}

/// This node's desired state in `spec`, as `backend`'s kernel can hold
/// it, with the interfaces the store records as made for it.
fn desired_of(store: &Store, spec: &Spec, backend: &dyn Backend) -> Result<plan::Desired> {
    let me = store.this_node()?;
    let mut desired = for_backend(plan::desired(spec, &me.name, backend.platform())?, backend);
    desired.owned = store.owned(&spec.name)?.map(|o| o.ifaces);
    Ok(desired)
}

/// Carries `plan` out on `backend`, then records what vpc made for the VPC
/// ([`plan::owned_after`]), also when a change failed midway: what was
/// created before the failure stays this VPC's for the next apply, which
/// takes nothing unrecorded. The apply's error comes first.
fn apply_recorded(
    locked: &Locked<'_>,
    desired: &plan::Desired,
    before: &plan::Observed,
    plan: &Plan,
    backend: &mut dyn Backend,
) -> Result<()> {
    let applied = backend.apply(&plan.changes).map(drop);
    let after = match backend.observe() {
        Ok(after) => after,
        Err(e) => return applied.and(Err(e)),
    };
    let ifaces = plan::owned_after(desired, before, &plan.changes, &after);
    let recorded = if desired.owned.as_ref() == Some(&ifaces) {
        Ok(())
    } else {
        locked.write_owned(&Owned {
            schema_version: STATE_SCHEMA,
            vpc: desired.vpc.clone(),
            ifaces,
        })
    };
    applied.and(recorded)
}

/// `desired` as `backend`'s kernel can hold it.
fn for_backend(mut desired: plan::Desired, backend: &dyn Backend) -> plan::Desired {
    desired.link_addrs = backend.member_addresses();
    desired
}

/// The plan of `desired`, with a note when link addresses are left out.
fn plan_for(desired: &plan::Desired, observed: &plan::Observed, scope: Scope) -> Result<Plan> {
    let mut plan = plan::plan(desired, observed, scope)?;
    if !desired.link_addrs {
        plan.warnings.push(
            "this kernel refuses addresses on bridge members (net.link.bridge.member_ifaddrs=0): \
             tunnels carry no link addresses, and status checks them by their RUNNING state"
                .to_owned(),
        );
    }
    Ok(plan)
}

/// Converges `scope` of `vpc` on this node: observe, check the underlay,
/// plan, apply. Returns the plan that was carried out. Holds the store's
/// lock throughout, so two commands never change one node at once.
pub fn converge(
    store: &Store,
    vpc: &VpcName,
    backend: &mut dyn Backend,
    scope: Scope,
) -> Result<Plan> {
    converge_with(store, vpc, backend, scope, None)
}

/// [`converge`], with this node's bridge addresses replaced by
/// `bridge_ips` first (`init_bridge bridge_ips=`). The new spec is planned
/// and checked against the kernel as a copy; it is stored (its generation
/// bumped) only when every check passed, just before the changes are made,
/// so a refusal changes neither the store nor the kernel.
pub fn converge_with(
    store: &Store,
    vpc: &VpcName,
    backend: &mut dyn Backend,
    scope: Scope,
    bridge_ips: Option<&[IfAddr]>,
) -> Result<Plan> {
    let locked = store.lock()?;
    let mut spec = store.require_vpc(vpc)?;
    let me = store.this_node()?;
    let changed = match bridge_ips {
        Some(addrs) => spec.set_bridge_addrs(&me.name, addrs.to_vec())?,
        None => false,
    };
    let desired = desired_of(store, &spec, backend)?;
    let observed = backend.observe()?;
    if scope != Scope::Bridge {
        plan::check_underlay(&desired, &observed)?;
    }
    plan::check_addresses(&desired, &observed)?;
    let plan = plan_for(&desired, &observed, scope)?;
    if changed {
        locked.write_vpc(&spec)?;
    }
    apply_recorded(&locked, &desired, &observed, &plan, backend)?;
    Ok(plan)
}

/// Removes `scope` of `vpc`'s interfaces from this node (bridge first).
pub fn teardown(
    store: &Store,
    vpc: &VpcName,
    backend: &mut dyn Backend,
    scope: Scope,
) -> Result<Plan> {
    let locked = store.lock()?;
    let (_, desired) = local_desired(store, vpc, backend)?;
    let observed = backend.observe()?;
    let plan = plan::teardown(&desired, &observed, scope);
    apply_recorded(&locked, &desired, &observed, &plan, backend)?;
    Ok(plan)
}

/// Attaches guest port `iface` to `vpc`'s bridge on this node after the
/// quota admits what it declares; records it.
pub fn attach(
    store: &Store,
    vpc: &VpcName,
    backend: &mut dyn Backend,
    iface: &str,
    usage: crate::model::quota::Usage,
) -> Result<(Outcome, Plan)> {
    let locked = store.lock()?;
    let (spec, desired) = local_desired(store, vpc, backend)?;
    let mut guests = store.guests(vpc)?;
    let held = guests.ports.iter().position(|p| p.iface == iface);
    let others = crate::store::Guests {
        ports: guests
            .ports
            .iter()
            .filter(|p| p.iface != iface)
            .cloned()
            .collect(),
        ..guests.clone()
    };
    // Is it a port that can join at all? Then does the quota admit it?
    let observed = backend.observe()?;
    let plan = plan::attach(&desired, &observed, iface)?;
    crate::model::quota::admit(&spec.quota, others.usage(), usage)?;
    if let Err(e) = backend.apply(&plan.changes) {
        // Put the port's MTU back; the error that stopped the attach is
        // the one to report, not a failure of the undo.
        let _ = backend.apply(&plan::attach_undo(&observed, iface));
        return Err(e);
    }
    let record = crate::store::GuestPort {
        iface: iface.to_owned(),
        usage,
    };
    let outcome = match held {
        Some(at) if guests.ports[at] == record && plan.changes.is_empty() => {
            return Ok((Outcome::Unchanged, plan));
        }
        Some(at) => {
            guests.ports[at] = record;
            Outcome::Updated
        }
        None => {
            guests.ports.push(record);
            Outcome::Created
        }
    };
    locked.write_guests(&guests)?;
    Ok((outcome, plan))
}

/// Takes guest port `iface` out of `vpc`'s bridge and forgets it.
pub fn detach(
    store: &Store,
    vpc: &VpcName,
    backend: &mut dyn Backend,
    iface: &str,
) -> Result<(Outcome, Plan)> {
    let locked = store.lock()?;
    let (_, desired) = local_desired(store, vpc, backend)?;
    let mut guests = store.guests(vpc)?;
    if !guests.ports.iter().any(|p| p.iface == iface) {
        // Not attached by vpc: someone else's port, which stays where it is.
        let mut plan = Plan::default();
        plan.warnings.push(format!(
            "{iface} is not a guest port attached to VPC {vpc} by vpc (guests/{vpc}.json does \
             not hold it): left alone"
        ));
        return Ok((Outcome::Unchanged, plan));
    }
    let observed = backend.observe()?;
    let plan = match observed.get(desired.bridge()) {
        Some(b) if !desired.made(b) => {
            // The port was ours in our bridge; that bridge is gone and the
            // one under its name is not vpc's: only the record is dropped.
            let mut plan = Plan::default();
            plan.warnings.push(format!(
                "{}: {iface} is left in it, and forgotten",
                desired.not_made(b)
            ));
            plan
        }
        _ => plan::detach(&desired, &observed, iface),
    };
    backend.apply(&plan.changes)?;
    let before = guests.ports.len();
    guests.ports.retain(|p| p.iface != iface);
    if guests.ports.len() == before && plan.changes.is_empty() {
        return Ok((Outcome::Unchanged, plan));
    }
    locked.write_guests(&guests)?;
    Ok((Outcome::Removed, plan))
}

/// Compares this node's interfaces of `vpc` with the spec and probes the
/// far end of every tunnel through `backend` (all at once, answers awaited
/// for `timeout`: over each tunnel, from this end's link address).
pub fn status(
    store: &Store,
    vpc: &VpcName,
    backend: &mut dyn Backend,
    timeout: std::time::Duration,
) -> Result<plan::Health> {
    let (_, desired) = local_desired(store, vpc, backend)?;
    let observed = backend.observe()?;
    let mut health = plan::health(&desired, &observed)?;
    if !health.probed {
        return Ok(health);
    }
    let targets: Vec<crate::backend::Probe> = desired
        .tunnels
        .iter()
        .map(|t| crate::backend::Probe {
            iface: t.name.clone(),
            from: t.link_addr.addr,
            to: t.peer_addr.addr,
        })
        .collect();
    let rtts = backend.probe(&targets, timeout)?;
    for (t, rtt) in health.tunnels.iter_mut().zip(rtts) {
        // Microseconds are all a probe can tell.
        t.rtt_ms = rtt.map(|d| d.as_micros() as f64 / 1000.0);
    }
    Ok(health)
}
/// Takes this node out of `vpc`: tears down its interfaces, then forgets
/// the spec, guest records and boot files. A VPC this node does not hold
/// is already left: nothing to do.
pub fn leave(
    store: &Store,
    vpc: &VpcName,
    backend: &mut dyn Backend,
    boot_dirs: &[(crate::model::platform::Platform, std::path::PathBuf)],
) -> Result<(Outcome, Plan)> {
    if store.vpc(vpc)?.is_none() {
        return Ok((Outcome::Unchanged, Plan::default()));
    }
    let plan = teardown(store, vpc, backend, Scope::All)?;
    // A teardown that succeeded destroyed everything recorded; removing
    // the VPC drops the record.
    vpc_remove(store, vpc, boot_dirs)?;
    Ok((Outcome::Removed, plan))
}
