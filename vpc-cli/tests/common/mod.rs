//! A state directory of its own and the real `vpc` binary, for CLI tests.

#![allow(
    dead_code,
    reason = "each test file uses a different part of this helper"
)]

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// What one run of `vpc` did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The JSON document on stdout.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

/// A host: a private state directory, removed on drop.
pub struct Host {
    pub dir: PathBuf,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

impl Host {
    pub fn new(tag: &str) -> Host {
        let dir = std::env::temp_dir().join(format!(
            "vpc-cli-test-{tag}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("rc")).unwrap();
        Host { dir }
    }

    /// Runs `vpc` with `args` (split on spaces) and `stdin`.
    pub fn run_with(&self, args: &[&str], stdin: &str) -> Run {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vpc"))
            .args(args)
            .env("VPC_STATE_DIR", &self.dir)
            .env("VPC_RC_DIR", self.dir.join("rc"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut input = child.stdin.take().unwrap();
        // The command may exit before reading everything; that is its answer.
        let _ = input.write_all(stdin.as_bytes());
        drop(input);
        let out = child.wait_with_output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    /// Runs `vpc` with space-separated `args`.
    pub fn run(&self, args: &str) -> Run {
        let args: Vec<&str> = args.split_whitespace().collect();
        self.run_with(&args, "")
    }

    /// Runs and requires exit 0.
    pub fn ok(&self, args: &str) -> Run {
        let r = self.run(args);
        assert_eq!(
            r.code, 0,
            "vpc {args}\nstdout: {}\nstderr: {}",
            r.stdout, r.stderr
        );
        r
    }

    /// Every file below the state directory with its bytes.
    pub fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        fn walk(dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    out.insert(p.clone(), Vec::new());
                    walk(&p, out);
                } else if p.file_name().is_some_and(|n| n == ".lock") {
                    // The lock file holds the pid of its last holder: which
                    // process that was is not the state.
                    out.insert(p.clone(), Vec::new());
                } else {
                    out.insert(p.clone(), std::fs::read(&p).unwrap());
                }
            }
        }
        let mut out = BTreeMap::new();
        walk(&self.dir, &mut out);
        out
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The article's hosts: (name, IPv6 underlay), initiator first.
pub const ARTICLE: [(&str, &str); 3] = [
    ("jhoster1.olevole.ru", "2a05:3580:d800:20f7::1"),
    ("gold-hoster1.prod.inf.hz.fbs.dev", "2a01:4f8:241:500c::1"),
    ("gold-hoster-02.hz.fbs.dev", "2a01:4f8:241:500b::1"),
];

/// A host set up as the article's `jhoster1`, knowing the other two, with
/// `vpc1` defined over all of them.
pub fn article_host() -> Host {
    let h = Host::new("article");
    let (me, ip) = ARTICLE[0];
    h.ok(&format!("node mode=init name={me} ip6={ip}"));
    for (name, ip) in &ARTICLE[1..] {
        h.ok(&format!("node mode=add offline=1 name={name} node={ip}"));
    }
    h.ok("mode=init node_member=all peer_network=10.100.0.0/24 vpc_name=vpc1");
    h
}
