//! The modes that change this host's interfaces: `apply`, `init_vxlan`,
//! `init_bridge`, `teardown`, `destroy_vxlan`, `destroy_bridge`, `attach`,
//! `detach`; `status` and `leave`. With `dryrun=1` the first six print
//! the commands instead.

use vpc_core::ops::run;
use vpc_core::report::{self, Changes};
use vpc_core::request;
use vpc_core::store::Store;

use super::Outcome;
use crate::output::Reply;

/// The changes as text: the commands of a dry run, else one line each.
pub(super) fn text(r: &Changes) -> String {
    let mut text = String::new();
    if r.dryrun {
        if r.commands.is_empty() {
            text.push_str(&format!(
                "# VPC {} on {}: nothing to change\n",
                r.vpc, r.node
            ));
        }
        for l in &r.commands {
            text.push_str(l);
            text.push('\n');
        }
        return text;
    }
    if r.changes.is_empty() {
        text.push_str(&format!("VPC {} on {}: nothing to change\n", r.vpc, r.node));
    } else {
        text.push_str(&format!(
            "VPC {} on {}: {} changes made\n",
            r.vpc,
            r.node,
            r.changes.len()
        ));
        for c in &r.changes {
            text.push_str(&format!("  {c}\n"));
        }
    }
    text
}

pub(super) fn reply(text: String, r: &Changes) -> Outcome {
    let mut reply = Reply::new(text, r)?;
    reply.warnings.clone_from(&r.warnings);
    Ok(reply)
}

/// `apply`, `init_vxlan`, `init_bridge`.
pub fn converge(store: &Store, req: &request::Converge) -> Outcome {
    let r = run::converge(store, req)?;
    reply(text(&r), &r)
}

/// `teardown`, `destroy_vxlan`, `destroy_bridge`.
pub fn teardown(store: &Store, req: &request::Teardown) -> Outcome {
    let r = run::teardown(store, req)?;
    reply(text(&r), &r)
}

/// `attach`: a guest port joins the VPC bridge.
pub fn attach(store: &Store, req: &request::Attach) -> Outcome {
    let r = run::attach(store, req)?;
    let outcome = r.outcome.map_or("", |o| o.as_str());
    let head = format!("{} attached to VPC {}: {outcome}\n", req.iface, req.vpc);
    reply(head + &text(&r), &r)
}

/// `detach`: a guest port leaves the VPC bridge.
pub fn detach(store: &Store, req: &request::Detach) -> Outcome {
    let r = run::detach(store, req)?;
    let outcome = r.outcome.map_or("", |o| o.as_str());
    let head = format!("{} detached from VPC {}: {outcome}\n", req.iface, req.vpc);
    reply(head + &text(&r), &r)
}

/// "healthy", or "unhealthy: " and what is wrong, counted.
fn headline(r: &report::Status) -> String {
    if r.healthy {
        return "healthy".to_owned();
    }
    let c = &r.counts;
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let parts: Vec<String> = [
        (c.differences, "difference", "differences"),
        (
            c.no_carrier,
            "tunnel without carrier",
            "tunnels without carrier",
        ),
        (c.silent, "tunnel silent", "tunnels silent"),
    ]
    .into_iter()
    .filter(|(n, ..)| *n > 0)
    .map(|(n, one, many)| plural(n, one, many))
    .collect();
    if parts.is_empty() {
        return "unhealthy".to_owned();
    }
    format!("unhealthy: {}", parts.join(", "))
}

/// `status`: the spec against the kernel, and every tunnel's health.
pub fn status(store: &Store, req: &request::Status) -> Outcome {
    let r: report::Status = run::status(store, req)?;
    let health = &r.health;
    let mut text = format!("VPC {} on {}: {}\n", health.vpc, r.node, headline(&r));
    for d in &health.differences {
        text.push_str(&format!("  {d}\n"));
    }
    for line in r.encryption.iter().flat_map(|e| e.lines()) {
        text.push_str(&format!("{line}\n"));
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
    let mut reply = Reply::new(text, &r)?;
    reply.warnings = r.health.warnings.clone();
    reply.exit = u8::from(!r.healthy);
    Ok(reply)
}

/// `vpc mode=leave`: this host's side of `destroy`.
pub fn leave(store: &Store, req: &request::Leave) -> Outcome {
    let r = run::leave(store, req)?;
    Ok(Reply::new(
        format!(
            "VPC {} on {}: {}, {} interfaces removed\n",
            r.vpc, r.node, r.outcome, r.removed
        ),
        &r,
    )?)
}

#[cfg(test)]
mod tests {
    use vpc_core::model::name::{NodeName, VpcName};
    use vpc_core::plan::Health;
    use vpc_core::report::{REPORT_VERSION, Status, StatusCounts};

    fn status(healthy: bool, counts: StatusCounts) -> Status {
        Status {
            version: REPORT_VERSION,
            node: NodeName::new("a").unwrap_or_else(|e| panic!("{e}")),
            healthy,
            counts,
            encryption: None,
            health: Health {
                vpc: VpcName::new("v1").unwrap_or_else(|e| panic!("{e}")),
                differences: Vec::new(),
                tunnels: Vec::new(),
                probed: true,
                warnings: Vec::new(),
            },
        }
    }

    #[test]
    fn the_headline_counts_what_is_wrong() {
        let c = |differences, no_carrier, silent| StatusCounts {
            differences,
            no_carrier,
            silent,
        };
        for (healthy, counts, want) in [
            (true, c(0, 0, 0), "healthy"),
            (
                false,
                c(2, 0, 1),
                "unhealthy: 2 differences, 1 tunnel silent",
            ),
            (false, c(1, 0, 0), "unhealthy: 1 difference"),
            (
                false,
                c(0, 2, 3),
                "unhealthy: 2 tunnels without carrier, 3 tunnels silent",
            ),
            (false, c(0, 0, 0), "unhealthy"),
        ] {
            assert_eq!(super::headline(&status(healthy, counts)), want);
        }
    }
}
