//! `vpc node mode=init|add|remove|list`.

use std::io::Write;

use vpc_core::ops::run;
use vpc_core::request;
use vpc_core::store::Store;

use super::Outcome;
use crate::output::{Out, Reply};

fn addresses(ip4: Option<std::net::Ipv4Addr>, ip6: Option<std::net::Ipv6Addr>) -> String {
    let mut parts = Vec::new();
    parts.extend(ip4.map(|a| format!("ip4 {a}")));
    parts.extend(ip6.map(|a| format!("ip6 {a}")));
    parts.join(", ")
}

pub fn init(store: &Store, req: &request::NodeInit) -> Outcome {
    let r = run::node_init(store, req)?;
    Ok(Reply::new(r, |r, out| {
        writeln!(
            out,
            "node {} (this host): {} ({})",
            r.node.name,
            r.outcome,
            addresses(r.node.ip4, r.node.ip6)
        )
    }))
}

/// `node mode=add offline=1`: a record made without contacting the node.
pub fn add(store: &Store, req: &request::NodeAddOffline) -> Outcome {
    let r = run::node_add_offline(store, req)?;
    Ok(Reply::new(r, |r, out| {
        writeln!(
            out,
            "node {}: {} ({})",
            r.node.name,
            r.outcome,
            addresses(r.node.ip4, r.node.ip6)
        )?;
        if let Some(old) = &r.replaced {
            writeln!(out, "replaced: {}", old.describe())?;
        }
        Ok(())
    }))
}

pub fn remove(store: &Store, req: &request::NodeRemove) -> Outcome {
    let r = run::node_remove(store, req)?;
    Ok(Reply::new(r, |r, out| {
        writeln!(out, "node {}: removed", r.node)
    }))
}

pub fn list(store: &Store, req: &request::NodeList) -> Outcome {
    let r = run::node_list(store, req)?;
    Ok(Reply::new(r, table))
}

/// The known nodes as a table, this host first.
fn table(r: &vpc_core::report::NodeList, out: &mut Out<'_>) -> std::io::Result<()> {
    let show = |v: Option<String>| v.unwrap_or_else(|| "-".to_owned());
    let mut rows: Vec<[String; 5]> =
        vec![["NAME", "IP4", "IP6", "PORT", "USER"].map(str::to_owned)];
    if let Some(id) = &r.this {
        rows.push([
            format!("{} (this host)", id.name),
            show(id.ip4.map(|a| a.to_string())),
            show(id.ip6.map(|a| a.to_string())),
            "-".to_owned(),
            "-".to_owned(),
        ]);
    }
    for n in &r.nodes {
        rows.push([
            n.name.to_string(),
            show(n.ip4.map(|a| a.to_string())),
            show(n.ip6.map(|a| a.to_string())),
            n.port.to_string(),
            n.user.clone(),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
        .collect();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(v, w)| format!("{v:<w$}"))
            .collect();
        writeln!(out, "{}", line.join("  ").trim_end())?;
    }
    Ok(())
}
