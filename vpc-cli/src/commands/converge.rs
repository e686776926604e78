//! `vpc mode=apply|init_vxlan|init_bridge`: converge this host's part of a
//! VPC, or with `dryrun=1` print the commands that would.

use serde_json::json;
use vpc_core::backend::dryrun::DryRun;
use vpc_core::model::addr::IfAddr;
use vpc_core::ops;
use vpc_core::plan::{Observed, Platform, Scope};
use vpc_core::store::Store;
use vpc_core::{Error, ErrorKind};

use super::{Outcome, node_name, vpc_name};
use crate::args::{Args, Usage};
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

pub fn run(store: &Store, args: &Args, scope: Scope) -> Outcome {
    let vpc = vpc_name(args)?;
    let dryrun = args.flag("dryrun")?;
    let os = args.parse_with("os", Platform::parse)?;
    let for_node = node_name(args, "node")?;
    let addrs = args.parse_with("bridge_ips", bridge_ips)?;
    if !dryrun {
        if os.is_some() || for_node.is_some() {
            return Err(Usage("os= and node= go with dryrun=1 only".into()).into());
        }
        return Err(Error::new(
            ErrorKind::Unsupported,
            format!(
                "mode={} changes the kernel, and this build has no kernel backend yet: \
                 use dryrun=1 to see the commands",
                args.mode.name
            ),
        )
        .into());
    }
    let mut spec = store.require_vpc(&vpc)?;
    let node = match for_node {
        Some(n) => n,
        None => store.this_node()?.name,
    };
    if let Some(addrs) = addrs {
        // A dry run shows the addresses without storing them.
        spec.set_bridge_addrs(&node, addrs)?;
    }
    let platform = os.unwrap_or_else(Platform::host);
    // No kernel backend yet: the plan is made against an empty node.
    let mut backend = DryRun::new(platform, Observed::default());
    let (plan, lines) = ops::dry_run(&spec, &node, &mut backend, scope)?;
    let mut text = String::new();
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
