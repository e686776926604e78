//! Running commands: in the caller's namespace, in a lab namespace, with
//! a time limit, and failing the test with the command's output when a
//! setup step fails.

use std::ffi::OsStr;
use std::fmt::Display;
use std::io::{self, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Fails the test that is running: the harness could not do what the test
/// asked. The only place the harness panics.
#[allow(
    clippy::panic,
    reason = "a harness step that cannot be done fails the test that asked for it"
)]
#[track_caller]
pub(crate) fn fail(msg: impl Display) -> ! {
    panic!("{msg}")
}

/// `program arg arg …`, for messages.
pub(crate) fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Runs `cmd` to completion with `stdin` (or none), capturing its output.
/// Never panics: for `Drop` and cleanup paths.
pub(crate) fn try_output(cmd: &mut Command, stdin: Option<&[u8]>) -> io::Result<Output> {
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = cmd.spawn()?;
    // Feed stdin from a thread: a command that writes much before reading
    // (or never reads) must not deadlock against us.
    let feeder = match (child.stdin.take(), stdin) {
        (Some(mut pipe), Some(data)) => {
            let data = data.to_vec();
            Some(std::thread::spawn(move || {
                // The command may exit before reading everything; that is
                // its answer, not ours to report.
                let _ = pipe.write_all(&data);
            }))
        }
        _ => None,
    };
    let out = child.wait_with_output();
    if let Some(f) = feeder {
        let _ = f.join();
    }
    out
}

/// Runs `cmd` to completion, capturing its output; fails the test if the
/// command cannot be started at all.
pub(crate) fn output(cmd: &mut Command, stdin: Option<&[u8]>) -> Output {
    try_output(cmd, stdin).unwrap_or_else(|e| fail(format!("cannot run `{}`: {e}", describe(cmd))))
}

/// Runs `cmd` and fails the test unless it exits 0.
pub(crate) fn check(cmd: &mut Command, stdin: Option<&[u8]>) -> Output {
    let out = output(cmd, stdin);
    if !out.status.success() {
        fail(format!(
            "`{}` failed ({}){}",
            describe(cmd),
            out.status,
            show(&out)
        ));
    }
    out
}

/// stdout and stderr of a run, for failure messages.
pub(crate) fn show(out: &Output) -> String {
    format!(
        "\n--- stdout\n{}--- stderr\n{}---",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `ip [-n NETNS] ARGS…` (not yet run). `ip -n` enters the namespace for
/// this one command only.
pub(crate) fn ip(netns: Option<&str>, args: &[&str]) -> Command {
    let mut cmd = Command::new("ip");
    if let Some(ns) = netns {
        cmd.args(["-n", ns]);
    }
    cmd.args(args);
    cmd
}

/// Runs `lines` with one `ip [-n NETNS] -batch -`, stopping at the first
/// failing line; fails the test naming it.
pub(crate) fn ip_batch(netns: Option<&str>, lines: &[String]) {
    let script = lines.join("\n") + "\n";
    let mut cmd = ip(netns, &["-batch", "-"]);
    let out = output(&mut cmd, Some(script.as_bytes()));
    if !out.status.success() {
        fail(format!(
            "`{}` failed ({}); its input was:\n{script}{}",
            describe(&cmd),
            out.status,
            show(&out)
        ));
    }
}

/// The seconds a command run inside a lab namespace may take
/// (`VPC_E2E_TIMEOUT`, default 120) before it is killed (exit 124).
fn time_limit() -> String {
    std::env::var("VPC_E2E_TIMEOUT")
        .ok()
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .unwrap_or_else(|| "120".to_owned())
}

/// `timeout … ip netns exec NETNS PROGRAM` (not yet run): PROGRAM runs in
/// the namespace, and a hung one is killed instead of hanging the test.
pub(crate) fn in_netns(netns: &str, program: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new("timeout");
    cmd.args([
        "--kill-after=5",
        &time_limit(),
        "ip",
        "netns",
        "exec",
        netns,
    ])
    .arg(program);
    cmd
}

/// Where wireguard-go puts its control sockets. It is one directory for
/// the whole machine (mount namespaces aside), while every simulated host
/// names its WireGuard interface alike: see [`in_host`].
pub(crate) const WIREGUARD_RUN_DIR: &str = "/run/wireguard";

/// Like [`in_netns`], for a simulated host whose own directory `run_dir`
/// is bind-mounted on [`WIREGUARD_RUN_DIR`] first, in the fresh mount
/// namespace `ip netns exec` makes for each command: a wireguard-go that
/// PROGRAM starts keeps its control socket there, where the host's later
/// commands find it, apart from every other host's — as on real hosts.
pub(crate) fn in_host(netns: &str, run_dir: &Path, program: impl AsRef<OsStr>) -> Command {
    let _ = std::fs::create_dir_all(WIREGUARD_RUN_DIR);
    let mut cmd = in_netns(netns, "sh");
    cmd.args([
        "-c",
        "d=$1; shift; mount --bind \"$d\" /run/wireguard && exec \"$@\"",
        "sh",
    ])
    .arg(run_dir)
    .arg(program);
    cmd
}

/// Runs `cmd[0] cmd[1..]` inside `netns`.
pub(crate) fn sh(netns: &str, cmd: &[&str]) -> Output {
    let Some((program, args)) = cmd.split_first() else {
        fail("sh: empty command");
    };
    output(in_netns(netns, program).args(args), None)
}

/// Like [`sh`], failing the test unless the command exits 0; its stdout.
pub(crate) fn sh_ok(netns: &str, cmd: &[&str]) -> String {
    let out = sh(netns, cmd);
    if !out.status.success() {
        fail(format!(
            "`{}` in {netns} failed ({}){}",
            cmd.join(" "),
            out.status,
            show(&out)
        ));
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `ping -n -c COUNT -i 0.2 -W 1 EXTRA… ADDR` inside `netns`: true when a
/// reply came back. On failure the output goes to stderr (shown with the
/// failing test).
pub(crate) fn ping(netns: &str, addr: &str, count: u32, extra: &[&str]) -> bool {
    if !on_path("ping") {
        fail("no `ping` on PATH: apt-get install iputils-ping");
    }
    let count = count.max(1).to_string();
    let mut cmd = vec!["ping", "-n", "-c", &count, "-i", "0.2", "-W", "1"];
    cmd.extend_from_slice(extra);
    cmd.push(addr);
    let out = sh(netns, &cmd);
    if !out.status.success() {
        eprintln!(
            "`{}` in {netns}: {}{}",
            cmd.join(" "),
            out.status,
            show(&out)
        );
    }
    out.status.success()
}

/// `ip -j -d link show` inside `netns`, one JSON object per interface.
pub(crate) fn links(netns: &str) -> Vec<Value> {
    let out = check(&mut ip(Some(netns), &["-j", "-d", "link", "show"]), None);
    match serde_json::from_slice(&out.stdout) {
        Ok(Value::Array(v)) => v,
        other => fail(format!(
            "`ip -n {netns} -j link show`: not a JSON array: {other:?}"
        )),
    }
}

/// The interface `name` inside `netns` (`ip -j -d link show dev NAME`).
pub(crate) fn link(netns: &str, name: &str) -> Option<Value> {
    let out = output(
        &mut ip(Some(netns), &["-j", "-d", "link", "show", "dev", name]),
        None,
    );
    if !out.status.success() {
        return None;
    }
    match serde_json::from_slice(&out.stdout) {
        Ok(Value::Array(mut v)) if v.len() == 1 => v.pop(),
        _ => None,
    }
}

/// Waits up to `limit` until `name` inside `netns` is operationally up
/// (carrier on both ends of a veth, queueing discipline attached).
pub(crate) fn wait_up(netns: &str, name: &str, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        let up = link(netns, name).is_some_and(|l| l["operstate"] == "UP");
        if up {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Whether an executable `name` is in a directory of `$PATH`.
fn on_path(name: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|dir| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(dir.join(name))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}
