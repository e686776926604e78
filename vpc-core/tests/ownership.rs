//! Ownership without root: vpc changes or removes only interfaces it can
//! prove it made. The operations run against the memory kernel with a
//! real store in a temporary directory: a foreign bridge or vxlan that has
//! one of the VPC's names is refused before any change (the kernel is
//! compared before and after) and left alone by teardown; the store's
//! record (`owned/<vpc>.json`) follows apply and teardown; VPC names shaped
//! like a driver's interface are refused at definition and on receive.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod common;

use common::{Fixture, vpc};

use vpc_core::ErrorKind;
use vpc_core::backend::Backend;
use vpc_core::backend::memory::MemoryKernel;
use vpc_core::model::addr::IfAddr;
use vpc_core::model::members::MemberSelection;
use vpc_core::model::name::NodeName;
use vpc_core::model::platform::Platform;
use vpc_core::model::quota::Usage;
use vpc_core::model::spec::Options;
use vpc_core::ops::{self, run};
use vpc_core::plan::{self, Change, Observed, OwnedKind, Scope};
use vpc_core::request::{self, FromPairs};
use vpc_core::store::Outcome;

fn empty_store(label: &str) -> Fixture {
    Fixture::new("ownership", label, &[("a", 2), ("b", 3), ("c", 4)])
}

/// This host `self` (198.18.0.1), known nodes `a`, `b`, `c`, and VPC `v1`
/// over all four: three tunnels on this node.
fn fixture(label: &str) -> Fixture {
    let f = empty_store(label);
    let mut o = Options::default();
    o.set("peer_network", "10.100.0.0/24").unwrap();
    ops::vpc_init(&f.store, vpc(), &MemberSelection::All, &o).unwrap();
    f
}

fn converge(f: &Fixture, kernel: &mut MemoryKernel, scope: Scope) -> vpc_core::Result<Vec<Change>> {
    let req = request::Converge {
        vpc: vpc(),
        scope,
        dry_run: None,
        bridge_ips: None,
    };
    run::converge_on(&f.store, &req, kernel).map(|r| r.changes)
}

fn teardown(f: &Fixture, kernel: &mut MemoryKernel, scope: Scope) -> (Vec<Change>, Vec<String>) {
    let req = request::Teardown {
        vpc: vpc(),
        scope,
        dry_run: None,
    };
    let r = run::teardown_on(&f.store, &req, kernel).unwrap();
    (r.changes, r.warnings)
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

/// A bare node where an admin made a bridge named like the VPC, with an
/// address and a LAN port (the attack: `br0` of a member, named by a peer).
fn node_with_foreign_bridge(platform: Platform, description: &str) -> MemoryKernel {
    let mut k = bare_node(platform);
    k.apply(&[
        Change::CreateBridge {
            name: "v1".into(),
            mtu: 1500,
            description: description.into(),
        },
        Change::AddAddr {
            name: "v1".into(),
            addr: IfAddr::parse("198.18.5.1/24", "a").unwrap(),
        },
        Change::Up { name: "v1".into() },
    ])
    .unwrap();
    k
}

fn conflict(e: &vpc_core::Error, needles: &[&str]) {
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    for n in needles {
        assert!(e.message().contains(n), "{n:?} not in {e}");
    }
}

#[test]
fn a_foreign_bridge_named_like_the_vpc_is_refused_and_nothing_changes() {
    for platform in [Platform::Linux, Platform::FreeBsd] {
        for description in ["", "LAN"] {
            let f = fixture("foreign-bridge");
            let mut k = node_with_foreign_bridge(platform, description);
            let before = k.snapshot();
            // Every scope: tunnels alone would join the foreign bridge.
            for scope in [Scope::All, Scope::Tunnels, Scope::Bridge] {
                let e = converge(&f, &mut k, scope).unwrap_err();
                conflict(
                    &e,
                    &[
                        "interface v1 ",
                        "a bridge not made by vpc",
                        "nothing was changed",
                    ],
                );
                if !description.is_empty() {
                    conflict(&e, &["description \"LAN\""]);
                }
                assert_eq!(
                    k.snapshot(),
                    before,
                    "{platform} {scope}: the kernel changed"
                );
            }
            assert_eq!(f.store.owned(&vpc()).unwrap(), None, "nothing recorded");
            // Nor can a guest port be attached to it.
            let req = request::Attach {
                vpc: vpc(),
                iface: "eth0".into(),
                usage: Usage::default(),
            };
            let e = run::attach_on(&f.store, &req, &mut k).unwrap_err();
            conflict(&e, &["interface v1 ", "not attached"]);
            assert_eq!(k.snapshot(), before);
        }
    }
}

#[test]
fn a_foreign_vxlan_with_a_tunnels_name_and_another_description_is_refused() {
    let f = fixture("foreign-vxlan");
    let mut k = bare_node(Platform::Linux);
    let d = plan::desired(
        &f.store.require_vpc(&vpc()).unwrap(),
        &NodeName::new("self").unwrap(),
        Platform::Linux,
    )
    .unwrap();
    let name = d.tunnels[0].name.clone();
    k.apply(&[Change::CreateVxlan {
        name: name.clone(),
        vni: 77,
        local: [198, 18, 0, 1].into(),
        remote: [198, 18, 0, 9].into(),
        port: 4790,
        mtu: 1500,
        description: "admin's test tunnel".into(),
    }])
    .unwrap();
    let before = k.snapshot();
    let e = converge(&f, &mut k, Scope::All).unwrap_err();
    conflict(
        &e,
        &[
            &format!("interface {name} "),
            "a vxlan (VNI 77) not made by vpc",
            "admin's test tunnel",
        ],
    );
    assert_eq!(k.snapshot(), before);
    // Teardown leaves it too.
    let (changes, warnings) = teardown(&f, &mut k, Scope::All);
    assert_eq!(changes, []);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains(&format!("interface {name} "))),
        "{warnings:?}"
    );
    assert_eq!(k.snapshot(), before);
}

#[test]
fn teardown_and_leave_leave_a_foreign_same_named_bridge_and_its_addresses_alone() {
    for platform in [Platform::Linux, Platform::FreeBsd] {
        let f = fixture("teardown-foreign");
        let mut k = node_with_foreign_bridge(platform, "");
        let before = k.snapshot();
        for scope in [Scope::Bridge, Scope::All] {
            let (changes, warnings) = teardown(&f, &mut k, scope);
            assert_eq!(changes, [], "{platform} {scope}");
            assert!(
                warnings
                    .iter()
                    .any(|w| w.contains("interface v1 ") && w.contains("left alone")),
                "{warnings:?}"
            );
            assert_eq!(k.snapshot(), before, "{platform} {scope}");
        }
        let (outcome, p) = ops::leave(&f.store, &vpc(), &mut k, &[]).unwrap();
        assert_eq!(outcome, Outcome::Removed);
        assert_eq!(p.changes, []);
        assert_eq!(k.snapshot(), before);
        let bridge = k.snapshot().get("v1").cloned().unwrap();
        assert_eq!(bridge.addrs, [IfAddr::parse("198.18.5.1/24", "a").unwrap()]);
    }
}

#[test]
fn the_record_follows_apply_and_teardown() {
    let f = fixture("record");
    let mut k = bare_node(Platform::Linux);
    assert_eq!(f.store.owned(&vpc()).unwrap(), None);
    converge(&f, &mut k, Scope::All).unwrap();
    let rec = f
        .store
        .owned(&vpc())
        .unwrap()
        .expect("a record after apply");
    assert_eq!(rec.schema_version, vpc_core::store::STATE_SCHEMA);
    let snap = k.snapshot();
    let d = plan::desired(
        &f.store.require_vpc(&vpc()).unwrap(),
        &NodeName::new("self").unwrap(),
        Platform::Linux,
    )
    .unwrap();
    let mut names: Vec<&str> = d.tunnels.iter().map(|t| t.name.as_str()).collect();
    names.insert(0, "v1");
    names.sort_unstable();
    let want: Vec<(String, u32, OwnedKind)> = names
        .iter()
        .map(|n| {
            let i = snap.get(n).unwrap();
            let kind = if *n == "v1" {
                OwnedKind::Bridge
            } else {
                OwnedKind::Vxlan
            };
            ((*n).to_owned(), i.index, kind)
        })
        .collect();
    let got: Vec<(String, u32, OwnedKind)> = rec
        .ifaces
        .iter()
        .map(|o| (o.name.clone(), o.index, o.kind))
        .collect();
    assert_eq!(got, want);
    assert!(f.store.dir().join("owned/v1.json").is_file());

    // A tunnel deleted by hand is recreated, and recorded under its new index.
    let t = d.tunnels[1].name.clone();
    let old = snap.get(&t).unwrap().index;
    k.apply(&[Change::Destroy { name: t.clone() }]).unwrap();
    converge(&f, &mut k, Scope::All).unwrap();
    let new = k.snapshot().get(&t).unwrap().index;
    assert_ne!(old, new);
    let rec = f.store.owned(&vpc()).unwrap().unwrap();
    assert!(
        rec.ifaces.iter().any(|o| o.name == t && o.index == new),
        "{rec:?}"
    );
    assert_eq!(converge(&f, &mut k, Scope::All).unwrap(), [], "converged");

    // Teardown removes exactly what is recorded; the record is kept, empty.
    let (changes, _) = teardown(&f, &mut k, Scope::All);
    let destroyed = changes
        .iter()
        .filter(|c| matches!(c, Change::Destroy { .. }))
        .count();
    assert_eq!(destroyed, 4, "{changes:?}");
    assert_eq!(k.snapshot().ifaces.len(), 1, "only eth0 is left");
    assert_eq!(k.snapshot().firewalls, [], "and no rule set");
    assert_eq!(f.store.owned(&vpc()).unwrap().unwrap().ifaces, []);
    // Leaving forgets it.
    ops::leave(&f.store, &vpc(), &mut k, &[]).unwrap();
    assert!(!f.store.dir().join("owned/v1.json").exists());
}

#[test]
fn once_recorded_a_look_alike_made_by_someone_else_is_refused() {
    let f = fixture("lookalike");
    let mut k = bare_node(Platform::FreeBsd);
    converge(&f, &mut k, Scope::All).unwrap();
    let recorded = k.snapshot().get("v1").unwrap().index;
    // Someone destroys the bridge and makes their own, even with our mark.
    k.apply(&[
        Change::Destroy { name: "v1".into() },
        Change::CreateBridge {
            name: "v1".into(),
            mtu: 1500,
            description: "vpc-v1".into(),
        },
    ])
    .unwrap();
    let before = k.snapshot();
    let e = converge(&f, &mut k, Scope::All).unwrap_err();
    conflict(
        &e,
        &[
            "interface v1 ",
            &format!("made an interface of that name here with index {recorded}"),
        ],
    );
    assert_eq!(k.snapshot(), before);
    let (changes, _) = teardown(&f, &mut k, Scope::All);
    assert!(
        !changes.contains(&Change::Destroy { name: "v1".into() }),
        "the look-alike is not destroyed: {changes:?}"
    );
    assert!(k.snapshot().get("v1").is_some());
}

#[test]
fn a_failed_apply_records_what_it_made_and_the_next_converges() {
    for platform in [Platform::Linux, Platform::FreeBsd] {
        let f = fixture("failed");
        let mut k = bare_node(platform);
        k.fail_at(Some(k.operations() + 4));
        assert!(converge(&f, &mut k, Scope::All).is_err());
        k.fail_at(None);
        let rec = f
            .store
            .owned(&vpc())
            .unwrap()
            .expect("recorded after a failure");
        assert!(!rec.ifaces.is_empty(), "{platform}");
        converge(&f, &mut k, Scope::All).unwrap();
        assert_eq!(converge(&f, &mut k, Scope::All).unwrap(), [], "{platform}");
    }
}

#[test]
fn state_made_before_records_is_taken_by_its_mark_and_then_recorded() {
    let f = fixture("legacy");
    let spec = f.store.require_vpc(&vpc()).unwrap();
    let me = NodeName::new("self").unwrap();
    let mut k = bare_node(Platform::Linux);
    // An older vpc converged this node: no record in the store.
    let d = plan::desired(&spec, &me, Platform::Linux).unwrap();
    let p = plan::plan(&d, &k.snapshot(), Scope::All).unwrap();
    k.apply(&p.changes).unwrap();
    let before = k.snapshot();
    assert_eq!(converge(&f, &mut k, Scope::All).unwrap(), []);
    assert_eq!(k.snapshot(), before);
    let rec = f
        .store
        .owned(&vpc())
        .unwrap()
        .expect("recorded on the first apply");
    assert_eq!(rec.ifaces.len(), 4, "{rec:?}");
}

#[test]
fn detach_touches_only_ports_vpc_attached() {
    let f = fixture("detach");
    let mut k = bare_node(Platform::Linux);
    converge(&f, &mut k, Scope::All).unwrap();
    // A port someone else put into the VPC's bridge (`eth0` stands in).
    k.apply(&[Change::AddPort {
        bridge: "v1".into(),
        port: "eth0".into(),
        private: false,
    }])
    .unwrap();
    let before = k.snapshot();
    let req = request::Detach {
        vpc: vpc(),
        iface: "eth0".into(),
    };
    let r = run::detach_on(&f.store, &req, &mut k).unwrap();
    assert_eq!(r.outcome, Some(Outcome::Unchanged));
    assert_eq!(r.changes, []);
    assert!(
        r.warnings.iter().any(|w| w.contains("guests/v1.json")),
        "{:?}",
        r.warnings
    );
    assert_eq!(k.snapshot(), before);
}

#[test]
fn driver_shaped_vpc_names_are_refused_at_definition_and_on_receive() {
    let f = fixture("names");
    for bad in [
        "br0", "bridge0", "docker0", "vxlan5", "epair0", "em0", "virbr0", "wg0",
    ] {
        let e = request::Init::from_pairs([
            ("vpc_name", bad),
            ("node_member", "a"),
            ("peer_network", "10.100.0.0/24"),
        ])
        .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid, "{e}");
        assert!(e.message().contains(&format!("{bad:?}")), "{e}");
        assert!(e.message().contains("driver"), "{e}");

        // A peer's spec naming the VPC like a member's own interface.
        let json = run::spec(&f.store, &vpc()).unwrap().to_json();
        let forged = json.replacen("\"name\": \"v1\"", &format!("\"name\": \"{bad}\""), 1);
        assert_ne!(forged, json);
        let e = run::receive(&f.store, &forged).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid, "{e}");
        assert!(
            e.message().contains(bad) && e.message().contains("driver"),
            "{e}"
        );
    }
    let names: Vec<String> = f
        .store
        .vpcs()
        .unwrap()
        .iter()
        .map(|s| s.name.to_string())
        .collect();
    assert_eq!(names, ["v1"]);
}
