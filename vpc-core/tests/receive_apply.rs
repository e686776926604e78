//! `receive apply=1`, what `deploy` runs on each member in one remote
//! command: the spec stored, then this host converged on it, against the
//! memory kernel. The receive is heard before the apply starts; a spec
//! refused is not applied; an apply that fails is in the report and the
//! spec stays stored.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod common;

use common::{Fixture, vpc};

use vpc_core::ErrorKind;
use vpc_core::backend::memory::MemoryKernel;
use vpc_core::model::members::MemberSelection;
use vpc_core::model::platform::Platform;
use vpc_core::model::spec::Options;
use vpc_core::ops::{self, run};
use vpc_core::plan::Observed;
use vpc_core::store::Outcome;

/// The initiator's spec of `v1` over this host `self`, `a` and `b`, and a
/// member's store (it too calls itself `self`) that holds nothing yet.
fn initiator_and_member(label: &str) -> (String, Fixture) {
    let initiator = Fixture::new(
        "receive-apply",
        &format!("{label}-i"),
        &[("a", 2), ("b", 3)],
    );
    let mut o = Options::default();
    o.set("peer_network", "10.100.0.0/24").unwrap();
    ops::vpc_init(&initiator.store, vpc(), &MemberSelection::All, &o).unwrap();
    let spec = run::spec(&initiator.store, &vpc()).unwrap().to_json();
    let member = Fixture::new("receive-apply", &format!("{label}-m"), &[]);
    (spec, member)
}

/// A node with its underlay `eth0` (198.18.0.1).
fn node() -> MemoryKernel {
    let observed: Observed = serde_json::from_value(serde_json::json!({
        "ifaces": [{
            "name": "eth0", "index": 2, "kind": { "other": "ether" }, "mtu": 1500,
            "up": true, "running": true, "addrs": ["198.18.0.1/24"],
        }]
    }))
    .unwrap();
    MemoryKernel::with(Platform::Linux, observed)
}

#[test]
fn the_spec_is_stored_heard_then_applied() {
    let (spec, member) = initiator_and_member("stored");
    let mut k = node();
    let mut heard = Vec::new();
    let r = run::receive_apply_on(&member.store, &spec, &mut k, &mut |received| {
        heard.push(received.outcome);
    })
    .unwrap();
    assert_eq!(heard, [Outcome::Created], "the receive is heard once");
    assert_eq!(r.received.outcome, Outcome::Created);
    assert!(r.apply_error.is_none(), "{r:?}");
    let applied = r.applied.unwrap();
    assert!(!applied.changes.is_empty());
    assert!(!applied.dryrun);
    assert_eq!(run::spec(&member.store, &vpc()).unwrap().to_json(), spec);
    assert!(
        k.snapshot().ifaces.iter().any(|i| i.name == "v1"),
        "the bridge"
    );

    // Again: nothing to store, nothing to change.
    let again = run::receive_apply_on(&member.store, &spec, &mut k, &mut |_| {}).unwrap();
    assert_eq!(again.received.outcome, Outcome::Unchanged);
    assert!(again.applied.unwrap().changes.is_empty());

    // The report as JSON: both halves, each as its own mode says it.
    let doc: serde_json::Value =
        serde_json::from_str(&vpc_core::report::to_json(&again.received).unwrap()).unwrap();
    assert_eq!(doc["outcome"], "unchanged");
}

#[test]
fn a_spec_refused_is_not_applied() {
    let (spec, member) = initiator_and_member("refused");
    // The member holds a newer generation: the initiator's is refused.
    let newer = spec.replace("\"generation\": 1", "\"generation\": 7");
    run::receive(&member.store, &newer).unwrap();
    let mut k = node();
    let before = k.snapshot();
    let mut heard = 0;
    let e = run::receive_apply_on(&member.store, &spec, &mut k, &mut |_| heard += 1).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Stale, "{e}");
    assert_eq!(heard, 0, "a refused spec is not reported as taken");
    assert_eq!(k.operations(), 0, "nothing was applied");
    assert_eq!(k.snapshot(), before);
    assert_eq!(run::spec(&member.store, &vpc()).unwrap().generation, 7);
}

#[test]
fn an_apply_that_fails_is_reported_and_the_spec_stays() {
    let (spec, member) = initiator_and_member("failed");
    let mut k = node();
    k.fail_at(Some(1));
    let r = run::receive_apply_on(&member.store, &spec, &mut k, &mut |_| {}).unwrap();
    assert_eq!(r.received.outcome, Outcome::Created);
    assert!(r.applied.is_none());
    let failed = r.apply_error.clone().unwrap();
    assert_eq!(failed.kind, ErrorKind::Backend);
    assert!(failed.message.contains("injected failure"), "{failed:?}");
    assert_eq!(run::spec(&member.store, &vpc()).unwrap().to_json(), spec);
    let doc: serde_json::Value =
        serde_json::from_str(&vpc_core::report::to_json(&r).unwrap()).unwrap();
    assert_eq!(doc["received"]["outcome"], "created");
    assert_eq!(doc["apply_error"]["kind"], "backend");
    assert!(doc.get("applied").is_none(), "{doc:#}");
}
