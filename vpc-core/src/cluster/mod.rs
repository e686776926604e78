//! The cluster over SSH: adding a node (host key pinned, this host's key
//! installed), and the commands that reach every member from one host —
//! `sync`, `deploy`, `destroy` — in parallel, never stopping at the first
//! failure.
//!
//! Only the host that runs these needs SSH to the members; the remote side
//! is the same `vpc` binary, run with fixed arguments (the record's command
//! and validated names only); the spec travels on stdin.

pub mod keys;
pub mod ssh;

use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Condvar, Mutex, PoisonError, mpsc};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use self::ssh::{Auth, Connection};
use crate::backend;
use crate::error::{Error, ErrorKind, Result};
use crate::model::name::{NodeName, VpcName};
use crate::model::platform::Platform;
use crate::ops::{self};
use crate::plan::Scope;
use crate::report::NodeResult;
use crate::request::Timeouts;
use crate::store::Outcome;
use crate::store::{NodeRecord, Store};

/// What `node mode=add` asks for.
#[derive(Debug, Clone)]
pub struct AddNode {
    /// Where SSH reaches the node.
    pub address: IpAddr,
    /// SSH port.
    pub port: u16,
    /// SSH user.
    pub user: String,
    /// The `vpc` command there.
    pub command: String,
    /// A private key to log in with, instead of a password.
    pub identity: Option<PathBuf>,
    /// The host key fingerprint expected, pinned in advance.
    pub fingerprint: Option<String>,
    /// The password, when logging in with one.
    pub password: Option<String>,
    /// `replace=1`: a record pinned to another address or host key (a
    /// reinstalled or moved host) is replaced instead of refused.
    pub replace: bool,
}

/// What `node mode=add` did.
#[derive(Debug, Clone, Serialize)]
pub struct Added {
    /// Created, updated or unchanged.
    pub outcome: Outcome,
    /// The stored record.
    pub record: NodeRecord,
    /// The host key's fingerprint.
    pub fingerprint: String,
    /// Whether this was the first contact (the fingerprint was recorded).
    pub first_contact: bool,
    /// Whether this host's key was added to the node's authorized keys.
    pub key_installed: bool,
    /// With `replace=1`, the old address or host key the record held.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced: Option<crate::report::Replaced>,
}

/// The identity `vpc node mode=list --json` reports.
#[derive(Debug, Deserialize)]
struct RemoteList {
    this: Option<RemoteIdentity>,
}

#[derive(Debug, Deserialize)]
struct RemoteIdentity {
    name: NodeName,
    ip4: Option<std::net::Ipv4Addr>,
    ip6: Option<std::net::Ipv6Addr>,
    /// Behind a 1:1 NAT: the address on its interface (an older vpc
    /// sends none).
    #[serde(default)]
    local4: Option<std::net::Ipv4Addr>,
    #[serde(default)]
    local6: Option<std::net::Ipv6Addr>,
    /// Whether others can reach it.
    #[serde(default = "crate::model::node::reachable")]
    inbound: bool,
}

/// `command` and then `args` (fixed words), as the remote runs them.
fn command_line(command: &str, args: &[&str]) -> String {
    std::iter::once(command)
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Runs `args` (fixed words) with `command` over `conn`; stdout on success,
/// else an error naming the exit status (or signal) and the end of what
/// the remote wrote on stderr.
fn remote(conn: &Connection, command: &str, args: &[&str], stdin: &str) -> Result<String> {
    let answer = conn.exec(&command_line(command, args), stdin.as_bytes())?;
    answered(args, answer)
}

/// What the remote command `args` answered: its stdout on success, else
/// an error naming the exit status (or signal) and the end of what it
/// wrote on stderr.
fn answered(args: &[&str], answer: ssh::Answer) -> Result<String> {
    if answer.status == 0 && answer.signal.is_none() {
        return Ok(answer.stdout);
    }
    let how = match &answer.signal {
        Some(sig) => format!("was killed by signal {sig}"),
        None => format!("exited with status {}", answer.status),
    };
    let stripped: Vec<&str> = answer
        .stderr
        .lines()
        .map(|l| l.trim().trim_start_matches("vpc: "))
        .collect();
    let said = match ssh::last_lines(&stripped.join("\n"), 3) {
        s if s.is_empty() => "no message on stderr".to_owned(),
        s => s,
    };
    Err(Error::new(
        ErrorKind::Remote,
        format!("`{}` {how}: {said}", args.join(" ")),
    ))
}

/// Contacts a node, checks its host key, logs in, installs this host's
/// key, asks the node who it is, and stores the record. A host key that
/// differs from the pinned one (or from `fingerprint=`) is refused and
/// nothing changes; so is a name already recorded with another address
/// or host key. With `replace=1` the pin of the address is not checked
/// (`fingerprint=` still is) and the record is replaced, the report
/// naming what it held.
pub fn add_node(store: &Store, req: AddNode, timeouts: &Timeouts) -> Result<Added> {
    let me = store.this_node()?;
    let (_, pair) = keys::ensure(store, &format!("vpc@{}", me.name))?;
    let known: Option<NodeRecord> = store
        .nodes()?
        .into_iter()
        .find(|r| r.ssh_address() == Some(req.address) && r.port == req.port);
    let conn = Connection::open(req.address, req.port, timeouts)?;
    if let Some(pinned) = &req.fingerprint {
        conn.verify(pinned)?;
    }
    let pinned_before = known.as_ref().and_then(|r| r.host_key.clone());
    if let Some(pinned) = &pinned_before
        && !req.replace
    {
        conn.verify(pinned)?;
    }
    match (&req.identity, &req.password) {
        (Some(key), _) => conn.login(&req.user, Auth::Key(key))?,
        (None, Some(p)) => conn.login(&req.user, Auth::Password(p))?,
        // Already exchanged: this host's key opens the door.
        (None, None) => conn
            .login(&req.user, Auth::Key(&pair.private))
            .map_err(|e| {
                e.context("no password was given (set VPC_SSH_PASSWORD or answer the prompt)")
            })?,
    }
    let key_installed = conn.install_key(&pair.public_line()?)?;
    let out = remote(&conn, &req.command, &["node", "mode=list", "--json"], "")?;
    let list: RemoteList = serde_json::from_str(&out).map_err(|e| {
        Error::new(
            ErrorKind::Remote,
            format!(
                "{}: `vpc node mode=list --json` answered no JSON: {e}",
                req.address
            ),
        )
    })?;
    let id = list.this.ok_or_else(|| {
        Error::new(
            ErrorKind::NotFound,
            format!(
                "{} has no identity yet: run vpc node mode=init name=… there first",
                req.address
            ),
        )
    })?;
    let mut node = crate::model::node::Node::new(id.name, id.ip4, id.ip6)?;
    node.local4 = id.local4;
    node.local6 = id.local6;
    node.inbound = id.inbound;
    node.check()?;
    let mut record = NodeRecord::new(node);
    record.port = req.port;
    record.user = req.user.clone();
    record.command = req.command.clone();
    record.address = Some(req.address);
    record.host_key = Some(conn.fingerprint.clone());
    if let Some(old) = known.filter(|k| k.name != record.name) {
        return Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "{} now calls itself {}, but it is recorded as {}: forget {} first",
                req.address, record.name, old.name, old.name
            ),
        ));
    }
    let (outcome, replaced) = ops::node_add_or_replace(store, record.clone(), req.replace)?;
    Ok(Added {
        outcome,
        fingerprint: conn.fingerprint.clone(),
        first_contact: record.host_key != pinned_before,
        record,
        key_installed,
        replaced,
    })
}

/// Where a step runs.
enum Target {
    /// This host: no SSH.
    Local,
    /// A node reached over SSH.
    Remote(NodeRecord),
    /// A node that cannot be reached: why.
    Unreachable(String),
}

/// The first non-empty line of a command's output.
fn first_line(text: &str) -> String {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("done")
        .trim()
        .to_owned()
}

/// What a step said: its message, and with a dry run the plan (the
/// member's own `Changes` report).
struct Said {
    message: String,
    plan: Option<serde_json::Value>,
}

impl From<String> for Said {
    fn from(message: String) -> Said {
        Said {
            message,
            plan: None,
        }
    }
}

/// Where one node's job reports its steps, each timed from the end of
/// the one before.
struct Steps<'a> {
    node: &'a NodeName,
    tx: mpsc::Sender<NodeResult>,
    since: Instant,
}

impl Steps<'_> {
    /// Reports `step`'s result; returns whether it succeeded.
    fn done<S: Into<Said>>(&mut self, step: &'static str, result: Result<S>) -> bool {
        let (ok, said) = match result {
            Ok(s) => (true, s.into()),
            Err(e) => (false, Said::from(e.message().to_owned())),
        };
        let seconds = (self.since.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
        let _ = self.tx.send(NodeResult {
            step,
            node: self.node.clone(),
            ok,
            message: said.message,
            seconds,
            plan: said.plan,
        });
        self.since = Instant::now();
        ok
    }
}

/// Runs `job` for every target in parallel, reporting each step's result
/// to `on` as it arrives; returns them all, in arrival order.
fn fan_out_steps<T, F>(
    targets: Vec<(NodeName, T)>,
    job: F,
    on: &mut dyn FnMut(&NodeResult),
) -> Vec<NodeResult>
where
    T: Sync,
    F: Fn(&T, &mut Steps<'_>) + Sync,
{
    let (tx, rx) = mpsc::channel();
    let mut out = Vec::with_capacity(targets.len());
    std::thread::scope(|scope| {
        for (node, target) in &targets {
            let tx = tx.clone();
            let job = &job;
            scope.spawn(move || {
                let mut steps = Steps {
                    node,
                    tx,
                    since: Instant::now(),
                };
                job(target, &mut steps);
            });
        }
        drop(tx);
        for r in rx {
            on(&r);
            out.push(r);
        }
    });
    out
}

/// Runs `step` on every target in parallel, reporting each result to `on`
/// as it arrives; returns them all, in arrival order.
fn fan_out<F>(
    step: &'static str,
    targets: Vec<(NodeName, Target)>,
    run: F,
    on: &mut dyn FnMut(&NodeResult),
) -> Vec<NodeResult>
where
    F: Fn(&Target) -> Result<String> + Sync,
{
    fan_out_steps(
        targets,
        |target, steps| {
            let result = match target {
                Target::Unreachable(why) => Err(Error::new(ErrorKind::NotFound, why.clone())),
                t => run(t),
            };
            steps.done(step, result);
        },
        on,
    )
}

/// How to reach `name` from here.
fn target(store: &Store, me: &NodeName, name: &NodeName) -> Result<Target> {
    if name == me {
        return Ok(Target::Local);
    }
    Ok(match store.node(name)? {
        None => Target::Unreachable(format!(
            "no record of node {name}: add it with vpc node mode=add"
        )),
        Some(r) if r.host_key.is_none() => Target::Unreachable(format!(
            "node {name} was recorded offline and never contacted: add it with vpc node mode=add node=ADDR"
        )),
        Some(r) if r.ssh_address().is_none() => {
            Target::Unreachable(format!("node {name} has no address to reach it at"))
        }
        Some(r) => Target::Remote(r),
    })
}

/// Connects to a recorded node with this host's key, its host key checked.
fn connect(record: &NodeRecord, key: &std::path::Path, timeouts: &Timeouts) -> Result<Connection> {
    let addr = record.ssh_address().ok_or_else(|| {
        Error::new(
            ErrorKind::NotFound,
            format!("node {} has no address", record.name),
        )
    })?;
    let conn = Connection::open(addr, record.port, timeouts)?;
    conn.verify(record.host_key.as_deref().unwrap_or_default())?;
    conn.login(&record.user, Auth::Key(key))?;
    Ok(conn)
}

/// The context every multi-node command needs.
struct Cluster {
    me: NodeName,
    key: PathBuf,
    timeouts: Timeouts,
}

impl Cluster {
    fn new(store: &Store, timeouts: &Timeouts) -> Result<Cluster> {
        let me = store.this_node()?.name;
        let (_, pair) = keys::ensure(store, &format!("vpc@{me}"))?;
        Ok(Cluster {
            me,
            key: pair.private,
            timeouts: *timeouts,
        })
    }

    fn connect(&self, record: &NodeRecord) -> Result<Connection> {
        connect(record, &self.key, &self.timeouts)
    }

    fn run(&self, record: &NodeRecord, args: &[&str], stdin: &str) -> Result<String> {
        let conn = self.connect(record)?;
        remote(&conn, &record.command, args, stdin).map(|out| first_line(&out))
    }
}

/// The boot file directories `leave` cleans on this host.
fn local_boot_dirs(dir: &std::path::Path) -> Vec<(Platform, PathBuf)> {
    vec![
        (Platform::FreeBsd, dir.to_path_buf()),
        (Platform::Linux, dir.to_path_buf()),
    ]
}

/// Pushes the spec of `vpc` to every other member, in parallel, through
/// their `vpc mode=receive`.
pub fn sync(
    store: &Store,
    vpc: &VpcName,
    timeouts: &Timeouts,
    on: &mut dyn FnMut(&NodeResult),
) -> Result<Vec<NodeResult>> {
    let spec = store.require_vpc(vpc)?;
    let cluster = Cluster::new(store, timeouts)?;
    let json = spec.to_json();
    let mut targets = Vec::new();
    for m in spec.members().filter(|m| m.node.name != cluster.me) {
        targets.push((
            m.node.name.clone(),
            target(store, &cluster.me, &m.node.name)?,
        ));
    }
    Ok(fan_out(
        "sync",
        targets,
        |t| match t {
            Target::Remote(r) => cluster.run(r, &["mode=receive"], &json),
            _ => Ok("this host".to_owned()),
        },
        on,
    ))
}

/// A node's part in `deploy`.
enum Part {
    /// A member: it takes the spec and applies it.
    Member(Target),
    /// A member no more: it leaves.
    Departed(Target),
}

/// How many of the other members took the spec, of how many that have
/// answered: this host applies once one has taken it, and not at all
/// when none did (it would be alone on the new spec).
struct Taken {
    /// (took it, answered).
    state: Mutex<(usize, usize)>,
    changed: Condvar,
    of: usize,
}

impl Taken {
    fn record(&self, ok: bool) {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        s.1 += 1;
        s.0 += usize::from(ok);
        self.changed.notify_all();
    }

    /// Waits until one member took the spec (true) or all failed (false).
    fn by_any(&self) -> bool {
        if self.of == 0 {
            return true;
        }
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        while s.0 == 0 && s.1 < self.of {
            s = self.changed.wait(s).unwrap_or_else(PoisonError::into_inner);
        }
        s.0 > 0
    }
}

/// A member's plan, from its `Changes` report as JSON.
fn planned(out: &str) -> Result<Said> {
    let plan: serde_json::Value = serde_json::from_str(out).map_err(|e| {
        Error::new(
            ErrorKind::Remote,
            format!("the dry run answered no JSON report: {e}"),
        )
    })?;
    let count = plan["changes"].as_array().map_or(0, Vec::len);
    let message = format!(
        "VPC {} on {}: {}",
        plan["vpc"].as_str().unwrap_or("?"),
        plan["node"].as_str().unwrap_or("?"),
        match count {
            0 => "nothing to change".to_owned(),
            n => format!("{n} changes planned"),
        }
    );
    Ok(Said {
        message,
        plan: Some(plan),
    })
}

/// The most of a member's first line of output looked at for its
/// receive's result: vpc's is one short line.
const MAX_HEAD: usize = 64 * 1024;

/// A member's part in `deploy`: one SSH connection, one remote command,
/// `receive apply=1` with the spec on stdin. The member prints what
/// receiving did on a line of its own before it applies: that line is its
/// `sync` result, reported (and counted as the member having taken the
/// spec) as soon as it arrives, and the rest of the answer is its `apply`
/// result. A member that refuses the spec prints no such line and
/// applies nothing, as when `receive` failed and `apply` was not run. A
/// member whose vpc does not know `apply=` (older than this one) gets
/// the two commands of before, `receive` then `apply`, over the same
/// connection.
fn receive_and_apply(
    cluster: &Cluster,
    r: &NodeRecord,
    json: &str,
    vpc_arg: &str,
    taken: &Taken,
    steps: &mut Steps<'_>,
) {
    const ARGS: [&str; 2] = ["mode=receive", "apply=1"];
    let conn = match cluster.connect(r) {
        Ok(c) => c,
        Err(e) => {
            taken.record(false);
            steps.done::<String>("sync", Err(e));
            return;
        }
    };
    let mut head = Vec::new();
    let mut synced = false;
    let answer = conn.exec_streaming(
        &command_line(&r.command, &ARGS),
        json.as_bytes(),
        &mut |bytes| {
            if synced || head.len() > MAX_HEAD {
                return;
            }
            head.extend_from_slice(bytes);
            if let Some(end) = head.iter().position(|&b| b == b'\n') {
                synced = true;
                taken.record(true);
                let line = String::from_utf8_lossy(&head[..end]).trim().to_owned();
                steps.done("sync", Ok(line));
            }
        },
    );
    let answer = match answer {
        Ok(a) => a,
        Err(e) if synced => {
            steps.done::<String>("apply", Err(e));
            return;
        }
        Err(e) => {
            taken.record(false);
            steps.done::<String>("sync", Err(e));
            return;
        }
    };
    if !synced && answer.status == 2 && answer.stderr.contains("unknown key apply=") {
        let received = remote(&conn, &r.command, &["mode=receive"], json);
        taken.record(received.is_ok());
        if steps.done("sync", received.map(|o| first_line(&o))) {
            let applied = remote(&conn, &r.command, &["mode=apply", vpc_arg], "");
            steps.done("apply", applied.map(|o| first_line(&o)));
        }
        return;
    }
    match answered(&ARGS, answer) {
        Ok(out) if synced => {
            let rest = out.split_once('\n').map_or("", |(_, rest)| rest);
            steps.done("apply", Ok(first_line(rest)));
        }
        // Done without a line of its own (a command= that is not vpc's
        // own): both steps are taken as done.
        Ok(out) => {
            taken.record(true);
            steps.done("sync", Ok(first_line(&out)));
            steps.done("apply", Ok("done".to_owned()));
        }
        Err(e) if synced => {
            steps.done::<String>("apply", Err(e));
        }
        Err(e) => {
            taken.record(false);
            steps.done::<String>("sync", Err(e));
        }
    }
}

/// On an encrypted VPC, asks every member that the spec gives no WireGuard
/// key yet (at the first deploy, and after `rotate_keys`) for its public
/// key, in parallel over SSH (`mode=wg_key`: the member makes its key pair
/// and keeps the private half), and records the answers in the spec under
/// the lock, one generation for all. A member that cannot be reached stays
/// without a key: the others leave its tunnels out until a later deploy
/// reaches it.
fn collect_wg_keys(
    store: &Store,
    cluster: &Cluster,
    spec: crate::model::spec::Spec,
    on: &mut dyn FnMut(&NodeResult),
) -> Result<(crate::model::spec::Spec, Vec<NodeResult>)> {
    if spec.wireguard.is_none() || spec.members().all(|m| m.wg_key.is_some()) {
        return Ok((spec, Vec::new()));
    }
    let vpc = spec.name.clone();
    let arg = format!("vpc_name={vpc}");
    let mut targets = Vec::new();
    for m in spec.members().filter(|m| m.wg_key.is_none()) {
        let name = m.node.name.clone();
        targets.push((name.clone(), target(store, &cluster.me, &name)?));
    }
    let keys: Mutex<Vec<(NodeName, crate::model::wgkey::PublicKey)>> = Mutex::new(Vec::new());
    let results = fan_out_steps(
        targets,
        |t, steps| {
            let key = match t {
                Target::Local => crate::ops::state::wg_key(store, &vpc, true),
                Target::Remote(r) => cluster
                    .run(r, &["mode=wg_key", &arg, "next=1"], "")
                    .and_then(|line| {
                        crate::model::wgkey::PublicKey::parse(
                            &format!("the WireGuard key node {} answered", r.name),
                            line.trim(),
                        )
                    }),
                Target::Unreachable(why) => Err(Error::new(ErrorKind::NotFound, why.clone())),
            };
            let said = key.map(|k| {
                if let Ok(mut all) = keys.lock() {
                    all.push((steps.node.clone(), k));
                }
                format!("WireGuard key {k}")
            });
            steps.done("key", said);
        },
        on,
    );
    let keys = keys.into_inner().unwrap_or_default();
    if keys.is_empty() {
        return Ok((spec, results));
    }
    let locked = store.lock()?;
    let mut spec = store.require_vpc(&vpc)?;
    let mut next = spec.clone();
    for (node, key) in keys {
        if next.member(&node).is_ok_and(|m| m.wg_key.is_none()) {
            next.set_wg_key(&node, key)?;
        }
    }
    if next != spec {
        // One generation for all the keys, not one each.
        next.generation = spec.generation + 1;
        next.check()?;
        locked.write_vpc(&next)?;
        spec = next;
    }
    Ok((spec, results))
}

/// Every member takes the spec of `vpc` and applies it, departed members
/// leave, all in parallel. Each other node is reached over one SSH
/// connection, which runs one command: `receive apply=1` (or `leave`). This
/// host applies once another member took the spec (or when it is the
/// only member), and not when every other member failed to. With
/// `dry_run`, each member instead checks the spec as `receive` would and
/// answers with the plan of applying it against its own kernel (`receive
/// dryrun=1`), and departed members with their teardown's plan: nothing
/// is stored or changed anywhere.
pub fn deploy(
    store: &Store,
    vpc: &VpcName,
    timeouts: &Timeouts,
    dry_run: bool,
    on: &mut dyn FnMut(&NodeResult),
) -> Result<Vec<NodeResult>> {
    let spec = store.require_vpc(vpc)?;
    let cluster = Cluster::new(store, timeouts)?;
    let (spec, mut results) = if dry_run {
        (spec, Vec::new())
    } else {
        collect_wg_keys(store, &cluster, spec, on)?
    };
    let json = spec.to_json();
    let arg = format!("vpc_name={vpc}");
    let mut parts = Vec::new();
    for m in spec.members() {
        let name = &m.node.name;
        parts.push((
            name.clone(),
            Part::Member(target(store, &cluster.me, name)?),
        ));
    }
    for name in spec.departed.iter().filter(|n| **n != cluster.me) {
        parts.push((
            name.clone(),
            Part::Departed(target(store, &cluster.me, name)?),
        ));
    }
    let taken = Taken {
        state: Mutex::new((0, 0)),
        changed: Condvar::new(),
        of: parts
            .iter()
            .filter(|(_, p)| matches!(p, Part::Member(t) if !matches!(t, Target::Local)))
            .count(),
    };
    let unreachable = |why: &String| Err::<String, _>(Error::new(ErrorKind::NotFound, why.clone()));
    results.extend(fan_out_steps(
        parts,
        |part, steps| match (part, dry_run) {
            (Part::Member(Target::Remote(r)), false) => {
                receive_and_apply(&cluster, r, &json, &arg, &taken, steps);
            }
            (Part::Member(Target::Local), false) => {
                let applied = if taken.by_any() {
                    backend::host().and_then(|mut kernel| {
                        let plan = ops::converge(store, vpc, kernel.as_mut(), Scope::All)?;
                        Ok(match plan.changes.len() {
                            0 => format!("VPC {vpc} on {}: nothing to change", cluster.me),
                            n => format!("VPC {vpc} on {}: {n} changes made", cluster.me),
                        })
                    })
                } else {
                    Err(Error::new(
                        ErrorKind::Remote,
                        format!(
                            "VPC {vpc} not applied on {}: no other member took the spec \
                             (see their sync errors), and this host alone on it would reach \
                             nobody; deploy again once they can be reached",
                            cluster.me
                        ),
                    ))
                };
                steps.done("apply", applied);
            }
            (Part::Member(Target::Unreachable(why)), false) => {
                taken.record(false);
                steps.done("sync", unreachable(why));
            }
            (Part::Member(Target::Remote(r)), true) => {
                let args = ["mode=receive", "dryrun=1", "--json"];
                let plan = cluster
                    .connect(r)
                    .and_then(|c| remote(&c, &r.command, &args, &json))
                    .and_then(|out| planned(&out));
                steps.done("plan", plan);
            }
            (Part::Member(Target::Local), true) => {
                let plan = ops::run::receive_dry_run(store, &json)
                    .and_then(|r| crate::report::to_json(&r))
                    .and_then(|out| planned(&out));
                steps.done("plan", plan);
            }
            (Part::Member(Target::Unreachable(why)), true) => {
                steps.done("plan", unreachable(why));
            }
            (Part::Departed(Target::Remote(r)), false) => {
                steps.done("leave", cluster.run(r, &["mode=leave", &arg], ""));
            }
            (Part::Departed(Target::Remote(r)), true) => {
                let args = ["mode=teardown", &arg, "dryrun=1", "--json"];
                let plan = cluster
                    .connect(r)
                    .and_then(|c| remote(&c, &r.command, &args, ""))
                    .and_then(|out| planned(&out));
                steps.done("leave", plan);
            }
            (Part::Departed(Target::Unreachable(why)), _) => {
                steps.done("leave", unreachable(why));
            }
            // This host is left out of the departed above.
            (Part::Departed(Target::Local), _) => {}
        },
        on,
    ));
    Ok(results)
}

/// `leave` on every member (teardown, then the spec, guest records and
/// boot files removed) in parallel; this host last, and only when every
/// other member succeeded, unless `force`. `boot_dir` is this host's boot
/// file directory.
pub fn destroy(
    store: &Store,
    vpc: &VpcName,
    timeouts: &Timeouts,
    force: bool,
    boot_dir: &std::path::Path,
    on: &mut dyn FnMut(&NodeResult),
) -> Result<Vec<NodeResult>> {
    let spec = store.require_vpc(vpc)?;
    let cluster = Cluster::new(store, timeouts)?;
    let arg = format!("vpc_name={vpc}");
    let mut targets = Vec::new();
    let others = spec
        .members()
        .map(|m| &m.node.name)
        .chain(&spec.departed)
        .filter(|n| **n != cluster.me);
    for name in others {
        targets.push((name.clone(), target(store, &cluster.me, name)?));
    }
    let mut results = fan_out(
        "leave",
        targets,
        |t| match t {
            Target::Remote(r) => cluster.run(r, &["mode=leave", &arg], ""),
            _ => Ok(String::new()),
        },
        on,
    );
    let local = if results.iter().all(|r| r.ok) || force {
        vec![(cluster.me.clone(), Target::Local)]
    } else {
        let why =
            "kept: another member failed; run destroy again, or force=1 to remove it here anyway";
        vec![(cluster.me.clone(), Target::Unreachable(why.to_owned()))]
    };
    results.extend(fan_out(
        "leave",
        local,
        |_| {
            let mut kernel = backend::host()?;
            let (outcome, plan) =
                ops::leave(store, vpc, kernel.as_mut(), &local_boot_dirs(boot_dir))?;
            Ok(format!(
                "VPC {vpc} on {}: {outcome}, {} interfaces removed",
                cluster.me,
                plan.changes.len()
            ))
        },
        on,
    ));
    Ok(results)
}
