//! A refusal changes nothing: an `apply`, `init_bridge bridge_ips=`,
//! `attach` or `receive` that is refused leaves the memory kernel's
//! interfaces and every file of the store byte-identical. Also the
//! address checks at apply (the kernel's own addresses against the peer
//! network and the bridge addresses) and the down underlay, without root.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod common;

use common::{Fixture, vpc};
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use vpc_core::backend::memory::MemoryKernel;
use vpc_core::model::addr::IfAddr;
use vpc_core::model::members::MemberSelection;
use vpc_core::model::platform::Platform;
use vpc_core::model::quota::Usage;
use vpc_core::model::spec::Options;
use vpc_core::ops::{self, run};
use vpc_core::plan::{Observed, Scope};
use vpc_core::request;
use vpc_core::{Error, ErrorKind};

/// This host `self` (198.18.0.1), known nodes `a` and `b`, and VPC `v1`
/// over all three on peer network 10.100.0.0/24.
fn fixture(label: &str) -> Fixture {
    let f = Fixture::new("refusals", label, &[("a", 2), ("b", 3)]);
    let mut o = Options::default();
    o.set("peer_network", "10.100.0.0/24").unwrap();
    ops::vpc_init(&f.store, vpc(), &MemberSelection::All, &o).unwrap();
    f
}

/// Every file under the store's directory with its bytes.
fn files(f: &Fixture) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let path = e.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else {
                out.insert(path.clone(), fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&f.dir, &mut out);
    out
}

/// This host: `eth0` with the underlay 198.18.0.1/24 (`up` as given),
/// `eth1` with `eth1` (if any), a spare veth `veth9`, and `lo`.
fn host(underlay_up: bool, eth1: Option<&str>) -> MemoryKernel {
    let mut ifaces = vec![
        serde_json::json!({
            "name": "eth0", "index": 2, "kind": { "other": "ether" }, "mtu": 1500,
            "up": underlay_up, "running": underlay_up, "addrs": ["198.18.0.1/24"],
        }),
        serde_json::json!({
            "name": "lo", "index": 1, "kind": { "other": "loopback" }, "mtu": 65536,
            "up": true, "running": true, "addrs": ["127.0.0.1/8", "::1/128"],
        }),
        serde_json::json!({
            "name": "veth9", "index": 9, "kind": { "other": "veth" }, "mtu": 1500,
            "up": true, "running": true, "addrs": ["fe80::9/64"],
        }),
    ];
    if let Some(addr) = eth1 {
        ifaces.push(serde_json::json!({
            "name": "eth1", "index": 3, "kind": { "other": "ether" }, "mtu": 1500,
            "up": true, "running": true, "addrs": [addr],
        }));
    }
    let observed: Observed =
        serde_json::from_value(serde_json::json!({ "ifaces": ifaces })).unwrap();
    MemoryKernel::with(Platform::Linux, observed)
}

fn converge(
    f: &Fixture,
    k: &mut MemoryKernel,
    scope: Scope,
    bridge_ips: Option<&str>,
) -> vpc_core::Result<vpc_core::report::Changes> {
    let req = request::Converge {
        vpc: vpc(),
        scope,
        dry_run: None,
        bridge_ips: bridge_ips.map(|b| request::bridge_ips(b).unwrap()),
    };
    run::converge_on(&f.store, &req, k)
}

fn attach(f: &Fixture, k: &mut MemoryKernel, iface: &str) -> vpc_core::Result<()> {
    let req = request::Attach {
        vpc: vpc(),
        iface: iface.to_owned(),
        usage: Usage::default(),
    };
    run::attach_on(&f.store, &req, k).map(drop)
}

/// Runs `op`, which must fail with `kind` and `message`, and checks that
/// neither the kernel nor the store changed.
fn refused(
    f: &Fixture,
    k: &mut MemoryKernel,
    kind: ErrorKind,
    message: &str,
    op: impl FnOnce(&Fixture, &mut MemoryKernel) -> vpc_core::Result<()>,
) {
    let (kernel, store) = (k.snapshot(), files(f));
    let e: Error = op(f, k).expect_err(message);
    assert_eq!(e.message(), message);
    assert_eq!(e.kind(), kind, "{e}");
    assert_eq!(k.snapshot(), kernel, "the kernel is as it was: {message}");
    assert_eq!(files(f), store, "the store is as it was: {message}");
}

fn generation(f: &Fixture) -> u64 {
    f.store.require_vpc(&vpc()).unwrap().generation
}

#[test]
fn a_peer_network_over_an_address_of_this_host_is_refused_at_apply() {
    let f = fixture("peer");
    let mut k = host(true, Some("10.100.0.9/16"));
    refused(
        &f,
        &mut k,
        ErrorKind::Conflict,
        "peer_network 10.100.0.0/24 of VPC v1 overlaps address 10.100.0.9/16 on interface \
         eth1 of this host: applying would route that traffic into the VPC; expected a network \
         apart from this host's addresses",
        |f, k| converge(f, k, Scope::All, None).map(drop),
    );
    // Tunnels alone and the bridge alone are refused too.
    for scope in [Scope::Tunnels, Scope::Bridge] {
        let e = converge(&f, &mut k, scope, None).unwrap_err();
        assert!(e.message().starts_with("peer_network 10.100.0.0/24"), "{e}");
    }
    // Inside the peer network is the same.
    let mut k = host(true, Some("10.100.0.9/32"));
    let e = converge(&f, &mut k, Scope::All, None).unwrap_err();
    assert!(
        e.message()
            .contains("address 10.100.0.9/32 on interface eth1"),
        "{e}"
    );
    // Apart from it, nothing is refused; the VPC's own link addresses are
    // not this host's others.
    let mut k = host(true, Some("10.101.0.9/24"));
    converge(&f, &mut k, Scope::All, None).unwrap();
    assert!(
        converge(&f, &mut k, Scope::All, None)
            .unwrap()
            .changes
            .is_empty()
    );
}

#[test]
fn a_refused_init_bridge_stores_no_address_and_keeps_the_generation() {
    let f = fixture("bridge");
    let mut k = host(true, Some("10.10.11.7/24"));
    converge(&f, &mut k, Scope::Tunnels, None).unwrap();
    let held = generation(&f);
    refused(
        &f,
        &mut k,
        ErrorKind::Conflict,
        "bridge_ips 10.10.11.1/24 of VPC v1 overlaps address 10.10.11.7/24 on interface eth1 \
         of this host: applying would route that traffic into the VPC; expected a network \
         apart from this host's addresses",
        |f, k| converge(f, k, Scope::Bridge, Some("10.10.11.1/24")).map(drop),
    );
    // Refused by the spec's own rules: the same.
    refused(
        &f,
        &mut k,
        ErrorKind::Conflict,
        "bridge_ips 10.100.0.129/25 of member self overlaps peer_network 10.100.0.0/24: \
         expected a network apart from the tunnels' link addresses",
        |f, k| converge(f, k, Scope::Bridge, Some("10.100.0.129/25")).map(drop),
    );
    refused(
        &f,
        &mut k,
        ErrorKind::Conflict,
        "bridge_ips 198.18.0.99/24 of member self overlaps the underlay address 198.18.0.1 of \
         member self: expected a network apart from every member's underlay",
        |f, k| converge(f, k, Scope::All, Some("198.18.0.99/24")).map(drop),
    );
    assert_eq!(generation(&f), held);
    // An address apart is stored, once, and put on the bridge.
    let r = converge(&f, &mut k, Scope::Bridge, Some("10.10.12.1/24")).unwrap();
    assert!(!r.changes.is_empty());
    assert_eq!(generation(&f), held + 1);
    let stored = f.store.require_vpc(&vpc()).unwrap();
    assert_eq!(
        stored.members().next().unwrap().bridge_addrs,
        [IfAddr::parse("10.10.12.1/24", "a").unwrap()]
    );
    assert_eq!(
        k.snapshot().get("v1").unwrap().addrs,
        [IfAddr::parse("10.10.12.1/24", "a").unwrap()]
    );
}

#[test]
fn attaching_an_interface_with_an_address_is_refused_and_changes_nothing() {
    let f = fixture("attach");
    let mut k = host(true, Some("10.9.9.9/24"));
    converge(&f, &mut k, Scope::All, None).unwrap();
    refused(
        &f,
        &mut k,
        ErrorKind::Conflict,
        "iface eth0 holds address 198.18.0.1/24, an underlay address of this host: attaching \
         it would cut the tunnels; expected a guest port with no address (an epair, tap or \
         veth end)",
        |f, k| attach(f, k, "eth0"),
    );
    refused(
        &f,
        &mut k,
        ErrorKind::Conflict,
        "iface eth1 holds address 10.9.9.9/24 of this host; expected a guest port with no \
         address (an epair, tap or veth end)",
        |f, k| attach(f, k, "eth1"),
    );
    refused(
        &f,
        &mut k,
        ErrorKind::Conflict,
        "iface lo is a loopback interface, not a guest port: expected an epair, tap or veth end",
        |f, k| attach(f, k, "lo"),
    );
    // A port with only the kernel's link-local address is a guest port.
    attach(&f, &mut k, "veth9").unwrap();
    let port = k.snapshot().get("veth9").cloned().unwrap();
    assert_eq!(port.master.as_deref(), Some("v1"));
    assert_eq!(port.mtu, 1450);
}

/// The kernel may refuse the port after its MTU was set (Linux does for
/// some kinds): the MTU is put back, and nothing is recorded.
#[test]
fn an_attach_the_kernel_refuses_midway_puts_the_mtu_back() {
    let f = fixture("undo");
    let mut k = host(true, None);
    converge(&f, &mut k, Scope::All, None).unwrap();
    let (kernel, store) = (k.snapshot(), files(&f));
    // The plan is: set the MTU, add the port, up. The second fails.
    k.fail_at(Some(k.operations() + 2));
    let e = attach(&f, &mut k, "veth9").unwrap_err();
    assert!(e.message().contains("injected failure"), "{e}");
    assert_eq!(k.snapshot(), kernel);
    assert_eq!(files(&f), store);
}

#[test]
fn a_down_underlay_is_warned_of_at_apply_and_unhealthy_in_status() {
    let f = fixture("down");
    let mut k = host(false, None);
    let r = converge(&f, &mut k, Scope::All, None).unwrap();
    let said = "underlay interface eth0 (address 198.18.0.1) is down: the tunnels over it carry \
                nothing until it is up";
    assert!(r.warnings.iter().any(|w| w == said), "{:?}", r.warnings);
    let req = request::Status {
        vpc: vpc(),
        timeout: Duration::from_millis(50),
    };
    let s = run::status_on(&f.store, &req, &mut k).unwrap();
    assert!(!s.healthy);
    assert!(
        s.health.differences.iter().any(|d| d == said),
        "{:?}",
        s.health.differences
    );
    // Up again: no warning, and that difference is gone.
    let mut k = host(true, None);
    let r = converge(&f, &mut k, Scope::All, None).unwrap();
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let s = run::status_on(&f.store, &req, &mut k).unwrap();
    assert!(
        s.health.differences.is_empty(),
        "{:?}",
        s.health.differences
    );
}

/// A hostile spec (its peer network covers this host's underlay) is
/// refused on receive, and nothing is stored.
#[test]
fn a_received_spec_over_the_underlay_is_refused_and_stores_nothing() {
    let f = fixture("receive");
    let mut doc: serde_json::Value =
        serde_json::from_str(&f.store.require_vpc(&vpc()).unwrap().to_json()).unwrap();
    doc["generation"] = 2.into();
    doc["peer_network"] = "198.18.0.0/15".into();
    let before = files(&f);
    let e = run::receive(&f.store, &doc.to_string()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert_eq!(
        e.message(),
        "peer_network 198.18.0.0/15 overlaps the underlay address 198.18.0.1 of member self: \
         expected a network apart from every member's underlay"
    );
    // A good document with bytes after it is refused too.
    doc["peer_network"] = "10.100.0.0/24".into();
    let e = run::receive(&f.store, &format!("{doc} {{}}")).unwrap_err();
    assert!(e.message().contains("trailing characters"), "{e}");
    assert_eq!(files(&f), before);
    assert_eq!(generation(&f), 1);
}
