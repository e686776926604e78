#![allow(
    clippy::disallowed_macros,
    reason = "tests report to the terminal themselves"
)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

//! Ownership on Linux hosts: vpc changes or removes only interfaces it
//! made. A bridge an admin made with the VPC's name, holding addresses,
//! survives `apply` (refused, naming it, before any change) and `teardown`
//! (left alone) exactly as the kernel had it.
//!
//! Tests named `netns_*` need root and `ip netns`; without them they print
//! why and pass. Run `cargo build -p vpc-cli` first.

use serde_json::Value;
use vpc_e2e::cluster::{Underlay, identify, introduce, sync};
use vpc_e2e::{Host, Lab};

/// What must never change on the admin's bridge, as the kernel shows it
/// (`ip -j -d addr show dev NAME`): ifindex, kind, flags, MTU, alias, master
/// and every address but the kernel's own link-local one.
fn kernel_view(h: &Host, name: &str) -> Value {
    let text = h.sh_ok(&["ip", "-j", "-d", "addr", "show", "dev", name]);
    let all: Value = serde_json::from_str(&text).unwrap();
    let l = &all[0];
    let addrs: Vec<String> = l["addr_info"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["scope"] != "link")
        .map(|a| format!("{}/{}", a["local"].as_str().unwrap(), a["prefixlen"]))
        .collect();
    serde_json::json!({
        "ifindex": l["ifindex"],
        "kind": l["linkinfo"]["info_kind"],
        "flags": l["flags"],
        "mtu": l["mtu"],
        "ifalias": l.get("ifalias"),
        "master": l.get("master"),
        "addrs": addrs,
    })
}

/// Names of the vxlan interfaces on `h`.
fn vxlan_names(h: &Host) -> Vec<String> {
    h.links()
        .iter()
        .filter(|l| l["linkinfo"]["info_kind"] == "vxlan")
        .map(|l| l["ifname"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn netns_a_foreign_bridge_named_like_the_vpc_survives_apply_and_teardown() {
    let Some(lab) = Lab::new("ownbr", 2) else {
        return;
    };
    let (h0, h1) = (lab.host(0), lab.host(1));
    // The admin's LAN bridge on h0, named like the VPC a peer will define.
    h0.sh_ok(&["ip", "link", "add", "vpc1", "type", "bridge"]);
    h0.sh_ok(&["ip", "addr", "add", "198.19.99.1/24", "dev", "vpc1"]);
    h0.sh_ok(&["ip", "addr", "add", "2001:db8:99::1/64", "dev", "vpc1"]);
    h0.sh_ok(&["ip", "link", "set", "dev", "vpc1", "up"]);
    let before = kernel_view(h0, "vpc1");
    eprintln!("the admin's bridge: {before}");
    assert_eq!(
        before["addrs"],
        serde_json::json!(["198.19.99.1/24", "2001:db8:99::1/64"])
    );

    identify(&lab, &[0, 1], Underlay::V4);
    introduce(&lab, 1, &[0], Underlay::V4);
    h1.ok("mode=init vpc_name=vpc1 node_member=h0 peer_network=10.100.0.0/24");
    sync(&lab, 1, &[0], "vpc1");

    // Refused at apply on h0, naming the interface, before any change.
    for mode in ["apply", "init_vxlan", "init_bridge"] {
        let r = h0.run(&format!("mode={mode} vpc_name=vpc1"));
        assert_eq!(r.code, 1, "{mode}: {r:?}");
        assert!(
            r.stderr
                .contains("interface vpc1 exists and is a bridge not made by vpc"),
            "{mode}: {}",
            r.stderr
        );
        assert_eq!(kernel_view(h0, "vpc1"), before, "{mode} changed the bridge");
        assert_eq!(
            vxlan_names(h0),
            Vec::<String>::new(),
            "{mode} made a tunnel"
        );
    }
    // The other member, which has no such bridge, builds its side.
    h1.ok("mode=apply vpc_name=vpc1");
    assert!(h1.link("vpc1").is_some());

    // Teardown on h0 leaves the admin's bridge and its addresses alone.
    for mode in ["destroy_bridge", "teardown"] {
        let r = h0.ok(&format!("mode={mode} vpc_name=vpc1"));
        assert!(
            r.stdout.contains("nothing to change"),
            "{mode}: {}",
            r.stdout
        );
        assert!(
            r.stderr.contains("interface vpc1 exists") && r.stderr.contains("left alone"),
            "{mode}: {}",
            r.stderr
        );
        assert_eq!(kernel_view(h0, "vpc1"), before, "{mode} changed the bridge");
    }
    h1.ok("mode=teardown vpc_name=vpc1");
    assert!(h1.link("vpc1").is_none());
    assert_eq!(kernel_view(h0, "vpc1"), before);
    h0.sh_ok(&["ip", "link", "del", "dev", "vpc1"]);
}
