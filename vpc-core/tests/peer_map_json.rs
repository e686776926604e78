//! The peer map's JSON document made link by link (`PeerMap::write_json`,
//! what `init_peers --json` prints) is byte for byte the document
//! serde_json made of the whole map before it was streamed: the report
//! with every link in a vector, `to_string_pretty`. Maps of 2 to 1000
//! members, IPv4 and IPv6, /31 and /127 links, both numberings, vacant
//! slots, encrypted with keepalive pairs, odd and longest names.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::io::Write;
use std::net::IpAddr;

use serde::Serialize;

use vpc_core::model::addr::Network;
use vpc_core::model::mesh::{Link, Numbering};
use vpc_core::model::name::{NODE_NAME_MAX, NodeName, VpcName};
use vpc_core::model::node::Node;
use vpc_core::model::spec::{Options, Spec};
use vpc_core::report::{self, Encryption, PeerMap};

/// The peer map report as it was before its links were streamed.
#[derive(Serialize)]
struct WholeMap<'a> {
    version: u32,
    vpc: VpcName,
    generation: u64,
    nodes: Vec<NodeName>,
    peer_network: Network,
    link_prefix: u8,
    numbering: Numbering,
    port: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    encryption: Option<Encryption>,
    mtu: u32,
    links: Vec<Link<'a>>,
}

/// The document as `report::to_json` made it of the whole map.
fn whole_document(spec: &Spec) -> String {
    let map = WholeMap {
        version: report::REPORT_VERSION,
        vpc: spec.name.clone(),
        generation: spec.generation,
        nodes: spec.members().map(|m| m.node.name.clone()).collect(),
        peer_network: spec.peer_network,
        link_prefix: spec.link_prefix,
        numbering: spec.numbering,
        port: spec.port,
        encryption: Encryption::of(spec).unwrap(),
        mtu: spec.mtu().unwrap(),
        links: spec.peer_map().unwrap(),
    };
    serde_json::to_string_pretty(&map).unwrap()
}

/// A sink that takes only the expected bytes, in order, and notes the
/// largest write.
struct Against<'a> {
    want: &'a [u8],
    at: usize,
    largest: usize,
}

impl Write for Against<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let end = self.at + buf.len();
        assert!(
            self.want.get(self.at..end) == Some(buf),
            "differs within bytes {}..{end}: got {:?}, expected {:?}",
            self.at,
            String::from_utf8_lossy(buf),
            String::from_utf8_lossy(&self.want[self.at..end.min(self.want.len())])
        );
        self.at = end;
        self.largest = self.largest.max(buf.len());
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The streamed document, and serde_json's of the lazy report, are the
/// whole document's bytes.
fn same_bytes(spec: &Spec) {
    let want = whole_document(spec);
    let map = PeerMap::of(spec).unwrap();
    let mut sink = Against {
        want: want.as_bytes(),
        at: 0,
        largest: 0,
    };
    map.write_json(&mut sink).unwrap();
    assert_eq!(sink.at, want.len(), "the document ends early");
    // Written a link at a time, never whole (the head holds the names).
    let head = report::to_json(&map.without_links()).unwrap().len();
    assert!(
        sink.largest <= head.max(8192),
        "a write of {} bytes",
        sink.largest
    );
    if spec.members().count() <= 200 {
        assert_eq!(report::to_json(&map).unwrap(), want);
    }
}

fn node(name: &str, ip: &str) -> Node {
    let (ip4, ip6) = match ip.parse::<IpAddr>().unwrap() {
        IpAddr::V4(a) => (Some(a), None),
        IpAddr::V6(a) => (None, Some(a)),
    };
    Node::new(NodeName::new(name).unwrap(), ip4, ip6).unwrap()
}

fn define(nodes: Vec<Node>, opts: &[(&str, &str)]) -> Spec {
    let mut o = Options::default();
    for (k, v) in opts {
        assert!(o.set(k, v).unwrap(), "{k}");
    }
    let mut nodes = nodes;
    let first = nodes.remove(0);
    Spec::define(VpcName::new("v").unwrap(), first, nodes, &o, &[]).unwrap()
}

/// `n` members over IPv4, 198.18.0.0/15.
fn v4(n: usize) -> Vec<Node> {
    (0..n)
        .map(|i| {
            node(
                &format!("n{i}"),
                &format!("198.18.{}.{}", i / 250, i % 250 + 1),
            )
        })
        .collect()
}

#[test]
fn small_and_large_ipv4_maps() {
    for n in [2, 3, 11, 200] {
        same_bytes(&define(v4(n), &[("peer_network", "10.0.0.0/14")]));
    }
}

#[test]
fn a_thousand_members() {
    same_bytes(&define(v4(1000), &[("peer_network", "10.0.0.0/8")]));
}

#[test]
fn slash_31_cbsd_numbering_with_vacant_slots() {
    let mut spec = define(
        v4(12),
        &[
            ("peer_network", "10.1.0.0/24"),
            ("link_prefix", "31"),
            ("numbering", "cbsd"),
            ("vni_base", "9000"),
        ],
    );
    spec.remove_member(&NodeName::new("n3").unwrap()).unwrap();
    spec.remove_member(&NodeName::new("n11").unwrap()).unwrap();
    same_bytes(&spec);
}

#[test]
fn odd_and_longest_names_over_ipv6() {
    let longest = format!("L{}", "9".repeat(NODE_NAME_MAX - 1));
    let nodes = vec![
        node("0", "2001:db8::1"),
        node("A.B-C_d", "2001:db8::2"),
        node(&longest, "2001:db8:ffff:ffff:ffff:ffff:ffff:fffe"),
        node("x_-.9", "2001:db8::4"),
        node("gone", "2001:db8::5"),
    ];
    let mut spec = define(
        nodes,
        &[("peer_network", "fd00:1::/64"), ("link_prefix", "127")],
    );
    spec.remove_member(&NodeName::new("gone").unwrap()).unwrap();
    same_bytes(&spec);
    let spec = define(
        (0..30)
            .map(|i| node(&format!("h{i}"), &format!("2001:db8::{:x}", i + 1)))
            .collect(),
        &[("peer_network", "fd00:2::/48")],
    );
    same_bytes(&spec);
}

#[test]
fn encrypted_with_keepalive_pairs() {
    let mut hidden = node("hidden", "198.18.0.9");
    hidden.inbound = false;
    let mut nodes = v4(6);
    nodes.push(hidden);
    let mut six = node("six", "2001:db8::6");
    six.ip4 = Some("198.18.0.7".parse().unwrap());
    nodes.push(six);
    nodes[0].ip6 = Some("2001:db8::1".parse().unwrap());
    let spec = define(
        nodes,
        &[("peer_network", "10.2.0.0/24"), ("encrypt", "wireguard")],
    );
    assert!(spec.wireguard.is_some());
    same_bytes(&spec);
}
