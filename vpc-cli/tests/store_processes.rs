//! The state directory under real processes: many `vpc` processes writing
//! at once lose no update, and a writer killed at any moment leaves a
//! store that loads, holding the old version or the new one.
//!
//! Every test works in a state directory of its own under the system
//! temporary directory, removed when the test ends (also when it fails).

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

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::Value;

// ---------------------------------------------------------------- helpers

/// A state directory of its own, removed on drop.
struct StateDir(PathBuf);

impl StateDir {
    fn new(label: &str) -> StateDir {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "vpc-cli-store-{label}-{}-{}-{}",
            std::process::id(),
            now_nanos(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        StateDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn command(&self, args: &str) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vpc"));
        cmd.args(args.split_whitespace())
            .env("VPC_STATE_DIR", &self.0)
            .stdin(Stdio::null());
        cmd
    }

    /// Runs `vpc ARGS` to completion.
    fn run(&self, args: &str) -> Output {
        self.command(args)
            .output()
            .unwrap_or_else(|e| panic!("vpc {args}: {e}"))
    }

    /// Runs `vpc ARGS`, which must succeed; its stdout.
    fn ok(&self, args: &str) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "vpc {args}: {}\nstdout: {}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs `vpc ARGS`, which must succeed and print one JSON document.
    fn json(&self, args: &str) -> Value {
        let text = self.ok(args);
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("vpc {args}: stdout is not JSON ({e}):\n{text}"))
    }

    /// Starts `vpc ARGS` with its output discarded.
    fn spawn(&self, args: &str) -> Child {
        self.command(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn vpc {args}: {e}"))
    }
}

impl Drop for StateDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

/// Waits for a spawned process, which must have exited 0.
fn wait_ok(child: Child, what: &str) {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{what}: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Temporary files (`.NAME.PID.N.tmp`) anywhere in the store.
fn temp_files(root: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                walk(&path, out);
            } else {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with('.') && name.ends_with(".tmp") {
                    out.push(path);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(root, &mut out);
    out
}

/// xorshift64*: enough randomness for delays, with no dependency.
struct Rng(u64);

impl Rng {
    fn seeded() -> Rng {
        let seed = std::env::var("VPC_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| now_nanos() ^ u64::from(std::process::id()));
        eprintln!("random seed {seed} (set VPC_TEST_SEED={seed} to repeat)");
        Rng(seed | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `vpc node mode=list --json` as name → IPv4 address.
fn node_list(state: &StateDir) -> (Value, BTreeMap<String, String>) {
    let doc = state.json("node mode=list --json");
    let nodes = doc["nodes"]
        .as_array()
        .unwrap_or_else(|| panic!("node mode=list --json has no nodes array: {doc}"));
    let mut map = BTreeMap::new();
    for n in nodes {
        let name = n["name"].as_str().unwrap().to_owned();
        let ip4 = n["ip4"].as_str().unwrap_or("-").to_owned();
        assert!(
            map.insert(name.clone(), ip4).is_none(),
            "{name} listed twice"
        );
    }
    (doc, map)
}

/// The exported spec's generation and the names of its members.
fn exported(state: &StateDir, vpc: &str) -> (u64, Vec<String>) {
    let args = format!("mode=export vpc_name={vpc}");
    let text = state.ok(&args);
    let spec: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("vpc {args}: not JSON ({e}):\n{text}"));
    let generation = spec["generation"]
        .as_u64()
        .unwrap_or_else(|| panic!("vpc {args}: no generation:\n{text}"));
    let members = spec["members"]
        .as_array()
        .unwrap_or_else(|| panic!("vpc {args}: no members:\n{text}"))
        .iter()
        .filter(|m| !m.is_null())
        .map(|m| m["node"]["name"].as_str().unwrap().to_owned())
        .collect();
    (generation, members)
}

// ---------------------------------------------------------------- tests

#[test]
fn a_hundred_concurrent_node_adds_lose_nothing() {
    let started = Instant::now();
    let state = StateDir::new("nodeadd");
    let expected: BTreeMap<String, String> = (0..100)
        .map(|i| {
            (
                format!("h{i:02}"),
                format!("198.18.{}.{}", i / 50 + 1, i % 50 + 1),
            )
        })
        .collect();
    // Two batches of 50, all 100 started before any is waited for.
    let mut children = Vec::new();
    for (name, addr) in &expected {
        let args = format!("node mode=add offline=1 name={name} node={addr}");
        children.push((state.spawn(&args), args));
    }
    for (child, args) in children {
        wait_ok(child, &args);
    }

    let (doc, listed) = node_list(&state);
    assert_eq!(listed.len(), 100, "{doc}");
    assert_eq!(listed, expected);
    assert!(doc["this"].is_null(), "{doc}");
    assert_eq!(temp_files(state.path()), Vec::<PathBuf>::new());

    // A second wave of the same adds changes nothing.
    let mut children = Vec::new();
    for (name, addr) in &expected {
        let args = format!("node mode=add offline=1 name={name} node={addr} --json");
        let child = state
            .command(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        children.push((child, args));
    }
    for (child, args) in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{args}: {}", out.status);
        let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(doc["outcome"], "unchanged", "{args}: {doc}");
    }
    assert_eq!(node_list(&state).1, expected);
    eprintln!(
        "a_hundred_concurrent_node_adds_lose_nothing: {:?}",
        started.elapsed()
    );
}

#[test]
fn concurrent_member_adds_to_one_vpc_lose_nothing() {
    let started = Instant::now();
    let state = StateDir::new("members");
    state.ok("node mode=init name=self ip4=198.18.0.1");
    let names: Vec<String> = (0..20).map(|i| format!("n{i:02}")).collect();
    for (i, name) in names.iter().enumerate() {
        state.ok(&format!(
            "node mode=add offline=1 name={name} node=198.18.1.{}",
            i + 1
        ));
    }

    // This host is the initiator and always slot 0: naming it in
    // node_member as well changes nothing.
    state.ok("mode=init vpc_name=v1 node_member=self,n00 peer_network=10.100.0.0/16");
    let (generation, members) = exported(&state, "v1");
    assert_eq!(generation, 1);
    assert_eq!(members, ["self", "n00"]);

    // 19 add_member processes at once.
    let children: Vec<(Child, String)> = names[1..]
        .iter()
        .map(|n| {
            let args = format!("mode=add_member vpc_name=v1 node={n}");
            (state.spawn(&args), args)
        })
        .collect();
    for (child, args) in children {
        wait_ok(child, &args);
    }

    let (generation, members) = exported(&state, "v1");
    assert_eq!(generation, 1 + 19, "an update was lost");
    assert_eq!(members.len(), 21, "{members:?}");
    assert_eq!(members[0], "self");
    let mut others = members[1..].to_vec();
    others.sort();
    assert_eq!(others, names);
    let list = state.json("mode=list --json");
    assert_eq!(list["vpcs"][0]["generation"], 20, "{list}");
    assert_eq!(list["vpcs"][0]["members"].as_array().unwrap().len(), 21);
    assert_eq!(temp_files(state.path()), Vec::<PathBuf>::new());

    // node_member=all works too, on a store of its own.
    let other = StateDir::new("members-all");
    other.ok("node mode=init name=self ip4=198.18.0.1");
    other.ok("node mode=add offline=1 name=b node=198.18.0.3");
    other.ok("node mode=add offline=1 name=a node=198.18.0.2");
    other.ok("mode=init vpc_name=v1 node_member=all peer_network=10.100.0.0/24");
    assert_eq!(
        exported(&other, "v1"),
        (1, vec!["self".into(), "a".into(), "b".into()])
    );
    eprintln!(
        "concurrent_member_adds_to_one_vpc_lose_nothing: {:?}",
        started.elapsed()
    );
}

#[test]
fn a_killed_writer_leaves_the_old_or_the_new_version() {
    const ROUNDS: u64 = 90;
    let started = Instant::now();
    let state = StateDir::new("crash");
    let mut rng = Rng::seeded();
    state.ok("node mode=init name=self ip4=198.18.0.1");
    state.ok("node mode=add offline=1 name=n00 node=198.18.1.1");
    state.ok("node mode=add offline=1 name=n01 node=198.18.1.2");
    state.ok("node mode=add offline=1 name=n02 node=198.18.2.1");
    state.ok("mode=init vpc_name=v1 node_member=n00 peer_network=10.100.0.0/24");

    let (mut generation, mut members) = exported(&state, "v1");
    let mut n02_addr = "198.18.2.1".to_owned();
    let (mut committed, mut lost, mut leftovers_seen) = (0, 0, 0);
    for round in 0..ROUNDS {
        let delay = Duration::from_micros(rng.below(3000));
        if round % 3 == 2 {
            // A node record rewritten with a new address (replace=1: a
            // recorded name is pinned to its address).
            let new_addr = format!("198.18.2.{}", round % 250 + 2);
            let mut child = state.spawn(&format!(
                "node mode=add offline=1 name=n02 node={new_addr} replace=1"
            ));
            std::thread::sleep(delay);
            let _ = child.kill();
            let _ = child.wait();
            let (doc, listed) = node_list(&state);
            let now = listed
                .get("n02")
                .unwrap_or_else(|| panic!("round {round}: n02 vanished: {doc}"));
            assert!(
                *now == n02_addr || *now == new_addr,
                "round {round}: n02 has {now}, expected {n02_addr} or {new_addr}"
            );
            if *now == new_addr {
                committed += 1;
            } else {
                lost += 1;
            }
            n02_addr = now.clone();
            assert_eq!(listed.len(), 3, "round {round}: {doc}");
        } else {
            // Toggle n01's membership.
            let present = members.iter().any(|m| m == "n01");
            let mode = if present {
                "remove_member"
            } else {
                "add_member"
            };
            let mut child = state.spawn(&format!("mode={mode} vpc_name=v1 node=n01"));
            std::thread::sleep(delay);
            let _ = child.kill();
            let _ = child.wait();
            let (now, now_members) = exported(&state, "v1");
            let now_present = now_members.iter().any(|m| m == "n01");
            if now == generation {
                assert_eq!(
                    now_members, members,
                    "round {round}: same generation, other members"
                );
                lost += 1;
            } else {
                assert_eq!(
                    now,
                    generation + 1,
                    "round {round}: generation {now} after {generation}"
                );
                assert_ne!(now_present, present, "round {round}: {mode} did not toggle");
                committed += 1;
            }
            generation = now;
            members = now_members;
        }
        // Whatever happened, the whole store loads.
        let list = state.json("mode=list --json");
        assert_eq!(
            list["vpcs"][0]["generation"], generation,
            "round {round}: {list}"
        );
        assert_eq!(node_list(&state).1.len(), 3, "round {round}");
        if !temp_files(state.path()).is_empty() {
            leftovers_seen += 1;
        }
    }
    eprintln!(
        "{ROUNDS} kills: {committed} writes committed, {lost} not; \
         temporary files seen after {leftovers_seen} kills"
    );

    // One more successful mutation sweeps any leftover temporary file.
    let present = members.iter().any(|m| m == "n01");
    let mode = if present {
        "remove_member"
    } else {
        "add_member"
    };
    state.ok(&format!("mode={mode} vpc_name=v1 node=n01"));
    assert_eq!(exported(&state, "v1").0, generation + 1);
    assert_eq!(temp_files(state.path()), Vec::<PathBuf>::new());
    eprintln!(
        "a_killed_writer_leaves_the_old_or_the_new_version: {:?}",
        started.elapsed()
    );
}

#[test]
fn stale_temporary_files_from_a_killed_writer_are_ignored_then_swept() {
    let state = StateDir::new("staletmp");
    state.ok("node mode=init name=self ip4=198.18.0.1");
    state.ok("node mode=add offline=1 name=n00 node=198.18.1.1");
    state.ok("mode=init vpc_name=v1 node_member=all peer_network=10.100.0.0/24");
    let spec_before = state.ok("mode=export vpc_name=v1");
    let leftovers = [
        "vpcs/.v1.json.123.0.tmp",
        "nodes/.n00.json.123.1.tmp",
        ".node.json.123.2.tmp",
    ];
    for rel in leftovers {
        fs::write(state.path().join(rel), "{\"schema_version\": 1, \"na").unwrap();
    }
    assert_eq!(state.ok("mode=export vpc_name=v1"), spec_before);
    assert_eq!(state.json("mode=list --json")["vpcs"][0]["generation"], 1);
    assert_eq!(node_list(&state).1.len(), 1);
    assert_eq!(temp_files(state.path()).len(), leftovers.len());
    state.ok("node mode=add offline=1 name=n01 node=198.18.1.2");
    assert_eq!(temp_files(state.path()), Vec::<PathBuf>::new());
}
