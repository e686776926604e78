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

//! Refusals on real Linux hosts change nothing: a hostile spec received
//! from a "peer" (its peer network covers the underlay) is refused and
//! not stored, and attaching the underlay interface itself to the VPC
//! bridge is refused with its MTU and master left as they were.
//!
//! Tests named `netns_*` need root and `ip netns`; without them they print
//! why and pass. Run `cargo build -p vpc-cli` first.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use vpc_e2e::cluster::{Underlay, deploy};
use vpc_e2e::{Host, Lab, Run};

/// Every file under `dir` with its bytes (`.lock` without them).
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.file_name().is_some_and(|n| n == ".lock") {
                // Each process writes its pid into the lock: its presence
                // is state, its contents are not.
                out.insert(path.clone(), Vec::new());
            } else {
                out.insert(path.clone(), std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, &mut out);
    out
}

/// `ip -j -d link show NAME` of `h`.
fn link(h: &Host, name: &str) -> Value {
    h.link(name)
        .unwrap_or_else(|| panic!("{}: no {name}", h.name()))
}

#[test]
fn netns_a_hostile_spec_and_an_underlay_attach_are_refused() {
    let Some(lab) = Lab::new("refuse", 2) else {
        return;
    };
    deploy(&lab, &[0, 1], Underlay::V4, "vpc1", "10.100.0.0/24", "");
    let (h0, h1) = (lab.host(0), lab.host(1));

    // A newer generation of vpc1 whose peer network covers the underlay:
    // applying it would route the way to the peers into the tunnels.
    let mut doc = h0.ok("mode=export vpc_name=vpc1").json();
    doc["generation"] = (doc["generation"].as_u64().unwrap() + 1).into();
    doc["peer_network"] = "198.18.0.0/15".into();
    let before = files(h1.state_dir());
    let r: Run = h1.vpc_stdin("mode=receive", &doc.to_string()).into();
    assert_ne!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains(
            "peer_network 198.18.0.0/15 overlaps the underlay address 198.18.0.1 of member h0: \
             expected a network apart from every member's underlay"
        ),
        "{r:?}"
    );
    assert_eq!(files(h1.state_dir()), before, "nothing stored on h1");
    // A good document with bytes after it is refused too.
    doc["peer_network"] = "10.100.0.0/24".into();
    let r: Run = h1.vpc_stdin("mode=receive", &format!("{doc}\n{{}}")).into();
    assert_ne!(r.code, 0, "{r:?}");
    assert!(r.stderr.contains("trailing characters"), "{r:?}");
    assert_eq!(files(h1.state_dir()), before, "nothing stored on h1");
    // And h1 still applies the spec it holds: nothing to change.
    let again = h1.ok("mode=apply vpc_name=vpc1 --json").json();
    assert_eq!(again["changes"], Value::Array(Vec::new()), "{again}");

    // The underlay veth is no guest port.
    let eth0 = link(h0, "eth0");
    let before = files(h0.state_dir());
    let r = h0.run("mode=attach vpc_name=vpc1 iface=eth0");
    assert_ne!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains(
            "iface eth0 holds address 198.18.0.1/24, an underlay address of this host: \
             attaching it would cut the tunnels"
        ),
        "{r:?}"
    );
    let after = link(h0, "eth0");
    assert_eq!(after["mtu"], eth0["mtu"], "eth0's MTU unchanged");
    assert_eq!(after["mtu"], 1500);
    assert_eq!(
        after.get("master"),
        eth0.get("master"),
        "eth0's master unchanged"
    );
    assert!(after.get("master").is_none(), "{after}");
    // Nor is the loopback (Linux would refuse it only after its MTU was
    // set to the VPC's).
    let lo = link(h0, "lo");
    let r = h0.run("mode=attach vpc_name=vpc1 iface=lo");
    assert_ne!(r.code, 0, "{r:?}");
    assert!(
        r.stderr.contains("iface lo is a loopback interface"),
        "{r:?}"
    );
    assert_eq!(link(h0, "lo")["mtu"], lo["mtu"], "lo's MTU unchanged");
    assert_eq!(files(h0.state_dir()), before, "nothing recorded on h0");
    // The VPC is as healthy as before.
    let r = h0.run("mode=status vpc_name=vpc1 timeout=1000");
    assert_eq!(r.code, 0, "{r:?}");
}
