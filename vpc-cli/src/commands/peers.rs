//! `vpc mode=init_peers`: the peer map in CBSD's text format, or as JSON.

use std::fmt::Write;

use vpc_core::ops::run;
use vpc_core::report::PeerMap;
use vpc_core::request;
use vpc_core::store::Store;

use super::Outcome;
use crate::output::Reply;

pub fn init_peers(store: &Store, req: &request::InitPeers) -> Outcome {
    let spec = run::spec(store, &req.vpc)?;
    let map = PeerMap::of(&spec)?;
    let names: Vec<&str> = map.nodes.iter().map(|n| n.as_str()).collect();
    let mut text = format!(
        "nodes: {}\npeer_network: {}\n",
        names.join(" "),
        map.peer_network
    );
    for link in &map.links {
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
    if let Some(e) = &map.encryption {
        for line in e.lines() {
            let _ = writeln!(text, "{line}");
        }
    }
    Ok(Reply::new(text, &map)?)
}
