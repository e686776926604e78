//! The modes that change this host's interfaces: `apply`, `init_vxlan`,
//! `init_bridge`, `teardown`, `destroy_vxlan`, `destroy_bridge`, `attach`,
//! `detach`. With `dryrun=1` they print the commands instead.

use serde_json::json;
use vpc_cli::args::{Args, Usage as UsageError};
use vpc_core::backend;
use vpc_core::model::addr::IfAddr;
use vpc_core::model::name::IFNAME_MAX;
use vpc_core::model::platform::Platform;
use vpc_core::model::quota::{Usage, parse_size};
use vpc_core::model::spec::parse_number;
use vpc_core::ops::{self, Preview};
use vpc_core::plan::{Plan, Scope};
use vpc_core::store::Store;

use super::{Outcome, node_name, vpc_name};
use crate::output::Reply;

/// `bridge_ips=A/P[,A/P…]`; `0` or empty means none (CBSD's convention).
fn bridge_ips(text: &str) -> vpc_core::Result<Vec<IfAddr>> {
    if text.is_empty() || text == "0" {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|a| IfAddr::parse(a, "bridge_ips"))
        .collect()
}

/// What the changes were, as text lines and JSON.
fn report(vpc: &str, node: &str, plan: &Plan, done: bool) -> Reply {
    let mut text = String::new();
    if plan.changes.is_empty() {
        text.push_str(&format!("VPC {vpc} on {node}: nothing to change\n"));
    } else {
        let verb = if done { "made" } else { "to make" };
        text.push_str(&format!(
            "VPC {vpc} on {node}: {} changes {verb}\n",
            plan.changes.len()
        ));
        for c in &plan.changes {
            text.push_str(&format!("  {c}\n"));
        }
    }
    let doc = json!({
        "vpc": vpc,
        "node": node,
        "changes": plan.changes,
        "warnings": plan.warnings,
    });
    let mut reply = Reply::new(text, doc);
    reply.warnings = plan.warnings.clone();
    reply
}

/// `dryrun=1`: the commands, from the real kernel's state when the host's
/// own view is asked for, else from an empty node.
fn dry_run(store: &Store, args: &Args, what: Preview) -> Outcome {
    let vpc = vpc_name(args)?;
    let os = args.parse_with("os", Platform::parse)?;
    let for_node = node_name(args, "node")?;
    let addrs = args.parse_with("bridge_ips", bridge_ips)?;
    let mut spec = store.require_vpc(&vpc)?;
    let node = match &for_node {
        Some(n) => n.clone(),
        None => store.this_node()?.name,
    };
    if let Some(addrs) = addrs {
        // A dry run shows the addresses without storing them.
        spec.set_bridge_addrs(&node, addrs)?;
    }
    let mut backend = backend::preview(os, for_node.is_some());
    let platform = backend.platform();
    let (plan, lines) = ops::dry_run(&spec, &node, backend.as_mut(), what)?;
    let mut text = String::new();
    if lines.is_empty() {
        text.push_str(&format!(
            "# VPC {} on {node}: nothing to change\n",
            spec.name
        ));
    }
    for l in &lines {
        text.push_str(l);
        text.push('\n');
    }
    let doc = json!({
        "vpc": spec.name,
        "node": node,
        "os": platform,
        "dryrun": true,
        "changes": plan.changes,
        "commands": lines,
        "warnings": plan.warnings,
    });
    let mut reply = Reply::new(text, doc);
    reply.warnings = plan.warnings;
    Ok(reply)
}

fn only_with_dryrun(args: &Args) -> Result<(), UsageError> {
    for key in ["os", "node"] {
        if args.get(key).is_some() {
            return Err(UsageError(format!("{key}= goes with dryrun=1 only")));
        }
    }
    Ok(())
}

/// `apply`, `init_vxlan`, `init_bridge`.
pub fn converge(store: &Store, args: &Args, scope: Scope) -> Outcome {
    if args.flag("dryrun")? {
        return dry_run(store, args, Preview::Converge(scope));
    }
    only_with_dryrun(args)?;
    let vpc = vpc_name(args)?;
    if let Some(addrs) = args.parse_with("bridge_ips", bridge_ips)? {
        ops::set_bridge_addrs(store, &vpc, addrs)?;
    }
    let me = store.this_node()?.name;
    let mut kernel = backend::host()?;
    let plan = ops::converge(store, &vpc, kernel.as_mut(), scope)?;
    Ok(report(vpc.as_str(), me.as_str(), &plan, true))
}

/// `teardown`, `destroy_vxlan`, `destroy_bridge`.
pub fn teardown(store: &Store, args: &Args, scope: Scope) -> Outcome {
    if args.flag("dryrun")? {
        return dry_run(store, args, Preview::Teardown(scope));
    }
    only_with_dryrun(args)?;
    let vpc = vpc_name(args)?;
    let me = store.this_node()?.name;
    let mut kernel = backend::host()?;
    let plan = ops::teardown(store, &vpc, kernel.as_mut(), scope)?;
    Ok(report(vpc.as_str(), me.as_str(), &plan, true))
}

fn iface(args: &Args) -> Result<String, UsageError> {
    let name = args.required("iface")?;
    if name.is_empty() || name.len() > IFNAME_MAX || name.contains(['/', ' ', '\0']) {
        return Err(UsageError(format!(
            "iface {name:?} is not valid: expected an interface name of 1 to {IFNAME_MAX} bytes"
        )));
    }
    Ok(name.to_owned())
}

/// `attach`: a guest port joins the VPC bridge.
pub fn attach(store: &Store, args: &Args) -> Outcome {
    let vpc = vpc_name(args)?;
    let iface = iface(args)?;
    let usage = Usage::guest(
        args.parse_with("cpus", |v| parse_number("cpus", v, 0..=u64::MAX))?
            .unwrap_or(0),
        args.parse_with("mem", |v| parse_size("mem", v))?
            .unwrap_or(0),
        args.parse_with("disk", |v| parse_size("disk", v))?
            .unwrap_or(0),
    );
    let me = store.this_node()?.name;
    let mut kernel = backend::host()?;
    let (outcome, plan) = ops::attach(store, &vpc, kernel.as_mut(), &iface, usage)?;
    let mut reply = report(vpc.as_str(), me.as_str(), &plan, true);
    reply.text = format!("{iface} attached to VPC {vpc}: {outcome}\n{}", reply.text);
    reply.json["outcome"] = json!(outcome);
    reply.json["iface"] = json!(iface);
    Ok(reply)
}

/// `detach`: a guest port leaves the VPC bridge.
pub fn detach(store: &Store, args: &Args) -> Outcome {
    let vpc = vpc_name(args)?;
    let iface = iface(args)?;
    let me = store.this_node()?.name;
    let mut kernel = backend::host()?;
    let (outcome, plan) = ops::detach(store, &vpc, kernel.as_mut(), &iface)?;
    let mut reply = report(vpc.as_str(), me.as_str(), &plan, true);
    reply.text = format!("{iface} detached from VPC {vpc}: {outcome}\n{}", reply.text);
    reply.json["outcome"] = json!(outcome);
    reply.json["iface"] = json!(iface);
    Ok(reply)
}

/// `status`: the spec against the kernel, and every tunnel's health.
pub fn status(store: &Store, args: &Args) -> Outcome {
    let vpc = vpc_name(args)?;
    let timeout = args
        .parse_with("timeout", |v| parse_number("timeout", v, 1..=60_000))?
        .unwrap_or(1000);
    let me = store.this_node()?.name;
    let mut kernel = backend::host()?;
    let health = ops::status(
        store,
        &vpc,
        kernel.as_mut(),
        std::time::Duration::from_millis(timeout),
    )?;
    let healthy = health.healthy();
    let mut text = format!(
        "VPC {vpc} on {me}: {}\n",
        if healthy {
            "healthy".to_owned()
        } else {
            format!("{} differences", health.differences.len())
        }
    );
    for d in &health.differences {
        text.push_str(&format!("  {d}\n"));
    }
    text.push_str(&format!(
        "{:<32} {:<14} {:>8}  {:<8} {:<18} PROBE\n",
        "PEER", "TUNNEL", "VNI", "STATE", "PEER ADDRESS"
    ));
    for t in &health.tunnels {
        let state = match (t.present, t.matching, t.up, t.running) {
            (false, ..) => "missing",
            (true, false, ..) => "wrong",
            (true, true, false, _) => "down",
            (true, true, true, false) => "no-carrier",
            (true, true, true, true) => "up",
        };
        let probe = t
            .rtt_ms
            .map_or("no answer".to_owned(), |ms| format!("{ms:.3} ms"));
        text.push_str(&format!(
            "{:<32} {:<14} {:>8}  {:<8} {:<18} {probe}\n",
            t.peer.as_str(),
            t.interface,
            t.vni,
            state,
            t.peer_addr.to_string()
        ));
    }
    let mut doc = serde_json::to_value(&health).unwrap_or_default();
    doc["node"] = json!(me);
    doc["healthy"] = json!(healthy);
    let mut reply = Reply::new(text, doc);
    reply.exit = u8::from(!healthy);
    Ok(reply)
}

/// `vpc mode=leave`: this host's side of `destroy`.
pub fn leave(store: &Store, args: &Args) -> Outcome {
    let vpc = vpc_name(args)?;
    let boot = vpc_core::boot::dirs();
    let me = store.this_node()?.name;
    let outcome = if store.vpc(&vpc)?.is_none() {
        (vpc_core::store::Outcome::Unchanged, 0)
    } else {
        let mut kernel = backend::host()?;
        let (o, plan) = ops::leave(store, &vpc, kernel.as_mut(), &boot)?;
        (o, plan.changes.len())
    };
    Ok(Reply::new(
        format!(
            "VPC {vpc} on {me}: {}, {} interfaces removed\n",
            outcome.0, outcome.1
        ),
        json!({ "vpc": vpc, "node": me, "outcome": outcome.0, "removed": outcome.1 }),
    ))
}
