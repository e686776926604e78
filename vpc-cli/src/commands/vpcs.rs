//! `vpc mode=list` and `vpc mode=remove`.

use std::fmt::Write;

use serde_json::{Value, json};
use vpc_cli::args::Args;
use vpc_core::model::spec::Spec;
use vpc_core::ops;
use vpc_core::store::Store;

use super::{Outcome, vpc_name};
use crate::output::Reply;

/// One line about a spec, and the same as JSON.
pub(super) fn summary(spec: &Spec) -> vpc_core::Result<(String, Value)> {
    let links = spec.peer_map()?.len();
    let mtu = spec.mtu()?;
    let members: Vec<&str> = spec.members().map(|m| m.node.name.as_str()).collect();
    let vnis = spec.vni_range();
    let text = format!(
        "VPC {} generation {}: {} members, {links} links, VNIs {}-{}, MTU {mtu}, peer_network {}",
        spec.name,
        spec.generation,
        members.len(),
        vnis.start(),
        vnis.end(),
        spec.peer_network
    );
    let json = json!({
        "vpc": spec.name,
        "generation": spec.generation,
        "members": members,
        "links": links,
        "vni_first": vnis.start(),
        "vni_last": vnis.end(),
        "mtu": mtu,
        "peer_network": spec.peer_network,
    });
    Ok((text, json))
}

pub fn list(store: &Store, args: &Args) -> Outcome {
    if args.get("vpc_name").is_some() {
        let spec = store.require_vpc(&vpc_name(args)?)?;
        let (line, mut doc) = summary(&spec)?;
        let mut text = format!("{line}\n");
        for (slot, m) in spec.members.iter().enumerate() {
            match m {
                None => {
                    let _ = writeln!(text, "  slot {slot}: vacant");
                }
                Some(m) => {
                    let addrs: Vec<String> =
                        m.bridge_addrs.iter().map(ToString::to_string).collect();
                    let ip4 = m
                        .node
                        .ip4
                        .map(|a| a.to_string())
                        .unwrap_or_else(|| "-".into());
                    let ip6 = m
                        .node
                        .ip6
                        .map(|a| a.to_string())
                        .unwrap_or_else(|| "-".into());
                    let _ = write!(text, "  slot {slot}: {} ip4 {ip4} ip6 {ip6}", m.node.name);
                    if !addrs.is_empty() {
                        let _ = write!(text, " bridge_ips {}", addrs.join(","));
                    }
                    text.push('\n');
                }
            }
        }
        doc["spec"] = serde_json::to_value(&spec).unwrap_or(Value::Null);
        return Ok(Reply::new(text, doc));
    }
    let specs = store.vpcs()?;
    let mut text = String::new();
    let mut docs = Vec::new();
    for spec in &specs {
        let (line, doc) = summary(spec)?;
        let _ = writeln!(text, "{line}");
        docs.push(doc);
    }
    Ok(Reply::new(text, json!({ "vpcs": docs })))
}

pub fn remove(store: &Store, args: &Args) -> Outcome {
    let name = vpc_name(args)?;
    let outcome = ops::vpc_remove(store, &name, &vpc_core::boot::dirs())?;
    Ok(Reply::new(
        format!("VPC {name}: removed\n"),
        json!({ "outcome": outcome, "vpc": name }),
    ))
}
