//! Operations on this host's kernel: converge, teardown, guest ports,
//! status, leaving and removing a VPC. Each holds the store's lock while
//! it changes the kernel.

use super::state::forget;
use crate::backend::Backend;
use crate::backend::dryrun::DryRun;
use crate::error::{Error, ErrorKind, Result};
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
/// it, with the interfaces and guest ports the store records for it.
fn desired_of(store: &Store, spec: &Spec, backend: &dyn Backend) -> Result<plan::Desired> {
    let me = store.this_node()?;
    let mut desired = for_backend(plan::desired(spec, &me.name, backend.platform())?, backend);
    desired.owned = store.owned(&spec.name)?.map(|o| o.ifaces.into());
    if let Some(wg) = desired.wireguard.as_mut()
        && let Some(want) = wg.device.public_key
    {
        super::state::check_wg_key(store, spec, &me.name)?;
        let keys = store.wg_keys(&spec.name)?;
        wg.device.private_key = keys.matching(&want).map(|(k, _)| k.clone());
    }
    desired.guests = store
        .guests(&spec.name)?
        .ports
        .into_iter()
        .map(|p| p.iface)
        .collect();
    Ok(desired)
}

/// Carries `plan` (planned as `what`) out on `backend`, then records what
/// vpc made for the VPC ([`plan::owned_after`]), also when a change failed
/// midway: what was created before the failure stays this VPC's for the
/// next apply, which takes nothing unrecorded. The apply's error comes
/// first. Then verifies ([`verify`]) on the same observation the record
/// was made from: a kernel that accepted a change without carrying it out
/// is a failure, not a silent success.
fn apply_recorded(
    locked: &Locked<'_>,
    desired: &plan::Desired,
    before: &plan::Observed,
    plan: &Plan,
    backend: &mut dyn Backend,
    what: Preview,
) -> Result<()> {
    let applied = backend.apply(&plan.changes).map(drop);
    // A plan with no change changed nothing: the kernel is still what
    // `before` shows, so it is not read again (a converged re-apply costs
    // one observe). Recording and verifying still run, on `before`.
    let observed;
    let after = if plan.changes.is_empty() {
        before
    } else {
        observed = match backend.observe() {
            Ok(after) => after,
            Err(e) => return applied.and(Err(e)),
        };
        &observed
    };
    let ifaces = plan::owned_after(desired, before, &plan.changes, after);
    let same_record = desired.owned.as_ref().map(plan::Record::ifaces) == Some(ifaces.as_slice());
    let recorded = if same_record {
        Ok(())
    } else {
        locked.write_owned(&Owned {
            schema_version: STATE_SCHEMA,
            vpc: desired.vpc.clone(),
            ifaces: ifaces.clone(),
        })
    };
    applied?;
    recorded?;
    if plan.changes.is_empty() && same_record {
        // The same desired state on the same observation plans what it
        // planned: nothing. Verifying would plan it again for nothing.
        return Ok(());
    }
    let recorded = plan::Desired {
        owned: Some(ifaces.into()),
        ..desired.clone()
    };
    verify(&recorded, after, what)
}

/// Plans `what` again against `after`, the kernel observed once the
/// changes were made (nmstate's verify): whatever is left is an error
/// naming it. `desired` holds the record just written, so what was
/// created counts as the VPC's.
fn verify(desired: &plan::Desired, after: &plan::Observed, what: Preview) -> Result<()> {
    let left = match what {
        Preview::Converge(scope) => plan_for(desired, after, scope)?.changes,
        Preview::Teardown(scope) => plan::teardown(desired, after, scope).changes,
    };
    if left.is_empty() {
        return Ok(());
    }
    let said: Vec<String> = left.iter().map(ToString::to_string).collect();
    Err(Error::new(
        ErrorKind::Backend,
        format!(
            "the kernel accepted the changes for VPC {} but, observed again, still differs: \
             {} left ({}); expected none: see vpc mode=status vpc_name={}",
            desired.vpc,
            left.len(),
            said.join("; "),
            desired.vpc
        ),
    ))
}

/// `desired` as `backend`'s kernel can hold it.
fn for_backend(mut desired: plan::Desired, backend: &dyn Backend) -> plan::Desired {
    desired.link_addrs = backend.member_addresses();
    desired
}

/// The plan of `desired`, with a note when link addresses are left out.
/// Where the bridge is converged, the recorded guest ports rejoin it
/// ([`plan::reattach`]).
fn plan_for(desired: &plan::Desired, observed: &plan::Observed, scope: Scope) -> Result<Plan> {
    let mut plan = plan::plan(desired, observed, scope)?;
    if scope != Scope::Tunnels {
        let guests = plan::reattach(desired, observed);
        plan.changes.extend(guests.changes);
        plan.warnings.extend(guests.warnings);
    }
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
        Some(addrs) => {
            // A change of the spec: only on its initiator, checked under
            // the lock so that a spec received meanwhile is seen.
            let instead = super::state::set_member_command(&spec.name, &me.name, addrs);
            super::state::require_initiator(&spec, &me.name, &instead)?;
            spec.set_bridge_addrs(&me.name, addrs.to_vec())?
        }
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
    // The spec names this host's new key: it becomes the one in use.
    if let Some(wg) = &desired.wireguard
        && let Some(want) = wg.device.public_key
        && let Some((key, true)) = store.wg_keys(&spec.name)?.matching(&want)
    {
        locked.promote_wg_key(&spec.name, key)?;
    }
    let what = Preview::Converge(scope);
    apply_recorded(&locked, &desired, &observed, &plan, backend, what)?;
    Ok(plan)
}

/// Removes `scope` of `vpc`'s interfaces from this node (bridge first).
/// The guest record stays: the next `apply` re-attaches those ports (a
/// restart runs teardown, then apply).
pub fn teardown(
    store: &Store,
    vpc: &VpcName,
    backend: &mut dyn Backend,
    scope: Scope,
) -> Result<Plan> {
    let locked = store.lock()?;
    teardown_locked(&locked, vpc, backend, scope)
}

/// [`teardown`] under a lock already held.
fn teardown_locked(
    locked: &Locked<'_>,
    vpc: &VpcName,
    backend: &mut dyn Backend,
    scope: Scope,
) -> Result<Plan> {
    let (_, desired) = local_desired(locked.store(), vpc, backend)?;
    let observed = backend.observe()?;
    let plan = plan::teardown(&desired, &observed, scope);
    let what = Preview::Teardown(scope);
    apply_recorded(locked, &desired, &observed, &plan, backend, what)?;
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
/// the spec, guest records and boot files, all under one hold of the lock.
/// A VPC this node does not hold is already left: nothing to do.
pub fn leave(
    store: &Store,
    vpc: &VpcName,
    backend: &mut dyn Backend,
    boot_dirs: &[(crate::model::platform::Platform, std::path::PathBuf)],
) -> Result<(Outcome, Plan)> {
    let locked = store.lock()?;
    if store.vpc(vpc)?.is_none() {
        return Ok((Outcome::Unchanged, Plan::default()));
    }
    let plan = teardown_locked(&locked, vpc, backend, Scope::All)?;
    // A teardown that succeeded destroyed everything recorded; removing
    // the VPC drops the record.
    forget(&locked, vpc, boot_dirs)?;
    Ok((Outcome::Removed, plan))
}

/// Forgets `vpc` on this host (`mode=remove`): its spec, guest records and
/// boot files. While this host holds interfaces vpc made for it or guest
/// ports recorded as attached to it, that is refused, naming them, unless
/// `force`, which tears them down first (under the same lock). It lives
/// with the kernel operations because it must look at the kernel (and
/// with `force` change it); [`super::state::vpc_remove`] is the store-only
/// part.
pub fn remove(
    store: &Store,
    vpc: &VpcName,
    backend: &mut dyn Backend,
    force: bool,
    boot_dirs: &[(crate::model::platform::Platform, std::path::PathBuf)],
) -> Result<(Outcome, Plan)> {
    let locked = store.lock()?;
    let plan = if force {
        teardown_locked(&locked, vpc, backend, Scope::All)?
    } else {
        let (_, desired) = local_desired(store, vpc, backend)?;
        refuse_held(&desired, &backend.observe()?)?;
        Plan::default()
    };
    forget(&locked, vpc, boot_dirs)?;
    Ok((Outcome::Removed, plan))
}

/// The refusal to forget a VPC whose interfaces (those teardown would
/// destroy: what vpc made for it) or recorded guest ports (those that
/// exist) are on this host.
fn refuse_held(desired: &plan::Desired, observed: &plan::Observed) -> Result<()> {
    let teardown = plan::teardown(desired, observed, Scope::All);
    let ifaces: Vec<&str> = teardown
        .changes
        .iter()
        .filter_map(|c| match c {
            plan::Change::Destroy { name } => Some(name.as_str()),
            _ => None,
        })
        .collect();
    let guests: Vec<&str> = desired
        .guests
        .iter()
        .filter(|g| observed.get(g).is_some())
        .map(String::as_str)
        .collect();
    if ifaces.is_empty() && guests.is_empty() {
        return Ok(());
    }
    let vpc = &desired.vpc;
    let mut held = Vec::new();
    let mut first = Vec::new();
    if !ifaces.is_empty() {
        held.push(format!(
            "interfaces {} (made by vpc for it)",
            ifaces.join(", ")
        ));
        first.push(format!("vpc mode=teardown vpc_name={vpc}"));
    }
    if !guests.is_empty() {
        held.push(format!(
            "guest ports {} (recorded in guests/{vpc}.json)",
            guests.join(", ")
        ));
        first.extend(
            guests
                .iter()
                .map(|g| format!("vpc mode=detach vpc_name={vpc} iface={g}")),
        );
    }
    Err(Error::new(
        ErrorKind::Conflict,
        format!(
            "VPC {vpc} is in use on this host: it holds {}; removing it would leave them \
             behind, so nothing was changed: run {} first, or remove with force=1, which tears \
             them down",
            held.join(" and "),
            first.join(", ")
        ),
    ))
}
