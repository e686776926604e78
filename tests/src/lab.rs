//! The lab: a "wan" switch and hosts plugged into it, each a network
//! namespace; guests on demand; everything removed on drop.

use std::path::PathBuf;
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use crate::cmd::{self, check, fail, in_netns, ip, ip_batch, try_output};
use crate::names;
use crate::{Guest, Host};

/// Sysctls of a host or guest namespace, set before its interfaces exist
/// so that `default` covers them: no router advertisement is ever taken,
/// so no default route can appear.
const NO_RA: &str = "for c in all default; do echo 0 > /proc/sys/net/ipv6/conf/$c/accept_ra; done";

/// Sysctls of the wan namespace: a pure layer-2 switch, no IPv6 of its
/// own (no link-local addresses, no MLD or ND of its own on the wire).
const NO_IPV6: &str =
    "for c in all default; do echo 1 > /proc/sys/net/ipv6/conf/$c/disable_ipv6; done";

/// How long a fresh link may take to come up.
const UP_LIMIT: Duration = Duration::from_secs(5);

/// Hosts in network namespaces on one switched underlay.
///
/// ```text
///   wan namespace        br0 (bridge) ── h0 ── h1 ── …    veth ends, one per host
///                                        │     │
///   host namespaces h{i}               eth0  eth0         198.18.0.{i+1}/24
///                                                         2001:db8::{i+1}/64
///   a guest k on host i  eth0 ──── g{i}n{k}               host end in h{i}:
///                                                         down, in no bridge
/// ```
///
/// Dropping the lab — also while a panic unwinds — ends the processes
/// left inside its namespaces, deletes the namespaces (which deletes their
/// interfaces: none is ever made outside them) and the hosts' state
/// directories. See the crate documentation for names and for what a
/// killed test leaves behind.
#[derive(Debug)]
pub struct Lab {
    key: String,
    prefix: String,
    dir: PathBuf,
    wan: String,
    mtu: u32,
    hosts: Vec<Host>,
    /// Every namespace made so far, in order (guests join while in use).
    netns: Mutex<Vec<String>>,
    guests: AtomicUsize,
}

impl Lab {
    /// A lab of `hosts` hosts (at most 254) with the default underlay MTU
    /// (1500), or `None` — after printing `skipping: needs root and ip
    /// netns (why)` to stderr — when this process cannot make namespaces.
    /// `tag` (its first 8 letters and digits) goes into the names, to tell
    /// which test made what.
    ///
    /// With `VPC_E2E_NETNS=require`, being unable fails the test instead;
    /// with `VPC_E2E_NETNS=skip`, every lab is skipped.
    pub fn new(tag: &str, hosts: usize) -> Option<Lab> {
        Lab::build(tag, hosts, None)
    }

    /// Like [`new`](Self::new), with `mtu` (1280 to 65535) on every
    /// underlay link: both ends of each host's veth, hence the switch.
    pub fn with_mtu(tag: &str, hosts: usize, mtu: u32) -> Option<Lab> {
        if !(1280..=65535).contains(&mtu) {
            fail(format!("Lab::with_mtu: mtu {mtu} outside 1280..=65535"));
        }
        Lab::build(tag, hosts, Some(mtu))
    }

    fn build(tag: &str, hosts: usize, mtu: Option<u32>) -> Option<Lab> {
        if let Err(why) = available() {
            if std::env::var("VPC_E2E_NETNS").is_ok_and(|v| v == "require") {
                fail(format!("VPC_E2E_NETNS=require, but: {why}"));
            }
            eprintln!("skipping: needs root and ip netns ({why})");
            return None;
        }
        if hosts > 254 {
            fail(format!("Lab: {hosts} hosts; at most 254 fit 198.18.0.0/24"));
        }
        let key = names::new_lab_key();
        let tag = names::clean_tag(tag);
        let base = match tag.as_str() {
            "" => names::stem(&key),
            t => format!("{}-{t}", names::stem(&key)),
        };
        let mut lab = Lab {
            key,
            prefix: format!("{base}-"),
            dir: std::env::temp_dir().join(&base),
            wan: format!("{base}-wan"),
            mtu: mtu.unwrap_or(1500),
            hosts: Vec::with_capacity(hosts),
            netns: Mutex::new(Vec::new()),
            guests: AtomicUsize::new(0),
        };
        // From here on a failing step panics, and dropping `lab` removes
        // whatever exists so far.
        if let Err(e) = std::fs::create_dir(&lab.dir) {
            fail(format!("cannot create {}: {e}", lab.dir.display()));
        }
        lab.add_netns(&lab.wan, NO_IPV6);
        let host_ns: Vec<String> = (0..hosts).map(|i| format!("{}h{i}", lab.prefix)).collect();
        for ns in &host_ns {
            lab.add_netns(ns, NO_RA);
        }

        // The switch and one veth per host, its far end straight into the
        // host's namespace: nothing is ever made in the caller's.
        let mtu_arg = mtu.map(|m| format!(" mtu {m}")).unwrap_or_default();
        let mut wan = vec![
            "link set lo up".to_owned(),
            "link add br0 type bridge mcast_snooping 0".to_owned(),
        ];
        for (i, ns) in host_ns.iter().enumerate() {
            wan.push(format!(
                "link add h{i}{mtu_arg} type veth peer name eth0{mtu_arg} netns {ns}"
            ));
            wan.push(format!("link set h{i} master br0"));
            wan.push(format!("link set h{i} up"));
        }
        wan.push("link set br0 up".to_owned());
        ip_batch(Some(&lab.wan), &wan);

        for (index, netns) in host_ns.into_iter().enumerate() {
            let n = u8::try_from(index + 1).unwrap_or(u8::MAX);
            let ip4 = std::net::Ipv4Addr::new(198, 18, 0, n);
            let ip6 = std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, n.into());
            ip_batch(
                Some(&netns),
                &[
                    "link set lo up".to_owned(),
                    format!("addr add {ip4}/24 dev eth0"),
                    format!("addr add {ip6}/64 dev eth0 nodad"),
                    "link set eth0 up".to_owned(),
                ],
            );
            let dir = lab.dir.join(format!("h{index}"));
            // The host's own directory holds its state and its boot files
            // (`rc/`, where VPC_RC_DIR points).
            if let Err(e) = std::fs::create_dir_all(dir.join("rc")) {
                fail(format!("cannot create {}: {e}", dir.display()));
            }
            lab.hosts.push(Host {
                index,
                name: format!("h{index}"),
                netns,
                ip4,
                ip6,
                dir,
            });
        }
        for h in &lab.hosts {
            if !cmd::wait_up(&h.netns, "eth0", UP_LIMIT) {
                fail(format!("{}: eth0 not up after {UP_LIMIT:?}", h.netns));
            }
        }
        Some(lab)
    }

    /// Makes namespace `name`, records it for removal, and runs the
    /// sysctl `script` inside it.
    fn add_netns(&self, name: &str, script: &str) {
        check(&mut ip(None, &["netns", "add", name]), None);
        self.netns
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(name.to_owned());
        check(in_netns(name, "sh").args(["-ec", script]), None);
    }

    /// Host `i` (from 0); fails the test if there is none.
    #[track_caller]
    pub fn host(&self, i: usize) -> &Host {
        self.hosts.get(i).unwrap_or_else(|| {
            fail(format!(
                "Lab::host({i}): the lab has {} hosts",
                self.hosts.len()
            ))
        })
    }

    /// Every host, in order.
    pub fn hosts(&self) -> &[Host] {
        &self.hosts
    }

    /// A new guest on host `host`: a namespace with `lo` and `eth0` up (no
    /// address yet; see [`Guest::addr`]) whose veth peer
    /// [`Guest::host_if`] is in the host's namespace, down, unattached.
    /// `name` is the test's label for it.
    #[track_caller]
    pub fn guest(&self, host: usize, name: &str) -> Guest<'_> {
        let host_ns = self.host(host).netns().to_owned();
        let n = self.guests.fetch_add(1, Ordering::Relaxed);
        let netns = format!("{}g{n}", self.prefix);
        let host_if = format!("g{host}n{n}");
        if host_if.len() > 15 {
            fail(format!(
                "guest interface name {host_if} longer than 15 bytes"
            ));
        }
        self.add_netns(&netns, NO_RA);
        ip_batch(
            Some(&host_ns),
            &[format!(
                "link add {host_if} type veth peer name eth0 netns {netns}"
            )],
        );
        ip_batch(
            Some(&netns),
            &["link set lo up".to_owned(), "link set eth0 up".to_owned()],
        );
        Guest {
            lab: self,
            name: name.to_owned(),
            host,
            netns,
            host_if,
        }
    }

    /// The wan namespace (bridge `br0`, one port `h{i}` per host).
    pub fn wan(&self) -> &str {
        &self.wan
    }

    /// Runs `cmd[0] cmd[1..]` inside the wan namespace (e.g. `tcpdump -i
    /// br0` to watch the underlay).
    pub fn wan_sh(&self, cmd: &[&str]) -> Output {
        cmd::sh(&self.wan, cmd)
    }

    /// A namespace of the lab's own for a test's extra machine (a NAT
    /// router, say), `{prefix}{suffix}`: no links but `lo`, removed with
    /// the lab.
    pub fn add_namespace(&self, suffix: &str) -> String {
        let name = format!("{}{suffix}", self.prefix);
        self.add_netns(&name, NO_RA);
        cmd::sh_ok(&name, &["ip", "link", "set", "lo", "up"]);
        name
    }

    /// Runs `cmd[0] cmd[1..]` inside namespace `netns` of this lab, failing
    /// the test unless it exits 0; its stdout.
    #[track_caller]
    pub fn ns_ok(&self, netns: &str, cmd: &[&str]) -> String {
        cmd::sh_ok(netns, cmd)
    }

    /// The underlay MTU of the host links.
    pub fn mtu(&self) -> u32 {
        self.mtu
    }

    /// What every name of this lab starts with: `vpct{pid}-{lab}[-{tag}]-`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Every namespace of the lab so far: wan, hosts, guests.
    pub fn namespaces(&self) -> Vec<String> {
        self.netns
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Removes namespaces and temporary directories that killed runs of
    /// this harness left behind: names `vpct{pid}-…` whose process is
    /// gone, or that carry this process's id but belong to no lab of it (a
    /// killed earlier process with the same id). Labs alive in this or
    /// another running process are not touched. Returns how many it
    /// removed. The first lab of a process runs it by itself.
    pub fn cleanup_stale() -> usize {
        names::cleanup_stale()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let mut all = std::mem::take(self.netns.get_mut().unwrap_or_else(PoisonError::into_inner));
        all.reverse();
        names::remove_netns(&all);
        let _ = std::fs::remove_dir_all(&self.dir);
        names::release(&self.key);
    }
}

/// Whether this process can make labs: root, `ip`, namespaces, veth and
/// bridges. Decided once per process; the first call also removes what
/// killed runs left (see [`Lab::cleanup_stale`]).
fn available() -> &'static Result<(), String> {
    static AVAILABLE: OnceLock<Result<(), String>> = OnceLock::new();
    AVAILABLE.get_or_init(probe)
}

fn probe() -> Result<(), String> {
    if std::env::var("VPC_E2E_NETNS").is_ok_and(|v| v == "skip") {
        return Err("VPC_E2E_NETNS=skip".to_owned());
    }
    match effective_uid() {
        Some(0) => {}
        Some(uid) => return Err(format!("effective uid {uid}, not root")),
        None => return Err("cannot read the uid from /proc/self/status".to_owned()),
    }
    match try_output(&mut ip(None, &["-V"]), None) {
        Ok(out) if out.status.success() => {}
        _ => return Err("no working `ip` (apt-get install iproute2)".to_owned()),
    }
    let removed = names::cleanup_stale();
    if removed > 0 {
        eprintln!("vpc-e2e: removed {removed} namespaces and directories of killed runs");
    }
    // Try what a lab needs, in a namespace of its own.
    names::register("probe");
    let ns = names::stem("probe");
    let result = (|| {
        let out = try_output(&mut ip(None, &["netns", "add", &ns]), None)
            .map_err(|e| format!("cannot run ip: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "ip netns add: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let script =
            "link add b0 type bridge\nlink add v0 type veth peer name v1\nlink set lo up\n";
        let out = try_output(
            &mut ip(Some(&ns), &["-batch", "-"]),
            Some(script.as_bytes()),
        )
        .map_err(|e| format!("cannot run ip: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "bridge or veth: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(())
    })();
    names::remove_netns(&[ns]);
    names::release("probe");
    result
}

/// The effective uid, from the `Uid:` line of `/proc/self/status`.
fn effective_uid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("Uid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
