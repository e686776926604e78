//! The `vpc` command line end to end, against the real binary and a state
//! directory per test.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    unreachable_pub,
    reason = "a test fails by panicking; helpers are pub for this test crate only"
)]

mod common;

use common::{ARTICLE, Host, article_host};
use serde_json::Value;

const ARTICLE_MAP: &str = "\
nodes: jhoster1.olevole.ru gold-hoster-02.hz.fbs.dev gold-hoster1.prod.inf.hz.fbs.dev
peer_network: 10.100.0.0/24
jhoster1.olevole.ru -> gold-hoster-02.hz.fbs.dev , ep: 10.100.0.1/30  (VX ID: 1)
  gold-hoster-02.hz.fbs.dev -> jhoster1.olevole.ru, ep: 10.100.0.2/30  (VX ID: 1)
jhoster1.olevole.ru -> gold-hoster1.prod.inf.hz.fbs.dev , ep: 10.100.0.5/30  (VX ID: 2)
  gold-hoster1.prod.inf.hz.fbs.dev -> jhoster1.olevole.ru, ep: 10.100.0.6/30  (VX ID: 2)
gold-hoster-02.hz.fbs.dev -> gold-hoster1.prod.inf.hz.fbs.dev , ep: 10.100.0.9/30  (VX ID: 3)
  gold-hoster1.prod.inf.hz.fbs.dev -> gold-hoster-02.hz.fbs.dev, ep: 10.100.0.10/30  (VX ID: 3)
";

#[test]
fn article_peer_map_text_is_cbsds() {
    let h = article_host();
    let r = h.ok("mode=init_peers vpc_name=vpc1");
    assert_eq!(r.stdout, ARTICLE_MAP);
}

#[test]
fn article_peer_map_json_is_the_same_map() {
    let h = article_host();
    let doc = h.ok("mode=init_peers vpc_name=vpc1 --json").json();
    assert_eq!(doc["nodes"][0], "jhoster1.olevole.ru");
    assert_eq!(doc["nodes"][1], "gold-hoster-02.hz.fbs.dev");
    assert_eq!(doc["mtu"], 1430);
    let links = doc["links"].as_array().unwrap();
    assert_eq!(links.len(), 3);
    // Rebuild the text map from the data: every line must match.
    let mut text = format!(
        "nodes: {}\npeer_network: {}\n",
        doc["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect::<Vec<_>>()
            .join(" "),
        doc["peer_network"].as_str().unwrap()
    );
    for l in links {
        let (a, b) = (&l["ends"][0], &l["ends"][1]);
        let s = |v: &Value| v.as_str().unwrap().to_owned();
        text += &format!(
            "{} -> {} , ep: {}  (VX ID: {})\n",
            s(&a["node"]),
            s(&b["node"]),
            s(&a["link_addr"]),
            l["vni"]
        );
        text += &format!(
            "  {} -> {}, ep: {}  (VX ID: {})\n",
            s(&b["node"]),
            s(&a["node"]),
            s(&b["link_addr"]),
            l["vni"]
        );
        assert_eq!(l["interface"], format!("vxlan{}", l["vni"]));
        assert_eq!(l["family"], "v6");
    }
    assert_eq!(text, ARTICLE_MAP);
    assert_eq!(links[2]["ends"][0]["underlay"], "2a01:4f8:241:500b::1");
    assert_eq!(links[2]["ends"][1]["underlay"], "2a01:4f8:241:500c::1");
}

/// The dry-run commands for every article node and both systems equal the
/// reviewed files in `tests/golden/` (`UPDATE_GOLDEN=1` rewrites them).
#[test]
fn article_dry_run_per_node_and_os() {
    let h = article_host();
    let golden = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    for os in ["freebsd", "linux"] {
        for (node, _) in ARTICLE {
            let r = h.ok(&format!(
                "mode=apply vpc_name=vpc1 dryrun=1 os={os} node={node}"
            ));
            let file = golden.join(format!("apply-{os}-{node}.txt"));
            if std::env::var_os("UPDATE_GOLDEN").is_some() {
                std::fs::create_dir_all(&golden).unwrap();
                std::fs::write(&file, &r.stdout).unwrap();
            }
            let expected = std::fs::read_to_string(&file).unwrap_or_default();
            assert_eq!(r.stdout, expected, "{}", file.display());
            // Whatever the golden file says, these must hold.
            let out = &r.stdout;
            let tunnels = out
                .lines()
                .filter(|l| l.contains(" create vxlanid ") || l.contains(" type vxlan "))
                .count();
            assert_eq!(tunnels, 2, "{node} {os}: N-1 tunnels\n{out}");
            match os {
                "freebsd" => {
                    // The members-only rule set, a pf anchor, before any tunnel.
                    assert!(
                        out.starts_with("pfctl -q -a vpc/vpc1 -o none -f - <<'EOF'\n"),
                        "{out}"
                    );
                    assert!(
                        out.contains(
                            "ifconfig bridge create name vpc1 mtu 1430 description vpc-vpc1"
                        ),
                        "{out}"
                    );
                    assert_eq!(out.matches("addm vxlan").count(), 2, "{out}");
                    assert_eq!(out.matches(" private vxlan").count(), 2, "{out}");
                    assert!(
                        out.contains("vxlanlocalport 4789 vxlanremoteport 4789 mtu 1430"),
                        "{out}"
                    );
                }
                _ => {
                    assert!(
                        out.contains("ip link add vpc1 mtu 1430 type bridge"),
                        "{out}"
                    );
                    assert!(out.contains("ip link set dev vpc1 alias vpc-vpc1"), "{out}");
                    assert_eq!(out.matches("isolated on").count(), 2, "{out}");
                    assert!(out.contains("dstport 4789"), "{out}");
                }
            }
        }
    }
    // jhoster1's first tunnel, in full, on both systems.
    let bsd = h
        .ok("mode=init_vxlan vpc_name=vpc1 dryrun=1 os=freebsd")
        .stdout;
    assert!(bsd.contains(
        "ifconfig vxlan1 create vxlanid 1 vxlanlocal 2a05:3580:d800:20f7::1 \
         vxlanremote 2a01:4f8:241:500b::1 vxlanlocalport 4789 vxlanremoteport 4789 mtu 1430 \
         description tunnel-to-gold-hoster-02.hz.fbs.dev"
    ));
    assert!(bsd.contains("ifconfig vxlan1 inet 10.100.0.1/30 alias"));
    assert!(
        !bsd.contains("bridge"),
        "init_vxlan makes no bridge:\n{bsd}"
    );
    let linux = h
        .ok("mode=init_vxlan vpc_name=vpc1 dryrun=1 os=linux node=jhoster1.olevole.ru --json")
        .json();
    let cmds: Vec<&str> = linux["commands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    // The members-only rule set comes before any tunnel.
    assert_eq!(cmds[0], "nft -f - <<'EOF'", "{cmds:?}");
    assert_eq!(linux["changes"][0]["op"], "set_firewall");
    let first = cmds.iter().position(|c| c.starts_with("ip link")).unwrap();
    // No MAC is pinned: the kernel chooses the tunnel's.
    assert!(
        cmds[first].starts_with("ip link add vxlan1 mtu 1430 type vxlan "),
        "{cmds:?}"
    );
    assert!(cmds[first].ends_with(
        "type vxlan id 1 local 2a05:3580:d800:20f7::1 remote 2a01:4f8:241:500b::1 dstport 4789"
    ));
    assert_eq!(linux["changes"][1]["op"], "create_vxlan");
}

#[test]
fn init_bridge_dry_run_takes_bridge_ips_without_storing_them() {
    let h = article_host();
    let before = h.snapshot();
    let r = h.ok("mode=init_bridge vpc_name=vpc1 dryrun=1 os=linux node=jhoster1.olevole.ru bridge_ips=10.10.11.1/24,2001:db8:11::1/64");
    assert!(r.stdout.contains("ip addr add 10.10.11.1/24 dev vpc1"));
    assert!(r.stdout.contains("ip addr add 2001:db8:11::1/64 dev vpc1"));
    assert!(
        r.stderr.contains("vxlan1 does not exist yet"),
        "{}",
        r.stderr
    );
    assert_eq!(h.snapshot(), before);
    let r = h.ok("mode=init_bridge vpc_name=vpc1 dryrun=1 os=freebsd bridge_ips=10.10.11.1/24");
    assert!(
        r.stdout.contains("ifconfig vpc1 inet 10.10.11.1/24 alias"),
        "{}",
        r.stdout
    );
}

fn mtu_of(h: &Host, vpc: &str) -> u64 {
    h.ok(&format!("mode=init_peers vpc_name={vpc} --json"))
        .json()["mtu"]
        .as_u64()
        .unwrap()
}

#[test]
fn mtu_follows_the_underlay() {
    let h = Host::new("mtu");
    h.ok("node mode=init name=a ip4=198.18.0.1 ip6=2001:db8::1");
    h.ok("node mode=add offline=1 name=b node=198.18.0.2");
    h.ok("node mode=add offline=1 name=c node=2001:db8::3 ip4=198.18.0.3");
    h.ok("mode=init vpc_name=v4 node_member=b peer_network=10.101.0.0/24");
    assert_eq!(mtu_of(&h, "v4"), 1450);
    h.ok("mode=init vpc_name=v6 node_member=c peer_network=10.102.0.0/24");
    assert_eq!(mtu_of(&h, "v6"), 1430);
    h.ok("mode=init vpc_name=vl node_member=b peer_network=10.103.0.0/24 vlan=1");
    assert_eq!(mtu_of(&h, "vl"), 1446);
    // b and c meet over IPv4 (b has no IPv6); a and c over IPv6: the worst wins.
    h.ok("mode=init vpc_name=mix node_member=b,c peer_network=10.104.0.0/24");
    assert_eq!(mtu_of(&h, "mix"), 1430);
    h.ok("mode=init vpc_name=jumbo node_member=b peer_network=10.105.0.0/24 underlay_mtu=9000 mtu=8000");
    assert_eq!(mtu_of(&h, "jumbo"), 8000);
    let before = h.snapshot();
    for (args, needle) in [
        ("mtu=1451", "mtu 1451 is not valid: expected 1280 to 1450"),
        ("mtu=1279", "mtu 1279 is not valid: expected 1280 to 1450"),
        ("underlay_mtu=1300", "underlay_mtu 1300 is not valid"),
    ] {
        let r = h.run(&format!(
            "mode=init vpc_name=bad node_member=b peer_network=10.106.0.0/24 {args}"
        ));
        // A value that breaks a rule is a usage error, found late or not.
        assert_eq!(r.code, 2, "{args}: {}", r.stderr);
        assert!(r.stderr.contains(needle), "{args}: {}", r.stderr);
    }
    assert_eq!(h.snapshot(), before);
}

/// A host with nodes a (this one), b, c over IPv4, d over IPv6 only, and
/// VPC `v1` over a, b, c.
fn small_cluster() -> Host {
    let h = Host::new("bad");
    h.ok("node mode=init name=a ip4=198.18.0.1");
    h.ok("node mode=add offline=1 name=b node=198.18.0.2");
    h.ok("node mode=add offline=1 name=c node=198.18.0.3");
    h.ok("node mode=add offline=1 name=d node=2001:db8::4");
    h.ok("mode=init vpc_name=v1 node_member=b,c peer_network=10.100.0.0/24");
    h
}

/// Every bad input: the exit code, words the message must hold, and a
/// state directory byte-identical before and after.
#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let h = small_cluster();
    let spec = h.ok("mode=export vpc_name=v1").stdout;
    let older = spec.replace("\"generation\": 1", "\"generation\": 0");
    let cases: &[(&str, &str, i32, &[&str])] = &[
        (
            "mode=init vpc_name=v2 node_member=b,c peer_network=10.200.0.0/29",
            "",
            1,
            &[
                "peer_network 10.200.0.0/29",
                "holds 2 links of /30",
                "3 are needed for 3 members",
            ],
        ),
        (
            "mode=init vpc_name=v2 node_member=b peer_network=10.200.0.1/24",
            "",
            2,
            &[
                "peer_network \"10.200.0.1/24\"",
                "host bits",
                "10.200.0.0/24",
            ],
        ),
        (
            "mode=init vpc_name=v2 node_member=b peer_network=10.200.0.0/31",
            "",
            1,
            &["peer_network 10.200.0.0/31", "cannot hold one link of /30"],
        ),
        (
            "mode=init vpc_name=v2 node_member=b peer_network=10.200.0.0/32",
            "",
            1,
            &["peer_network 10.200.0.0/32", "/30"],
        ),
        (
            "mode=init vpc_name=v2 node_member=d peer_network=10.200.0.0/24",
            "",
            2,
            &[
                "a (IPv4 only)",
                "d (IPv6 only)",
                "no common underlay family",
            ],
        ),
        (
            "mode=init vpc_name=v2 node_member=b,c peer_network=10.200.0.0/24 vni_base=16777214",
            "",
            1,
            &["vni_base 16777214", "past 16777215"],
        ),
        (
            "mode=init vpc_name=v2 node_member=b peer_network=10.200.0.0/24 vni_base=16777215",
            "",
            2,
            &["vni_base \"16777215\"", "0 to 16777214"],
        ),
        (
            "mode=init vpc_name=v2 node_member=b peer_network=10.200.0.0/24 vni_base=0",
            "",
            1,
            &["VNI range 1..=1 of VPC v2 overlaps VNI range 1..=3 of VPC v1"],
        ),
        (
            "mode=init vpc_name=v2 node_member=b peer_network=10.100.0.128/25",
            "",
            1,
            &[
                "peer_network 10.100.0.128/25 of VPC v2 overlaps peer_network 10.100.0.0/24 of VPC v1",
            ],
        ),
        (
            "mode=init vpc_name=2fast node_member=b peer_network=10.200.0.0/24",
            "",
            2,
            &["vpc_name \"2fast\" is not valid"],
        ),
        (
            "mode=init vpc_name=vpc-1 node_member=b peer_network=10.200.0.0/24",
            "",
            2,
            &["vpc_name \"vpc-1\" is not valid"],
        ),
        (
            "mode=init vpc_name=abcdefghijklmnop node_member=b peer_network=10.200.0.0/24",
            "",
            2,
            &["vpc_name \"abcdefghijklmnop\"", "at most 15 bytes"],
        ),
        (
            "mode=init vpc_name=v2 node_member=b,zz peer_network=10.200.0.0/24",
            "",
            1,
            &["node_member zz is not a known node", "[b, c, d]"],
        ),
        (
            "mode=init vpc_name=v2 node_member=b,c,b peer_network=10.200.0.0/24",
            "",
            1,
            &["node_member lists b twice"],
        ),
        (
            "mode=init vpc_name=v2 node_member=b peer_network=10.200.0.0/24 colour=red",
            "",
            2,
            &["unknown key colour="],
        ),
        (
            "mode=init vpc_name=v2 node_member=b",
            "",
            2,
            &["missing key peer_network="],
        ),
        (
            "mode=init vpc_name=v2 peer_network=10.200.0.0/24",
            "",
            2,
            &["missing key node_member="],
        ),
        (
            "mode=init vpc_name=v2 node_member=b peer_network=10.200.0.0/24 port=0",
            "",
            2,
            &["port \"0\" is not valid"],
        ),
        (
            "mode=init vpc_name=v2 node_member=b peer_network=10.200.0.0/24 link_prefix=29",
            "",
            2,
            &["link_prefix \"29\"", "expected 30 or 31"],
        ),
        (
            "mode=init vpc_name=v2 node_member=b peer_network=10.200.0.0/24 link_prefix=126",
            "",
            2,
            &["link_prefix 126 does not suit peer_network 10.200.0.0/24: expected 30 or 31"],
        ),
        (
            "mode=init vpc_name=v2 node_member=b peer_network=10.200.0.0/24 numbering=random",
            "",
            2,
            &["numbering \"random\""],
        ),
        (
            "mode=init vpc_name=v2 node_member=b peer_network=10.200.0.0/24 max_mem=lots",
            "",
            2,
            &["max_mem \"lots\""],
        ),
        (
            "mode=add_member vpc_name=v1 node=b",
            "",
            1,
            &["node b is already a member of VPC v1"],
        ),
        (
            "mode=add_member vpc_name=v1 node=zz",
            "",
            1,
            &["node zz is not known"],
        ),
        (
            "mode=add_member vpc_name=v1 node=d",
            "",
            2,
            &["no common underlay family"],
        ),
        (
            "mode=remove_member vpc_name=v1 node=d",
            "",
            1,
            &["node d is not a member of VPC v1"],
        ),
        (
            "mode=remove_member vpc_name=v1 node=a",
            "",
            1,
            &["initiator"],
        ),
        (
            "mode=init_peers vpc_name=nope",
            "",
            1,
            &["VPC nope does not exist"],
        ),
        (
            "mode=receive",
            "{\"schema_version\": 1, \"name\": ",
            1,
            &["spec JSON is not valid", "EOF"],
        ),
        ("mode=receive", "not json", 1, &["spec JSON is not valid"]),
        // A spec refused is not applied: the kernel is not reached.
        (
            "mode=receive apply=1",
            &older,
            1,
            &["generation 0 is not newer than the held generation 1"],
        ),
        (
            "mode=receive apply=1",
            "not json",
            1,
            &["spec JSON is not valid"],
        ),
        (
            "mode=receive apply=1 dryrun=1",
            &spec,
            2,
            &["apply=1 goes without dryrun=1"],
        ),
        (
            "mode=receive",
            &older,
            1,
            &["generation 0 is not newer than the held generation 1"],
        ),
        (
            "mode=receive",
            &spec.replace("\"port\": 4789", "\"port\": 4789, \"colour\": 1"),
            1,
            &["unknown field `colour`"],
        ),
        (
            "mode=receive",
            &spec.replace("\"b\"", "\"b/../x\""),
            1,
            &["members[1].node.name", "\"b/../x\""],
        ),
        (
            "mode=receive",
            &spec
                .replace("\"generation\": 1", "\"generation\": 5")
                .replace("\"b\"", "\"c\""),
            1,
            &["members lists c twice"],
        ),
        (
            "mode=receive",
            &spec
                .replace("\"generation\": 1", "\"generation\": 5")
                .replace("10.100.0.0/24", "10.100.0.0/30"),
            1,
            &["peer_network 10.100.0.0/30 holds 1 links of /30; 3 are needed"],
        ),
        (
            "node mode=add offline=1 name=a node=198.18.0.9",
            "",
            1,
            &["this host's own name"],
        ),
        (
            "node mode=add offline=1 name=e node=198.18.0.300",
            "",
            2,
            &["node \"198.18.0.300\""],
        ),
        (
            "node mode=add offline=1 node=198.18.0.9",
            "",
            2,
            &["missing key name="],
        ),
        (
            "node mode=add offline=1 name=e node=198.18.0.9 ip4=198.18.0.10",
            "",
            2,
            &["ip4 198.18.0.9"],
        ),
        (
            "node mode=add name=e node=198.18.0.9",
            "",
            2,
            &["name= goes with offline=1"],
        ),
        ("node mode=remove node=zz", "", 1, &["node zz is not known"]),
        (
            "mode=apply vpc_name=v1 os=linux",
            "",
            2,
            &["os= goes with dryrun=1 only"],
        ),
        (
            "mode=apply vpc_name=v1 dryrun=2",
            "",
            2,
            &["dryrun \"2\"", "0 or 1"],
        ),
        (
            "mode=apply vpc_name=v1 dryrun=1 os=windows",
            "",
            2,
            &["os \"windows\""],
        ),
        (
            "mode=apply vpc_name=v1 dryrun=1 node=d",
            "",
            1,
            &["node d is not a member of VPC v1"],
        ),
        (
            "mode=init_bridge vpc_name=v1 dryrun=1 bridge_ips=10.0.0.1",
            "",
            2,
            &["bridge_ips \"10.0.0.1\""],
        ),
        ("mode=frobnicate", "", 2, &["mode \"frobnicate\""]),
        ("vpc_name=v1", "", 2, &["missing key mode="]),
    ];
    for (args, stdin, code, needles) in cases {
        let before = h.snapshot();
        let argv: Vec<&str> = args.split_whitespace().collect();
        let r = h.run_with(&argv, stdin);
        assert_eq!(r.code, *code, "vpc {args}\nstderr: {}", r.stderr);
        for n in *needles {
            assert!(
                r.stderr.contains(n),
                "vpc {args}: {n:?} missing from\n{}",
                r.stderr
            );
        }
        assert!(
            r.stdout.is_empty(),
            "vpc {args}: printed to stdout on error: {}",
            r.stdout
        );
        assert_eq!(
            h.snapshot(),
            before,
            "vpc {args} changed the state directory"
        );
    }
}

#[test]
fn errors_are_json_with_json() {
    let h = small_cluster();
    let r = h.run("mode=init_peers vpc_name=nope --json");
    assert_eq!(r.code, 1);
    let doc = r.json();
    assert_eq!(doc["error"]["kind"], "not_found");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("VPC nope")
    );
    let r = h.run("mode=init_peers --json");
    assert_eq!(r.code, 2);
    assert_eq!(r.json()["error"]["kind"], "usage");
}

#[test]
fn receive_accepts_only_newer_generations() {
    let a = small_cluster();
    let b = Host::new("receiver");
    b.ok("node mode=init name=b ip4=198.18.0.2");
    let spec = a.ok("mode=export vpc_name=v1").stdout;
    let r = b.run_with(&["mode=receive", "--json"], &spec);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.json()["outcome"], "created");
    assert_eq!(b.ok("mode=export vpc_name=v1").stdout, spec);
    let again = b.run_with(&["mode=receive"], &spec);
    assert_eq!(
        (again.code, again.stdout.as_str()),
        (0, "VPC v1 generation 1: unchanged\n")
    );
    // The initiator changes membership; the member takes the newer spec.
    a.ok("node mode=add offline=1 name=e node=198.18.0.5");
    a.ok("mode=add_member vpc_name=v1 node=e");
    let newer = a.ok("mode=export vpc_name=v1").stdout;
    let r = b.run_with(&["mode=receive"], &newer);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "VPC v1 generation 2: updated\n"),
        "{}",
        r.stderr
    );
    // Replaying the old one now fails and keeps the new one.
    let before = b.snapshot();
    let r = b.run_with(&["mode=receive"], &spec);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr
            .contains("generation 1 is not newer than the held generation 2"),
        "{}",
        r.stderr
    );
    assert_eq!(b.snapshot(), before);
    // A host that is not a member refuses the spec.
    let z = Host::new("stranger");
    z.ok("node mode=init name=z ip4=198.18.0.26");
    let r = z.run_with(&["mode=receive"], &spec);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("node z is not a member of VPC v1"),
        "{}",
        r.stderr
    );
    assert!(
        z.ok("mode=list --json").json()["vpcs"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn membership_changes_keep_other_links() {
    let h = small_cluster();
    h.ok("node mode=add offline=1 name=e node=198.18.0.5");
    let links = |h: &Host| -> Vec<Value> {
        h.ok("mode=init_peers vpc_name=v1 --json").json()["links"]
            .as_array()
            .unwrap()
            .clone()
    };
    let before = links(&h);
    let r = h.ok("mode=remove_member vpc_name=v1 node=b");
    assert!(
        r.stdout.contains("node b removed from VPC v1"),
        "{}",
        r.stdout
    );
    let after = links(&h);
    // Only the link a-c survives, exactly as it was.
    assert_eq!(after, vec![before[1].clone()]);
    h.ok("mode=add_member vpc_name=v1 node=e");
    let readded = links(&h);
    assert_eq!(readded.len(), 3);
    assert_eq!(readded[1], before[1]);
    // e took b's slot, so it has b's VNIs and addresses.
    assert_eq!(readded[0]["vni"], before[0]["vni"]);
    assert_eq!(readded[0]["ends"][1]["node"], "e");
    assert_eq!(
        readded[0]["ends"][1]["link_addr"],
        before[0]["ends"][1]["link_addr"]
    );
    let spec = h.ok("mode=export vpc_name=v1 --json").json();
    assert_eq!(spec["generation"], 3);
}

#[test]
fn cbsd_numbering_warns_on_membership_change() {
    let h = Host::new("cbsd");
    h.ok("node mode=init name=a ip4=198.18.0.1");
    for (n, ip) in [("b", 2), ("c", 3)] {
        h.ok(&format!(
            "node mode=add offline=1 name={n} node=198.18.0.{ip}"
        ));
    }
    h.ok("mode=init vpc_name=v1 node_member=b,c peer_network=10.100.0.0/24 numbering=cbsd");
    let r = h.ok("mode=remove_member vpc_name=v1 node=b");
    assert!(
        r.stderr.contains("numbering=cbsd") && r.stderr.contains("renumbered"),
        "{}",
        r.stderr
    );
    // CBSD renumbers: the a-c link is now VNI 1.
    let doc = h.ok("mode=init_peers vpc_name=v1 --json").json();
    assert_eq!(doc["links"][0]["vni"], 1);
    assert_eq!(doc["links"][0]["ends"][1]["node"], "c");
}

#[test]
fn commands_are_idempotent() {
    let h = small_cluster();
    let before = h.snapshot();
    let r = h.ok("node mode=add offline=1 name=b node=198.18.0.2");
    assert!(r.stdout.contains("unchanged"), "{}", r.stdout);
    let r = h.ok("node mode=init name=a ip4=198.18.0.1");
    assert!(r.stdout.contains("unchanged"), "{}", r.stdout);
    let r = h.ok("mode=init vpc_name=v1 node_member=b,c peer_network=10.100.0.0/24 --json");
    assert_eq!(r.json()["outcome"], "unchanged");
    assert_eq!(h.snapshot(), before);
    let r = h.run("mode=init vpc_name=v1 node_member=b peer_network=10.100.0.0/24");
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("already exists with another definition"),
        "{}",
        r.stderr
    );
    // Another address for a recorded name is refused (it was "updated"
    // before the pinning rule); replace=1 replaces it and says what it held.
    let before = h.snapshot();
    let r = h.run("node mode=add offline=1 name=b node=198.18.0.22 --json");
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.json()["error"]["kind"], "conflict");
    assert!(
        r.stderr.contains("198.18.0.2") && r.stderr.contains("replace=1"),
        "{}",
        r.stderr
    );
    assert_eq!(h.snapshot(), before);
    let r = h.ok("node mode=add offline=1 name=b node=198.18.0.22 replace=1 --json");
    assert_eq!(r.json()["outcome"], "updated");
    assert_eq!(r.json()["replaced"]["ip4"], "198.18.0.2");
    let r = h.ok("node mode=add offline=1 name=b node=198.18.0.2 replace=1");
    assert!(
        r.stdout.contains("replaced: ip4 198.18.0.22"),
        "{}",
        r.stdout
    );
}

#[test]
fn list_remove_and_node_list() {
    let h = small_cluster();
    let doc = h.ok("node mode=list --json").json();
    assert_eq!(doc["this"]["name"], "a");
    let names: Vec<&str> = doc["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["b", "c", "d"]);
    let text = h.ok("node mode=list").stdout;
    assert!(
        text.lines().nth(1).unwrap().starts_with("a (this host)"),
        "{text}"
    );
    let list = h.ok("mode=list").stdout;
    assert_eq!(
        list,
        "VPC v1 generation 1: 3 members, 3 links, VNIs 1-3, MTU 1450, peer_network 10.100.0.0/24\n"
    );
    let one = h.ok("mode=list vpc_name=v1").stdout;
    assert!(one.contains("slot 1: b ip4 198.18.0.2"), "{one}");
    h.ok("mode=remove vpc_name=v1");
    assert_eq!(
        h.ok("mode=list --json").json()["vpcs"],
        serde_json::json!([])
    );
    let r = h.run("mode=remove vpc_name=v1");
    assert_eq!(r.code, 1);
    h.ok("node mode=remove node=d");
    assert_eq!(
        h.ok("node mode=list --json").json()["nodes"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn help_for_every_mode() {
    let h = Host::new("help");
    let general = h.ok("--help").stdout;
    for mode in [
        "init",
        "init_peers",
        "list",
        "remove",
        "add_member",
        "remove_member",
        "export",
        "receive",
        "apply",
        "init_vxlan",
        "init_bridge",
    ] {
        assert!(
            general.contains(&format!("mode={mode} ")),
            "{mode} missing from --help"
        );
        let r = h.ok(&format!("mode={mode} --help"));
        assert!(
            r.stdout.starts_with(&format!("vpc mode={mode}: ")),
            "{}",
            r.stdout
        );
        assert!(r.stdout.contains("example:"));
    }
    for mode in ["init", "add", "remove", "list"] {
        let r = h.ok(&format!("node mode={mode} --help"));
        assert!(
            r.stdout.starts_with(&format!("vpc node mode={mode}: ")),
            "{}",
            r.stdout
        );
    }
    assert!(h.ok("node --help").stdout.contains("mode=add"));
    // Help writes nothing to the state directory (rc/ is the test's).
    assert_eq!(h.snapshot().len(), 1, "{:?}", h.snapshot().keys());
}

#[test]
fn json_is_honoured_wherever_it_appears() {
    let h = small_cluster();
    // Before the node group word.
    let doc = h.ok("--json node mode=list").json();
    assert_eq!(doc["this"]["name"], "a");
    assert_eq!(doc["version"], 1);
    // With --help: the help text in a document.
    let doc = h.ok("mode=apply --help --json").json();
    assert!(
        doc["help"].as_str().unwrap().contains("vpc mode=apply:"),
        "{doc}"
    );
    // Beside a word that is not UTF-8: a usage error, as JSON.
    use std::os::unix::ffi::OsStrExt;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vpc"))
        .env("VPC_STATE_DIR", &h.dir)
        .arg("--json")
        .arg(std::ffi::OsStr::from_bytes(b"vpc_name=\xff"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["error"]["kind"], "usage");
    assert!(
        doc["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not valid UTF-8"),
        "{doc}"
    );
}

#[test]
fn a_huge_value_is_cut_in_messages() {
    let h = small_cluster();
    let before = h.snapshot();
    let huge = "x".repeat(100_000);
    let r = h.run_with(&["mode=init_peers", &format!("vpc_name={huge}")], "");
    assert_eq!(r.code, 2, "{}", &r.stderr[..200.min(r.stderr.len())]);
    assert!(r.stderr.len() < 2_000, "{} bytes of stderr", r.stderr.len());
    assert!(r.stderr.contains("bytes cut]"), "{}", r.stderr);
    assert!(r.stderr.contains("vpc_name \"xxx"), "{}", r.stderr);
    assert_eq!(h.snapshot(), before);
}

#[test]
fn member_settings_are_set_on_the_initiator_and_refused_elsewhere() {
    let a = small_cluster();
    let b = Host::new("member");
    b.ok("node mode=init name=b ip4=198.18.0.2");
    let r = a.ok("mode=set_member vpc_name=v1 node=b bridge_ips=10.10.11.2/24");
    assert!(
        r.stdout
            .starts_with("member b of VPC v1 updated\nVPC v1 generation 2:"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("next: vpc mode=sync vpc_name=v1"));
    let r = a.ok("mode=set_member vpc_name=v1 node=b bridge_ips=10.10.11.2/24 --json");
    assert_eq!(r.json()["outcome"], "unchanged");
    let spec = a.ok("mode=export vpc_name=v1").stdout;
    assert_eq!(b.run_with(&["mode=receive"], &spec).code, 0);
    let shown = b.ok("mode=list vpc_name=v1").stdout;
    assert!(
        shown.contains("b ip4 198.18.0.2 ip6 - bridge_ips 10.10.11.2/24"),
        "{shown}"
    );
    // The member holds a copy: every change of it is refused, naming the
    // command to run on the initiator.
    let before = b.snapshot();
    for (args, instead) in [
        (
            "mode=set_member vpc_name=v1 node=b bridge_ips=10.10.11.3/24",
            "vpc mode=set_member vpc_name=v1 node=b bridge_ips=10.10.11.3/24",
        ),
        (
            "mode=init_bridge vpc_name=v1 bridge_ips=10.10.11.3/24",
            "vpc mode=set_member vpc_name=v1 node=b bridge_ips=10.10.11.3/24",
        ),
        (
            "mode=init_bridge vpc_name=v1 bridge_ips=0 dryrun=1",
            "vpc mode=set_member vpc_name=v1 node=b bridge_ips=0",
        ),
        (
            "mode=remove_member vpc_name=v1 node=b",
            "vpc mode=remove_member vpc_name=v1 node=b",
        ),
    ] {
        let r = b.run(args);
        assert_eq!(r.code, 1, "{args}: {}", r.stderr);
        let want = format!(
            "VPC v1 is defined on a (its initiator); this host only receives it: run there \
             `{instead}`, then `vpc mode=sync vpc_name=v1`"
        );
        assert!(r.stderr.contains(&want), "{args}: {}", r.stderr);
    }
    assert_eq!(b.snapshot(), before);
}
