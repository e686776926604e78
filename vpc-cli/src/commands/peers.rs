//! `vpc mode=init_peers`: the peer map in CBSD's text format, or as JSON.

use std::fmt::Write;

use serde_json::json;
use vpc_cli::args::Args;
use vpc_core::store::Store;

use super::{Outcome, vpc_name};
use crate::output::Reply;

pub fn init_peers(store: &Store, args: &Args) -> Outcome {
    let spec = store.require_vpc(&vpc_name(args)?)?;
    let map = spec.peer_map()?;
    let nodes: Vec<&str> = spec.members().map(|m| m.node.name.as_str()).collect();
    let mut text = format!(
        "nodes: {}\npeer_network: {}\n",
        nodes.join(" "),
        spec.peer_network
    );
    for link in &map {
        let [a, b] = &link.ends;
        // CBSD's spacing, kept so that habits and scripts keep working.
        let _ = writeln!(
            text,
            "{} -> {} , ep: {}  (VX ID: {})",
            a.node, b.node, a.link_addr, link.vni
        );
        let _ = writeln!(
            text,
            "  {} -> {}, ep: {}  (VX ID: {})",
            b.node, a.node, b.link_addr, link.vni
        );
    }
    let doc = json!({
        "vpc": spec.name,
        "generation": spec.generation,
        "nodes": nodes,
        "peer_network": spec.peer_network,
        "link_prefix": spec.link_prefix,
        "numbering": spec.numbering,
        "port": spec.port,
        "mtu": spec.mtu()?,
        "links": map,
    });
    Ok(Reply::new(text, doc))
}
