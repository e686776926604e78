//! `vpc mode=list`, `mode=remove`, `mode=add_member`, `mode=remove_member`,
//! `mode=set_member`.

use std::io::Write;

use vpc_core::ops::run;
use vpc_core::report::{self, VpcSummary};
use vpc_core::request;
use vpc_core::store::Store;

use super::Outcome;
use crate::output::Reply;

/// One line about a VPC.
pub(super) fn summary_line(s: &VpcSummary) -> String {
    format!(
        "VPC {} generation {}: {} members, {} links, VNIs {}-{}, MTU {}, peer_network {}",
        s.vpc,
        s.generation,
        s.members.len(),
        s.links,
        s.vni_first,
        s.vni_last,
        s.mtu,
        s.peer_network
    ) + &s
        .encryption
        .as_ref()
        .map(|e| format!("\n  {}", e.lines().join("\n  ")))
        .unwrap_or_default()
}

/// The key alone on a line, for `deploy` and scripts.
pub fn wg_key(store: &Store, req: &request::WgKey) -> Outcome {
    let r = run::wg_key(store, req)?;
    Ok(Reply::new(r, |r, out| writeln!(out, "{}", r.public_key)))
}

pub fn rotate_keys(store: &Store, req: &request::RotateKeys) -> Outcome {
    let r = run::rotate_keys(store, req)?;
    Ok(Reply::new(r, |r, out| {
        writeln!(
            out,
            "VPC {} generation {}: new key {} for this host; {} other members get new keys at \
             the next deploy: run vpc mode=deploy vpc_name={}",
            r.vpc, r.generation, r.public_key, r.pending, r.vpc
        )
    }))
}

pub fn list(store: &Store, req: &request::List) -> Outcome {
    let Some(vpc) = &req.vpc else {
        let r = run::list(store)?;
        return Ok(Reply::new(r, |r, out| {
            for s in &r.vpcs {
                writeln!(out, "{}", summary_line(s))?;
            }
            Ok(())
        }));
    };
    let r = run::show(store, vpc)?;
    Ok(Reply::new(r, |r, out| {
        writeln!(out, "{}", summary_line(&r.summary))?;
        for (slot, m) in r.spec.iter().flat_map(|s| s.members.iter()).enumerate() {
            let Some(m) = m else {
                writeln!(out, "  slot {slot}: vacant")?;
                continue;
            };
            let addrs: Vec<String> = m.bridge_addrs.iter().map(ToString::to_string).collect();
            let show = |a: Option<String>| a.unwrap_or_else(|| "-".into());
            write!(
                out,
                "  slot {slot}: {} ip4 {} ip6 {}",
                m.node.name,
                show(m.node.ip4.map(|a| a.to_string())),
                show(m.node.ip6.map(|a| a.to_string()))
            )?;
            if !addrs.is_empty() {
                write!(out, " bridge_ips {}", addrs.join(","))?;
            }
            writeln!(out)?;
        }
        Ok(())
    }))
}

pub fn remove(store: &Store, req: &request::Remove) -> Outcome {
    let r = run::remove(store, req)?;
    Ok(Reply::new(r, |r, out| match r.removed {
        0 => writeln!(out, "VPC {}: removed", r.vpc),
        n => writeln!(out, "VPC {}: {n} interfaces torn down, removed", r.vpc),
    }))
}

/// The reply of a membership change: `what` was done, the VPC now, and
/// what to run next.
fn member_reply(mut r: report::Vpc, what: String) -> Outcome {
    // Not in the document: the warnings go to stderr.
    let warnings = std::mem::take(&mut r.warnings);
    let reply = Reply::new(r, move |r, out| {
        writeln!(
            out,
            "{what}\n{}\nnext: vpc mode=sync vpc_name={} (or export / receive)",
            summary_line(&r.summary),
            r.summary.vpc
        )
    });
    Ok(reply.warn(warnings))
}

pub fn add_member(store: &Store, req: &request::AddMember) -> Outcome {
    let r = run::add_member(store, req)?;
    member_reply(r, format!("node {} added to VPC {}", req.0.node, req.0.vpc))
}

pub fn remove_member(store: &Store, req: &request::RemoveMember) -> Outcome {
    let r = run::remove_member(store, req)?;
    member_reply(
        r,
        format!("node {} removed from VPC {}", req.0.node, req.0.vpc),
    )
}

pub fn set_member(store: &Store, req: &request::SetMember) -> Outcome {
    let r = run::set_member(store, req)?;
    let m = &req.member;
    let what = match r.outcome {
        Some(vpc_core::store::Outcome::Unchanged) => {
            format!("member {} of VPC {}: unchanged", m.node, m.vpc)
        }
        _ => format!("member {} of VPC {} updated", m.node, m.vpc),
    };
    member_reply(r, what)
}
