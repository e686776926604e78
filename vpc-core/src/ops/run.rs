//! Requests in, reports out: what every door calls. Each function reads
//! one [`request`](mod@crate::request) type, runs the operation (choosing this
//! host's kernel or a dry run here, never in a door), and answers with
//! one [`report`](mod@crate::report) type.
//!
//! The kernel operations have an `_on` twin that takes the kernel to use,
//! so tests run them against the memory kernel.

use crate::backend::{self, Backend, dryrun};
use crate::error::{Error, ErrorKind, Result};
use crate::model::addr::IfAddr;
use crate::model::mesh::Numbering;
use crate::model::name::{NodeName, VpcName};
use crate::model::platform::Platform;
use crate::model::spec::Spec;
use crate::plan::Plan;
use crate::report::{self, REPORT_VERSION};
use crate::request;
use crate::store::{Outcome, Store};

use super::{kernel, state};

/// `vpc node mode=init`.
pub fn node_init(store: &Store, req: &request::NodeInit) -> Result<report::NodeInit> {
    Ok(report::NodeInit {
        version: REPORT_VERSION,
        outcome: state::node_init(store, req.node.clone())?,
        node: req.node.clone(),
    })
}

/// `vpc node mode=add offline=1`.
pub fn node_add_offline(store: &Store, req: &request::NodeAddOffline) -> Result<report::NodeAdded> {
    let (outcome, replaced) = state::node_add_or_replace(store, req.record.clone(), req.replace)?;
    Ok(report::NodeAdded {
        version: REPORT_VERSION,
        outcome,
        node: req.record.clone(),
        replaced,
    })
}

/// `vpc node mode=add` over SSH; `password` as the door obtained it.
#[cfg(feature = "ssh")]
pub fn node_add(
    store: &Store,
    req: &request::NodeAddOnline,
    password: Option<String>,
) -> Result<report::NodeJoined> {
    let add = crate::cluster::AddNode {
        address: req.address,
        port: req.port,
        user: req.user.clone(),
        command: req.command.clone(),
        identity: req.identity.clone(),
        fingerprint: req.fingerprint.clone(),
        password,
        replace: req.replace,
    };
    Ok(report::NodeJoined {
        version: REPORT_VERSION,
        added: crate::cluster::add_node(store, add, &req.timeouts)?,
    })
}

/// `vpc node mode=remove`.
pub fn node_remove(store: &Store, req: &request::NodeRemove) -> Result<report::NodeRemoved> {
    Ok(report::NodeRemoved {
        version: REPORT_VERSION,
        outcome: state::node_remove(store, &req.name)?,
        node: req.name.clone(),
    })
}

/// `vpc node mode=list`.
pub fn node_list(store: &Store, _: &request::NodeList) -> Result<report::NodeList> {
    Ok(report::NodeList {
        version: REPORT_VERSION,
        this: store.identity()?,
        nodes: store.nodes()?,
    })
}

fn vpc_report(spec: &Spec, outcome: Option<Outcome>) -> Result<report::Vpc> {
    Ok(report::Vpc {
        version: REPORT_VERSION,
        summary: report::VpcSummary::of(spec)?,
        outcome,
        spec: None,
        warnings: Vec::new(),
    })
}

/// `vpc mode=init`.
pub fn init(store: &Store, req: &request::Init) -> Result<report::Vpc> {
    let (outcome, spec) = state::vpc_init(store, req.vpc.clone(), &req.members, &req.options)?;
    vpc_report(&spec, Some(outcome))
}

/// The spec of `vpc`, for the reports that borrow from it
/// ([`report::PeerMap::of`]).
pub fn spec(store: &Store, vpc: &VpcName) -> Result<Spec> {
    store.require_vpc(vpc)
}

/// `vpc mode=list vpc_name=V`: one VPC with its spec.
pub fn show(store: &Store, vpc: &VpcName) -> Result<report::Vpc> {
    let spec = store.require_vpc(vpc)?;
    let mut r = vpc_report(&spec, None)?;
    r.spec = Some(spec);
    Ok(r)
}

/// `vpc mode=list`: every VPC in a line.
pub fn list(store: &Store) -> Result<report::VpcList> {
    Ok(report::VpcList {
        version: REPORT_VERSION,
        vpcs: store
            .vpcs()?
            .iter()
            .map(report::VpcSummary::of)
            .collect::<Result<_>>()?,
    })
}

/// `vpc mode=remove`: refused while this host holds the VPC's interfaces
/// or guest ports, unless `force=1`.
pub fn remove(store: &Store, req: &request::Remove) -> Result<report::VpcRemoved> {
    // A VPC not held is refused before any kernel is opened.
    store.require_vpc(&req.vpc)?;
    remove_on(store, req, backend::host()?.as_mut())
}

/// `vpc mode=wg_key`.
pub fn wg_key(store: &Store, req: &request::WgKey) -> Result<report::WgKey> {
    Ok(report::WgKey {
        version: REPORT_VERSION,
        vpc: req.vpc.clone(),
        public_key: super::state::wg_key(store, &req.vpc, req.next)?,
    })
}

/// `vpc mode=rotate_keys`.
pub fn rotate_keys(store: &Store, req: &request::RotateKeys) -> Result<report::KeysRotated> {
    let spec = super::state::rotate_keys(store, &req.vpc)?;
    let me = store.this_node()?.name;
    let public_key = spec
        .member(&me)?
        .wg_key
        .ok_or_else(|| Error::new(ErrorKind::Backend, "the new key is missing from the spec"))?;
    Ok(report::KeysRotated {
        version: REPORT_VERSION,
        vpc: req.vpc.clone(),
        generation: spec.generation,
        public_key,
        pending: spec.members().filter(|m| m.wg_key.is_none()).count(),
    })
}

/// [`remove`] on `kernel`.
pub fn remove_on(
    store: &Store,
    req: &request::Remove,
    kernel: &mut dyn Backend,
) -> Result<report::VpcRemoved> {
    let boot = crate::boot::dirs();
    let (outcome, plan) = kernel::remove(store, &req.vpc, kernel, req.force, &boot)?;
    Ok(report::VpcRemoved {
        version: REPORT_VERSION,
        outcome,
        vpc: req.vpc.clone(),
        removed: plan.destroyed(),
    })
}

fn member_report(spec: &Spec) -> Result<report::Vpc> {
    let mut r = vpc_report(spec, Some(Outcome::Updated))?;
    if spec.numbering == Numbering::Cbsd {
        r.warnings.push(format!(
            "VPC {} uses numbering=cbsd: links after the change are renumbered \
             (VNIs, interface names and link addresses move)",
            spec.name
        ));
    }
    Ok(r)
}

/// `vpc mode=add_member`.
pub fn add_member(store: &Store, req: &request::AddMember) -> Result<report::Vpc> {
    member_report(&state::add_member(store, &req.0.vpc, &req.0.node)?)
}

/// `vpc mode=remove_member`.
pub fn remove_member(store: &Store, req: &request::RemoveMember) -> Result<report::Vpc> {
    member_report(&state::remove_member(store, &req.0.vpc, &req.0.node)?)
}

/// `vpc mode=set_member`, on the initiator: the VPC report, as
/// `add_member`'s.
pub fn set_member(store: &Store, req: &request::SetMember) -> Result<report::Vpc> {
    let m = &req.member;
    let (outcome, spec) =
        state::set_member(store, &m.vpc, &m.node, req.bridge_ips.clone(), req.wg_key)?;
    vpc_report(&spec, Some(outcome))
}

/// `init_bridge dryrun=1 bridge_ips=` answers as the command would: only
/// on the initiator, like every change of a spec (the live command checks
/// it under the lock, in `kernel::converge_with`). `node` is the member
/// whose addresses change (a dry run may plan for another).
fn check_own_addrs(store: &Store, spec: &Spec, node: &NodeName, addrs: &[IfAddr]) -> Result<()> {
    let me = store.this_node()?.name;
    let instead = state::set_member_command(&spec.name, node, addrs);
    state::require_initiator(spec, &me, &instead)
}

/// `vpc mode=receive`: `json` is the spec document.
pub fn receive(store: &Store, json: &str) -> Result<report::Received> {
    let (outcome, spec) = state::receive(store, json)?;
    Ok(report::Received {
        version: REPORT_VERSION,
        outcome,
        vpc: spec.name,
        generation: spec.generation,
    })
}

/// `vpc mode=receive dryrun=1`: `json` checked as `receive` checks it,
/// and the plan of applying it on this host (its `outcome` what receiving
/// it would be); nothing is stored or changed.
pub fn receive_dry_run(store: &Store, json: &str) -> Result<report::Changes> {
    let spec = Spec::from_json(json)?;
    let outcome = state::received(store, &spec)?;
    let me = store.this_node()?.name;
    let mut kernel = backend::preview(None, false);
    let what = kernel::Preview::Converge(crate::plan::Scope::All);
    let mut r = dry_changes(&spec, me, kernel.as_mut(), what)?;
    r.outcome = Some(outcome);
    Ok(r)
}

/// `vpc mode=receive apply=1`: [`receive`], then this host converged on
/// the VPC it now holds, as `apply` converges it, in one process: what
/// `deploy` runs on each member, so that a member costs one remote
/// command. `on` hears the receive's report before the apply starts (the
/// CLI prints it at once: `deploy` reads it as the member having taken
/// the spec, and applies on its own host from then on). A spec refused
/// is an error and nothing is applied; an apply that fails is in the
/// report, the spec staying stored.
pub fn receive_apply(
    store: &Store,
    json: &str,
    on: &mut dyn FnMut(&report::Received),
) -> Result<report::ReceivedApplied> {
    let received = receive(store, json)?;
    on(&received);
    let applied = backend::host()
        .and_then(|mut kernel| converge_on(store, &apply_request(&received.vpc), kernel.as_mut()));
    Ok(received_applied(received, applied))
}

/// [`receive_apply`] on `kernel`.
pub fn receive_apply_on(
    store: &Store,
    json: &str,
    kernel: &mut dyn Backend,
    on: &mut dyn FnMut(&report::Received),
) -> Result<report::ReceivedApplied> {
    let received = receive(store, json)?;
    on(&received);
    let applied = converge_on(store, &apply_request(&received.vpc), kernel);
    Ok(received_applied(received, applied))
}

/// `vpc mode=apply vpc_name=VPC`.
fn apply_request(vpc: &VpcName) -> request::Converge {
    request::Converge {
        vpc: vpc.clone(),
        scope: crate::plan::Scope::All,
        dry_run: None,
        bridge_ips: None,
    }
}

fn received_applied(
    received: report::Received,
    applied: Result<report::Changes>,
) -> report::ReceivedApplied {
    let (applied, apply_error) = match applied {
        Ok(changes) => (Some(changes), None),
        Err(e) => (None, Some(report::Failed::from(&e))),
    };
    report::ReceivedApplied {
        version: REPORT_VERSION,
        received,
        applied,
        apply_error,
    }
}

/// `vpc mode=init_rc`; the program defaults to this one.
pub fn init_rc(store: &Store, req: &request::InitRc) -> Result<report::Boot> {
    let dir = crate::boot::dir(req.rc_dir.as_deref(), req.os);
    let program = match &req.program {
        Some(p) => p.clone(),
        None => std::env::current_exe().map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot tell where this vpc binary is: {e}"),
            )
        })?,
    };
    let (outcome, path) = state::init_rc(store, &req.vpc, req.os, &dir, &program)?;
    let name = crate::boot::file_name(req.os, &req.vpc);
    let enable = match req.os {
        Platform::FreeBsd => format!("sysrc {name}_enable=YES"),
        Platform::Linux => format!("systemctl enable {name}"),
    };
    Ok(report::Boot {
        version: REPORT_VERSION,
        outcome,
        path,
        enable,
        os: req.os,
    })
}

// ---------------------------------------------------------------------------
// Kernel operations

/// The report of `plan` carried out on `platform`'s kernel for `node`.
fn changes(vpc: &VpcName, node: NodeName, platform: Platform, plan: Plan) -> report::Changes {
    let commands = plan
        .changes
        .iter()
        .flat_map(|c| dryrun::render(platform, c))
        .collect();
    report::Changes {
        version: REPORT_VERSION,
        vpc: vpc.clone(),
        node,
        os: platform,
        dryrun: false,
        outcome: None,
        iface: None,
        changes: plan.changes,
        commands,
        warnings: plan.warnings,
    }
}

/// A dry run of `what` for `vpc`: against this host's kernel when its own
/// view is asked for, else against an empty node under `os`'s rules.
fn preview(
    store: &Store,
    vpc: &VpcName,
    dry: &request::DryRun,
    bridge_ips: Option<&[IfAddr]>,
    what: kernel::Preview,
) -> Result<report::Changes> {
    let mut spec = store.require_vpc(vpc)?;
    let node = match &dry.node {
        Some(n) => n.clone(),
        None => store.this_node()?.name,
    };
    // A dry run answers as the command would: refused off the initiator.
    if let Some(addrs) = bridge_ips {
        check_own_addrs(store, &spec, &node, addrs)?;
        // A dry run shows the addresses without storing them.
        spec.set_bridge_addrs(&node, addrs.to_vec())?;
    }
    let mut kernel = backend::preview(dry.os, dry.node.is_some());
    dry_changes(&spec, node, kernel.as_mut(), what)
}

/// The report of a dry run of `what` for member `node` of `spec` on
/// `kernel`.
fn dry_changes(
    spec: &Spec,
    node: NodeName,
    kernel: &mut dyn Backend,
    what: kernel::Preview,
) -> Result<report::Changes> {
    let platform = kernel.platform();
    let (plan, commands) = kernel::dry_run(spec, &node, kernel, what)?;
    Ok(report::Changes {
        version: REPORT_VERSION,
        vpc: spec.name.clone(),
        node,
        os: platform,
        dryrun: true,
        outcome: None,
        iface: None,
        changes: plan.changes,
        commands,
        warnings: plan.warnings,
    })
}

/// The plan of `what` for member `node` of `spec` against an empty node
/// under `os`'s rules (default this host's): `vpc mode=apply dryrun=1
/// os=OS node=NODE` without a store.
pub fn plan_spec(
    spec: &Spec,
    node: &NodeName,
    os: Option<Platform>,
    what: kernel::Preview,
) -> Result<report::Changes> {
    let platform = os.unwrap_or_else(Platform::host);
    let mut empty = dryrun::DryRun::new(platform, crate::plan::Observed::default());
    dry_changes(spec, node.clone(), &mut empty, what)
}

/// `apply`, `init_vxlan`, `init_bridge` on this host's kernel (or a dry run).
pub fn converge(store: &Store, req: &request::Converge) -> Result<report::Changes> {
    if let Some(dry) = &req.dry_run {
        let what = kernel::Preview::Converge(req.scope);
        return preview(store, &req.vpc, dry, req.bridge_ips.as_deref(), what);
    }
    converge_on(store, req, backend::host()?.as_mut())
}

/// [`converge`] on `kernel`; a dry run in `req` is not looked at.
pub fn converge_on(
    store: &Store,
    req: &request::Converge,
    kernel: &mut dyn Backend,
) -> Result<report::Changes> {
    // The new addresses are stored only once every check has passed.
    let bridge_ips = req.bridge_ips.as_deref();
    let me = store.this_node()?.name;
    let plan = kernel::converge_with(store, &req.vpc, kernel, req.scope, bridge_ips)?;
    Ok(changes(&req.vpc, me, kernel.platform(), plan))
}

/// `teardown`, `destroy_vxlan`, `destroy_bridge` (or a dry run).
pub fn teardown(store: &Store, req: &request::Teardown) -> Result<report::Changes> {
    if let Some(dry) = &req.dry_run {
        let what = kernel::Preview::Teardown(req.scope);
        return preview(store, &req.vpc, dry, None, what);
    }
    teardown_on(store, req, backend::host()?.as_mut())
}

/// [`teardown`] on `kernel`.
pub fn teardown_on(
    store: &Store,
    req: &request::Teardown,
    kernel: &mut dyn Backend,
) -> Result<report::Changes> {
    let me = store.this_node()?.name;
    let plan = kernel::teardown(store, &req.vpc, kernel, req.scope)?;
    Ok(changes(&req.vpc, me, kernel.platform(), plan))
}

/// `vpc mode=attach`.
pub fn attach(store: &Store, req: &request::Attach) -> Result<report::Changes> {
    attach_on(store, req, backend::host()?.as_mut())
}

/// [`attach`] on `kernel`.
pub fn attach_on(
    store: &Store,
    req: &request::Attach,
    kernel: &mut dyn Backend,
) -> Result<report::Changes> {
    let me = store.this_node()?.name;
    let (outcome, plan) = kernel::attach(store, &req.vpc, kernel, &req.iface, req.usage)?;
    let mut r = changes(&req.vpc, me, kernel.platform(), plan);
    r.outcome = Some(outcome);
    r.iface = Some(req.iface.clone());
    Ok(r)
}

/// `vpc mode=detach`.
pub fn detach(store: &Store, req: &request::Detach) -> Result<report::Changes> {
    detach_on(store, req, backend::host()?.as_mut())
}

/// [`detach`] on `kernel`.
pub fn detach_on(
    store: &Store,
    req: &request::Detach,
    kernel: &mut dyn Backend,
) -> Result<report::Changes> {
    let me = store.this_node()?.name;
    let (outcome, plan) = kernel::detach(store, &req.vpc, kernel, &req.iface)?;
    let mut r = changes(&req.vpc, me, kernel.platform(), plan);
    r.outcome = Some(outcome);
    r.iface = Some(req.iface.clone());
    Ok(r)
}

/// `vpc mode=status`.
pub fn status(store: &Store, req: &request::Status) -> Result<report::Status> {
    status_on(store, req, backend::host()?.as_mut())
}

/// [`status`] on `kernel`.
pub fn status_on(
    store: &Store,
    req: &request::Status,
    kernel: &mut dyn Backend,
) -> Result<report::Status> {
    let me = store.this_node()?.name;
    let health = kernel::status(store, &req.vpc, kernel, req.timeout)?;
    let encryption = report::Encryption::of(&store.require_vpc(&req.vpc)?)?;
    Ok(report::Status {
        version: REPORT_VERSION,
        node: me,
        healthy: health.healthy(),
        counts: report::StatusCounts::of(&health),
        encryption,
        health,
    })
}

/// `vpc mode=leave`: this host's side of `destroy`.
pub fn leave(store: &Store, req: &request::Leave) -> Result<report::Left> {
    let me = store.this_node()?.name;
    if store.vpc(&req.vpc)?.is_none() {
        return Ok(report::Left {
            version: REPORT_VERSION,
            vpc: req.vpc.clone(),
            node: me,
            outcome: Outcome::Unchanged,
            removed: 0,
        });
    }
    leave_on(store, req, backend::host()?.as_mut())
}

/// [`leave`] on `kernel`.
pub fn leave_on(
    store: &Store,
    req: &request::Leave,
    kernel: &mut dyn Backend,
) -> Result<report::Left> {
    let me = store.this_node()?.name;
    let (outcome, plan) = kernel::leave(store, &req.vpc, kernel, &crate::boot::dirs())?;
    Ok(report::Left {
        version: REPORT_VERSION,
        vpc: req.vpc.clone(),
        node: me,
        outcome,
        removed: plan.destroyed(),
    })
}

// ---------------------------------------------------------------------------
// Cluster operations

#[cfg(feature = "ssh")]
fn cluster_report(vpc: &VpcName, results: Vec<report::NodeResult>) -> report::Cluster {
    let failed = results.iter().filter(|r| !r.ok).count();
    report::Cluster {
        version: REPORT_VERSION,
        vpc: vpc.clone(),
        ok: failed == 0,
        failed,
        results,
    }
}

/// `vpc mode=sync`; `on` hears each node's result as it arrives.
#[cfg(feature = "ssh")]
pub fn sync(
    store: &Store,
    req: &request::Sync,
    on: &mut dyn FnMut(&report::NodeResult),
) -> Result<report::Cluster> {
    let results = crate::cluster::sync(store, &req.0.vpc, &req.0.timeouts, on)?;
    Ok(cluster_report(&req.0.vpc, results))
}

/// `vpc mode=deploy`.
#[cfg(feature = "ssh")]
pub fn deploy(
    store: &Store,
    req: &request::Deploy,
    on: &mut dyn FnMut(&report::NodeResult),
) -> Result<report::Cluster> {
    let c = &req.cluster;
    let results = crate::cluster::deploy(store, &c.vpc, &c.timeouts, req.dry_run, on)?;
    Ok(cluster_report(&c.vpc, results))
}

/// `vpc mode=destroy`.
#[cfg(feature = "ssh")]
pub fn destroy(
    store: &Store,
    req: &request::Destroy,
    on: &mut dyn FnMut(&report::NodeResult),
) -> Result<report::Cluster> {
    let c = &req.cluster;
    let boot = crate::boot::dir(None, Platform::host());
    let results = crate::cluster::destroy(store, &c.vpc, &c.timeouts, req.force, &boot, on)?;
    Ok(cluster_report(&c.vpc, results))
}

// ---------------------------------------------------------------------------
// Any operation by name

/// Runs operation `op` — the words after `vpc` on a command line, such as
/// `node init` for `vpc node mode=init` or `apply` for `vpc mode=apply` —
/// with `pairs`, and answers with its report as JSON ([`report::to_json`]).
/// `input` is the document `receive` reads. This is what the C ABI's
/// `vpc_store_run` and Python's `Store.run` call; the SSH operations are
/// not among them (they need a terminal for passwords and print progress).
///
/// Like the CLI, every operation also takes `lock_timeout=`
/// ([`request::LOCK_TIMEOUT`]), which sets how long this call waits for the
/// store's lock instead of the handle's setting: the same words answer
/// alike through every door.
pub fn by_name<'a>(
    store: &Store,
    op: &str,
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    input: Option<&str>,
) -> Result<String> {
    let mut pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
    let mut timeout = None;
    if let Some(i) = pairs
        .iter()
        .position(|(k, _)| *k == request::LOCK_TIMEOUT_KEY)
    {
        let (_, v) = pairs.remove(i);
        if pairs.iter().any(|(k, _)| *k == request::LOCK_TIMEOUT_KEY) {
            return Err(Error::invalid(format!(
                "key {}= is given twice: expected it once",
                request::LOCK_TIMEOUT_KEY
            )));
        }
        timeout = Some(request::lock_timeout(v)?);
    }
    match timeout {
        Some(t) => run_by_name(&store.clone().with_lock_timeout(t), op, pairs, input),
        None => run_by_name(store, op, pairs, input),
    }
}

fn run_by_name(
    store: &Store,
    op: &str,
    pairs: Vec<(&str, &str)>,
    input: Option<&str>,
) -> Result<String> {
    use request::FromPairs;
    fn json(r: &impl serde::Serialize) -> Result<String> {
        report::to_json(r)
    }
    match op {
        "node init" => json(&node_init(store, &request::NodeInit::from_pairs(pairs)?)?),
        "node add" => match request::NodeAdd::from_pairs(pairs)? {
            request::NodeAdd::Offline(req) => json(&node_add_offline(store, &req)?),
            request::NodeAdd::Online(_) => Err(over_ssh(op)),
        },
        "node remove" => json(&node_remove(
            store,
            &request::NodeRemove::from_pairs(pairs)?,
        )?),
        "node list" => json(&node_list(store, &request::NodeList::from_pairs(pairs)?)?),
        "init" => json(&init(store, &request::Init::from_pairs(pairs)?)?),
        "init_peers" => {
            let req = request::InitPeers::from_pairs(pairs)?;
            json(&report::PeerMap::of(&spec(store, &req.vpc)?)?)
        }
        "list" => match request::List::from_pairs(pairs)?.vpc {
            Some(vpc) => json(&show(store, &vpc)?),
            None => json(&list(store)?),
        },
        "remove" => json(&remove(store, &request::Remove::from_pairs(pairs)?)?),
        "add_member" => json(&add_member(store, &request::AddMember::from_pairs(pairs)?)?),
        "remove_member" => json(&remove_member(
            store,
            &request::RemoveMember::from_pairs(pairs)?,
        )?),
        "set_member" => json(&set_member(store, &request::SetMember::from_pairs(pairs)?)?),
        "export" => Ok(spec(store, &request::Export::from_pairs(pairs)?.vpc)?.to_json()),
        "receive" => {
            let req = request::Receive::from_pairs(pairs)?;
            let text = input.ok_or_else(|| {
                Error::invalid("receive reads a spec document: expected one as input")
            })?;
            if req.dry_run {
                json(&receive_dry_run(store, text)?)
            } else if req.apply {
                json(&receive_apply(store, text, &mut |_| {})?)
            } else {
                json(&receive(store, text)?)
            }
        }
        "apply" => json(&converge(store, &request::Apply::from_pairs(pairs)?.0)?),
        "init_vxlan" => json(&converge(store, &request::InitVxlan::from_pairs(pairs)?.0)?),
        "init_bridge" => json(&converge(
            store,
            &request::InitBridge::from_pairs(pairs)?.0,
        )?),
        "teardown" => json(&teardown(
            store,
            &request::TeardownAll::from_pairs(pairs)?.0,
        )?),
        "destroy_vxlan" => json(&teardown(
            store,
            &request::DestroyVxlan::from_pairs(pairs)?.0,
        )?),
        "destroy_bridge" => json(&teardown(
            store,
            &request::DestroyBridge::from_pairs(pairs)?.0,
        )?),
        "attach" => json(&attach(store, &request::Attach::from_pairs(pairs)?)?),
        "detach" => json(&detach(store, &request::Detach::from_pairs(pairs)?)?),
        "status" => json(&status(store, &request::Status::from_pairs(pairs)?)?),
        "leave" => json(&leave(store, &request::Leave::from_pairs(pairs)?)?),
        "init_rc" => json(&init_rc(store, &request::InitRc::from_pairs(pairs)?)?),
        "wg_key" => json(&wg_key(store, &request::WgKey::from_pairs(pairs)?)?),
        "rotate_keys" => json(&rotate_keys(
            store,
            &request::RotateKeys::from_pairs(pairs)?,
        )?),
        "sync" | "deploy" | "destroy" => Err(over_ssh(op)),
        _ => Err(Error::invalid(format!(
            "operation {op:?} is not known: expected the words after vpc on a command line, \
             such as \"node init\", \"init\" or \"apply\""
        ))),
    }
}

/// The operations that reach other hosts are the CLI's.
fn over_ssh(op: &str) -> Error {
    Error::new(
        ErrorKind::Unsupported,
        format!("{op} reaches other hosts over SSH: run it with the vpc command"),
    )
}
