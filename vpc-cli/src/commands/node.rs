//! `vpc node mode=init|add|remove|list`.

use std::fmt::Write;
use std::net::IpAddr;

use serde_json::json;
use vpc_cli::args::{Args, Usage};
use vpc_core::model::node::Node;
use vpc_core::model::spec::parse_number;
use vpc_core::ops;
use vpc_core::store::{NodeRecord, Store};

use super::{Outcome, node_addr, node_name, underlay};
use crate::output::Reply;

fn addresses(ip4: Option<std::net::Ipv4Addr>, ip6: Option<std::net::Ipv6Addr>) -> String {
    let mut parts = Vec::new();
    parts.extend(ip4.map(|a| format!("ip4 {a}")));
    parts.extend(ip6.map(|a| format!("ip6 {a}")));
    parts.join(", ")
}

pub fn init(store: &Store, args: &Args) -> Outcome {
    let name = node_name(args, "name")?.ok_or_else(|| Usage("missing key name=".into()))?;
    let (ip4, ip6) = underlay(args)?;
    let node = Node::new(name, ip4, ip6).map_err(|e| Usage(e.message().to_owned()))?;
    let outcome = ops::node_init(store, node.clone())?;
    Ok(Reply::new(
        format!(
            "node {} (this host): {outcome} ({})\n",
            node.name,
            addresses(ip4, ip6)
        ),
        json!({ "outcome": outcome, "node": node }),
    ))
}

/// `node mode=add offline=1`: a record made without contacting the node.
pub fn add(store: &Store, args: &Args) -> Outcome {
    let addr = node_addr(args)?;
    let name = node_name(args, "name")?
        .ok_or_else(|| Usage("missing key name= (offline=1 records a host by name)".into()))?;
    let (mut ip4, mut ip6) = underlay(args)?;
    let clash = |key: &str, given: &dyn std::fmt::Display| {
        Usage(format!(
            "{key} {given} differs from node {addr}: expected one address per family"
        ))
    };
    match addr {
        IpAddr::V4(a) if ip4.is_some_and(|x| x != a) => return Err(clash("ip4", &a).into()),
        IpAddr::V6(a) if ip6.is_some_and(|x| x != a) => return Err(clash("ip6", &a).into()),
        IpAddr::V4(a) => ip4 = Some(a),
        IpAddr::V6(a) => ip6 = Some(a),
    }
    let node = Node::new(name, ip4, ip6).map_err(|e| Usage(e.message().to_owned()))?;
    let mut record = NodeRecord::new(node);
    if let Some(port) = args.parse_with("port", |v| parse_number("port", v, 1..=65535))? {
        record.port = port;
    }
    for (key, field) in [("user", &mut record.user), ("command", &mut record.command)] {
        if let Some(v) = args.get(key) {
            if v.is_empty() || v.chars().any(char::is_whitespace) {
                return Err(Usage(format!("{key} {v:?} is not valid: expected one word")).into());
            }
            *field = v.to_owned();
        }
    }
    let outcome = ops::node_add_offline(store, record.clone())?;
    Ok(Reply::new(
        format!(
            "node {}: {outcome} ({})\n",
            record.name,
            addresses(record.ip4, record.ip6)
        ),
        json!({ "outcome": outcome, "node": record }),
    ))
}

pub fn remove(store: &Store, args: &Args) -> Outcome {
    let name = node_name(args, "node")?.ok_or_else(|| Usage("missing key node=".into()))?;
    let outcome = ops::node_remove(store, &name)?;
    Ok(Reply::new(
        format!("node {name}: removed\n"),
        json!({ "outcome": outcome, "node": name }),
    ))
}

pub fn list(store: &Store) -> Outcome {
    let this = store.identity()?;
    let nodes = store.nodes()?;
    let show = |v: Option<String>| v.unwrap_or_else(|| "-".to_owned());
    let mut rows: Vec<[String; 5]> =
        vec![["NAME", "IP4", "IP6", "PORT", "USER"].map(str::to_owned)];
    if let Some(id) = &this {
        rows.push([
            format!("{} (this host)", id.name),
            show(id.ip4.map(|a| a.to_string())),
            show(id.ip6.map(|a| a.to_string())),
            "-".to_owned(),
            "-".to_owned(),
        ]);
    }
    for r in &nodes {
        rows.push([
            r.name.to_string(),
            show(r.ip4.map(|a| a.to_string())),
            show(r.ip6.map(|a| a.to_string())),
            r.port.to_string(),
            r.user.clone(),
        ]);
    }
    let widths: Vec<usize> = (0..5)
        .map(|c| rows.iter().map(|r| r[c].len()).max().unwrap_or(0))
        .collect();
    let mut text = String::new();
    for r in &rows {
        let line: Vec<String> = r
            .iter()
            .zip(&widths)
            .map(|(v, w)| format!("{v:<w$}"))
            .collect();
        let _ = writeln!(text, "{}", line.join("  ").trim_end());
    }
    Ok(Reply::new(text, json!({ "this": this, "nodes": nodes })))
}
