//! `status` without root: the operation runs against the memory kernel,
//! whose far ends answer probes as the test says, with a real store in a
//! temporary directory. Healthy after apply with every far end answering;
//! unhealthy, naming the tunnel or the difference, otherwise.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod common;

use common::{Fixture, vpc};
use std::net::IpAddr;
use std::time::Duration;

use serde_json::Value;
use vpc_core::backend::dryrun::DryRun;
use vpc_core::backend::memory::MemoryKernel;
use vpc_core::backend::{Backend, Probe};
use vpc_core::model::members::MemberSelection;
use vpc_core::model::platform::Platform;
use vpc_core::model::spec::Options;
use vpc_core::ops::{self, run};
use vpc_core::plan::{Change, Health, Observed, Scope, TunnelHealth};
use vpc_core::report;
use vpc_core::request;

/// This host `self` (198.18.0.1), known nodes `a`, `b`, `c`, and VPC `v1`
/// over all four: three tunnels on this node.
fn fixture(label: &str) -> Fixture {
    let f = Fixture::new("status", label, &[("a", 2), ("b", 3), ("c", 4)]);
    let mut o = Options::default();
    o.set("peer_network", "10.100.0.0/24").unwrap();
    ops::vpc_init(&f.store, vpc(), &MemberSelection::All, &o).unwrap();
    f
}

/// `apply` on `kernel` through the operation the CLI runs.
fn apply(f: &Fixture, kernel: &mut MemoryKernel) {
    let req = request::Converge {
        vpc: vpc(),
        scope: Scope::All,
        dry_run: None,
        bridge_ips: None,
    };
    let r = run::converge_on(&f.store, &req, kernel).unwrap();
    assert!(!r.changes.is_empty(), "a fresh node is built");
}

fn status(f: &Fixture, kernel: &mut dyn Backend) -> report::Status {
    let req = request::Status {
        vpc: vpc(),
        timeout: Duration::from_millis(200),
    };
    run::status_on(&f.store, &req, kernel).unwrap()
}

/// Every tunnel's far end, as `status` will probe it.
fn far_ends(f: &Fixture, kernel: &mut MemoryKernel) -> Vec<IpAddr> {
    status(f, kernel)
        .health
        .tunnels
        .iter()
        .map(|t| t.peer_addr)
        .collect()
}

/// A node with only its underlay: `eth0` holding 198.18.0.1.
fn bare_node(platform: Platform) -> MemoryKernel {
    let observed: Observed = serde_json::from_value(serde_json::json!({
        "ifaces": [{
            "name": "eth0",
            "index": 2,
            "kind": { "other": "ether" },
            "mtu": 1500,
            "up": true,
            "running": true,
            "addrs": ["198.18.0.1/24"],
        }]
    }))
    .unwrap();
    MemoryKernel::with(platform, observed)
}

/// A converged node whose every far end answers after 3 ms.
fn healthy_node(f: &Fixture, platform: Platform) -> MemoryKernel {
    let mut kernel = bare_node(platform);
    apply(f, &mut kernel);
    for addr in far_ends(f, &mut kernel) {
        kernel.answer_from(addr, Duration::from_millis(3));
    }
    kernel
}

fn tunnel<'h>(h: &'h Health, peer: &str) -> &'h TunnelHealth {
    h.tunnels
        .iter()
        .find(|t| t.peer.as_str() == peer)
        .unwrap_or_else(|| panic!("no tunnel to {peer} in {h:?}"))
}

/// The report as every door serializes it.
fn json(r: &report::Status) -> Value {
    serde_json::to_value(r).unwrap()
}

#[test]
fn healthy_after_apply_when_every_far_end_answers() {
    for platform in [Platform::Linux, Platform::FreeBsd] {
        let f = fixture("healthy");
        let mut kernel = healthy_node(&f, platform);
        let r = status(&f, &mut kernel);
        assert!(r.healthy, "{platform}: {r:?}");
        assert_eq!(r.node.as_str(), "self");
        assert!(r.health.probed);
        assert_eq!(r.health.differences, Vec::<String>::new());
        let peers: Vec<&str> = r.health.tunnels.iter().map(|t| t.peer.as_str()).collect();
        assert_eq!(peers, ["a", "b", "c"], "{platform}");
        for t in &r.health.tunnels {
            assert!(t.present && t.matching && t.up && t.running, "{t:?}");
            assert_eq!(t.rtt_ms, Some(3.0), "{t:?}");
            assert!(
                IpAddr::from([10, 100, 0, 0]) <= t.peer_addr
                    && t.peer_addr <= IpAddr::from([10, 100, 0, 255]),
                "far end {} outside the peer network",
                t.peer_addr
            );
        }
        let v = json(&r);
        assert_eq!(v["healthy"], true);
        assert_eq!(v["vpc"], "v1");
        assert_eq!(v["differences"], serde_json::json!([]));
        assert_eq!(v["tunnels"].as_array().unwrap().len(), 3);
        assert_eq!(v["tunnels"][1]["rtt_ms"], 3.0);
    }
}

#[test]
fn a_silent_far_end_is_unhealthy_and_named() {
    let f = fixture("silent");
    let mut kernel = healthy_node(&f, Platform::Linux);
    let b = tunnel(&status(&f, &mut kernel).health, "b").peer_addr;
    kernel.silence(b);
    let r = status(&f, &mut kernel);
    assert!(!r.healthy);
    assert_eq!(
        r.health.differences,
        Vec::<String>::new(),
        "the kernel matches the spec"
    );
    let silent: Vec<&str> = r
        .health
        .tunnels
        .iter()
        .filter(|t| t.rtt_ms.is_none())
        .map(|t| t.peer.as_str())
        .collect();
    assert_eq!(silent, ["b"]);
    let t = tunnel(&r.health, "b");
    assert!(t.present && t.matching && t.up && t.running, "{t:?}");
    let v = json(&r);
    assert_eq!(v["healthy"], false);
    assert_eq!(v["tunnels"][1]["peer"], "b");
    assert_eq!(v["tunnels"][1]["rtt_ms"], Value::Null);
    assert_eq!(v["tunnels"][0]["rtt_ms"], 3.0);

    // Answering again heals it.
    kernel.answer_from(b, Duration::from_millis(5));
    let r = status(&f, &mut kernel);
    assert!(r.healthy, "{r:?}");
    assert_eq!(tunnel(&r.health, "b").rtt_ms, Some(5.0));
}

#[test]
fn a_far_end_slower_than_the_timeout_is_silent() {
    let f = fixture("slow");
    let mut kernel = healthy_node(&f, Platform::Linux);
    let c = tunnel(&status(&f, &mut kernel).health, "c").peer_addr;
    kernel.answer_from(c, Duration::from_millis(201));
    let r = status(&f, &mut kernel);
    assert!(!r.healthy);
    assert_eq!(tunnel(&r.health, "c").rtt_ms, None);
    assert_eq!(tunnel(&r.health, "a").rtt_ms, Some(3.0));
}

#[test]
fn a_missing_tunnel_is_unhealthy_and_named() {
    let f = fixture("missing");
    let mut kernel = healthy_node(&f, Platform::Linux);
    let name = tunnel(&status(&f, &mut kernel).health, "a")
        .interface
        .clone();
    kernel
        .apply(&[Change::Destroy { name: name.clone() }])
        .unwrap();
    let r = status(&f, &mut kernel);
    assert!(!r.healthy);
    assert_eq!(
        r.health.differences[0],
        format!("tunnel {name} to 198.18.0.2 is missing")
    );
    // Then what creating it entails (address, neighbour, port, up): every
    // difference is about that tunnel alone.
    assert!(
        r.health.differences.iter().all(|d| d.contains(&name)),
        "{:?}",
        r.health.differences
    );
    let t = tunnel(&r.health, "a");
    assert!(!t.present && !t.matching && !t.up && !t.running, "{t:?}");
    assert_eq!(t.rtt_ms, None, "no link, no answer, though a's end is set");
    assert_eq!(tunnel(&r.health, "b").rtt_ms, Some(3.0));
    assert_eq!(json(&r)["healthy"], false);

    // Apply repairs exactly that, and status is healthy again.
    apply(&f, &mut kernel);
    let r = status(&f, &mut kernel);
    assert!(r.healthy, "{r:?}");
}

#[test]
fn a_down_tunnel_is_unhealthy_and_named() {
    let f = fixture("down");
    let kernel = healthy_node(&f, Platform::Linux);
    let mut probe_kernel = kernel.clone();
    let name = tunnel(&status(&f, &mut probe_kernel).health, "c")
        .interface
        .clone();
    // The memory kernel has no "down" change: build one holding it down.
    let mut observed = kernel.snapshot();
    let i = observed.ifaces.iter_mut().find(|i| i.name == name).unwrap();
    i.up = false;
    i.running = false;
    let mut down = MemoryKernel::with(Platform::Linux, observed);
    for t in &status(&f, &mut probe_kernel).health.tunnels {
        down.answer_from(t.peer_addr, Duration::from_millis(3));
    }
    let r = status(&f, &mut down);
    assert!(!r.healthy);
    assert_eq!(r.health.differences, [format!("{name} is down")]);
    let t = tunnel(&r.health, "c");
    assert!(t.present && t.matching && !t.up && !t.running, "{t:?}");
    assert_eq!(t.rtt_ms, None);
    assert_eq!(json(&r)["healthy"], false);
}

#[test]
fn a_tunnel_without_carrier_is_unhealthy_without_a_difference() {
    let f = fixture("carrier");
    let mut kernel = healthy_node(&f, Platform::FreeBsd);
    let name = tunnel(&status(&f, &mut kernel).health, "b")
        .interface
        .clone();
    kernel.set_running(&name, false).unwrap();
    let r = status(&f, &mut kernel);
    assert!(!r.healthy);
    assert_eq!(
        r.health.differences,
        Vec::<String>::new(),
        "apply cannot repair a lost carrier"
    );
    let t = tunnel(&r.health, "b");
    assert!(t.present && t.matching && t.up && !t.running, "{t:?}");
    assert_eq!(t.rtt_ms, None);
    assert_eq!(json(&r)["tunnels"][1]["running"], false);
}

#[test]
fn a_node_not_applied_yet_names_every_part_missing() {
    let f = fixture("fresh");
    let mut kernel = bare_node(Platform::Linux);
    let r = status(&f, &mut kernel);
    assert!(!r.healthy);
    assert!(
        r.health
            .differences
            .contains(&"bridge v1 is missing".to_owned()),
        "{:?}",
        r.health.differences
    );
    for t in &r.health.tunnels {
        assert!(
            r.health
                .differences
                .iter()
                .any(|d| d.starts_with(&format!("tunnel {} ", t.interface))),
            "{} not named in {:?}",
            t.interface,
            r.health.differences
        );
        assert!(!t.present && t.rtt_ms.is_none(), "{t:?}");
    }
}

#[test]
fn a_dry_run_reports_the_kernel_and_vouches_for_no_far_end() {
    let f = fixture("dryrun");
    let kernel = healthy_node(&f, Platform::Linux);
    let mut dry = DryRun::new(Platform::Linux, kernel.snapshot());
    let targets: Vec<Probe> = [
        (
            "vxlan1",
            IpAddr::from([10, 100, 0, 1]),
            IpAddr::from([10, 100, 0, 2]),
        ),
        (
            "vxlan2",
            "2001:db8::1".parse().unwrap(),
            "2001:db8::2".parse().unwrap(),
        ),
    ]
    .into_iter()
    .map(|(iface, from, to)| Probe {
        iface: iface.to_owned(),
        from,
        to,
    })
    .collect();
    assert_eq!(
        dry.probe(&targets, Duration::from_millis(10)).unwrap(),
        [None, None]
    );
    let r = status(&f, &mut dry);
    assert_eq!(r.health.differences, Vec::<String>::new());
    assert!(
        r.health
            .tunnels
            .iter()
            .all(|t| t.running && t.rtt_ms.is_none())
    );
    assert!(!r.healthy);
}

#[test]
fn the_report_counts_what_is_wrong() {
    let f = fixture("counts");
    let mut kernel = healthy_node(&f, Platform::Linux);
    let r = status(&f, &mut kernel);
    assert_eq!(r.counts, vpc_core::report::StatusCounts::default());
    assert_eq!(
        json(&r)["counts"],
        serde_json::json!({"differences": 0, "no_carrier": 0, "silent": 0})
    );
    let b = tunnel(&r.health, "b").peer_addr;
    let c = tunnel(&r.health, "c").interface.clone();
    kernel.silence(b);
    kernel.set_running(&c, false).unwrap();
    let r = status(&f, &mut kernel);
    assert!(!r.healthy);
    assert_eq!(
        (r.counts.differences, r.counts.no_carrier, r.counts.silent),
        (0, 1, 1),
        "{r:?}"
    );
    // A missing tunnel is counted among the differences, not twice.
    let a = tunnel(&r.health, "a").interface.clone();
    kernel.apply(&[Change::Destroy { name: a }]).unwrap();
    let r = status(&f, &mut kernel);
    assert_eq!(r.counts.differences, r.health.differences.len());
    assert!(r.counts.differences > 0);
    assert_eq!((r.counts.no_carrier, r.counts.silent), (1, 1), "{r:?}");
}

#[test]
fn an_underlay_that_lost_its_address_is_unhealthy_and_named() {
    let f = fixture("lost");
    let kernel = healthy_node(&f, Platform::Linux);
    let mut probe_kernel = kernel.clone();
    let peers: Vec<_> = status(&f, &mut probe_kernel)
        .health
        .tunnels
        .iter()
        .map(|t| t.peer_addr)
        .collect();
    // Someone took 198.18.0.1 off eth0: the tunnels still exist, the far
    // ends still answer in this model, but nothing leaves from it.
    let mut observed = kernel.snapshot();
    for i in &mut observed.ifaces {
        i.addrs.retain(|a| a.addr.to_string() != "198.18.0.1");
    }
    let mut lost = MemoryKernel::with(Platform::Linux, observed);
    for p in peers {
        lost.answer_from(p, Duration::from_millis(3));
    }
    let r = status(&f, &mut lost);
    assert!(!r.healthy);
    assert_eq!(
        r.health.differences,
        [
            "underlay address 198.18.0.1 of this node is on no interface: the tunnels from it \
          carry nothing"
        ]
    );
    assert_eq!(json(&r)["healthy"], false);
}

/// A FreeBSD host whose pf is not enabled: healthy (nothing `apply` could
/// repair), and `status` says plainly that the VXLAN port is open there.
#[test]
fn status_warns_when_pf_is_not_enabled() {
    let f = fixture("pfoff");
    let mut kernel = bare_node(Platform::FreeBsd);
    kernel.set_packet_filter(Some(vpc_core::plan::PacketFilter {
        loaded: true,
        enabled: false,
        evaluates_anchors: false,
    }));
    apply(&f, &mut kernel);
    let s = status(&f, &mut kernel);
    assert!(
        s.health.differences.is_empty(),
        "{:?}",
        s.health.differences
    );
    assert_eq!(s.health.warnings.len(), 1, "{:?}", s.health.warnings);
    assert!(
        s.health.warnings[0].starts_with("pf is not enabled: VPC v1's members-only rules"),
        "{}",
        s.health.warnings[0]
    );
    let doc: Value = serde_json::from_str(&report::to_json(&s).unwrap()).unwrap();
    assert_eq!(doc["warnings"][0], s.health.warnings[0].as_str());
}
