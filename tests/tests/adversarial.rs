//! An adversarial suite against the real `vpc` binary, without network
//! namespaces (it needs no root): hostile specs from a "peer", a tampered
//! state directory, contention for the lock, and a careless umask. Every
//! case asserts the refusal (its exit status and a message naming the
//! value) and that the state directory is byte for byte what it was.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use vpc_e2e::vpc_bin;

/// One state directory, removed at the end.
struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Dir {
        let d = std::env::temp_dir().join(format!("vpc-adv-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        Dir(d)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a run printed.
#[derive(Debug)]
struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn vpc(dir: &Path, words: &[&str], stdin: &str) -> Out {
    let mut child = Command::new(vpc_bin())
        .args(words)
        .env("VPC_STATE_DIR", dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A refusal may come before stdin is read: a closed pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let out = child.wait_with_output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ok(dir: &Path, line: &str) -> Out {
    let words: Vec<&str> = line.split_whitespace().collect();
    let r = vpc(dir, &words, "");
    assert_eq!(r.code, 0, "vpc {line}: {}", r.stderr);
    r
}

/// Every file under `dir` with its bytes and mode (`.lock` without its
/// contents, which name the last process that held it).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, u32)> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, (Vec<u8>, u32)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries {
            let path = e.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            let mode = meta.permissions().mode() & 0o7777;
            if meta.is_dir() {
                out.insert(rel, (Vec::new(), mode));
                walk(root, &path, out);
            } else if path.file_name().is_some_and(|n| n == ".lock") {
                out.insert(rel, (Vec::new(), mode));
            } else if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).unwrap();
                out.insert(rel, (target.into_os_string().into_encoded_bytes(), mode));
            } else {
                out.insert(rel, (std::fs::read(&path).unwrap(), mode));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// This host `a` with nodes `b` and `c`, and VPC `v1` over all three.
fn member(tag: &str) -> Dir {
    let d = Dir::new(tag);
    ok(&d.0, "node mode=init name=a ip4=198.18.0.1 ip6=2001:db8::1");
    ok(
        &d.0,
        "node mode=add offline=1 name=b node=198.18.0.2 ip6=2001:db8::2",
    );
    ok(&d.0, "node mode=add offline=1 name=c node=198.18.0.3");
    ok(
        &d.0,
        "mode=init vpc_name=v1 node_member=all peer_network=10.100.0.0/24",
    );
    d
}

/// `v1`'s spec as JSON, with its generation raised so that a receiver
/// would take it if it were valid.
fn newer_spec(d: &Path) -> Value {
    let mut spec: Value = serde_json::from_str(&ok(d, "mode=export vpc_name=v1").stdout).unwrap();
    spec["generation"] = Value::from(2);
    spec
}

/// Each hostile spec is refused by `receive` with exit 1, its message
/// naming what is wrong, and nothing stored.
#[test]
fn hostile_specs_from_a_peer_are_refused_and_change_nothing() {
    let d = member("hostile");
    let base = newer_spec(&d.0);
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut s = base.clone();
        f(&mut s);
        serde_json::to_string_pretty(&s).unwrap()
    };
    let cases: Vec<(&str, String, &[&str])> = vec![
        (
            "a driver-shaped VPC name (the bridge would be br0)",
            edit(&|s| s["name"] = "br0".into()),
            &["br0"],
        ),
        (
            "docker0 as the VPC name",
            edit(&|s| s["name"] = "docker0".into()),
            &["docker0"],
        ),
        (
            "a peer network over the underlay",
            edit(&|s| s["peer_network"] = "198.18.0.0/15".into()),
            &["198.18.0.0/15", "underlay"],
        ),
        (
            "a default peer network",
            edit(&|s| s["peer_network"] = "0.0.0.0/0".into()),
            &["0.0.0.0/0"],
        ),
        (
            "a multicast peer network",
            edit(&|s| s["peer_network"] = "224.0.0.0/24".into()),
            &["224.0.0.0/24", "multicast"],
        ),
        (
            "a loopback underlay address",
            edit(&|s| s["members"][1]["node"]["ip4"] = "127.0.0.1".into()),
            &["127.0.0.1", "loopback"],
        ),
        (
            "a link-local IPv6 underlay",
            edit(&|s| s["members"][1]["node"]["ip6"] = "fe80::2".into()),
            &["fe80::2"],
        ),
        (
            "a v4-mapped IPv6 underlay",
            edit(&|s| s["members"][1]["node"]["ip6"] = "::ffff:198.18.0.2".into()),
            &["::ffff:198.18.0.2"],
        ),
        (
            "two members on one address",
            edit(&|s| s["members"][2]["node"]["ip4"] = "198.18.0.2".into()),
            &["198.18.0.2", "one member per address"],
        ),
        (
            "bridge addresses over the underlay",
            edit(&|s| s["members"][1]["bridge_addrs"] = serde_json::json!(["198.18.0.77/24"])),
            &["198.18.0.77/24", "underlay"],
        ),
        (
            "a node name with a path in it",
            edit(&|s| s["members"][1]["node"]["name"] = "../../etc".into()),
            &["../../etc"],
        ),
        (
            "an unknown field",
            edit(&|s| s["colour"] = "red".into()),
            &["colour"],
        ),
        (
            "a newer schema",
            edit(&|s| s["schema_version"] = 99.into()),
            &["schema_version 99", "upgrade"],
        ),
        (
            "a VNI base past 24 bits",
            edit(&|s| s["vni_base"] = 16_777_215.into()),
            &["vni"],
        ),
        (
            "trailing bytes after the document",
            format!("{} {{}}", edit(&|_| {})),
            &["trailing"],
        ),
        ("not JSON at all", "\u{0}\u{1}garbage".to_owned(), &["JSON"]),
        (
            "deeply nested JSON",
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
            &["JSON"],
        ),
    ];
    let before = snapshot(&d.0);
    for (what, doc, needles) in &cases {
        let r = vpc(&d.0, &["mode=receive"], doc);
        assert_eq!(r.code, 1, "{what}: exit {}\n{}", r.code, r.stderr);
        for n in *needles {
            assert!(
                r.stderr.contains(n),
                "{what}: {n:?} not in the message:\n{}",
                r.stderr
            );
        }
        assert!(
            r.stderr.len() < 4096,
            "{what}: a message of {} bytes",
            r.stderr.len()
        );
        assert_eq!(snapshot(&d.0), before, "{what}: the store changed");
    }
    // The same spec, untouched, is taken: the refusals were about the edits.
    let r = vpc(&d.0, &["mode=receive"], &edit(&|_| {}));
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// A tampered state directory: each tampering is refused with a message
/// naming the file, and a read-only command does not "repair" anything.
#[test]
fn a_tampered_state_directory_is_named_not_trusted() {
    type Tamper = fn(&Path);
    let cases: Vec<(&str, Tamper, &[&str])> = vec![
        (
            "a spec file holding another VPC",
            |d| {
                let s = std::fs::read_to_string(d.join("vpcs/v1.json")).unwrap();
                std::fs::write(d.join("vpcs/v1.json"), s.replace("\"v1\"", "\"v2\"")).unwrap();
            },
            &["v1.json"],
        ),
        (
            "a spec file cut short",
            |d| {
                let s = std::fs::read(d.join("vpcs/v1.json")).unwrap();
                std::fs::write(d.join("vpcs/v1.json"), &s[..s.len() / 2]).unwrap();
            },
            &["v1.json"],
        ),
        (
            "the identity from a newer vpc",
            |d| {
                let s = std::fs::read_to_string(d.join("node.json")).unwrap();
                std::fs::write(
                    d.join("node.json"),
                    s.replace("\"schema_version\": 1", "\"schema_version\": 7"),
                )
                .unwrap();
            },
            &["node.json", "schema_version 7"],
        ),
        (
            "the VPCs directory replaced by a link",
            |d| {
                std::fs::rename(d.join("vpcs"), d.join("elsewhere")).unwrap();
                std::os::unix::fs::symlink(d.join("elsewhere"), d.join("vpcs")).unwrap();
            },
            &["vpcs", "symbolic link"],
        ),
        (
            "a spec file replaced by a link",
            |d| {
                std::fs::rename(d.join("vpcs/v1.json"), d.join("stolen.json")).unwrap();
                std::os::unix::fs::symlink(d.join("stolen.json"), d.join("vpcs/v1.json")).unwrap();
            },
            &["v1.json", "symbolic link"],
        ),
    ];
    for (what, tamper, needles) in cases {
        let d = member("tamper");
        tamper(&d.0);
        let before = snapshot(&d.0);
        // A dry run reads the identity and the spec, and writes nothing.
        for line in ["mode=apply vpc_name=v1 dryrun=1 os=linux"] {
            let words: Vec<&str> = line.split_whitespace().collect();
            let r = vpc(&d.0, &words, "");
            assert_eq!(
                r.code, 1,
                "{what}: vpc {line}: exit {}\n{}",
                r.code, r.stderr
            );
            for n in needles {
                assert!(r.stderr.contains(n), "{what}: {n:?} not in:\n{}", r.stderr);
            }
        }
        assert_eq!(snapshot(&d.0), before, "{what}: the store changed");
    }
}

/// Two writers at once: the second waits at most `lock_timeout=`, says
/// once for whom, then fails naming the holder; the store is as the
/// first left it.
#[test]
fn a_held_lock_makes_a_writer_give_up_naming_the_holder() {
    let d = member("lock");
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(d.0.join(".lock"))
        .unwrap();
    lock.lock().unwrap();
    std::fs::write(d.0.join(".lock"), "999999\n").unwrap();
    let before = snapshot(&d.0);
    let r = vpc(
        &d.0,
        &["mode=add_member", "vpc_name=v1", "node=c", "lock_timeout=1"],
        "",
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("999999"), "{}", r.stderr);
    assert_eq!(
        r.stderr.matches("waiting").count() + r.stderr.matches("waits").count(),
        1,
        "one notice of the wait:\n{}",
        r.stderr
    );
    assert_eq!(snapshot(&d.0), before);
    // Reads do not wait for the lock.
    let r = vpc(&d.0, &["mode=list", "--json"], "");
    assert_eq!(r.code, 0, "{}", r.stderr);
    drop(lock);
    ok(&d.0, "mode=remove_member vpc_name=v1 node=c");
}

/// Under umask 000 the state directory is still 0700 and its files 0600.
#[test]
fn a_careless_umask_does_not_open_the_store() {
    let d = Dir::new("umask");
    let script = format!(
        "umask 000 && VPC_STATE_DIR={0} {1} node mode=init name=a ip4=198.18.0.1 && \
         VPC_STATE_DIR={0} {1} node mode=add offline=1 name=b node=198.18.0.2 && \
         VPC_STATE_DIR={0} {1} mode=init vpc_name=v1 node_member=all peer_network=10.100.0.0/24",
        d.0.display(),
        vpc_bin().display()
    );
    let st = Command::new("sh").args(["-c", &script]).status().unwrap();
    assert!(st.success());
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode(&d.0), 0o700);
    for (path, (_, m)) in snapshot(&d.0) {
        let full = d.0.join(&path);
        let want = if full.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(m, want, "{}", path.display());
    }
}

/// Arguments a careless operator or a script could pass: refused as usage
/// errors (exit 2), each message naming the key, nothing stored.
#[test]
fn hostile_arguments_are_usage_errors() {
    let d = member("args");
    let before = snapshot(&d.0);
    let long_name = format!("vpc_name={}", "v".repeat(300));
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["mode=attach", "vpc_name=v1", "iface=eth0\nx"], "iface"),
        (vec!["mode=attach", "vpc_name=v1", "iface=../eth0"], "iface"),
        (vec!["mode=init_peers", &long_name], "vpc_name"),
        (
            vec![
                "mode=init",
                "vpc_name=v2",
                "node_member=all",
                "peer_network=10.1.0.0/24",
                "mtu=-1",
            ],
            "mtu",
        ),
        (
            vec![
                "mode=init",
                "vpc_name=v2",
                "node_member=all",
                "peer_network=10.1.0.0/24",
                "port=65536",
            ],
            "port",
        ),
        (
            vec!["mode=status", "vpc_name=v1", "timeout=99999999999999999999"],
            "timeout",
        ),
        (vec!["mode=apply", "vpc_name=v1", "dryrun=yes"], "dryrun"),
        (vec!["mode=list", "lock_timeout=forever"], "lock_timeout"),
        (
            vec![
                "node",
                "mode=add",
                "offline=1",
                "name=x",
                "node=198.18.0.9",
                "user=a b",
            ],
            "user",
        ),
    ];
    for (words, key) in cases {
        let r = vpc(&d.0, &words, "");
        assert_eq!(r.code, 2, "{words:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(key),
            "{words:?}: {key} not in {}",
            r.stderr
        );
        assert_eq!(snapshot(&d.0), before, "{words:?}");
    }
}
