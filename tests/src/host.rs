//! A simulated host: a network namespace with one underlay link and a
//! state directory of its own, where the real `vpc` binary runs.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

use serde_json::Value;

use crate::cmd::{self, fail, in_host};

/// One host of a [`Lab`](crate::Lab).
///
/// Its namespace holds `lo` and `eth0`, the underlay link, with
/// `198.18.0.{index+1}/24` and `2001:db8::{index+1}/64` (the last group is
/// `index + 1` as a number, so host 9 is `2001:db8::a`). Nothing else: no
/// default route, and `accept_ra` is off so that none can appear.
#[derive(Debug)]
pub struct Host {
    pub(crate) index: usize,
    pub(crate) name: String,
    pub(crate) netns: String,
    pub(crate) ip4: Ipv4Addr,
    pub(crate) ip6: Ipv6Addr,
    pub(crate) dir: PathBuf,
}

/// What one run of `vpc` did, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    /// The exit status; -1 when a signal ended the process, 124 when the
    /// harness's time limit did.
    pub code: i32,
    /// Everything on stdout.
    pub stdout: String,
    /// Everything on stderr.
    pub stderr: String,
}

impl Run {
    /// Whether the command exited 0.
    pub fn success(&self) -> bool {
        self.code == 0
    }

    /// The JSON document on stdout; fails the test if there is none.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| fail(format!("stdout is not JSON ({e}): {}", self.stdout)))
    }
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Host {
    /// Position in the lab, from 0.
    pub fn index(&self) -> usize {
        self.index
    }

    /// A short name for the host, `h{index}`: handy as `vpc node name=`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The namespace's name, for `ip -n` / `ip netns exec`.
    pub fn netns(&self) -> &str {
        &self.netns
    }

    /// The underlay IPv4 address, `198.18.0.{index+1}`.
    pub fn ip4(&self) -> Ipv4Addr {
        self.ip4
    }

    /// The underlay IPv6 address, `2001:db8::{index+1}`.
    pub fn ip6(&self) -> Ipv6Addr {
        self.ip6
    }

    /// The host's own `VPC_STATE_DIR`: fresh and empty when the lab is
    /// made, removed with the lab.
    pub fn state_dir(&self) -> &Path {
        &self.dir
    }

    /// Runs `vpc ARGS` (split on whitespace) inside the namespace with
    /// `VPC_STATE_DIR` set to [`state_dir`](Self::state_dir).
    pub fn vpc(&self, args: &str) -> Output {
        self.vpc_with(args, None)
    }

    /// Like [`vpc`](Self::vpc), with `input` on stdin.
    pub fn vpc_stdin(&self, args: &str, input: &str) -> Output {
        self.vpc_with(args, Some(input.as_bytes()))
    }

    /// Runs `vpc ARGS` with extra environment variables (and none on
    /// stdin, which is not a terminal).
    pub fn vpc_env(&self, args: &str, env: &[(&str, &str)]) -> Run {
        let mut c = self.command(vpc_bin());
        c.args(args.split_whitespace())
            .env("VPC_STATE_DIR", &self.dir)
            .env("VPC_RC_DIR", self.dir.join("rc"))
            .envs(env.iter().copied());
        cmd::output(&mut c, None).into()
    }

    fn vpc_with(&self, args: &str, input: Option<&[u8]>) -> Output {
        let mut c = self.command(vpc_bin());
        // Boot files, too, stay in the host's own directory.
        c.args(args.split_whitespace())
            .env("VPC_STATE_DIR", &self.dir)
            .env("VPC_RC_DIR", self.dir.join("rc"));
        cmd::output(&mut c, input)
    }

    /// Runs `vpc ARGS`; what it did, as text.
    pub fn run(&self, args: &str) -> Run {
        self.vpc(args).into()
    }

    /// Runs `vpc ARGS` and fails the test, showing stdout and stderr,
    /// unless it exits 0.
    #[track_caller]
    pub fn ok(&self, args: &str) -> Run {
        let r = self.run(args);
        if !r.success() {
            fail(format!(
                "{}: `vpc {args}` exited {}\n--- stdout\n{}--- stderr\n{}---",
                self.name, r.code, r.stdout, r.stderr
            ));
        }
        r
    }

    /// `PROGRAM` (not yet run) as this host runs it: in its namespace, with
    /// its own WireGuard socket directory ([`cmd::in_host`]).
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> std::process::Command {
        let run = self.dir.join("wireguard");
        let _ = std::fs::create_dir_all(&run);
        in_host(&self.netns, &run, program)
    }

    /// Runs `cmd[0] cmd[1..]` as this host runs it ([`command`](Self::command)),
    /// for `wg show` and the like.
    pub fn host_sh(&self, cmd: &[&str]) -> Output {
        let Some((program, args)) = cmd.split_first() else {
            fail("host_sh: empty command");
        };
        cmd::output(self.command(program).args(args), None)
    }

    /// Runs `cmd[0] cmd[1..]` inside the namespace (`ip netns exec`), for
    /// `ip -j link`, `bridge fdb`, `ping`, `tcpdump` …
    pub fn sh(&self, cmd: &[&str]) -> Output {
        cmd::sh(&self.netns, cmd)
    }

    /// Like [`sh`](Self::sh), failing the test unless the command exits 0;
    /// its stdout.
    #[track_caller]
    pub fn sh_ok(&self, cmd: &[&str]) -> String {
        cmd::sh_ok(&self.netns, cmd)
    }

    /// Pings `addr` from this host: `ping -n -c COUNT -i 0.2 -W 1 EXTRA…`.
    /// True when a reply came back.
    pub fn ping(&self, addr: &str, count: u32, extra_args: &[&str]) -> bool {
        cmd::ping(&self.netns, addr, count, extra_args)
    }

    /// Every interface of the namespace, `ip -j -d link show`.
    pub fn links(&self) -> Vec<Value> {
        cmd::links(&self.netns)
    }

    /// One interface, `ip -j -d link show dev NAME`, if it exists.
    pub fn link(&self, name: &str) -> Option<Value> {
        cmd::link(&self.netns, name)
    }

    /// Waits up to 5 s until interface `name` is operationally up.
    pub fn wait_up(&self, name: &str) -> bool {
        cmd::wait_up(&self.netns, name, Duration::from_secs(5))
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The `vpc` binary the hosts run: `$VPC_BIN`, else
/// `$CARGO_TARGET_DIR/debug/vpc`, else `<workspace>/target/debug/vpc`.
///
/// Fails the test when it does not exist, and (unless `VPC_BIN` names it)
/// when it is older than a source file of `vpc-core` or `vpc-cli`: the
/// test would exercise old code. `cargo test -p vpc-e2e` does not build
/// it; `cargo build -p vpc-cli` does (and `cargo test --workspace`).
pub fn vpc_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap_or_else(|| fail("the vpc-e2e crate has no parent directory"))
            .to_path_buf();
        let explicit = std::env::var_os("VPC_BIN").filter(|v| !v.is_empty());
        let bin = match (&explicit, std::env::var_os("CARGO_TARGET_DIR")) {
            (Some(p), _) => PathBuf::from(p),
            (None, Some(t)) if !t.is_empty() => workspace.join(t).join("debug/vpc"),
            _ => workspace.join("target/debug/vpc"),
        };
        if !bin.is_file() {
            fail(format!(
                "no vpc binary at {}: build it with cargo build -p vpc-cli (or set VPC_BIN)",
                bin.display()
            ));
        }
        if explicit.is_none() {
            let built = modified(&bin);
            let sources = [
                "vpc-core/src",
                "vpc-core/Cargo.toml",
                "vpc-cli/src",
                "vpc-cli/Cargo.toml",
            ];
            for s in sources {
                if let Some((path, time)) = newest(&workspace.join(s))
                    && time > built
                {
                    fail(format!(
                        "{} is older than {}: rebuild it with cargo build -p vpc-cli \
                         (or set VPC_BIN to use it anyway)",
                        bin.display(),
                        path.display()
                    ));
                }
            }
        }
        bin
    })
}

fn modified(p: &Path) -> SystemTime {
    std::fs::metadata(p)
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// The most recently modified file at or below `p`.
fn newest(p: &Path) -> Option<(PathBuf, SystemTime)> {
    let meta = std::fs::metadata(p).ok()?;
    if !meta.is_dir() {
        return Some((p.to_path_buf(), meta.modified().ok()?));
    }
    std::fs::read_dir(p)
        .ok()?
        .flatten()
        .filter_map(|e| newest(&e.path()))
        .max_by_key(|(_, t)| *t)
}
