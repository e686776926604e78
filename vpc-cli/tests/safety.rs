//! The state directory is safe by construction, seen from the `vpc`
//! binary: its modes do not depend on the umask, a link inside it is
//! refused, and a change waits for another process's lock only as long as
//! `lock_timeout=` says, naming the holder.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    unreachable_pub,
    reason = "a test fails by panicking; helpers are pub for this test crate only"
)]

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use common::Host;

/// Runs `vpc args` with `state` as the state directory under `umask 000`,
/// set in the child's shell: the test process keeps its own umask.
fn vpc_with_umask_000(state: &Path, args: &str) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg(format!("umask 000; exec \"$0\" {args}"))
        .arg(env!("CARGO_BIN_EXE_vpc"))
        .env("VPC_STATE_DIR", state)
        .output()
        .unwrap()
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

#[test]
fn umask_000_still_gives_0700_directories_and_0600_files() {
    let h = Host::new("umask");
    let state = h.dir.join("state");
    for args in [
        "node mode=init name=a ip4=198.18.0.1",
        "node mode=add offline=1 name=b node=198.18.0.2",
        "mode=init vpc_name=v1 node_member=b peer_network=10.100.0.0/24",
    ] {
        let out = vpc_with_umask_000(&state, args);
        assert!(
            out.status.success(),
            "{args}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let mut seen = 0;
    let mut walk = vec![state.clone()];
    while let Some(dir) = walk.pop() {
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk.push(path);
            } else {
                assert_eq!(mode(&path), 0o600, "{}", path.display());
                seen += 1;
            }
        }
    }
    // node.json, .lock, nodes/b.json, vpcs/v1.json.
    assert_eq!(seen, 4);
}

#[test]
fn a_symlinked_vpcs_directory_or_node_json_is_refused_naming_it() {
    let h = Host::new("links");
    h.ok("node mode=init name=a ip4=198.18.0.1");
    h.ok("node mode=add offline=1 name=b node=198.18.0.2");
    h.ok("mode=init vpc_name=v1 node_member=b peer_network=10.100.0.0/24");

    let elsewhere = h.dir.join("rc").join("elsewhere");
    std::fs::rename(h.dir.join("vpcs"), &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, h.dir.join("vpcs")).unwrap();
    let held = std::fs::read(elsewhere.join("v1.json")).unwrap();
    for args in [
        "mode=list",
        "mode=init vpc_name=v2 node_member=b peer_network=10.200.0.0/24",
    ] {
        let r = h.run(args);
        assert_eq!(r.code, 1, "{args}: {r:?}");
        assert!(
            r.stderr.contains(&h.dir.join("vpcs").display().to_string())
                && r.stderr.contains("symbolic link"),
            "{args}: {}",
            r.stderr
        );
    }
    let files: Vec<_> = std::fs::read_dir(&elsewhere)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(files, ["v1.json"], "the link's target was written to");
    assert_eq!(std::fs::read(elsewhere.join("v1.json")).unwrap(), held);

    let target = h.dir.join("rc").join("node.json");
    std::fs::rename(h.dir.join("node.json"), &target).unwrap();
    std::os::unix::fs::symlink(&target, h.dir.join("node.json")).unwrap();
    let held = std::fs::read(&target).unwrap();
    let r = h.run("node mode=init name=a ip4=198.18.0.9 --json");
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.json()["error"]["kind"], "corrupt");
    assert!(
        r.stderr
            .contains(&h.dir.join("node.json").display().to_string()),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(&target).unwrap(), held);
}

#[test]
fn a_symlinked_lock_is_refused() {
    let h = Host::new("link-lock");
    let target = h.dir.join("rc").join("bait");
    std::fs::write(&target, "bait\n").unwrap();
    std::os::unix::fs::symlink(&target, h.dir.join(".lock")).unwrap();
    let r = h.run("node mode=init name=a ip4=198.18.0.1");
    assert_eq!(r.code, 1, "{r:?}");
    assert!(
        r.stderr.contains(".lock") && r.stderr.contains("symbolic link"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "bait\n");
    assert!(!h.dir.join("node.json").exists());
}

#[test]
fn a_change_gives_up_after_lock_timeout_naming_the_holder() {
    let h = Host::new("lock-wait");
    h.ok("node mode=init name=a ip4=198.18.0.1");
    // This test process is the holder: its pid in .lock, as vpc writes it.
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(h.dir.join(".lock"))
        .unwrap();
    lock.lock().unwrap();
    let me = std::process::id();
    std::fs::write(h.dir.join(".lock"), format!("{me}\n")).unwrap();

    let started = Instant::now();
    let r = h.run("node mode=add offline=1 name=b node=198.18.0.2 lock_timeout=1");
    let waited = started.elapsed();
    assert_eq!(r.code, 1, "{r:?}");
    let holder = format!("process {me}");
    let notices: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains("waiting for the lock"))
        .collect();
    assert_eq!(notices.len(), 1, "{}", r.stderr);
    assert!(notices[0].contains(&holder), "{}", r.stderr);
    let last = r.stderr.lines().last().unwrap_or_default();
    assert!(
        last.contains("is locked by") && last.contains(&holder),
        "{}",
        r.stderr
    );
    assert!(waited >= Duration::from_millis(900), "{waited:?}");
    assert!(waited < Duration::from_secs(25), "{waited:?}");
    assert!(r.stdout.is_empty(), "{}", r.stdout);

    // --json: the error document says conflict; reads do not wait.
    let r = h.run("node mode=add offline=1 name=b node=198.18.0.2 lock_timeout=0 --json");
    assert_eq!(r.code, 1);
    assert_eq!(r.json()["error"]["kind"], "conflict");
    assert!(!r.stderr.contains("waiting"), "{}", r.stderr);
    h.ok("node mode=list");

    drop(lock);
    h.ok("node mode=add offline=1 name=b node=198.18.0.2 lock_timeout=1");
    let r = h.run("node mode=list lock_timeout=soon");
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .contains("lock_timeout \"soon\" is not valid: expected a whole number from 0 to 3600"),
        "{}",
        r.stderr
    );
}
