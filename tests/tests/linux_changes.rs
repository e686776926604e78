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

//! Changes to a running VPC on Linux hosts: drift made by hand is reported
//! and repaired in place, membership changes touch only the member that
//! comes or goes, teardown leaves foreign interfaces alone, two VPCs on
//! the same hosts never mix, a refused change is named and the next apply
//! recovers, and an unreachable peer shows in `status`.
//!
//! Tests named `netns_*` need root and `ip netns`; without them they print
//! why and pass. Run `cargo build -p vpc-cli` first.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;
use vpc_e2e::cluster::{
    Underlay, deploy, guest, identify, indexes, introduce, peer_map, sync, vxlans,
};
use vpc_e2e::{Guest, Host, Lab, Run};

/// `vpc mode=status vpc_name=VPC timeout=MS` as text and as JSON (two runs).
fn status(h: &Host, vpc: &str, timeout_ms: u32) -> (Run, Value) {
    let text = h.run(&format!("mode=status vpc_name={vpc} timeout={timeout_ms}"));
    let json = h.run(&format!(
        "mode=status vpc_name={vpc} timeout={timeout_ms} --json"
    ));
    assert_eq!(
        text.code, json.code,
        "status text and JSON disagree: {text:?} {json:?}"
    );
    (text, json.json())
}

/// Runs status until it exits 0 (at most `limit`); the last text run.
fn wait_healthy(h: &Host, vpc: &str, limit: Duration) -> Run {
    let deadline = Instant::now() + limit;
    loop {
        let r = h.run(&format!("mode=status vpc_name={vpc} timeout=300"));
        if r.success() || Instant::now() >= deadline {
            return r;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The `differences` of a status document, as strings.
fn differences(doc: &Value) -> Vec<String> {
    doc["differences"]
        .as_array()
        .unwrap_or_else(|| panic!("no differences array: {doc}"))
        .iter()
        .map(|d| d.as_str().unwrap().to_owned())
        .collect()
}

/// Runs `vpc ARGS --json` (which must succeed) and returns its `changes`.
#[track_caller]
fn changes(h: &Host, args: &str) -> Vec<Value> {
    let doc = h.ok(&format!("{args} --json")).json();
    doc["changes"]
        .as_array()
        .unwrap_or_else(|| panic!("no changes array: {doc}"))
        .clone()
}

/// The interface a change is about: `name`, or `port` for port changes;
/// for a rule set, its table.
fn subject(change: &Value) -> String {
    change
        .get("name")
        .or_else(|| change.get("port"))
        .or_else(|| change.get("table"))
        .or_else(|| change.pointer("/rules/table"))
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("change without name or port: {change}"))
        .to_owned()
}

/// The far ends' link addresses (without prefix) of `h`'s tunnels in `vpc`.
fn far_ends(h: &Host, vpc: &str) -> Vec<String> {
    let map = peer_map(h, vpc);
    map["links"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| {
            let ends = l["ends"].as_array().unwrap();
            let me = ends.iter().position(|e| e["node"] == h.name())?;
            let far = &ends[1 - me];
            let addr = far["link_addr"].as_str().unwrap();
            Some(addr.split('/').next().unwrap().to_owned())
        })
        .collect()
}

/// The names of a host's vxlan interfaces.
fn vxlan_names(h: &Host) -> Vec<String> {
    vxlans(h).into_iter().map(|(n, ..)| n).collect()
}

/// A link's `remote` underlay address (vxlan) as `ip -d` shows it.
fn remote_of(h: &Host, name: &str) -> String {
    let l = h
        .link(name)
        .unwrap_or_else(|| panic!("{}: no {name}", h.name()));
    l["linkinfo"]["info_data"]["remote"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A link's MTU.
fn mtu_of(h: &Host, name: &str) -> u64 {
    h.link(name)
        .unwrap_or_else(|| panic!("{}: no {name}", h.name()))["mtu"]
        .as_u64()
        .unwrap()
}

/// Whether port `port` of `h` sits in bridge `bridge` as an isolated
/// (split-horizon) port.
fn isolated_port_of(h: &Host, port: &str, bridge: &str) -> bool {
    h.link(port).is_some_and(|l| {
        l["master"] == bridge && l["linkinfo"]["info_slave_data"]["isolated"] == true
    })
}

/// Whether `g` gets an answer from `10.10.11.{n}` and from
/// `2001:db8:11::{n}` (one echo; three more if the first is lost).
fn reaches(g: &Guest<'_>, n: usize) -> bool {
    [format!("10.10.11.{n}"), format!("2001:db8:11::{n}")]
        .iter()
        .all(|a| g.ping(a, 1, &[]) || g.ping(a, 3, &[]))
}

/// Every guest reaches every other one over IPv4 and IPv6 (`numbers[i]` is
/// the address number of `guests[i]`).
#[track_caller]
fn all_reach(guests: &[&Guest<'_>], numbers: &[usize]) {
    for (a, g) in guests.iter().enumerate() {
        for (b, &n) in numbers.iter().enumerate() {
            if a != b {
                assert!(
                    reaches(g, n),
                    "guest {} (host {}) cannot reach guest {n}",
                    numbers[a],
                    g.host()
                );
            }
        }
    }
}

/// Drift made by hand on one host — a wrong MTU, a tunnel out of the
/// bridge, a deleted tunnel — is named by `status` (text and JSON),
/// repaired by `apply` touching only those interfaces, and the host is
/// healthy again with every other interface kept (same ifindex).
#[test]
fn netns_drift_is_reported_and_repaired() {
    let Some(lab) = Lab::new("drift", 4) else {
        return;
    };
    deploy(
        &lab,
        &[0, 1, 2, 3],
        Underlay::V4,
        "vpc1",
        "10.100.0.0/24",
        "",
    );
    let h0 = lab.host(0);
    assert_eq!(vxlan_names(h0), ["vxlan1", "vxlan2", "vxlan4"]);
    assert_eq!(remote_of(h0, "vxlan4"), "198.18.0.4");
    assert_eq!(mtu_of(h0, "vpc1"), 1450);
    let before = indexes(h0);
    let (healthy, _) = status(h0, "vpc1", 1000);
    assert_eq!(healthy.code, 0, "{healthy:?}");

    // The drift, step by step, watching what the kernel does to the bridge.
    h0.sh_ok(&["ip", "link", "set", "dev", "vxlan1", "mtu", "1400"]);
    let bridge_after_mtu = mtu_of(h0, "vpc1");
    h0.sh_ok(&["ip", "link", "set", "dev", "vxlan2", "nomaster"]);
    let bridge_after_nomaster = mtu_of(h0, "vpc1");
    h0.sh_ok(&["ip", "link", "del", "dev", "vxlan4"]);
    let bridge_after_del = mtu_of(h0, "vpc1");
    eprintln!(
        "bridge vpc1 MTU: after vxlan1 mtu 1400: {bridge_after_mtu}; after vxlan2 nomaster: \
         {bridge_after_nomaster}; after vxlan4 deleted: {bridge_after_del}"
    );
    // The kernel may adjust a bridge's MTU to its ports' minimum (its MTU
    // was not set after creation); it never goes above the spec's.
    assert!(
        [1400, 1450].contains(&bridge_after_del),
        "{bridge_after_del}"
    );

    let (text, doc) = status(h0, "vpc1", 1000);
    assert_eq!(text.code, 1, "{text:?}");
    let diffs = differences(&doc);
    let mut expected = vec![
        "vxlan1 has MTU 1400, expected 1450".to_owned(),
        "vxlan2 is not a port of vpc1".to_owned(),
        "tunnel vxlan4 to 198.18.0.4 is missing".to_owned(),
    ];
    if bridge_after_del != 1450 {
        expected.push(format!("vpc1 has MTU {bridge_after_del}, expected 1450"));
    }
    for e in &expected {
        assert!(
            text.stdout.contains(e.as_str()),
            "{e:?} not in\n{}",
            text.stdout
        );
        assert!(diffs.contains(e), "{e:?} not in {diffs:?}");
    }
    // Nothing else is blamed: every difference is about a drifted interface.
    for d in &diffs {
        let about = ["vxlan1 ", "vxlan2 ", "vxlan4 ", "tunnel vxlan4 "]
            .iter()
            .any(|p| d.starts_with(p))
            || (bridge_after_del != 1450 && d.starts_with("vpc1 has MTU"));
        assert!(about, "unexpected difference {d:?} in {diffs:?}");
    }
    assert_eq!(doc["healthy"], false, "{doc}");
    let t4 = doc["tunnels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["interface"] == "vxlan4")
        .unwrap();
    assert_eq!(t4["present"], false, "{t4}");
    assert_eq!(t4["rtt_ms"], Value::Null, "{t4}");

    // The repair touches only the drifted interfaces.
    let made = changes(h0, "mode=apply vpc_name=vpc1");
    eprintln!("apply after drift: {made:#?}");
    for c in &made {
        let s = subject(c);
        let ok = ["vxlan1", "vxlan2", "vxlan4"].contains(&s.as_str())
            || (s == "vpc1" && c["op"] == "set_mtu" && c["mtu"] == 1450);
        assert!(ok, "apply touched {s}: {c}");
    }
    let has = |op: &str, name: &str| made.iter().any(|c| c["op"] == op && subject(c) == name);
    assert!(has("set_mtu", "vxlan1"), "{made:#?}");
    assert!(has("add_port", "vxlan2"), "{made:#?}");
    assert!(has("create_vxlan", "vxlan4"), "{made:#?}");
    assert!(has("add_port", "vxlan4"), "{made:#?}");
    assert_eq!(
        has("set_mtu", "vpc1"),
        bridge_after_del != 1450,
        "the bridge MTU is set iff it drifted: {made:#?}"
    );
    assert!(
        !made
            .iter()
            .any(|c| c["op"] == "destroy" || subject(c) == "vxlan1" && c["op"] != "set_mtu"),
        "{made:#?}"
    );

    // Healthy again, in the kernel as in status.
    let st = wait_healthy(h0, "vpc1", Duration::from_secs(3));
    assert_eq!(st.code, 0, "{st:?}");
    assert!(
        st.stdout.contains("VPC vpc1 on h0: healthy"),
        "{}",
        st.stdout
    );
    for v in ["vxlan1", "vxlan2", "vxlan4"] {
        assert_eq!(mtu_of(h0, v), 1450, "{v}");
        assert!(isolated_port_of(h0, v, "vpc1"), "{v} not an isolated port");
    }
    assert_eq!(mtu_of(h0, "vpc1"), 1450);
    assert_eq!(remote_of(h0, "vxlan4"), "198.18.0.4");
    let after = indexes(h0);
    let names = |v: &[(String, u64)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&after), names(&before));
    let kept = |v: &[(String, u64)]| {
        v.iter()
            .filter(|(n, _)| n != "vxlan4")
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(kept(&after), kept(&before), "an interface was recreated");
    let old4 = before.iter().find(|(n, _)| n == "vxlan4").unwrap().1;
    let new4 = after.iter().find(|(n, _)| n == "vxlan4").unwrap().1;
    assert_ne!(old4, new4, "vxlan4 was deleted, so it must be new");

    let again = h0.ok("mode=apply vpc_name=vpc1");
    assert!(
        again.stdout.contains("nothing to change"),
        "{}",
        again.stdout
    );
    assert_eq!(indexes(h0), after);

    // Every host's link addresses answer across every tunnel, to status's
    // probes: with no MAC pinned, the kernel's own ping cannot resolve the
    // far end of an enslaved vxlan, and vpc no longer pins one.
    for h in lab.hosts() {
        let ends = far_ends(h, "vpc1");
        assert_eq!(ends.len(), 3, "{}: {ends:?}", h.name());
        let r = wait_healthy(h, "vpc1", Duration::from_secs(5));
        assert!(r.success(), "{}: {}", h.name(), r.stdout);
    }
    let ends0 = far_ends(h0, "vpc1");
    assert_eq!(ends0, ["10.100.0.2", "10.100.0.6", "10.100.0.14"]);
}

/// Adding a member gives each old member exactly one new tunnel (to it)
/// and keeps the others untouched; removing it takes exactly that tunnel
/// away again; the removed member tears itself down.
#[test]
fn netns_membership_change_touches_only_that_member() {
    let Some(lab) = Lab::new("member", 4) else {
        return;
    };
    deploy(&lab, &[0, 1, 2], Underlay::V4, "vpc1", "10.100.0.0/24", "");
    let guests: Vec<Guest<'_>> = (0..3)
        .map(|i| guest(&lab, i, "vpc1", i + 1, 1450))
        .collect();
    let refs: Vec<&Guest<'_>> = guests.iter().collect();
    all_reach(&refs, &[1, 2, 3]);
    let before: Vec<_> = (0..3).map(|i| vxlans(lab.host(i))).collect();
    assert_eq!(vxlan_names(lab.host(0)), ["vxlan1", "vxlan2"]);
    assert_eq!(vxlan_names(lab.host(1)), ["vxlan1", "vxlan3"]);
    assert_eq!(vxlan_names(lab.host(2)), ["vxlan2", "vxlan3"]);

    // h3 joins: slot 3, pairs (0,3) (1,3) (2,3) = VNIs 4, 5, 6.
    identify(&lab, &[3], Underlay::V4);
    introduce(&lab, 0, &[3], Underlay::V4);
    lab.host(0).ok("mode=add_member vpc_name=vpc1 node=h3");
    sync(&lab, 0, &[1, 2, 3], "vpc1");
    for (i, old) in before.iter().enumerate() {
        let h = lab.host(i);
        let mut made = changes(h, "mode=apply vpc_name=vpc1");
        let new = format!("vxlan{}", i + 4);
        // The rule set lets the new member in, first; then its tunnel.
        let firewall = made.remove(0);
        assert_eq!(firewall["op"], "set_firewall", "{firewall}");
        assert!(
            firewall["rules"]["allow4"]
                .as_array()
                .unwrap()
                .contains(&Value::from("198.18.0.4")),
            "{firewall}"
        );
        assert!(
            made.iter().all(|c| subject(c) == new),
            "{}: apply touched more than {new}: {made:#?}",
            h.name()
        );
        assert!(made.iter().any(|c| c["op"] == "create_vxlan"), "{made:#?}");
        let after = vxlans(h);
        let added: Vec<_> = after.iter().filter(|v| !old.contains(v)).collect();
        assert_eq!(added.len(), 1, "{}: {after:?} vs {old:?}", h.name());
        assert_eq!(added[0].0, new);
        assert_eq!(added[0].1, u64::try_from(i + 4).unwrap());
        assert_eq!(added[0].2, 1450);
        assert!(
            old.iter().all(|v| after.contains(v)),
            "{}: an old tunnel changed: {after:?} vs {old:?}",
            h.name()
        );
        assert_eq!(remote_of(h, &new), "198.18.0.4");
        assert!(isolated_port_of(h, &new, "vpc1"));
    }
    let h3 = lab.host(3);
    h3.ok("mode=apply vpc_name=vpc1");
    assert_eq!(vxlan_names(h3), ["vxlan4", "vxlan5", "vxlan6"]);
    let g4 = guest(&lab, 3, "vpc1", 4, 1450);
    let refs: Vec<&Guest<'_>> = guests.iter().chain([&g4]).collect();
    all_reach(&refs, &[1, 2, 3, 4]);
    for i in 0..4 {
        let st = wait_healthy(lab.host(i), "vpc1", Duration::from_secs(3));
        assert_eq!(st.code, 0, "h{i}: {st:?}");
    }

    // h3 leaves: each old member loses exactly its tunnel to h3.
    lab.host(0).ok("mode=remove_member vpc_name=vpc1 node=h3");
    sync(&lab, 0, &[1, 2], "vpc1");
    for (i, old) in before.iter().enumerate() {
        let h = lab.host(i);
        let mut made = changes(h, "mode=apply vpc_name=vpc1");
        let gone = format!("vxlan{}", i + 4);
        // First h3 is shut out by the rule set, then its tunnel goes.
        let firewall = made.remove(0);
        assert_eq!(firewall["op"], "set_firewall", "{firewall}");
        assert_eq!(
            firewall["rules"]["allow4"],
            serde_json::json!(["198.18.0.1", "198.18.0.2", "198.18.0.3"]),
            "{firewall}"
        );
        let expect = serde_json::json!([{"op": "destroy", "name": gone}]);
        assert_eq!(Value::Array(made), expect, "{}", h.name());
        assert_eq!(
            &vxlans(h),
            old,
            "{}: not back to the tunnels it had before h3 came",
            h.name()
        );
    }
    all_reach(&refs[..3], &[1, 2, 3]);

    // h3 (still holding the spec that names it) removes its own part; its
    // guest's port is released, not removed.
    let down = changes(h3, "mode=teardown vpc_name=vpc1");
    let mut subjects: Vec<String> = down.iter().map(subject).collect();
    subjects.sort();
    assert_eq!(
        subjects,
        ["vpc1", "vpc_vpc1", "vxlan4", "vxlan5", "vxlan6"],
        "{down:#?}"
    );
    assert!(h3.link("vpc1").is_none(), "bridge vpc1 still on h3");
    assert_eq!(vxlan_names(h3), Vec::<String>::new());
    assert!(g4.host_if_exists(), "the guest port was removed");
    let port = h3.link(g4.host_if()).unwrap();
    assert!(port.get("master").is_none(), "{port}");
}

/// `destroy_bridge`, `destroy_vxlan` and `teardown` remove only the VPC's
/// own interfaces: a foreign bridge and a foreign vxlan made by hand keep
/// their ifindex, MTU, state and settings throughout.
#[test]
fn netns_teardown_leaves_foreign_interfaces_alone() {
    let Some(lab) = Lab::new("foreign", 2) else {
        return;
    };
    let h0 = lab.host(0);
    h0.sh_ok(&[
        "ip",
        "link",
        "add",
        "vxf",
        "type",
        "vxlan",
        "id",
        "9999",
        "local",
        "198.18.0.1",
        "remote",
        "198.18.0.2",
        "dstport",
        "4790",
    ]);
    h0.sh_ok(&["ip", "link", "add", "brx", "type", "bridge"]);
    // What must never change: ifindex, MTU, flags, master, VNI, remote, port.
    let snapshot = || -> BTreeMap<String, Value> {
        ["brx", "vxf"]
            .iter()
            .map(|&n| {
                let l = h0.link(n).unwrap_or_else(|| panic!("foreign {n} is gone"));
                let data = &l["linkinfo"]["info_data"];
                let v = serde_json::json!({
                    "ifindex": l["ifindex"],
                    "mtu": l["mtu"],
                    "flags": l["flags"],
                    "master": l.get("master"),
                    "kind": l["linkinfo"]["info_kind"],
                    "id": data.get("id"),
                    "remote": data.get("remote"),
                    "port": data.get("port"),
                });
                (n.to_owned(), v)
            })
            .collect()
    };
    let foreign = snapshot();
    eprintln!("foreign interfaces: {foreign:?}");
    assert_eq!(foreign["vxf"]["id"], 9999);
    assert_eq!(foreign["vxf"]["port"], 4790);

    deploy(&lab, &[0, 1], Underlay::V4, "vpc1", "10.100.0.0/24", "");
    assert_eq!(snapshot(), foreign, "deploy changed a foreign interface");
    assert_eq!(vxlan_names(h0), ["vxf", "vxlan1"]);
    let st = wait_healthy(h0, "vpc1", Duration::from_secs(3));
    assert_eq!(st.code, 0, "{st:?}");

    let made = changes(h0, "mode=destroy_bridge vpc_name=vpc1");
    assert_eq!(
        Value::Array(made),
        serde_json::json!([{"op": "destroy", "name": "vpc1"}])
    );
    assert!(h0.link("vpc1").is_none(), "bridge vpc1 still there");
    let t = h0
        .link("vxlan1")
        .expect("destroy_bridge removed the tunnel");
    assert!(t.get("master").is_none(), "{t}");
    assert_eq!(
        snapshot(),
        foreign,
        "destroy_bridge changed a foreign interface"
    );

    let made = changes(h0, "mode=destroy_vxlan vpc_name=vpc1");
    assert_eq!(
        Value::Array(made),
        serde_json::json!([
            {"op": "destroy", "name": "vxlan1"},
            {"op": "remove_firewall", "table": "vpc_vpc1"}
        ])
    );
    assert_eq!(vxlan_names(h0), ["vxf"]);
    assert_eq!(
        snapshot(),
        foreign,
        "destroy_vxlan changed a foreign interface"
    );

    let r = h0.ok("mode=teardown vpc_name=vpc1");
    assert!(r.stdout.contains("nothing to change"), "{}", r.stdout);
    assert_eq!(snapshot(), foreign);

    // Back up, then down in one go.
    h0.ok("mode=apply vpc_name=vpc1");
    assert_eq!(vxlan_names(h0), ["vxf", "vxlan1"]);
    assert!(isolated_port_of(h0, "vxlan1", "vpc1"));
    assert_eq!(snapshot(), foreign, "apply changed a foreign interface");
    let made = changes(h0, "mode=teardown vpc_name=vpc1");
    assert_eq!(
        Value::Array(made),
        serde_json::json!([
            {"op": "destroy", "name": "vpc1"},
            {"op": "destroy", "name": "vxlan1"},
            {"op": "remove_firewall", "table": "vpc_vpc1"},
        ])
    );
    assert_eq!(snapshot(), foreign, "teardown changed a foreign interface");
    let left: Vec<String> = h0
        .links()
        .iter()
        .map(|l| l["ifname"].as_str().unwrap().to_owned())
        .filter(|n| n == "vpc1" || n.starts_with("vxlan"))
        .collect();
    assert_eq!(left, Vec::<String>::new());
    assert_eq!(vxlan_names(h0), ["vxf"]);
    let r = h0.ok("mode=teardown vpc_name=vpc1");
    assert!(r.stdout.contains("nothing to change"), "{}", r.stdout);
}

/// Two VPCs over the same two hosts get disjoint VNIs and bridges; guests
/// of one reach each other and never a guest of the other, even with
/// addresses in the same subnet, on the same host or across.
#[test]
fn netns_two_vpcs_do_not_mix() {
    let Some(lab) = Lab::new("twovpcs", 2) else {
        return;
    };
    deploy(&lab, &[0, 1], Underlay::V4, "red", "10.100.0.0/24", "");
    deploy(&lab, &[0, 1], Underlay::V4, "blue", "10.101.0.0/24", "");
    for h in lab.hosts() {
        let red = peer_map(h, "red");
        let blue = peer_map(h, "blue");
        assert_eq!(red["links"][0]["vni"], 1, "{red}");
        assert_eq!(red["links"][0]["interface"], "vxlan1", "{red}");
        assert_eq!(blue["links"][0]["vni"], 4097, "{blue}");
        assert_eq!(blue["links"][0]["interface"], "vxlan4097", "{blue}");
        let v = vxlans(h);
        let got: Vec<(&str, u64)> = v.iter().map(|(n, id, ..)| (n.as_str(), *id)).collect();
        assert_eq!(got, [("vxlan1", 1), ("vxlan4097", 4097)], "{}", h.name());
        assert!(isolated_port_of(h, "vxlan1", "red"), "{}", h.name());
        assert!(isolated_port_of(h, "vxlan4097", "blue"), "{}", h.name());
        for vpc in ["red", "blue"] {
            let st = wait_healthy(h, vpc, Duration::from_secs(3));
            assert_eq!(st.code, 0, "{} {vpc}: {st:?}", h.name());
        }
    }
    let r1 = guest(&lab, 0, "red", 1, 1450);
    let r2 = guest(&lab, 1, "red", 2, 1450);
    let b3 = guest(&lab, 0, "blue", 3, 1450);
    let b4 = guest(&lab, 1, "blue", 4, 1450);
    assert_eq!(lab.host(0).link(r1.host_if()).unwrap()["master"], "red");
    assert_eq!(lab.host(0).link(b3.host_if()).unwrap()["master"], "blue");

    all_reach(&[&r1, &r2], &[1, 2]);
    all_reach(&[&b3, &b4], &[3, 4]);

    // Across colours: nothing, in either direction, over either family.
    // Run at once: each failing ping waits its second.
    let crossings: Vec<(&Guest<'_>, String)> = [(&r1, 3), (&r1, 4), (&r2, 3), (&r2, 4)]
        .into_iter()
        .chain([(&b3, 1), (&b3, 2), (&b4, 1), (&b4, 2)])
        .flat_map(|(g, n)| {
            [
                (g, format!("10.10.11.{n}")),
                (g, format!("2001:db8:11::{n}")),
            ]
        })
        .collect();
    let leaks: Vec<String> = std::thread::scope(|s| {
        let runs: Vec<_> = crossings
            .iter()
            .map(|(g, addr)| s.spawn(move || (g.ping(addr, 1, &[]), g.name(), addr)))
            .collect();
        runs.into_iter()
            .map(|r| r.join().unwrap())
            .filter(|(reached, ..)| *reached)
            .map(|(_, g, addr)| format!("{g} reached {addr}"))
            .collect()
    });
    assert_eq!(leaks, Vec::<String>::new(), "the VPCs mix");
    // And the same-colour paths still work afterwards.
    assert!(reaches(&r1, 2) && reaches(&b4, 3));

    // Tearing red down on h0 leaves blue as it was.
    let h0 = lab.host(0);
    let blue_before: Vec<_> = indexes(h0)
        .into_iter()
        .filter(|(n, _)| n == "blue" || n == "vxlan4097" || n == b3.host_if())
        .collect();
    assert_eq!(blue_before.len(), 3, "{blue_before:?}");
    let down = changes(h0, "mode=teardown vpc_name=red");
    let mut subjects: Vec<String> = down.iter().map(subject).collect();
    subjects.sort();
    assert_eq!(subjects, ["red", "vpc_red", "vxlan1"], "{down:#?}");
    let blue = h0.sh(&["nft", "list", "table", "inet", "vpc_blue"]);
    assert!(blue.status.success(), "blue's rule set went with red's");
    let blue_after: Vec<_> = indexes(h0)
        .into_iter()
        .filter(|(n, _)| blue_before.iter().any(|(b, _)| b == n))
        .collect();
    assert_eq!(blue_after, blue_before);
    assert_eq!(h0.link(b3.host_if()).unwrap()["master"], "blue");
    assert!(isolated_port_of(h0, "vxlan4097", "blue"));
    assert!(reaches(&b3, 4), "blue broke when red was torn down");
    assert!(r1.host_if_exists(), "red's guest port was removed");
}

/// A foreign vxlan holding the VNI, local address and port the VPC's
/// tunnel needs: `apply` refuses before changing anything, naming the
/// holder; once it is gone the next `apply` converges.
#[test]
fn netns_foreign_vni_holder_is_refused_before_any_change() {
    let Some(lab) = Lab::new("vnitaken", 2) else {
        return;
    };
    identify(&lab, &[0, 1], Underlay::V4);
    introduce(&lab, 0, &[1], Underlay::V4);
    let (h0, h1) = (lab.host(0), lab.host(1));
    h0.ok("mode=init vpc_name=vpc1 node_member=h1 peer_network=10.100.0.0/24");
    sync(&lab, 0, &[1], "vpc1");
    let map = peer_map(h0, "vpc1");
    assert_eq!(map["links"][0]["vni"], 1, "{map}");
    h0.sh_ok(&[
        "ip",
        "link",
        "add",
        "vxforeign",
        "type",
        "vxlan",
        "id",
        "1",
        "local",
        "198.18.0.1",
        "remote",
        "198.18.0.9",
        "dstport",
        "4789",
    ]);
    let foreign = h0.link("vxforeign").unwrap();
    let before = indexes(h0);
    let r = h0.run("mode=apply vpc_name=vpc1");
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr
            .contains("VNI 1 on local address 198.18.0.1 port 4789 is held by vxforeign"),
        "{}",
        r.stderr
    );
    assert_eq!(indexes(h0), before, "nothing may change");
    let still = h0.link("vxforeign").expect("the foreign vxlan was removed");
    assert_eq!(still["ifindex"], foreign["ifindex"]);
    assert_eq!(still["linkinfo"], foreign["linkinfo"]);
    h0.sh_ok(&["ip", "link", "del", "dev", "vxforeign"]);
    let r = h0.ok("mode=apply vpc_name=vpc1");
    assert!(r.stdout.contains("create vxlan vxlan1"), "{}", r.stdout);
    h1.ok("mode=apply vpc_name=vpc1");
    for h in [h0, h1] {
        let st = wait_healthy(h, "vpc1", Duration::from_secs(3));
        assert_eq!(st.code, 0, "{}: {st:?}", h.name());
    }
}

/// A change the kernel refuses midway (IPv6 turned off on the host, so the
/// tunnels of an IPv6 peer network cannot take their link addresses): the
/// apply exits 1 naming the change and the kernel's reason; what it made
/// before stays; once the cause is gone the next apply converges.
#[test]
fn netns_failed_apply_names_the_change_and_recovers() {
    let Some(lab) = Lab::new("failed", 2) else {
        return;
    };
    identify(&lab, &[0, 1], Underlay::V4);
    introduce(&lab, 0, &[1], Underlay::V4);
    let (h0, h1) = (lab.host(0), lab.host(1));
    h0.ok("mode=init vpc_name=vpc1 node_member=h1 peer_network=2001:db8:100::/64");
    sync(&lab, 0, &[1], "vpc1");
    for key in ["all", "default"] {
        h0.sh_ok(&[
            "sysctl",
            "-q",
            "-w",
            &format!("net.ipv6.conf.{key}.disable_ipv6=1"),
        ]);
    }
    let r = h0.run("mode=apply vpc_name=vpc1");
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr
            .contains("(add address 2001:db8:100::1/126 to vxlan1) failed"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("Permission denied"),
        "the kernel's reason (EACCES): {}",
        r.stderr
    );
    let (st, doc) = status(h0, "vpc1", 300);
    assert_eq!(st.code, 1, "{st:?}");
    assert!(
        differences(&doc).contains(&"vxlan1 lacks address 2001:db8:100::1/126".to_owned()),
        "{doc}"
    );
    for key in ["all", "default"] {
        h0.sh_ok(&[
            "sysctl",
            "-q",
            "-w",
            &format!("net.ipv6.conf.{key}.disable_ipv6=0"),
        ]);
    }
    let r = h0.ok("mode=apply vpc_name=vpc1 --json").json();
    let ops: Vec<&str> = r["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["op"].as_str().unwrap())
        .collect();
    assert!(
        !ops.contains(&"create_vxlan"),
        "the tunnel made before the failure is kept: {ops:?}"
    );
    assert!(ops.contains(&"add_addr"), "{ops:?}");
    h1.ok("mode=apply vpc_name=vpc1");
    for h in [h0, h1] {
        let st = wait_healthy(h, "vpc1", Duration::from_secs(3));
        assert_eq!(st.code, 0, "{}: {st:?}", h.name());
    }
    assert!(
        h0.ok("mode=apply vpc_name=vpc1")
            .stdout
            .contains("nothing to change")
    );
}

/// A peer cut off the underlay: the tunnel is as the spec says (no
/// difference) but its probe gets no answer, so `status` exits 1; with the
/// peer back, healthy again.
#[test]
fn netns_status_of_an_unreachable_peer() {
    let Some(lab) = Lab::new("unreach", 2) else {
        return;
    };
    deploy(&lab, &[0, 1], Underlay::V4, "vpc1", "10.100.0.0/24", "");
    let (h0, h1) = (lab.host(0), lab.host(1));
    let st = wait_healthy(h0, "vpc1", Duration::from_secs(3));
    assert_eq!(st.code, 0, "{st:?}");

    h1.sh_ok(&["ip", "link", "set", "eth0", "down"]);
    let (text, doc) = status(h0, "vpc1", 300);
    assert_eq!(text.code, 1, "{text:?}");
    assert!(text.stdout.contains("no answer"), "{}", text.stdout);
    assert!(!text.stdout.contains("healthy\n"), "{}", text.stdout);
    assert_eq!(differences(&doc), Vec::<String>::new(), "{doc}");
    assert_eq!(doc["healthy"], false, "{doc}");
    let t = &doc["tunnels"][0];
    assert_eq!(t["interface"], "vxlan1", "{doc}");
    assert_eq!(t["peer"], "h1", "{doc}");
    assert_eq!(t["peer_addr"], "10.100.0.2", "{doc}");
    assert_eq!(t["rtt_ms"], Value::Null, "{doc}");
    for k in ["present", "matching", "up", "running"] {
        assert_eq!(t[k], true, "{k}: {doc}");
    }

    h1.sh_ok(&["ip", "link", "set", "eth0", "up"]);
    assert!(h1.wait_up("eth0"));
    let st = wait_healthy(h0, "vpc1", Duration::from_secs(3));
    assert_eq!(st.code, 0, "{st:?}");
    assert!(
        st.stdout.contains("VPC vpc1 on h0: healthy"),
        "{}",
        st.stdout
    );
    assert!(!st.stdout.contains("no answer"), "{}", st.stdout);
}
