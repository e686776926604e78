//! Encrypted VPCs (`encrypt=wireguard`) and hosts behind NAT, without
//! root: the spec's rules, the desired state every member computes, this
//! host's keys in a real store, and apply / re-apply / teardown against the
//! memory kernel.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

mod common;

use std::net::IpAddr;
use std::os::unix::fs::PermissionsExt;

use common::{Fixture, node, vpc};
use vpc_core::ErrorKind;
use vpc_core::backend::Backend;
use vpc_core::backend::memory::MemoryKernel;
use vpc_core::model::members::MemberSelection;
use vpc_core::model::name::NodeName;
use vpc_core::model::node::Node;
use vpc_core::model::platform::Platform;
use vpc_core::model::spec::{Options, Spec};
use vpc_core::model::wgkey::PrivateKey;
use vpc_core::ops::{self, run};
use vpc_core::plan::{self, Change, Observed, Scope};
use vpc_core::request;

fn name(n: &str) -> NodeName {
    NodeName::new(n).unwrap()
}

fn options(pairs: &[(&str, &str)]) -> Options {
    let mut o = Options::default();
    o.set("peer_network", "10.100.0.0/24").unwrap();
    for (k, v) in pairs {
        assert!(o.set(k, v).unwrap(), "{k} is an option");
    }
    o
}

/// `self`, `a`, `b` (198.18.0.1-3) in an encrypted VPC, every member's key
/// made the way `deploy` makes it (the others' keys are theirs; here they
/// are only public halves in the spec).
fn encrypted(pairs: &[(&str, &str)]) -> Spec {
    let mut all = vec![("encrypt", "wireguard")];
    all.extend_from_slice(pairs);
    let mut spec = Spec::define(
        vpc(),
        node("self", 1),
        vec![node("a", 2), node("b", 3)],
        &options(&all),
        &[],
    )
    .unwrap();
    for n in ["self", "a", "b"] {
        spec.set_wg_key(&name(n), PrivateKey::generate().public())
            .unwrap();
    }
    spec
}

#[test]
fn an_encrypted_spec_runs_vxlan_between_inner_addresses() {
    let spec = encrypted(&[]);
    let wg = spec.wireguard.unwrap();
    assert_eq!(wg.port, 51820);
    assert_eq!(wg.network.family(), vpc_core::model::addr::Family::V6);
    assert!(wg.network.to_string().starts_with("fd"), "{}", wg.network);
    // The same spec gives the same network wherever it is defined.
    assert_eq!(encrypted(&[]).wireguard.unwrap().network, wg.network);
    // IPv4 underlay, IPv6 inner: 1500 - 60 - 70.
    let budget = spec.budget().unwrap();
    assert_eq!((budget.mtu, budget.wg_mtu()), (1370, Some(1440)));
    assert_eq!(
        budget.to_string(),
        "underlay_mtu 1500 - 60 WireGuard over IPv4 - 70 VXLAN over IPv6 = 1370"
    );

    let d = plan::desired(&spec, &name("self"), Platform::Linux).unwrap();
    let w = d.wireguard.as_ref().unwrap();
    assert_eq!(w.device.name, spec.wg_interface());
    assert_eq!(w.addr, spec.inner_addr(0).unwrap());
    assert_eq!(w.mtu, 1440);
    assert_eq!(w.underlay, vec![IpAddr::from([198, 18, 0, 1])]);
    assert_eq!(w.device.peers.len(), 2);
    for t in &d.tunnels {
        assert!(
            wg.network.contains(t.local) && wg.network.contains(t.remote),
            "{t:?}"
        );
        assert_eq!(t.local, spec.inner_addr(0).unwrap().addr);
    }
    for p in &w.device.peers {
        let e = p.endpoint.unwrap();
        assert_eq!(e.port(), 51820);
        assert!([IpAddr::from([198, 18, 0, 2]), IpAddr::from([198, 18, 0, 3])].contains(&e.ip()));
        assert_eq!(p.allowed_ips.len(), 1);
        assert_eq!(p.allowed_ips[0].prefix, 128);
        assert_eq!(p.keepalive, 0);
    }
    // Only inner addresses, and only through WireGuard.
    assert_eq!(
        d.firewall.via.as_deref(),
        Some(spec.wg_interface().as_str())
    );
    assert!(d.firewall.allow4.is_empty());
    assert_eq!(d.firewall.allow6.len(), 3);
    // Every member computes the same map.
    let other = plan::desired(&spec, &name("a"), Platform::Linux).unwrap();
    assert_eq!(other.firewall, d.firewall);
    assert_eq!(other.wireguard.unwrap().addr, spec.inner_addr(1).unwrap());
}

#[test]
fn the_private_key_never_leaves_the_store() {
    let spec = encrypted(&[]);
    let mut d = plan::desired(&spec, &name("self"), Platform::Linux).unwrap();
    let key = PrivateKey::generate();
    let secret = key.to_file_text().trim().to_owned();
    d.wireguard.as_mut().unwrap().device.private_key = Some(key);
    let p = plan::plan(&d, &Observed::default(), Scope::All).unwrap();
    let set = p
        .changes
        .iter()
        .find(|c| matches!(c, Change::SetWireguard { .. }))
        .unwrap();
    let shown = [
        serde_json::to_string(&p).unwrap(),
        set.to_string(),
        format!("{set:?}"),
        serde_json::to_string(&d).unwrap(),
        spec.to_json(),
    ];
    for s in shown {
        assert!(!s.contains(&secret), "the private key shows in {s}");
    }
    let lines = vpc_core::backend::dryrun::render(Platform::Linux, set).join("\n");
    assert!(!lines.contains(&secret), "{lines}");
    assert!(lines.contains("keys/v1.key"), "{lines}");
}

#[test]
fn encryption_and_nat_rules_are_checked_at_definition() {
    let define = |pairs: &[(&str, &str)], b: Node| {
        Spec::define(
            vpc(),
            node("self", 1),
            vec![node("a", 2), b],
            &options(pairs),
            &[],
        )
    };
    type Case<'a> = (Vec<(&'a str, &'a str)>, Node, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            vec![("wg_port", "5000")],
            node("b", 3),
            "wg_port is given but encrypt is none",
        ),
        (
            vec![("encrypt", "wireguard"), ("wg_network", "10.100.0.0/16")],
            node("b", 3),
            "wg_network 10.100.0.0/16 overlaps peer_network 10.100.0.0/24",
        ),
        (
            vec![("encrypt", "wireguard"), ("wg_network", "198.18.0.0/24")],
            node("b", 3),
            "wg_network 198.18.0.0/24 overlaps the underlay address 198.18.0.1 of member self",
        ),
        (
            vec![("encrypt", "wireguard"), ("wg_network", "10.9.0.0/31")],
            node("b", 3),
            "wg_network 10.9.0.0/31 holds 0 member addresses; 3 are needed",
        ),
        (
            vec![],
            Node {
                inbound: false,
                ..node("b", 3)
            },
            "member b has inbound=0 (nobody can reach it), which works only inside WireGuard",
        ),
    ];
    for (pairs, b, want) in cases {
        let e = define(&pairs, b).unwrap_err();
        assert!(e.message().contains(want), "{pairs:?}: {e}");
    }
    let e = Options::default().set("encrypt", "ipsec").unwrap_err();
    assert_eq!(
        e.message(),
        "encrypt \"ipsec\" is not valid: expected none or wireguard"
    );
    // Two members nobody can reach cannot reach each other.
    let hidden = |n: &str, last: u8| Node {
        inbound: false,
        ..node(n, last)
    };
    let e = Spec::define(
        vpc(),
        node("self", 1),
        vec![hidden("a", 2), hidden("b", 3)],
        &options(&[("encrypt", "wireguard")]),
        &[],
    )
    .unwrap_err();
    assert!(
        e.message().contains("members a and b both have inbound=0"),
        "{e}"
    );
    // One key per member.
    let mut spec = encrypted(&[]);
    let k = spec.member(&name("a")).unwrap().wg_key.unwrap();
    let e = spec.set_wg_key(&name("b"), k).unwrap_err();
    assert!(e.message().contains("have the same wg_key"), "{e}");
}

#[test]
fn a_member_behind_masquerade_sends_first_and_keeps_the_way_open() {
    let mut spec = Spec::define(
        vpc(),
        node("self", 1),
        vec![
            Node {
                inbound: false,
                ..node("a", 2)
            },
            node("b", 3),
        ],
        &options(&[("encrypt", "wireguard")]),
        &[],
    )
    .unwrap();
    let my_key = PrivateKey::generate();
    spec.set_wg_key(&name("self"), my_key.public()).unwrap();
    for n in ["a", "b"] {
        spec.set_wg_key(&name(n), PrivateKey::generate().public())
            .unwrap();
    }
    let a = plan::desired(&spec, &name("a"), Platform::Linux).unwrap();
    for p in &a.wireguard.as_ref().unwrap().device.peers {
        assert!(p.endpoint.is_some());
        assert_eq!(p.keepalive, 25);
    }
    let me = plan::desired(&spec, &name("self"), Platform::Linux).unwrap();
    let peers = &me.wireguard.as_ref().unwrap().device.peers;
    let to_a = peers
        .iter()
        .find(|p| Some(p.public_key) == spec.member(&name("a")).unwrap().wg_key)
        .unwrap();
    assert_eq!(to_a.endpoint, None, "a is reached once it has come");
    assert!(peers.iter().all(|p| p.keepalive == 0));
    // Once a has come, WireGuard knows where it is: not a difference.
    let mut d = me.clone();
    d.wireguard.as_mut().unwrap().device.private_key = Some(my_key);
    let mut kernel = memory_node();
    let p = plan::plan(&d, &kernel.observe().unwrap(), Scope::All).unwrap();
    kernel.apply(&p.changes).unwrap();
    let mut seen = kernel.observe().unwrap();
    let a_key = spec.member(&name("a")).unwrap().wg_key.unwrap();
    for peer in &mut seen.wireguard[0].peers {
        if peer.public_key == a_key {
            peer.endpoint = Some("198.18.0.200:40000".parse().unwrap());
        }
    }
    d.owned = None;
    let again = plan::plan(&d, &seen, Scope::All).unwrap();
    assert!(
        !again
            .changes
            .iter()
            .any(|c| matches!(c, Change::SetWireguard { .. })),
        "{:?}",
        again.changes
    );
    // A peer whose endpoint vpc sets and that differs is one.
    for peer in &mut seen.wireguard[0].peers {
        if peer.public_key != a_key {
            peer.endpoint = Some("198.18.0.201:40000".parse().unwrap());
        }
    }
    let again = plan::plan(&d, &seen, Scope::All).unwrap();
    assert!(
        again
            .changes
            .iter()
            .any(|c| matches!(c, Change::SetWireguard { .. })),
        "{:?}",
        again.changes
    );
    let map = vpc_core::report::PeerMap::of(&spec).unwrap();
    let e = map.encryption.unwrap();
    assert_eq!(
        e.keepalive,
        vec![[name("a"), name("self")], [name("a"), name("b")]]
    );
    assert!(
        e.lines()
            .iter()
            .any(|l| l
                == "keepalive: a -> b (a has inbound=0: the pair works while a keeps it open)"),
        "{:?}",
        e.lines()
    );
}

#[test]
fn behind_a_one_to_one_nat_tunnels_send_from_the_local_address() {
    let mut b = node("b", 3);
    b.ip4 = Some([203, 0, 113, 3].into());
    b.local4 = Some([198, 18, 0, 3].into());
    b.check().unwrap();
    let spec = Spec::define(
        vpc(),
        node("self", 1),
        vec![node("a", 2), b],
        &options(&[]),
        &[],
    )
    .unwrap();
    let d = plan::desired(&spec, &name("b"), Platform::Linux).unwrap();
    for t in &d.tunnels {
        assert_eq!(t.local, IpAddr::from([198, 18, 0, 3]), "{t:?}");
    }
    let me = plan::desired(&spec, &name("self"), Platform::Linux).unwrap();
    let to_b = me.tunnels.iter().find(|t| t.peer == name("b")).unwrap();
    assert_eq!(to_b.remote, IpAddr::from([203, 0, 113, 3]));
    // The others see b by its public address.
    assert!(me.firewall.allow4.contains(&[203, 0, 113, 3].into()));
    // The underlay check looks for the local address on b.
    assert_eq!(d.underlay()[0].0, IpAddr::from([198, 18, 0, 3]));
    let e = Node {
        local4: Some([10, 0, 0, 1].into()),
        ..Node::new(name("c"), None, Some("2001:db8::9".parse().unwrap())).unwrap()
    }
    .check()
    .unwrap_err();
    assert!(
        e.message()
            .contains("local4 of node c is given without ip4"),
        "{e}"
    );
}

/// A store holding `self`, `a`, `b` and encrypted `v1` over them.
fn encrypted_store(label: &str) -> Fixture {
    let f = Fixture::new("encryption", label, &[("a", 2), ("b", 3)]);
    ops::vpc_init(
        &f.store,
        vpc(),
        &MemberSelection::All,
        &options(&[("encrypt", "wireguard")]),
    )
    .unwrap();
    f
}

/// What `deploy` does for the other members' keys.
fn give_keys(f: &Fixture) {
    let locked = f.store.lock().unwrap();
    let mut spec = f.store.require_vpc(&vpc()).unwrap();
    for n in ["a", "b"] {
        spec.set_wg_key(&name(n), PrivateKey::generate().public())
            .unwrap();
    }
    locked.write_vpc(&spec).unwrap();
}

fn memory_node() -> MemoryKernel {
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
fn keys_are_made_here_kept_0600_and_taken_up_by_apply() {
    let f = encrypted_store("keys");
    let spec = f.store.require_vpc(&vpc()).unwrap();
    let mine = spec.member(&name("self")).unwrap().wg_key.unwrap();
    // Made at init as the pending key: not yet in use.
    let keys = f.store.wg_keys(&vpc()).unwrap();
    assert!(keys.current.is_none());
    assert_eq!(keys.pending.as_ref().unwrap().public(), mine);
    let pending = f.dir.join("state/keys/v1.next");
    let mode = std::fs::metadata(&pending).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    // Asking again gives the same key; init again keeps it.
    assert_eq!(ops::state::wg_key(&f.store, &vpc(), true).unwrap(), mine);
    ops::vpc_init(
        &f.store,
        vpc(),
        &MemberSelection::All,
        &options(&[("encrypt", "wireguard")]),
    )
    .unwrap();
    assert_eq!(
        f.store
            .require_vpc(&vpc())
            .unwrap()
            .member(&name("self"))
            .unwrap()
            .wg_key,
        Some(mine)
    );

    give_keys(&f);
    let mut kernel = memory_node();
    let req = request::Converge {
        vpc: vpc(),
        scope: Scope::All,
        dry_run: None,
        bridge_ips: None,
    };
    let r = run::converge_on(&f.store, &req, &mut kernel).unwrap();
    assert!(!r.changes.is_empty());
    let keys = f.store.wg_keys(&vpc()).unwrap();
    assert_eq!(keys.current.as_ref().unwrap().public(), mine);
    assert!(
        keys.pending.is_none(),
        "the pending key became the current one"
    );
    let seen = kernel.observe().unwrap();
    let dev = &seen.wireguard[0];
    assert_eq!(dev.public_key, Some(mine));
    assert_eq!(dev.peers.len(), 2);
    // Converged: a second apply changes nothing.
    let again = run::converge_on(&f.store, &req, &mut kernel).unwrap();
    assert!(again.changes.is_empty(), "{:?}", again.changes);

    // Rotation: a new pending key here, the others' forgotten.
    let rotated = run::rotate_keys(&f.store, &request::RotateKeys { vpc: vpc() }).unwrap();
    assert_ne!(rotated.public_key, mine);
    assert_eq!(rotated.pending, 2);
    let keys = f.store.wg_keys(&vpc()).unwrap();
    assert_eq!(
        keys.current.as_ref().unwrap().public(),
        mine,
        "the old key works until the new spec is applied"
    );
    assert_eq!(keys.pending.as_ref().unwrap().public(), rotated.public_key);

    // Teardown removes the WireGuard interface; leave forgets the keys.
    give_keys(&f);
    run::converge_on(&f.store, &req, &mut kernel).unwrap();
    assert_eq!(
        kernel.observe().unwrap().wireguard[0].public_key,
        Some(rotated.public_key)
    );
    run::leave_on(&f.store, &request::Leave { vpc: vpc() }, &mut kernel).unwrap();
    let left = kernel.observe().unwrap();
    assert!(
        left.wireguard.is_empty() && left.ifaces.len() == 1,
        "{left:?}"
    );
    assert!(!f.dir.join("state/keys/v1.key").exists());
}

#[test]
fn a_spec_naming_a_key_this_host_does_not_hold_is_refused() {
    let f = encrypted_store("foreign");
    // A spec arriving from elsewhere, with a key for this host that it
    // never made (a forged spec, or one made before this host was reset).
    let mut other = Spec::define(
        vpc(),
        node("a", 2),
        vec![node("self", 1), node("b", 3)],
        &options(&[("encrypt", "wireguard"), ("vni_base", "8192")]),
        &[],
    )
    .unwrap();
    other
        .set_wg_key(&name("self"), PrivateKey::generate().public())
        .unwrap();
    ops::vpc_remove(&f.store, &vpc(), &[]).unwrap();
    let e = ops::receive(&f.store, &other.to_json()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert!(e.message().contains("which this host does not hold"), "{e}");
    assert!(f.store.vpc(&vpc()).unwrap().is_none(), "nothing was stored");
}

#[test]
fn a_key_file_others_can_read_is_refused() {
    let f = encrypted_store("mode");
    let path = f.dir.join("state/keys/v1.next");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = f.store.wg_keys(&vpc()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Corrupt);
    assert!(
        e.message()
            .contains("mode 0644 lets others read this private key"),
        "{e}"
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!e.message().contains(text.trim()), "{e}");
}
