//! Names of what the harness creates, who owns them, and removing what a
//! killed run left behind.
//!
//! Every namespace and temporary directory is named
//! `vpct{pid}-{key}[-…]`: `pid` is the test process that made it, `key` is
//! a lab number unique in that process (`probe` for the availability
//! probe). A name is *live* while its key is registered in this process;
//! a name is *stale* when its pid no longer runs, or when it carries this
//! process's pid but a key this process has not registered (an earlier,
//! killed process that had the same pid).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

use crate::cmd::{fail, ip, try_output};

/// The first bytes of every name this harness makes.
pub(crate) const PREFIX: &str = "vpct";

/// Keys of this process's labs that exist now (and the probe's).
static LIVE: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// The next lab number in this process.
static NEXT_LAB: AtomicU64 = AtomicU64::new(0);

/// A new lab key, registered live until [`release`].
pub(crate) fn new_lab_key() -> String {
    let key = NEXT_LAB.fetch_add(1, Ordering::Relaxed).to_string();
    register(&key);
    key
}

/// Marks `key` live: [`stale`] will not touch its names.
pub(crate) fn register(key: &str) {
    LIVE.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(key.to_owned());
}

/// Forgets `key` once everything named after it is gone.
pub(crate) fn release(key: &str) {
    LIVE.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(key);
}

/// `vpct{pid}-{key}` for this process.
pub(crate) fn stem(key: &str) -> String {
    format!("{PREFIX}{}-{key}", std::process::id())
}

/// A test's tag reduced to what names may hold: ASCII lower-case letters
/// and digits, at most 8 of them.
pub(crate) fn clean_tag(tag: &str) -> String {
    tag.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .take(8)
        .collect()
}

/// The pid and key a harness name carries: `vpct{pid}-{key}[-…]`.
pub(crate) fn owner(name: &str) -> Option<(u32, &str)> {
    let rest = name.strip_prefix(PREFIX)?;
    let (pid, rest) = rest.split_once('-')?;
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let pid = pid.parse().ok()?;
    let key = rest.split('-').next().unwrap_or_default();
    if key.is_empty() {
        return None;
    }
    Some((pid, key))
}

/// Whether a process (or thread) with this id runs now, as this process's
/// `/proc` sees it.
fn pid_alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

/// Whether `name` is the harness's and left behind by a run that is gone.
pub(crate) fn stale(name: &str) -> bool {
    let Some((pid, key)) = owner(name) else {
        return false;
    };
    if pid == std::process::id() {
        !LIVE
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(key)
    } else {
        !pid_alive(pid)
    }
}

/// The names `ip netns list` shows (first word of each line, e.g.
/// `vpct4242-0-ping-h0` of `vpct4242-0-ping-h0 (id: 1)`). Fails the test
/// when `ip` cannot run.
pub fn netns_list() -> Vec<String> {
    match try_netns_list() {
        Ok(names) => names,
        Err(e) => fail(format!("cannot run `ip netns list`: {e}")),
    }
}

fn try_netns_list() -> std::io::Result<Vec<String>> {
    let out = try_output(&mut ip(None, &["netns", "list"]), None)?;
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect())
}

/// Removes the namespaces `names`: first ends every process still inside
/// one (only processes a test started can be there), so that removing
/// the name frees the namespace and its interfaces at once. Never panics;
/// reports what it could not do on stderr. Returns the names that still
/// exist afterwards.
pub(crate) fn remove_netns(names: &[String]) -> Vec<String> {
    if names.is_empty() {
        return Vec::new();
    }
    let batch = |verb: &str| {
        let script: String = names
            .iter()
            .map(|n| format!("netns {verb} {n}\n"))
            .collect();
        try_output(
            &mut ip(None, &["-force", "-batch", "-"]),
            Some(script.as_bytes()),
        )
    };
    // Processes left inside (a daemon, a background ping): end them.
    if let Ok(out) = batch("pids") {
        let me = std::process::id();
        let pids: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .filter(|p| p.parse::<u32>().is_ok_and(|p| p > 1 && p != me))
            .map(str::to_owned)
            .collect();
        if !pids.is_empty() {
            let _ = try_output(Command::new("kill").arg("-KILL").args(&pids), None);
        }
    }
    if let Err(e) = batch("delete") {
        eprintln!("vpc-e2e: cannot run `ip -batch` to delete namespaces: {e}");
    }
    let left: Vec<String> = match try_netns_list() {
        Ok(now) => now.into_iter().filter(|n| names.contains(n)).collect(),
        Err(e) => {
            eprintln!("vpc-e2e: cannot run `ip netns list` to check removal: {e}");
            names.to_vec()
        }
    };
    for n in &left {
        eprintln!("vpc-e2e: namespace {n} could not be removed");
    }
    left
}

/// Removes the namespaces and temporary directories that runs of this
/// harness left behind when they were killed; returns how many.
pub(crate) fn cleanup_stale() -> usize {
    let stale_ns: Vec<String> = try_netns_list()
        .unwrap_or_default()
        .into_iter()
        .filter(|n| stale(n))
        .collect();
    let left = remove_netns(&stale_ns);
    let mut removed = stale_ns.len() - left.len() + crate::sshd::cleanup_stale_users();
    let tmp = std::env::temp_dir();
    if let Ok(entries) = std::fs::read_dir(&tmp) {
        for e in entries.flatten() {
            let name = e.file_name();
            let Some(name) = name.to_str() else { continue };
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            if is_dir && stale(name) && std::fs::remove_dir_all(e.path()).is_ok() {
                removed += 1;
            }
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_reads_pid_and_key() {
        assert_eq!(owner("vpct123-4-ping-h0"), Some((123, "4")));
        assert_eq!(owner("vpct123-4"), Some((123, "4")));
        assert_eq!(owner("vpct123-probe"), Some((123, "probe")));
        assert_eq!(owner("vpct-4-h0"), None);
        assert_eq!(owner("vpct12a-4-h0"), None);
        assert_eq!(owner("vpct123"), None);
        assert_eq!(owner("vpct123-"), None);
        assert_eq!(owner("vpcttry1"), None);
        assert_eq!(owner("other123-4-h0"), None);
    }

    #[test]
    fn keys_do_not_prefix_each_other() {
        // Key "1" must not claim lab 10's names.
        assert_eq!(owner("vpct9-10-x-h0"), Some((9, "10")));
    }

    #[test]
    fn own_names_are_stale_unless_registered() {
        let me = std::process::id();
        register("unitlive");
        assert!(!stale(&format!("vpct{me}-unitlive-h0")));
        assert!(stale(&format!("vpct{me}-unitgone-h0")));
        release("unitlive");
        assert!(stale(&format!("vpct{me}-unitlive-h0")));
        // Not the harness's: never stale.
        assert!(!stale("vpcttry1"));
        assert!(!stale("blue"));
    }

    #[test]
    fn tags_are_cleaned() {
        assert_eq!(clean_tag("Ping IPv6!"), "pingipv6");
        assert_eq!(clean_tag("a-b_c"), "abc");
        assert_eq!(clean_tag(""), "");
    }
}
