//! The Linux codec on the kernel's own bytes: the dumps committed as the
//! fuzzer's seeds (`fuzz/corpus/netlink_reply/`) are read as the backend's
//! `observe` reads them (each dump's datagrams through `frame::Dump`, its
//! entries sorted by kind, the three dumps decoded together) and the
//! observed state is compared with `tests/golden/netlink/<set>.json`.
//! `VPC_BLESS=1` rewrites the JSON; review the diff before committing it.

#![cfg(target_os = "linux")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::fs;
use std::path::{Path, PathBuf};

use vpc_core::backend::linux::codec::{self, frame};
use vpc_core::plan::Observed;

/// The answers of one `observe`: a link, an address and a neighbour dump,
/// each the concatenation of the datagrams it came in.
struct Set {
    /// The golden file's name.
    name: &'static str,
    links: &'static str,
    addresses: &'static str,
    neighbours: &'static str,
}

const SETS: &[Set] = &[
    // One node of a two-peer VPC over IPv6, with a guest veth on the bridge.
    Set {
        name: "observe",
        links: "link_dump",
        addresses: "address_dump",
        neighbours: "neighbour_dump",
    },
    // Captured in a network namespace (198.18.0.0/15): a bridge over an
    // IPv4 underlay with two vxlans, one port isolated, a guest veth.
    Set {
        name: "netns_ipv4",
        links: "netns_ipv4_link_dump",
        addresses: "netns_ipv4_address_dump",
        neighbours: "netns_ipv4_neighbour_dump",
    },
];

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/netlink_reply")
}

/// A dump's entries: its answer read as `sys.rs` reads it, datagram bytes
/// through [`frame::Dump`], for the sequence number its messages carry.
fn dump(dir: &Path, file: &str) -> Vec<netlink_packet_route::RouteNetlinkMessage> {
    let path = dir.join(file);
    let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let seq = frame::frames(&bytes)
        .next()
        .unwrap_or_else(|| panic!("{file} is empty"))
        .unwrap_or_else(|e| panic!("{file}: {e}"))
        .seq();
    let mut dump = frame::Dump::new(seq);
    let done = dump.read(&bytes).unwrap_or_else(|e| panic!("{file}: {e}"));
    assert!(
        done,
        "{file} does not end its dump (NLMSG_DONE of seq {seq})"
    );
    dump.into_entries()
}

fn observe(dir: &Path, set: &Set) -> Observed {
    let links = codec::links(dump(dir, set.links));
    let addrs = codec::addresses(dump(dir, set.addresses));
    let neighbours = codec::neighbours(dump(dir, set.neighbours));
    codec::decode(&links, &addrs, &neighbours).unwrap_or_else(|e| panic!("{}: {e}", set.name))
}

#[test]
fn kernel_dumps_decode_to_the_golden_observed_state() {
    let dir = corpus();
    let golden = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/netlink");
    let bless = std::env::var_os("VPC_BLESS").is_some();
    for set in SETS {
        let observed = observe(&dir, set);
        let got = serde_json::to_string_pretty(&observed).unwrap() + "\n";
        let path = golden.join(format!("{}.json", set.name));
        if bless {
            fs::create_dir_all(&golden).unwrap();
            fs::write(&path, &got).unwrap();
        }
        let expected = fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (VPC_BLESS=1 writes it)", path.display()));
        assert_eq!(got, expected, "{}: observed state differs", set.name);
        // The golden JSON is what the planner reads back.
        let back: Observed = serde_json::from_str(&expected).unwrap();
        assert_eq!(back, observed, "{}: JSON does not read back", set.name);
    }
}

/// Every seed, dump or not, is well-formed kernel framing: the fuzzer starts
/// from valid answers.
#[test]
fn every_seed_frames_cleanly() {
    let dir = corpus();
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 4, "seeds are missing from {}", dir.display());
    for path in files {
        let bytes = fs::read(&path).unwrap();
        let replies = frame::replies(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!replies.is_empty(), "{} is empty", path.display());
    }
    // Each set's files are among them.
    for set in SETS {
        for file in [set.links, set.addresses, set.neighbours] {
            assert!(
                dir.join(file).is_file(),
                "{file} of {} is missing",
                set.name
            );
        }
    }
}
