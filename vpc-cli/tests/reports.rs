//! Every large report, byte for byte as `vpc` printed it before the
//! reports were streamed (golden files written by that build): the peer
//! map as text and JSON, the spec, the VPC with its spec, and the dry
//! runs, for VPCs of several shapes (IPv6 and IPv4 underlays, /31 and
//! /127 links, both numberings with a vacant slot, an encrypted VPC with
//! a member nobody can reach, odd and longest names, 100 members).
//!
//! `UPDATE_GOLDEN=1` rewrites the files; `VPC_GOLDEN_BIN=PATH` runs
//! another `vpc` binary instead of this one (how they were first made).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A state directory of its own, removed on drop.
struct Dir(PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn vpc() -> PathBuf {
    std::env::var_os("VPC_GOLDEN_BIN")
        .map_or_else(|| env!("CARGO_BIN_EXE_vpc").into(), PathBuf::from)
}

/// Runs `vpc` with `args` (split on spaces) in `dir`; its stdout.
fn run(dir: &Path, args: &str) -> Vec<u8> {
    let out = Command::new(vpc())
        .args(args.split(' '))
        .env("VPC_STATE_DIR", dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "vpc {args}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A host holding VPC `v`, made by `setup`.
fn host(tag: &str, setup: &[String]) -> Dir {
    let dir = Dir(std::env::temp_dir().join(format!("vpc-reports-{tag}-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0).unwrap();
    for args in setup {
        run(&dir.0, args);
    }
    dir
}

fn golden(name: &str, got: &[u8]) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/reports")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, got).unwrap();
        return;
    }
    let want = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        got == want.as_slice(),
        "{name} differs from {} ({} bytes, {} expected); first difference at byte {}",
        path.display(),
        got.len(),
        want.len(),
        got.iter()
            .zip(&want)
            .position(|(a, b)| a != b)
            .unwrap_or(got.len().min(want.len()))
    );
}

/// Every large report of VPC `v` on the host made by `setup`, against
/// the golden files `<tag>-*`.
fn check(tag: &str, setup: &[String]) {
    let h = host(tag, setup);
    // An encrypted VPC's spec names the key its initiator made (random):
    // it reads as KEY in the golden files.
    let key = setup
        .iter()
        .any(|a| a.contains("encrypt=wireguard"))
        .then(|| run(&h.0, "mode=wg_key vpc_name=v"))
        .map(|k| String::from_utf8(k).unwrap().trim().to_owned());
    for (what, args) in [
        ("peers.txt", "mode=init_peers vpc_name=v"),
        ("peers.json", "mode=init_peers vpc_name=v --json"),
        ("export.json", "mode=export vpc_name=v"),
        ("export-json.json", "mode=export vpc_name=v --json"),
        ("list.txt", "mode=list vpc_name=v"),
        ("list.json", "mode=list vpc_name=v --json"),
        ("list-all.txt", "mode=list"),
        (
            "dryrun-linux.txt",
            "mode=apply vpc_name=v dryrun=1 os=linux",
        ),
        (
            "dryrun-linux.json",
            "mode=apply vpc_name=v dryrun=1 os=linux --json",
        ),
        (
            "dryrun-freebsd.txt",
            "mode=apply vpc_name=v dryrun=1 os=freebsd",
        ),
        (
            "teardown.json",
            "mode=teardown vpc_name=v dryrun=1 os=linux --json",
        ),
    ] {
        let mut got = run(&h.0, args);
        if let Some(key) = &key {
            got = String::from_utf8(got)
                .unwrap()
                .replace(key, "KEY")
                .into_bytes();
        }
        golden(&format!("{tag}-{what}"), &got);
    }
}

fn words(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn the_articles_vpc() {
    check(
        "article",
        &words(&[
            "node mode=init name=jhoster1.olevole.ru ip6=2a05:3580:d800:20f7::1",
            "node mode=add offline=1 name=gold-hoster1.prod.inf.hz.fbs.dev node=2a01:4f8:241:500c::1",
            "node mode=add offline=1 name=gold-hoster-02.hz.fbs.dev node=2a01:4f8:241:500b::1",
            "mode=init vpc_name=v node_member=all peer_network=10.100.0.0/24",
        ]),
    );
}

#[test]
fn ipv4_slash_31_cbsd_numbering_with_a_vacant_slot() {
    let mut setup = words(&["node mode=init name=n0 ip4=198.18.0.1"]);
    for i in 1..11 {
        setup.push(format!(
            "node mode=add offline=1 name=n{i} node=198.18.0.{}",
            i + 1
        ));
    }
    setup.push(
        "mode=init vpc_name=v node_member=all peer_network=10.10.0.0/24 link_prefix=31 \
         numbering=cbsd vni_base=7000 port=8472 mtu=1400"
            .into(),
    );
    setup.push("mode=remove_member vpc_name=v node=n4".into());
    check("cbsd31", &setup);
}

#[test]
fn an_encrypted_vpc_with_a_member_nobody_reaches() {
    check(
        "encrypted",
        &words(&[
            "node mode=init name=a ip4=198.18.0.1 ip6=2001:db8::1",
            "node mode=add offline=1 name=b node=198.18.0.2",
            "node mode=add offline=1 name=c node=2001:db8::3 ip4=198.18.0.3",
            "node mode=add offline=1 name=hidden node=198.18.0.4 inbound=0",
            "mode=init vpc_name=v node_member=all peer_network=10.20.0.0/24 encrypt=wireguard",
        ]),
    );
}

#[test]
fn odd_and_longest_names_over_ipv6_links_with_a_vacant_slot() {
    let longest = format!("l{}", "o".repeat(vpc_core::model::name::NODE_NAME_MAX - 1));
    check(
        "names",
        &[
            "node mode=init name=0 ip6=2001:db8::1".to_owned(),
            "node mode=add offline=1 name=A.B-C_d node=2001:db8::2".to_owned(),
            format!("node mode=add offline=1 name={longest} node=2001:db8::3"),
            "node mode=add offline=1 name=x_-.9 node=2001:db8::4".to_owned(),
            "node mode=add offline=1 name=gone node=2001:db8::5".to_owned(),
            "mode=init vpc_name=v node_member=all peer_network=fd00:1::/64 link_prefix=127"
                .to_owned(),
            "mode=remove_member vpc_name=v node=A.B-C_d".to_owned(),
        ],
    );
}

#[test]
fn thirty_members() {
    let mut setup = words(&["node mode=init name=m000 ip4=198.18.1.1"]);
    for i in 1..30 {
        setup.push(format!(
            "node mode=add offline=1 name=m{i:03} node=198.18.1.{}",
            i + 1
        ));
    }
    setup.push("mode=init vpc_name=v node_member=all peer_network=10.30.0.0/16".into());
    check("thirty", &setup);
}
