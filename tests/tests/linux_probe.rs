#![allow(
    clippy::disallowed_macros,
    reason = "tests and benchmarks report to the terminal themselves"
)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

//! `status`'s probes on Linux: a peer vpc did not build (set up by hand
//! with `ip`, as CBSD lays a VPC out: same VNIs, port 4789, link
//! addresses per the peer map, vxlans as isolated ports of a bridge, the
//! kernel's own MACs, no neighbour entries) answers over its tunnel, and
//! stops answering when its vxlan goes down; many dead peers cost one
//! timeout, not one each.
//!
//! Tests named `netns_*` need root and `ip netns`; without them they print
//! why and pass. Run `cargo build -p vpc-cli` first.

use std::time::{Duration, Instant};

use serde_json::Value;
use vpc_e2e::cluster::{Underlay, identify, introduce, peer_map, sync};
use vpc_e2e::{Host, Lab, Run};

/// `vpc mode=status vpc_name=VPC timeout=MS --json`: the run and its document.
fn status(h: &Host, vpc: &str, timeout_ms: u32) -> (Run, Value) {
    let r = h.run(&format!(
        "mode=status vpc_name={vpc} timeout={timeout_ms} --json"
    ));
    let doc = r.json();
    (r, doc)
}

/// Runs status until it exits 0 (at most `limit`); the last run and document.
fn wait_healthy(h: &Host, vpc: &str, limit: Duration) -> (Run, Value) {
    let deadline = Instant::now() + limit;
    loop {
        let (r, doc) = status(h, vpc, 300);
        if r.success() || Instant::now() >= deadline {
            return (r, doc);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The tunnel of a status document whose peer is `peer`.
fn tunnel<'d>(doc: &'d Value, peer: &str) -> &'d Value {
    doc["tunnels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["peer"] == peer)
        .unwrap_or_else(|| panic!("no tunnel to {peer}: {doc}"))
}

/// Builds host `h`'s part of `vpc` by hand from the peer map, with `ip`
/// only: bridge `vpc`, one vxlan per link of `h` (named `vxlan<vni>`) as
/// an isolated port carrying `h`'s link address. Returns the interface of
/// the link to each peer, as (peer, interface, link address).
fn build_by_hand(lab: &Lab, h: &Host, map: &Value, vpc: &str) -> Vec<(String, String, String)> {
    let mtu = map["mtu"].as_u64().unwrap();
    let mut cmds = vec![
        format!("link add {vpc} type bridge"),
        format!("link set {vpc} mtu {mtu} up"),
    ];
    let mut tunnels = Vec::new();
    for l in map["links"].as_array().unwrap() {
        let ends = &l["ends"];
        let Some(me) = (0..2).find(|&e| ends[e]["node"] == h.name()) else {
            continue;
        };
        let far = ends[1 - me]["node"].as_str().unwrap().to_owned();
        let far_ip = lab.hosts().iter().find(|o| o.name() == far).unwrap().ip4();
        let vni = l["vni"].as_u64().unwrap();
        let name = format!("vxlan{vni}");
        let addr = ends[me]["link_addr"].as_str().unwrap();
        cmds.extend([
            format!(
                "link add {name} type vxlan id {vni} local {} remote {far_ip} dstport 4789",
                h.ip4()
            ),
            format!("link set {name} mtu {mtu} master {vpc}"),
            format!("link set {name} type bridge_slave isolated on"),
            format!("addr add {addr} dev {name}"),
            format!("link set {name} up"),
        ]);
        tunnels.push((far, name, addr.to_owned()));
    }
    for c in &cmds {
        let args: Vec<&str> = std::iter::once("ip").chain(c.split(' ')).collect();
        h.sh_ok(&args);
    }
    tunnels
}

/// Hosts 0 and 1 run vpc; host 2 is built by hand. Both vpc hosts see
/// host 2's tunnel answer and are healthy; with host 2's vxlan to host 0
/// down, host 0's tunnel to it has no answer and status exits 1, while
/// host 1's stays healthy.
fn a_peer_built_by_hand(peer_network: &str) {
    let Some(lab) = Lab::new("byhand", 3) else {
        return;
    };
    identify(&lab, &[0, 1], Underlay::V4);
    introduce(&lab, 0, &[1, 2], Underlay::V4);
    let (h0, h1, h2) = (lab.host(0), lab.host(1), lab.host(2));
    h0.ok(&format!(
        "mode=init vpc_name=vpc1 node_member=h1,h2 peer_network={peer_network}"
    ));
    sync(&lab, 0, &[1], "vpc1");
    for h in [h0, h1] {
        h.ok("mode=apply vpc_name=vpc1");
    }
    let map = peer_map(h0, "vpc1");
    let by_hand = build_by_hand(&lab, h2, &map, "vpc1");
    assert_eq!(by_hand.len(), 2, "{by_hand:?}");
    // Nothing of vpc's making on the hand-built host: the kernel's MACs,
    // no neighbour entries on the tunnels.
    let neigh = h2.sh_ok(&["ip", "neigh", "show", "nud", "permanent"]);
    assert_eq!(neigh.trim(), "", "{neigh}");

    // IPv6 link addresses are usable once duplicate detection is done.
    for h in [h0, h1] {
        let (r, doc) = wait_healthy(h, "vpc1", Duration::from_secs(8));
        assert_eq!(r.code, 0, "{}: {}\n{}", h.name(), r.stderr, doc);
        assert_eq!(doc["healthy"], true, "{doc}");
        let t = tunnel(&doc, "h2");
        assert!(t["rtt_ms"].as_f64().is_some(), "{}: {t}", h.name());
    }

    let (_, to_h0, addr) = by_hand.iter().find(|(peer, ..)| peer == "h0").unwrap();
    h2.sh_ok(&["ip", "link", "set", to_h0, "down"]);
    let (r, doc) = status(h0, "vpc1", 300);
    assert_eq!(r.code, 1, "{doc}");
    assert_eq!(doc["healthy"], false, "{doc}");
    assert_eq!(doc["differences"], Value::Array(vec![]), "{doc}");
    let t = tunnel(&doc, "h2");
    assert_eq!(t["rtt_ms"], Value::Null, "{t}");
    for k in ["present", "matching", "up", "running"] {
        assert_eq!(t[k], true, "{k}: {t}");
    }
    assert!(tunnel(&doc, "h1")["rtt_ms"].as_f64().is_some(), "{doc}");
    let (r, doc) = status(h1, "vpc1", 300);
    assert_eq!(r.code, 0, "h1 still reaches h2 over its own tunnel: {doc}");

    h2.sh_ok(&["ip", "link", "set", to_h0, "up"]);
    // A link going down flushes its IPv6 addresses (keep_addr_on_down=0).
    h2.sh_ok(&["ip", "addr", "replace", addr, "dev", to_h0]);
    let (r, doc) = wait_healthy(h0, "vpc1", Duration::from_secs(5));
    assert_eq!(r.code, 0, "{doc}");
}

#[test]
fn netns_status_hears_a_peer_built_by_hand_over_ipv4() {
    a_peer_built_by_hand("10.100.0.0/24");
}

#[test]
fn netns_status_hears_a_peer_built_by_hand_over_ipv6() {
    a_peer_built_by_hand("2001:db8:100::/64");
}

/// One host with 63 peers that do not exist: every tunnel is as the spec
/// says, none answers, and status takes about one timeout for all of them
/// (bounded generously at 2.5 timeouts, start-up included), not one each.
#[test]
fn netns_status_over_dead_peers_costs_one_timeout() {
    const PEERS: u8 = 63;
    const TIMEOUT_MS: u32 = 500;
    let Some(lab) = Lab::new("dead", 1) else {
        return;
    };
    identify(&lab, &[0], Underlay::V4);
    let h0 = lab.host(0);
    let mut names = Vec::new();
    for k in 1..=PEERS {
        // 198.18.0.2 … .64: on the lab's underlay, where no one answers.
        let addr = format!("198.18.0.{}", u16::from(k) + 1);
        h0.ok(&format!("node mode=add offline=1 name=p{k} node={addr}"));
        names.push(format!("p{k}"));
    }
    h0.ok(&format!(
        "mode=init vpc_name=vpc1 node_member={} peer_network=10.100.0.0/19",
        names.join(",")
    ));
    h0.ok("mode=apply vpc_name=vpc1");
    let started = Instant::now();
    let (r, doc) = status(h0, "vpc1", TIMEOUT_MS);
    let took = started.elapsed();
    eprintln!("status over {PEERS} dead peers, timeout {TIMEOUT_MS} ms: {took:?}");
    assert_eq!(r.code, 1, "{doc}");
    assert_eq!(doc["differences"], Value::Array(vec![]), "{doc}");
    let tunnels = doc["tunnels"].as_array().unwrap();
    assert_eq!(tunnels.len(), usize::from(PEERS));
    assert!(
        tunnels
            .iter()
            .all(|t| t["rtt_ms"].is_null() && t["up"] == true),
        "{doc}"
    );
    let bound = Duration::from_millis(u64::from(TIMEOUT_MS) * 5 / 2);
    assert!(
        took < bound,
        "{took:?} for {PEERS} dead peers; bound {bound:?}"
    );
    assert!(
        took >= Duration::from_millis(u64::from(TIMEOUT_MS)),
        "the timeout is waited out: {took:?}"
    );
}

/// Status returns as soon as every far end has answered, not when its
/// deadline passes: with a 5 s timeout, a healthy VPC's status comes back
/// well before half of it. A far end that does not answer is waited for
/// until the deadline, and the others' answers are kept.
#[test]
fn netns_status_returns_once_every_probe_answered() {
    const LONG_MS: u32 = 5000;
    const SHORT_MS: u32 = 1000;
    let Some(lab) = Lab::new("early", 3) else {
        return;
    };
    identify(&lab, &[0, 1, 2], Underlay::V4);
    introduce(&lab, 0, &[1, 2], Underlay::V4);
    let (h0, h1) = (lab.host(0), lab.host(1));
    h0.ok("mode=init vpc_name=vpc1 node_member=all peer_network=10.100.0.0/24");
    sync(&lab, 0, &[1, 2], "vpc1");
    for i in 0..3 {
        lab.host(i).ok("mode=apply vpc_name=vpc1");
    }
    let (r, doc) = wait_healthy(h0, "vpc1", Duration::from_secs(8));
    assert_eq!(r.code, 0, "{}\n{doc}", r.stderr);

    let started = Instant::now();
    let (r, doc) = status(h0, "vpc1", LONG_MS);
    let took = started.elapsed();
    eprintln!("status of a healthy VPC, timeout {LONG_MS} ms: {took:?}");
    assert_eq!(r.code, 0, "{}\n{doc}", r.stderr);
    assert!(
        took < Duration::from_millis(u64::from(LONG_MS) / 2),
        "every far end answered, yet status took {took:?} of its {LONG_MS} ms"
    );

    // h1's end of the tunnel to h0 down: that probe has no answer, and
    // status waits the whole timeout for it (h2 still answers).
    let to_h1 = tunnel(&doc, "h1")["interface"].as_str().unwrap().to_owned();
    h1.sh_ok(&["ip", "link", "set", &to_h1, "down"]);
    let started = Instant::now();
    let (r, doc) = status(h0, "vpc1", SHORT_MS);
    let took = started.elapsed();
    assert_eq!(r.code, 1, "{doc}");
    assert_eq!(tunnel(&doc, "h1")["rtt_ms"], Value::Null, "{doc}");
    assert!(tunnel(&doc, "h2")["rtt_ms"].as_f64().is_some(), "{doc}");
    assert!(
        took >= Duration::from_millis(u64::from(SHORT_MS)),
        "a silent far end is waited for until the deadline: {took:?}"
    );
}
