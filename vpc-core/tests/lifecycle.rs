//! A VPC's life on one host, without root: the operations run against the
//! memory kernel with a real store in a temporary directory.
//!
//! - `remove` refuses while this host holds the VPC's interfaces or guest
//!   ports, naming them; `force=1` tears down first.
//! - `leave` holds the lock through teardown and forgetting.
//! - A restart (teardown, then apply, as the boot files run them) keeps the
//!   guests: apply re-attaches the recorded ports, warns of a missing one,
//!   and status counts a recorded port outside the bridge as a difference.
//! - Apply and teardown verify: a kernel that accepts a change and does
//!   nothing is a failure naming what is left.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod common;

use common::{Fixture, vpc};
use std::time::Duration;

use vpc_core::ErrorKind;
use vpc_core::backend::memory::MemoryKernel;
use vpc_core::backend::{Backend, Probe};
use vpc_core::model::members::MemberSelection;
use vpc_core::model::platform::Platform;
use vpc_core::model::quota::Usage;
use vpc_core::model::spec::Options;
use vpc_core::ops::{self, run};
use vpc_core::plan::{Change, Observed, Scope};
use vpc_core::report;
use vpc_core::request;
use vpc_core::store::{Outcome, Store};

/// This host `self` (198.18.0.1), known nodes `a` and `b`, and VPC `v1`
/// over all three: two tunnels on this node.
fn fixture(label: &str) -> Fixture {
    let f = Fixture::new("lifecycle", label, &[("a", 2), ("b", 3)]);
    let mut o = Options::default();
    o.set("peer_network", "10.100.0.0/24").unwrap();
    ops::vpc_init(&f.store, vpc(), &MemberSelection::All, &o).unwrap();
    f
}

/// A node with its underlay `eth0` (198.18.0.1) and two guests' ports,
/// `tap0` and `tap1`, down and unattached.
fn bare_node() -> MemoryKernel {
    let observed: Observed = serde_json::from_value(serde_json::json!({
        "ifaces": [
            {
                "name": "eth0", "index": 2, "kind": { "other": "ether" }, "mtu": 1500,
                "up": true, "running": true, "addrs": ["198.18.0.1/24"],
            },
            { "name": "tap0", "index": 3, "kind": { "other": "tap" }, "mtu": 1500 },
            { "name": "tap1", "index": 4, "kind": { "other": "tap" }, "mtu": 1500 },
        ]
    }))
    .unwrap();
    MemoryKernel::with(Platform::Linux, observed)
}

fn apply(f: &Fixture, k: &mut dyn Backend) -> vpc_core::Result<report::Changes> {
    let req = request::Converge {
        vpc: vpc(),
        scope: Scope::All,
        dry_run: None,
        bridge_ips: None,
    };
    run::converge_on(&f.store, &req, k)
}

fn teardown(f: &Fixture, k: &mut dyn Backend) -> vpc_core::Result<report::Changes> {
    let req = request::Teardown {
        vpc: vpc(),
        scope: Scope::All,
        dry_run: None,
    };
    run::teardown_on(&f.store, &req, k)
}

fn attach(f: &Fixture, k: &mut MemoryKernel, iface: &str) {
    let req = request::Attach {
        vpc: vpc(),
        iface: iface.to_owned(),
        usage: Usage::default(),
    };
    run::attach_on(&f.store, &req, k).unwrap();
}

fn remove(f: &Fixture, k: &mut MemoryKernel, force: bool) -> vpc_core::Result<report::VpcRemoved> {
    let req = request::Remove { vpc: vpc(), force };
    run::remove_on(&f.store, &req, k)
}

/// `status`, with every far end answering.
fn status(f: &Fixture, k: &mut MemoryKernel) -> report::Status {
    let req = request::Status {
        vpc: vpc(),
        timeout: Duration::from_millis(200),
    };
    let first = run::status_on(&f.store, &req, k).unwrap();
    for t in &first.health.tunnels {
        k.answer_from(t.peer_addr, Duration::from_millis(2));
    }
    run::status_on(&f.store, &req, k).unwrap()
}

fn master(k: &MemoryKernel, iface: &str) -> Option<String> {
    k.snapshot().get(iface).and_then(|i| i.master.clone())
}

fn recorded_guests(f: &Fixture) -> Vec<String> {
    let g = f.store.guests(&vpc()).unwrap();
    g.ports.into_iter().map(|p| p.iface).collect()
}

/// A converged node with `tap0` attached.
fn live(f: &Fixture) -> MemoryKernel {
    let mut k = bare_node();
    apply(f, &mut k).unwrap();
    attach(f, &mut k, "tap0");
    k
}

#[test]
fn remove_refuses_a_live_vpc_naming_its_interfaces_and_guest_ports() {
    let f = fixture("refused");
    let mut k = live(&f);
    let before = k.snapshot();
    let e = remove(&f, &mut k, false).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    for needle in [
        "VPC v1 is in use on this host",
        "interfaces v1, vxlan1, vxlan2 (made by vpc for it)",
        "guest ports tap0 (recorded in guests/v1.json)",
        "force=1",
    ] {
        assert!(e.message().contains(needle), "{needle:?} not in: {e}");
    }
    // Nothing changed: the spec, the records and the kernel.
    assert_eq!(k.snapshot(), before);
    assert!(f.store.vpc(&vpc()).unwrap().is_some());
    assert_eq!(recorded_guests(&f), ["tap0"]);
    assert!(f.store.owned(&vpc()).unwrap().is_some());
}

#[test]
fn remove_with_force_tears_down_then_forgets_everything() {
    let f = fixture("force");
    let mut k = live(&f);
    let r = remove(&f, &mut k, true).unwrap();
    assert_eq!((r.outcome, r.removed), (Outcome::Removed, 3));
    let names: Vec<String> = k.snapshot().ifaces.into_iter().map(|i| i.name).collect();
    assert_eq!(names, ["eth0", "tap0", "tap1"]);
    assert_eq!(master(&k, "tap0"), None);
    assert!(f.store.vpc(&vpc()).unwrap().is_none());
    assert!(recorded_guests(&f).is_empty());
    assert!(f.store.owned(&vpc()).unwrap().is_none());
}

#[test]
fn remove_of_a_vpc_that_holds_nothing_here_needs_no_force() {
    let f = fixture("idle");
    let mut k = bare_node();
    let r = remove(&f, &mut k, false).unwrap();
    assert_eq!((r.outcome, r.removed), (Outcome::Removed, 0));
    assert!(f.store.vpc(&vpc()).unwrap().is_none());
    // A VPC not held is not found, through the same message as before.
    let e = remove(&f, &mut k, false).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
}

#[test]
fn after_teardown_only_a_recorded_guest_port_that_exists_holds_the_vpc() {
    let f = fixture("torn");
    let mut k = live(&f);
    teardown(&f, &mut k).unwrap();
    let e = remove(&f, &mut k, false).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert!(e.message().contains("guest ports tap0"), "{e}");
    assert!(!e.message().contains("interfaces"), "{e}");
    assert!(
        e.message()
            .contains("vpc mode=detach vpc_name=v1 iface=tap0"),
        "{e}"
    );
    // Its guest gone (the port with it), nothing is held any more.
    k.apply(&[Change::Destroy {
        name: "tap0".into(),
    }])
    .unwrap();
    assert_eq!(remove(&f, &mut k, false).unwrap().outcome, Outcome::Removed);
}

/// A kernel that answers like `inner` and tells, at every call, whether
/// the store's lock was free (another holder got it at once).
struct LockWatch<'a> {
    inner: MemoryKernel,
    store: Store,
    free_at: Vec<(&'a str, bool)>,
}

impl LockWatch<'_> {
    fn look(&mut self, call: &'static str) {
        let free = self.store.lock().is_ok();
        self.free_at.push((call, free));
    }
}

impl Backend for LockWatch<'_> {
    fn platform(&self) -> Platform {
        self.inner.platform()
    }
    fn observe(&mut self) -> vpc_core::Result<Observed> {
        self.look("observe");
        self.inner.observe()
    }
    fn apply(&mut self, changes: &[Change]) -> vpc_core::Result<()> {
        self.look("apply");
        self.inner.apply(changes)
    }
    fn probe(
        &mut self,
        targets: &[Probe],
        timeout: Duration,
    ) -> vpc_core::Result<Vec<Option<Duration>>> {
        self.inner.probe(targets, timeout)
    }
}

#[test]
fn leave_holds_the_lock_from_its_first_look_at_the_kernel_to_the_end() {
    let f = fixture("leave");
    let k = live(&f);
    let mut watch = LockWatch {
        inner: k,
        store: f.store.clone().with_lock_timeout(Duration::ZERO),
        free_at: Vec::new(),
    };
    let req = request::Leave { vpc: vpc() };
    let r = run::leave_on(&f.store, &req, &mut watch).unwrap();
    assert_eq!((r.outcome, r.removed), (Outcome::Removed, 3));
    assert!(!watch.free_at.is_empty());
    assert!(
        watch.free_at.iter().all(|(_, free)| !free),
        "the lock was free during leave: {:?}",
        watch.free_at
    );
    // Everything is forgotten, the guest record with the rest.
    assert!(f.store.vpc(&vpc()).unwrap().is_none());
    assert!(recorded_guests(&f).is_empty());
    assert!(f.store.owned(&vpc()).unwrap().is_none());
    assert!(f.store.lock().is_ok(), "released at the end");
    // Leaving again is nothing to do.
    let again = run::leave_on(&f.store, &req, &mut watch).unwrap();
    assert_eq!((again.outcome, again.removed), (Outcome::Unchanged, 0));
}

#[test]
fn a_restart_re_attaches_the_recorded_guest_ports() {
    let f = fixture("restart");
    let mut k = live(&f);
    attach(&f, &mut k, "tap1");
    assert!(status(&f, &mut k).healthy);
    // Stop: the bridge goes and releases the guests; the record stays.
    teardown(&f, &mut k).unwrap();
    assert_eq!(master(&k, "tap0"), None);
    assert_eq!(recorded_guests(&f), ["tap0", "tap1"]);
    // Start: the guests rejoin with the VPC's MTU, as attach made them.
    let r = apply(&f, &mut k).unwrap();
    for port in ["tap0", "tap1"] {
        assert!(
            r.changes.contains(&Change::AddPort {
                bridge: "v1".into(),
                port: port.into(),
                private: false,
            }),
            "{:?}",
            r.changes
        );
        let i = k.snapshot().get(port).cloned().unwrap();
        assert_eq!(
            (i.master.as_deref(), i.private, i.up, i.mtu),
            (Some("v1"), false, true, 1450)
        );
    }
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
    let s = status(&f, &mut k);
    assert!(s.healthy, "{:?}", s.health.differences);
    // And converged: applying again changes nothing.
    assert!(apply(&f, &mut k).unwrap().changes.is_empty());
}

#[test]
fn a_recorded_guest_port_missing_at_start_is_a_warning_naming_it() {
    let f = fixture("missing");
    let mut k = live(&f);
    attach(&f, &mut k, "tap1");
    teardown(&f, &mut k).unwrap();
    // Its guest was deleted while the VPC was stopped.
    k.apply(&[Change::Destroy {
        name: "tap1".into(),
    }])
    .unwrap();
    let r = apply(&f, &mut k).unwrap();
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    let w = &r.warnings[0];
    assert!(
        w.contains("guest port tap1 (recorded in guests/v1.json) does not exist on this host"),
        "{w}"
    );
    assert!(w.contains("vpc mode=detach vpc_name=v1 iface=tap1"), "{w}");
    // The rest of the VPC came up, the other guest with it; the record
    // keeps the missing port (its guest may come back).
    assert_eq!(master(&k, "tap0").as_deref(), Some("v1"));
    assert_eq!(recorded_guests(&f), ["tap0", "tap1"]);
    // A stopped or gone guest is no difference of the VPC's: healthy.
    let s = status(&f, &mut k);
    assert!(s.healthy, "{:?}", s.health.differences);
}

#[test]
fn status_counts_a_recorded_guest_outside_the_bridge_as_a_difference() {
    let f = fixture("outside");
    let mut k = live(&f);
    assert!(status(&f, &mut k).healthy);
    k.apply(&[Change::DelPort {
        bridge: "v1".into(),
        port: "tap0".into(),
    }])
    .unwrap();
    let s = status(&f, &mut k);
    assert!(!s.healthy);
    assert_eq!(s.health.differences, ["tap0 is not a port of v1"]);
    // After a teardown too, beside the VPC's own missing parts.
    teardown(&f, &mut k).unwrap();
    let s = status(&f, &mut k);
    assert!(
        s.health
            .differences
            .contains(&"tap0 is not a port of v1".to_owned()),
        "{:?}",
        s.health.differences
    );
    // apply repairs exactly that.
    apply(&f, &mut k).unwrap();
    assert!(status(&f, &mut k).healthy);
}

#[test]
fn a_recorded_guest_port_unfit_to_rejoin_is_a_difference_and_a_warning() {
    let f = fixture("unfit");
    let mut k = live(&f);
    teardown(&f, &mut k).unwrap();
    // Someone gave the port an address while the VPC was stopped.
    k.apply(&[Change::AddAddr {
        name: "tap0".into(),
        addr: vpc_core::model::addr::IfAddr::parse("192.0.2.1/24", "addr").unwrap(),
    }])
    .unwrap();
    let r = apply(&f, &mut k).unwrap();
    assert_eq!(master(&k, "tap0"), None);
    assert!(
        r.warnings.iter().any(|w| w.contains(
            "guest port tap0 (recorded in guests/v1.json) cannot rejoin bridge v1: \
             iface tap0 holds address 192.0.2.1/24"
        )),
        "{:?}",
        r.warnings
    );
    let s = status(&f, &mut k);
    assert!(!s.healthy);
    assert_eq!(s.health.differences.len(), 1, "{:?}", s.health.differences);
    assert!(s.health.differences[0].contains("cannot rejoin bridge v1"));
}

/// The operation number `change` would have in a fresh apply on `k`
/// (found on a copy, with a store of its own).
fn operation_of(k: &MemoryKernel, change: &Change) -> u64 {
    let f = fixture("probe");
    let mut copy = k.clone();
    let changes = apply(&f, &mut copy).unwrap().changes;
    let at = changes.iter().position(|c| c == change).unwrap();
    k.operations() + at as u64 + 1
}

#[test]
fn apply_fails_when_the_kernel_ignores_a_change_and_names_it() {
    let f = fixture("verify");
    let mut k = bare_node();
    let up = Change::Up { name: "v1".into() };
    let n = operation_of(&k, &up);
    k.ignore_at(Some(n));
    let e = apply(&f, &mut k).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Backend, "{e}");
    for needle in ["VPC v1", "still differs", "1 left (up v1)", "expected none"] {
        assert!(e.message().contains(needle), "{needle:?} not in: {e}");
    }
    // What was made is recorded all the same, and the next apply finishes.
    assert!(f.store.owned(&vpc()).unwrap().is_some());
    k.ignore_at(None);
    assert_eq!(apply(&f, &mut k).unwrap().changes, [up]);
    assert!(apply(&f, &mut k).unwrap().changes.is_empty());
}

#[test]
fn teardown_fails_when_the_kernel_ignores_a_destroy() {
    let f = fixture("verifydown");
    let mut k = bare_node();
    apply(&f, &mut k).unwrap();
    // Teardown destroys the bridge, then vxlan1, then vxlan2.
    k.ignore_at(Some(k.operations() + 2));
    let e = teardown(&f, &mut k).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Backend, "{e}");
    assert!(e.message().contains("1 left (destroy vxlan1)"), "{e}");
    assert!(k.snapshot().get("vxlan1").is_some());
    k.ignore_at(None);
    let r = teardown(&f, &mut k).unwrap();
    assert_eq!(
        r.changes,
        [Change::Destroy {
            name: "vxlan1".into()
        }]
    );
}

/// Counts the kernel's dumps.
struct Dumps {
    inner: MemoryKernel,
    observed: usize,
}

impl Backend for Dumps {
    fn platform(&self) -> Platform {
        self.inner.platform()
    }
    fn observe(&mut self) -> vpc_core::Result<Observed> {
        self.observed += 1;
        self.inner.observe()
    }
    fn apply(&mut self, changes: &[Change]) -> vpc_core::Result<()> {
        self.inner.apply(changes)
    }
    fn probe(
        &mut self,
        targets: &[Probe],
        timeout: Duration,
    ) -> vpc_core::Result<Vec<Option<Duration>>> {
        self.inner.probe(targets, timeout)
    }
}

#[test]
fn verifying_costs_no_dump_beyond_the_one_after_the_changes() {
    let f = fixture("dumps");
    let mut k = Dumps {
        inner: bare_node(),
        observed: 0,
    };
    assert!(!apply(&f, &mut k).unwrap().changes.is_empty());
    // Before the plan, and after the changes (the record and the verify).
    assert_eq!(k.observed, 2);
}

#[test]
fn a_converged_apply_observes_once() {
    let f = fixture("converged-dumps");
    let mut k = Dumps {
        inner: live(&f),
        observed: 0,
    };
    assert!(apply(&f, &mut k).unwrap().changes.is_empty());
    // Nothing was changed, so nothing is read again: the record and the
    // verify stand on the observation the plan was made from.
    assert_eq!(k.observed, 1);
    // A teardown of nothing (twice) reads the kernel once each time too.
    assert!(!teardown(&f, &mut k).unwrap().changes.is_empty());
    k.observed = 0;
    assert!(teardown(&f, &mut k).unwrap().changes.is_empty());
    assert_eq!(k.observed, 1);
}
