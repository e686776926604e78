//! The modes that change this host's interfaces: `apply`, `init_vxlan`,
//! `init_bridge`, `teardown`, `destroy_vxlan`, `destroy_bridge`, `attach`,
//! `detach`; `status` and `leave`. With `dryrun=1` the first six print
//! the commands instead.

use std::io::{self, Write};

use vpc_core::ops::run;
use vpc_core::report::{self, Changes};
use vpc_core::request;
use vpc_core::store::Store;

use super::Outcome;
use crate::output::{Out, Reply};

/// The changes as text: the commands of a dry run, else one line each.
pub(super) fn text(r: &Changes, out: &mut Out<'_>) -> io::Result<()> {
    if r.dryrun {
        if r.commands.is_empty() {
            writeln!(out, "# VPC {} on {}: nothing to change", r.vpc, r.node)?;
        }
        for l in &r.commands {
            out.write_all(l.as_bytes())?;
            out.write_all(b"\n")?;
        }
        return Ok(());
    }
    if r.changes.is_empty() {
        writeln!(out, "VPC {} on {}: nothing to change", r.vpc, r.node)?;
    } else {
        writeln!(
            out,
            "VPC {} on {}: {} changes made",
            r.vpc,
            r.node,
            r.changes.len()
        )?;
        for c in &r.changes {
            writeln!(out, "  {c}")?;
        }
    }
    Ok(())
}

/// The reply of a kernel operation: its changes, and its warnings on
/// stderr too.
pub(super) fn reply(r: Changes) -> Reply {
    let warnings = r.warnings.clone();
    Reply::new(r, text).warn(warnings)
}

/// `apply`, `init_vxlan`, `init_bridge`.
pub fn converge(store: &Store, req: &request::Converge) -> Outcome {
    Ok(reply(run::converge(store, req)?))
}

/// `teardown`, `destroy_vxlan`, `destroy_bridge`.
pub fn teardown(store: &Store, req: &request::Teardown) -> Outcome {
    Ok(reply(run::teardown(store, req)?))
}

/// A guest port's change: `PORT VERB VPC V: OUTCOME`, then the changes.
fn guest_reply(r: Changes, verb: &'static str) -> Reply {
    let warnings = r.warnings.clone();
    Reply::new(r, move |r, out| {
        let outcome = r.outcome.map_or("", |o| o.as_str());
        let iface = r.iface.as_deref().unwrap_or_default();
        writeln!(out, "{iface} {verb} VPC {}: {outcome}", r.vpc)?;
        text(r, out)
    })
    .warn(warnings)
}

/// `attach`: a guest port joins the VPC bridge.
pub fn attach(store: &Store, req: &request::Attach) -> Outcome {
    Ok(guest_reply(run::attach(store, req)?, "attached to"))
}

/// `detach`: a guest port leaves the VPC bridge.
pub fn detach(store: &Store, req: &request::Detach) -> Outcome {
    Ok(guest_reply(run::detach(store, req)?, "detached from"))
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
    let warnings = r.health.warnings.clone();
    let exit = u8::from(!r.healthy);
    let mut reply = Reply::new(r, status_text).warn(warnings);
    reply.exit = exit;
    Ok(reply)
}

/// The status as text: the headline, the differences, a line per tunnel.
fn status_text(r: &report::Status, out: &mut Out<'_>) -> io::Result<()> {
    let health = &r.health;
    writeln!(out, "VPC {} on {}: {}", health.vpc, r.node, headline(r))?;
    for d in &health.differences {
        writeln!(out, "  {d}")?;
    }
    for line in r.encryption.iter().flat_map(|e| e.lines()) {
        writeln!(out, "{line}")?;
    }
    writeln!(
        out,
        "{:<32} {:<14} {:>8}  {:<8} {:<18} PROBE",
        "PEER", "TUNNEL", "VNI", "STATE", "PEER ADDRESS"
    )?;
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
        writeln!(
            out,
            "{:<32} {:<14} {:>8}  {:<8} {:<18} {probe}",
            t.peer.as_str(),
            t.interface,
            t.vni,
            state,
            t.peer_addr.to_string()
        )?;
    }
    Ok(())
}

/// `vpc mode=leave`: this host's side of `destroy`.
pub fn leave(store: &Store, req: &request::Leave) -> Outcome {
    let r = run::leave(store, req)?;
    Ok(Reply::new(r, |r, out| {
        writeln!(
            out,
            "VPC {} on {}: {}, {} interfaces removed",
            r.vpc, r.node, r.outcome, r.removed
        )
    }))
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
