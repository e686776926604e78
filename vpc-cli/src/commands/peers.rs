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
    reply(run::spec(store, &req.vpc)?)
}

/// The peer map of `spec`, in the form asked for.
fn reply(spec: Spec) -> Outcome {
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

#[cfg(test)]
mod tests {
    use std::io::{BufWriter, Write};
    use std::net::IpAddr;

    use vpc_core::model::name::{NodeName, VpcName};
    use vpc_core::model::node::Node;
    use vpc_core::model::spec::{Options, Spec};
    use vpc_core::report::{self, PeerMap};

    use crate::output::{BUFFER, Out};

    /// The text as it was made before it was streamed: the whole map,
    /// then every line with the formatting machinery.
    fn whole_text(spec: &Spec) -> String {
        use std::fmt::Write;
        let map = spec.peer_map().unwrap();
        let names: Vec<&str> = spec.members().map(|m| m.node.name.as_str()).collect();
        let mut text = format!(
            "nodes: {}\npeer_network: {}\n",
            names.join(" "),
            spec.peer_network
        );
        for link in &map {
            let [a, b] = &link.ends;
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
        if let Some(e) = report::Encryption::of(spec).unwrap() {
            for line in e.lines() {
                let _ = writeln!(text, "{line}");
            }
        }
        text
    }

    /// What a sink saw: bytes taken, and the largest single write.
    type Seen = std::rc::Rc<std::cell::Cell<(usize, usize)>>;

    /// A sink that takes only the expected bytes, in order.
    struct Against {
        want: Vec<u8>,
        seen: Seen,
    }

    impl Write for Against {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let (at, largest) = self.seen.get();
            let end = at + buf.len();
            assert!(
                self.want.get(at..end) == Some(buf),
                "differs within bytes {at}..{end}"
            );
            self.seen.set((end, largest.max(buf.len())));
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Prints the map of `spec` as `json` or text into a sink expecting
    /// `want`, through the buffer stdout gets; the largest write.
    fn print(spec: &Spec, json: bool, want: String) -> usize {
        let seen = Seen::default();
        let len = want.len();
        let sink = Against {
            want: want.into_bytes(),
            seen: seen.clone(),
        };
        let mut out: Out<'_> = BufWriter::with_capacity(BUFFER, Box::new(sink));
        super::reply(spec.clone())
            .unwrap()
            .write(&mut out, json)
            .unwrap();
        out.flush().unwrap();
        let (taken, largest) = seen.get();
        assert_eq!(taken, len, "the output ends early");
        largest
    }

    fn node(name: &str, ip: &str) -> Node {
        let (ip4, ip6) = match ip.parse::<IpAddr>().unwrap() {
            IpAddr::V4(a) => (Some(a), None),
            IpAddr::V6(a) => (None, Some(a)),
        };
        Node::new(NodeName::new(name).unwrap(), ip4, ip6).unwrap()
    }

    fn spec(n: usize, opts: &[(&str, &str)]) -> Spec {
        let mut o = Options::default();
        for (k, v) in opts {
            assert!(o.set(k, v).unwrap(), "{k}");
        }
        let mut nodes: Vec<Node> = (0..n)
            .map(|i| {
                let ip = format!("198.18.{}.{}", i / 250, i % 250 + 1);
                node(&format!("node-{i}.example"), &ip)
            })
            .collect();
        let first = nodes.remove(0);
        Spec::define(VpcName::new("v").unwrap(), first, nodes, &o, &[]).unwrap()
    }

    #[test]
    fn the_text_is_the_whole_texts_bytes_written_a_buffer_at_a_time() {
        for (n, opts) in [
            (2, vec![("peer_network", "10.0.0.0/24")]),
            (
                3,
                vec![("peer_network", "10.0.0.0/24"), ("encrypt", "wireguard")],
            ),
            (
                40,
                vec![
                    ("peer_network", "10.0.0.0/16"),
                    ("link_prefix", "31"),
                    ("numbering", "cbsd"),
                ],
            ),
            (1000, vec![("peer_network", "10.0.0.0/8")]),
        ] {
            let mut s = spec(n, &opts);
            if n == 40 {
                s.remove_member(&NodeName::new("node-7.example").unwrap())
                    .unwrap();
            }
            let want = whole_text(&s);
            let whole = want.len();
            let largest = print(&s, false, want);
            // The text of 1000 members is 60 MB: it reaches stdout in
            // buffers, never whole.
            assert!(largest <= BUFFER, "{n} members: a write of {largest} bytes");
            assert!(n < 1000 || whole > 100 * BUFFER, "{whole}");
        }
    }

    #[test]
    fn the_json_is_the_reports_document_written_a_buffer_at_a_time() {
        for n in [2, 200] {
            let s = spec(n, &[("peer_network", "10.0.0.0/14")]);
            let want = report::to_json(&PeerMap::of(&s).unwrap()).unwrap() + "\n";
            let whole = want.len();
            let largest = print(&s, true, want);
            assert!(largest <= BUFFER, "{n} members: a write of {largest} bytes");
            assert!(n < 200 || whole > 10 * BUFFER, "{whole}");
        }
    }
}
