//! `vpc mode=init_peers`: the peer map in CBSD's text format, or as JSON,
//! written link by link (a 1000-member map is half a million links).

use std::io::{self, Write};

use vpc_core::model::spec::Spec;
use vpc_core::ops::run;
use vpc_core::render::Line;
use vpc_core::report::PeerMap;
use vpc_core::request;
use vpc_core::store::Store;

use super::Outcome;
use crate::output::{Out, Reply};

pub fn init_peers(store: &Store, req: &request::InitPeers) -> Outcome {
    let spec = run::spec(store, &req.vpc)?;
    // Every check of the map is made here, before the first byte is out;
    // the reply makes the map again, from the spec it owns.
    PeerMap::of(&spec)?;
    Ok(Reply::writing(move |out, json| {
        let map = PeerMap::of(&spec).map_err(io::Error::other)?;
        if json {
            map.write_json(out)?;
            out.write_all(b"\n")
        } else {
            text(&map, out)
        }
    }))
}

/// The map as CBSD prints it: the members, the peer network, then both
/// directions of every link.
pub(super) fn text(map: &PeerMap<'_>, out: &mut Out<'_>) -> io::Result<()> {
    out.write_all(b"nodes: ")?;
    for (i, n) in map.nodes.iter().enumerate() {
        if i > 0 {
            out.write_all(b" ")?;
        }
        out.write_all(n.as_str().as_bytes())?;
    }
    writeln!(out, "\npeer_network: {}", map.peer_network)?;
    if let Some(spec) = map.links.spec() {
        links(spec, out)?;
    }
    if let Some(e) = &map.encryption {
        for line in e.lines() {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

/// Both directions of every link, two lines each.
fn links(spec: &Spec, out: &mut Out<'_>) -> io::Result<()> {
    // Each link's two lines are made in place and written at once: a
    // million lines cost more in formatting than in making the links.
    let mut lines = Line::default();
    for link in spec.links().map_err(io::Error::other)? {
        let link = link.map_err(io::Error::other)?;
        let [a, b] = &link.ends;
        let (a_name, b_name) = (a.node.as_str().as_bytes(), b.node.as_str().as_bytes());
        // CBSD's spacing, kept so that habits and scripts keep working:
        // "A -> B , ep: ADDR  (VX ID: VNI)", "  B -> A, ep: ADDR  (VX ID: VNI)".
        lines.clear();
        lines.put(a_name);
        lines.put(b" -> ");
        lines.put(b_name);
        lines.put(b" , ep: ");
        lines.if_addr(&a.link_addr);
        lines.put(b"  (VX ID: ");
        lines.decimal(u64::from(link.vni));
        lines.put(b")\n  ");
        lines.put(b_name);
        lines.put(b" -> ");
        lines.put(a_name);
        lines.put(b", ep: ");
        lines.if_addr(&b.link_addr);
        lines.put(b"  (VX ID: ");
        lines.decimal(u64::from(link.vni));
        lines.put(b")\n");
        out.write_all(lines.made())?;
    }
    Ok(())
}
