//! Hosts behind NAT on real Linux kernels: host 2 is moved off the switch
//! behind a NAT router namespace of the test's own. Behind a 1:1 NAT it
//! says `ip4=PUBLIC local4=PRIVATE`, and a plain VPC works through the
//! translation. Behind a masquerading router (`inbound=0`) nobody can
//! reach it, and an encrypted VPC works all the same: it sends first and
//! keeps the way open; a plain VPC with it is refused at definition.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use vpc_e2e::cluster::{guest, sync};
use vpc_e2e::{Guest, Lab};

/// The private side's network, and host 2's address in it.
const INSIDE: &str = "198.19.0.1/24";
const PRIVATE: &str = "198.19.0.3";

/// How the router translates.
enum Nat {
    /// 1:1: `public` is host 2's, both ways.
    OneToOne { public: &'static str },
    /// Masquerade behind the router's own `public`: nothing comes in
    /// unasked.
    Masquerade { public: &'static str },
}

/// Moves host 2 behind a NAT router: its veth's switch end goes into the
/// router's namespace (the private side), the router gets a port of its
/// own on the switch (the public side), host 2 gets a private address and
/// a route to the underlay through the router (no default route).
fn behind_nat(lab: &Lab, nat: &Nat) -> String {
    let router = lab.add_namespace("nat");
    let wan = lab.wan().to_owned();
    let sh = |ns: &str, cmd: &str| {
        let words: Vec<&str> = cmd.split_whitespace().collect();
        lab.ns_ok(ns, &words);
    };
    sh(&wan, &format!("ip link set h2 nomaster netns {router}"));
    sh(
        &wan,
        &format!("ip link add natpub type veth peer name outside netns {router}"),
    );
    sh(&wan, "ip link set natpub master br0 up");
    let public = match nat {
        Nat::OneToOne { public } | Nat::Masquerade { public } => *public,
    };
    sh(&router, "ip link set h2 name inside");
    sh(&router, &format!("ip addr add {INSIDE} dev inside"));
    sh(&router, &format!("ip addr add {public}/24 dev outside"));
    sh(&router, "ip link set inside up");
    sh(&router, "ip link set outside up");
    sh(&router, "sysctl -qw net.ipv4.ip_forward=1");
    let rules = match nat {
        Nat::OneToOne { public } => format!(
            "table ip nat {{\n chain pre {{ type nat hook prerouting priority dstnat; ip daddr \
             {public} dnat to {PRIVATE}; }}\n chain post {{ type nat hook postrouting priority \
             srcnat; ip saddr {PRIVATE} oifname \"outside\" snat to {public}; }}\n}}\n"
        ),
        Nat::Masquerade { .. } => "table ip nat {\n chain post { type nat hook postrouting \
             priority srcnat; ip saddr 198.19.0.0/24 oifname \"outside\" masquerade; }\n}\n"
            .to_owned(),
    };
    let file = lab.host(2).state_dir().join("nat.nft");
    std::fs::write(&file, rules).unwrap();
    lab.ns_ok(&router, &["nft", "-f", file.to_str().unwrap()]);
    let h2 = lab.host(2);
    h2.sh_ok(&["ip", "addr", "flush", "dev", "eth0", "scope", "global"]);
    h2.sh_ok(&["ip", "addr", "add", &format!("{PRIVATE}/24"), "dev", "eth0"]);
    h2.sh_ok(&["ip", "route", "add", "198.18.0.0/24", "via", "198.19.0.1"]);
    assert!(h2.wait_up("eth0"));
    router
}

/// Identities and records: hosts 0 and 1 as usual, host 2 as `node2`
/// words say, recorded on host 0 as it is reached.
fn identities(lab: &Lab, node2: &str, record2: &str) {
    for i in 0..2 {
        let h = lab.host(i);
        h.ok(&format!("node mode=init name={} ip4={}", h.name(), h.ip4()));
    }
    lab.host(2).ok(&format!("node mode=init name=h2 {node2}"));
    lab.host(0).ok(&format!(
        "node mode=add offline=1 name=h1 node={}",
        lab.host(1).ip4()
    ));
    lab.host(0)
        .ok(&format!("node mode=add offline=1 name=h2 {record2}"));
}

fn talk(guests: &[Guest]) {
    for g in guests {
        for o in guests.iter().filter(|o| o.name() != g.name()) {
            let n = o.host() + 1;
            assert!(
                g.ping(&format!("10.10.11.{n}"), 4, &[]),
                "guest {} -> 10.10.11.{n}",
                g.host()
            );
        }
    }
}

#[test]
fn netns_a_host_behind_one_to_one_nat_joins_a_plain_vpc() {
    let Some(lab) = Lab::new("nat11", 3) else {
        return;
    };
    let public = "198.18.0.103";
    behind_nat(&lab, &Nat::OneToOne { public });
    identities(
        &lab,
        &format!("ip4={public} local4={PRIVATE}"),
        &format!("node={public} local4={PRIVATE}"),
    );
    lab.host(0)
        .ok("mode=init vpc_name=vpc1 node_member=h1,h2 peer_network=10.100.0.0/24");
    sync(&lab, 0, &[1, 2], "vpc1");
    for i in 0..3 {
        lab.host(i).ok("mode=apply vpc_name=vpc1");
    }
    // Host 2's tunnels send from its private address; the others send to
    // its public one, and allow it.
    let h2 = lab.host(2);
    for l in h2
        .links()
        .iter()
        .filter(|l| l["linkinfo"]["info_kind"] == "vxlan")
    {
        assert_eq!(l["linkinfo"]["info_data"]["local"], PRIVATE, "{l}");
    }
    let h0 = lab.host(0);
    let remotes: Vec<String> = h0
        .links()
        .iter()
        .filter(|l| l["linkinfo"]["info_kind"] == "vxlan")
        .filter_map(|l| {
            l["linkinfo"]["info_data"]["remote"]
                .as_str()
                .map(str::to_owned)
        })
        .collect();
    assert!(remotes.iter().any(|r| r == public), "{remotes:?}");
    let table = h0.sh_ok(&["nft", "list", "table", "inet", "vpc_vpc1"]);
    assert!(table.contains(public), "{table}");

    let guests: Vec<Guest> = (0..3)
        .map(|i| guest(&lab, i, "vpc1", i + 1, 1450))
        .collect();
    talk(&guests);
    for i in 0..3 {
        let st = lab.host(i).run("mode=status vpc_name=vpc1");
        assert_eq!(st.code, 0, "h{i}: {}{}", st.stdout, st.stderr);
    }
}

#[test]
fn netns_a_host_behind_masquerade_joins_an_encrypted_vpc() {
    let Some(lab) = Lab::new("natmq", 3) else {
        return;
    };
    behind_nat(
        &lab,
        &Nat::Masquerade {
            public: "198.18.0.200",
        },
    );
    identities(
        &lab,
        &format!("ip4={PRIVATE} inbound=0"),
        &format!("node={PRIVATE} inbound=0"),
    );
    // Without encryption nobody could reach host 2: refused, naming it.
    let plain = lab
        .host(0)
        .run("mode=init vpc_name=vpc1 node_member=h1,h2 peer_network=10.100.0.0/24");
    assert_ne!(plain.code, 0);
    assert!(
        plain.stderr.contains("member h2 has inbound=0"),
        "{}",
        plain.stderr
    );
    lab.host(0).ok(
        "mode=init vpc_name=vpc1 node_member=h1,h2 peer_network=10.100.0.0/24 encrypt=wireguard",
    );
    let h0 = lab.host(0);
    for i in [1, 2] {
        let h = lab.host(i);
        let key = h.ok("mode=wg_key vpc_name=vpc1").stdout;
        h0.ok(&format!(
            "mode=set_member vpc_name=vpc1 node={} wg_key={}",
            h.name(),
            key.trim()
        ));
    }
    let map = h0.ok("mode=init_peers vpc_name=vpc1").stdout;
    assert!(
        map.contains("keepalive: h2 -> h0 (h2 has inbound=0"),
        "{map}"
    );
    sync(&lab, 0, &[1, 2], "vpc1");
    // Host 2 last, once the others listen: it reaches out at once, and
    // they learn where it is from its handshake.
    for i in [0, 1, 2] {
        lab.host(i).ok("mode=apply vpc_name=vpc1");
    }
    let guests: Vec<Guest> = [2, 0, 1]
        .into_iter()
        .map(|i| guest(&lab, i, "vpc1", i + 1, 1370))
        .collect();
    talk(&guests);
    let st = lab.host(0).run("mode=status vpc_name=vpc1");
    assert_eq!(st.code, 0, "{}{}", st.stdout, st.stderr);
    assert!(st.stdout.contains("keepalive: h2 -> h0"), "{}", st.stdout);
}
