//! The state directory: this node's identity, the nodes it knows and the
//! VPC specs it holds, as JSON files.
//!
//! Every write is atomic (temporary file, fsync, rename, fsync of the
//! directory), so a reader sees the old file or the new one, never a mix.
//! Every mutation holds an exclusive lock on the directory: writes are only
//! reachable through a [`Locked`] guard, so none can happen without it. A
//! change waits for the lock at most the store's lock timeout
//! ([`Store::with_lock_timeout`]); the holder writes its pid into `.lock` so
//! that a waiter can name it.
//!
//! The directory and its subdirectories are made 0700 and every file 0600,
//! whatever the umask (set on the new file, never through `umask(2)`, which
//! is the process's). Nothing inside the directory is opened through a
//! symbolic link: each file is opened relative to its directory's
//! descriptor with `O_NOFOLLOW` (nix's `openat`), and a link found there is
//! an [`ErrorKind::Corrupt`] error naming it — vpc never makes one, so it
//! says someone else changed the directory, like a foreign file does.
//!
//! ```text
//! node.json          this host's identity            (STATE_SCHEMA)
//! nodes/<name>.json  known hosts, host keys pinned   (STATE_SCHEMA)
//! vpcs/<name>.json   VPC specs                       (SPEC_SCHEMA)
//! guests/<vpc>.json  guest ports attached here       (STATE_SCHEMA)
//! owned/<vpc>.json   interfaces vpc made here        (STATE_SCHEMA)
//! ssh/id_ed25519     this host's SSH key pair, 0600 (feature ssh)
//! .lock              flock(2) target
//! ```

use std::fs::{self, File, TryLockError};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::{FileExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, openat, renameat};
use nix::sys::stat::{Mode, SFlag, fchmod, fstatat, mkdirat};
use nix::unistd::{UnlinkatFlags, unlinkat};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result, Schema, Unread, from_versioned_json};
use crate::model::name::{NodeName, VpcName};
use crate::model::node::Node;
use crate::model::quota::Usage;
use crate::model::spec::Spec;
use crate::model::wgkey::{PrivateKey, PublicKey};

/// What a mutation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Something new was stored.
    Created,
    /// Something stored was changed.
    Updated,
    /// The request matched what was stored: nothing was written.
    Unchanged,
    /// Something was removed.
    Removed,
}

crate::model::words!(Outcome, "outcome", {
    Created => "created",
    Updated => "updated",
    Unchanged => "unchanged",
    Removed => "removed",
}, display);

/// The format of `node.json`, `nodes/*.json` and `guests/*.json` this
/// build writes, and the newest it reads. A file of
/// [`STATE_SCHEMA_OLDEST_READ`] (one back) is read too, upgraded on read by
/// the file kind's `upgrade_…` function; anything else is refused as
/// corrupt, a newer one with a message telling to upgrade this host.
/// (`vpcs/*.json` are specs: [`crate::model::spec::SPEC_SCHEMA`].)
pub const STATE_SCHEMA: u32 = 1;

/// The oldest state format this build reads: `STATE_SCHEMA − 1` (while
/// `STATE_SCHEMA` is 1, itself: there is no version 0).
pub const STATE_SCHEMA_OLDEST_READ: u32 = crate::error::oldest_read(STATE_SCHEMA);

/// The versions of a state file this build reads.
const STATE: Schema = Schema {
    newest: STATE_SCHEMA,
    oldest: STATE_SCHEMA_OLDEST_READ,
};

/// Upgrades a `node.json` of version `from` (at least
/// [`STATE_SCHEMA_OLDEST_READ`], below [`STATE_SCHEMA`]) to the current
/// format. No older format exists yet: the document is unchanged.
fn upgrade_identity(from: u32, doc: serde_json::Value) -> serde_json::Value {
    debug_assert!((STATE_SCHEMA_OLDEST_READ..STATE_SCHEMA).contains(&from));
    doc
}

/// Upgrades a `nodes/*.json` of version `from`, like [`upgrade_identity`].
fn upgrade_node_record(from: u32, doc: serde_json::Value) -> serde_json::Value {
    debug_assert!((STATE_SCHEMA_OLDEST_READ..STATE_SCHEMA).contains(&from));
    doc
}

/// Upgrades a `guests/*.json` of version `from`, like [`upgrade_identity`].
fn upgrade_guests(from: u32, doc: serde_json::Value) -> serde_json::Value {
    debug_assert!((STATE_SCHEMA_OLDEST_READ..STATE_SCHEMA).contains(&from));
    doc
}

/// The environment variable that chooses the state directory.
pub const STATE_DIR_ENV: &str = "VPC_STATE_DIR";

/// The state directory of this platform when [`STATE_DIR_ENV`] is not set.
pub fn default_dir_of_platform() -> &'static str {
    if cfg!(target_os = "freebsd") {
        "/var/db/vpc"
    } else {
        "/var/lib/vpc"
    }
}

/// The file, relative to the state directory, of this host's WireGuard
/// private key for encrypted VPC `vpc` (`keys/<vpc>.key`, 0600).
pub fn wg_key_file_of(vpc: &VpcName) -> String {
    format!("{KEYS_DIR}/{vpc}.key")
}

/// The directory of WireGuard private keys in the state directory.
pub const KEYS_DIR: &str = "keys";

/// The state directory when [`STATE_DIR_ENV`] is not set.
pub fn default_dir() -> PathBuf {
    match std::env::var_os(STATE_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(default_dir_of_platform()),
    }
}

/// This host's identity (`node.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// Format version ([`STATE_SCHEMA`]).
    pub schema_version: u32,
    /// This host's name.
    pub name: NodeName,
    /// IPv4 underlay address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip4: Option<Ipv4Addr>,
    /// IPv6 underlay address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip6: Option<Ipv6Addr>,
    /// The IPv4 address on its interface behind a 1:1 NAT (`local4=`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local4: Option<Ipv4Addr>,
    /// The IPv6 address on its interface behind a 1:1 NAT (`local6=`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local6: Option<Ipv6Addr>,
    /// Whether others can reach it (`inbound=0`: behind masquerade).
    #[serde(
        default = "crate::model::node::reachable",
        skip_serializing_if = "crate::model::node::is_reachable"
    )]
    pub inbound: bool,
}

impl Identity {
    /// The node this identity describes.
    pub fn node(&self) -> Node {
        Node {
            name: self.name.clone(),
            ip4: self.ip4,
            ip6: self.ip6,
            local4: self.local4,
            local6: self.local6,
            inbound: self.inbound,
        }
    }
}

/// A known host (`nodes/<name>.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeRecord {
    /// Format version ([`STATE_SCHEMA`]).
    pub schema_version: u32,
    /// The host's name.
    pub name: NodeName,
    /// IPv4 underlay address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip4: Option<Ipv4Addr>,
    /// IPv6 underlay address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip6: Option<Ipv6Addr>,
    /// The IPv4 address on its interface behind a 1:1 NAT (`local4=`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local4: Option<Ipv4Addr>,
    /// The IPv6 address on its interface behind a 1:1 NAT (`local6=`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local6: Option<Ipv6Addr>,
    /// Whether others can reach it (`inbound=0`: behind masquerade).
    #[serde(
        default = "crate::model::node::reachable",
        skip_serializing_if = "crate::model::node::is_reachable"
    )]
    pub inbound: bool,
    /// SSH port.
    #[serde(default = "default_ssh_port")]
    pub port: u16,
    /// SSH user.
    #[serde(default = "default_ssh_user")]
    pub user: String,
    /// The `vpc` command to run there.
    #[serde(default = "default_command")]
    pub command: String,
    /// The address SSH reaches it at (`node=`); else its underlay address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<std::net::IpAddr>,
    /// The SHA256 fingerprint of its SSH host key, pinned at first contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_key: Option<String>,
}

fn default_ssh_port() -> u16 {
    22
}

fn default_ssh_user() -> String {
    "root".to_owned()
}

fn default_command() -> String {
    "vpc".to_owned()
}

impl NodeRecord {
    /// A record with the default SSH settings.
    pub fn new(node: Node) -> NodeRecord {
        NodeRecord {
            schema_version: STATE_SCHEMA,
            name: node.name,
            ip4: node.ip4,
            ip6: node.ip6,
            local4: node.local4,
            local6: node.local6,
            inbound: node.inbound,
            port: default_ssh_port(),
            user: default_ssh_user(),
            command: default_command(),
            address: None,
            host_key: None,
        }
    }

    /// The address SSH reaches the node at.
    pub fn ssh_address(&self) -> Option<std::net::IpAddr> {
        self.address
            .or(self.ip6.map(std::net::IpAddr::V6))
            .or(self.ip4.map(std::net::IpAddr::V4))
    }

    /// The node this record describes.
    pub fn node(&self) -> Node {
        Node {
            name: self.name.clone(),
            ip4: self.ip4,
            ip6: self.ip6,
            local4: self.local4,
            local6: self.local6,
            inbound: self.inbound,
        }
    }

    /// Checks every field: a record that passes can be stored and read back.
    pub fn check(&self) -> Result<()> {
        // Only the current version is held and written: an older one is
        // upgraded on read, before this.
        if self.schema_version != STATE_SCHEMA {
            let of = format!(" of node {}", self.name);
            return Err(Error::invalid(
                STATE.refusal(self.schema_version, &of).unwrap_or_else(|| {
                    format!(
                        "schema_version {}{of} is read, not written: expected {STATE_SCHEMA}",
                        self.schema_version
                    )
                }),
            ));
        }
        self.node().check()?;
        if self.port == 0 {
            return Err(Error::invalid(format!(
                "port 0 of node {} is not valid: expected 1 to 65535",
                self.name
            )));
        }
        if !self
            .command
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+@:,".contains(&b))
        {
            return Err(Error::invalid(format!(
                "command {:?} of node {} is not valid: expected a path of letters, digits and \
                 / . _ - + @ : , (it is run on that host as is)",
                self.command, self.name
            )));
        }
        if let Some(fp) = &self.host_key
            && !fp.starts_with("SHA256:")
        {
            return Err(Error::invalid(format!(
                "host_key {fp:?} of node {} is not valid: expected SHA256:…",
                self.name
            )));
        }
        for (key, value) in [("user", &self.user), ("command", &self.command)] {
            if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(Error::invalid(format!(
                    "{key} {value:?} of node {} is not valid: expected one word",
                    self.name
                )));
            }
        }
        Ok(())
    }
}

/// A guest port attached on this node, with what it declared it uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuestPort {
    /// The port's interface name.
    pub iface: String,
    /// Declared use, counted against the VPC's quota.
    pub usage: Usage,
}

/// The guest ports of one VPC on this node (`guests/<vpc>.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guests {
    /// Format version ([`STATE_SCHEMA`]).
    pub schema_version: u32,
    /// The VPC.
    pub vpc: VpcName,
    /// Attached ports.
    pub ports: Vec<GuestPort>,
}

impl Guests {
    /// What the ports use together.
    pub fn usage(&self) -> Usage {
        self.ports
            .iter()
            .fold(Usage::default(), |u, p| u.plus(p.usage))
    }
}

/// The longest a change waits for the store's lock unless told otherwise
/// ([`Store::with_lock_timeout`]).
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(30);

/// The mode of the state directory and of its subdirectories.
const DIR_MODE: u32 = 0o700;
/// The mode of every file in the state directory.
const FILE_MODE: u32 = 0o600;

/// A state directory.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
    lock_timeout: Duration,
    on_lock_wait: Option<fn(&str)>,
}

fn io_error(path: &Path, what: &str, e: &io::Error) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("cannot {what} {}: {e}", path.display()),
    )
}

fn errno_error(path: &Path, what: &str, e: Errno) -> Error {
    io_error(path, what, &io::Error::from(e))
}

fn corrupt(path: &Path, why: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Corrupt,
        format!("state file {} is not valid: {why}", path.display()),
    )
}

/// A file or directory inside the state directory: its subdirectory
/// (none for the top) and its name.
#[derive(Debug, Clone)]
struct Place {
    sub: Option<&'static str>,
    name: String,
}

impl Place {
    fn top(name: &str) -> Place {
        Place {
            sub: None,
            name: name.to_owned(),
        }
    }

    fn in_sub(sub: &'static str, name: String) -> Place {
        Place {
            sub: Some(sub),
            name,
        }
    }

    fn path(&self, dir: &Path) -> PathBuf {
        match self.sub {
            Some(sub) => dir.join(sub).join(&self.name),
            None => dir.join(&self.name),
        }
    }
}

/// Why opening `name` in `dir` without following links failed, in words:
/// a symbolic link, or another kind of file than expected, is corruption
/// of the state directory (vpc writes neither), named; anything else is I/O.
fn open_error(dir: &impl AsFd, name: &str, path: &Path, expected: &str, e: Errno) -> Error {
    // O_NOFOLLOW on a link fails with ELOOP (FreeBSD: EMLINK), and with
    // O_DIRECTORY Linux says ENOTDIR first: ask the file itself.
    let unexpected = matches!(e, Errno::ELOOP | Errno::ENOTDIR | Errno::EMLINK);
    if unexpected && let Ok(st) = fstatat(dir, name, AtFlags::AT_SYMLINK_NOFOLLOW) {
        let kind = SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT;
        let what = if kind == SFlag::S_IFLNK {
            "is a symbolic link".to_owned()
        } else {
            format!("is not {expected}")
        };
        return Error::new(
            ErrorKind::Corrupt,
            format!(
                "{} {what}: expected {expected} (vpc follows no link inside its state \
                 directory; move it away)",
                path.display()
            ),
        );
    }
    errno_error(path, "open", e)
}

/// Opens directory `name` in `dir` without following a link; `None` when
/// it does not exist.
fn open_dir_at(dir: &impl AsFd, name: &str, path: &Path) -> Result<Option<OwnedFd>> {
    let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    match openat(dir, name, flags, Mode::empty()) {
        Ok(fd) => Ok(Some(fd)),
        Err(Errno::ENOENT) => Ok(None),
        Err(e) => Err(open_error(dir, name, path, "a directory", e)),
    }
}

/// Opens file `name` in `dir` for reading without following a link;
/// `None` when it does not exist.
fn open_file_at(dir: &impl AsFd, name: &str, path: &Path) -> Result<Option<File>> {
    let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK;
    let file = match openat(dir, name, flags, Mode::empty()) {
        Ok(fd) => File::from(fd),
        Err(Errno::ENOENT) => return Ok(None),
        Err(e) => return Err(open_error(dir, name, path, "a regular file", e)),
    };
    let meta = file.metadata().map_err(|e| io_error(path, "read", &e))?;
    if !meta.is_file() {
        return Err(Error::new(
            ErrorKind::Corrupt,
            format!("{} is not a regular file: expected one", path.display()),
        ));
    }
    Ok(Some(file))
}

/// Creates directory `name` in `dir` with [`DIR_MODE`] whatever the umask
/// (an existing one is left as it is), and opens it without following a
/// link.
fn make_dir_at(dir: &impl AsFd, name: &str, path: &Path) -> Result<OwnedFd> {
    let created = match mkdirat(dir, name, Mode::from_bits_truncate(DIR_MODE as _)) {
        Ok(()) => true,
        Err(Errno::EEXIST) => false,
        Err(e) => return Err(errno_error(path, "create", e)),
    };
    let fd =
        open_dir_at(dir, name, path)?.ok_or_else(|| errno_error(path, "open", Errno::ENOENT))?;
    if created {
        // mkdir(2) applied the umask; the mode is ours to choose.
        fchmod(&fd, Mode::from_bits_truncate(DIR_MODE as _))
            .map_err(|e| errno_error(path, "set the mode of", e))?;
    }
    Ok(fd)
}

/// Whether `name` in `dir` is a symbolic link (a state file about to be
/// replaced must not be one: it would say someone meddled).
fn refuse_link_at(dir: &impl AsFd, name: &str, path: &Path) -> Result<()> {
    match fstatat(dir, name, AtFlags::AT_SYMLINK_NOFOLLOW) {
        Ok(st) if SFlag::from_bits_truncate(st.st_mode) & SFlag::S_IFMT == SFlag::S_IFLNK => {
            Err(Error::new(
                ErrorKind::Corrupt,
                format!(
                    "{} is a symbolic link: expected a regular file (vpc follows no link \
                     inside its state directory; move it away)",
                    path.display()
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// Reads a state file's text with `read` (which refuses the versions this
/// build does not read and upgrades the previous one).
fn parse_json<T>(
    path: &Path,
    bytes: Option<Vec<u8>>,
    read: impl FnOnce(&str) -> Result<T, Unread>,
) -> Result<Option<T>> {
    let Some(bytes) = bytes else {
        return Ok(None);
    };
    let text = String::from_utf8(bytes).map_err(|_| corrupt(path, "not UTF-8"))?;
    read(&text).map(Some).map_err(|why| corrupt(path, why))
}

/// Reads a state file's text of a version this build reads, upgraded by
/// `upgrade` when it is the previous one.
fn state<T: DeserializeOwned>(
    upgrade: fn(u32, serde_json::Value) -> serde_json::Value,
) -> impl FnOnce(&str) -> Result<T, Unread> {
    move |text| from_versioned_json(text, STATE, upgrade)
}

/// The names of the entries of directory `fd` (at `path`), `.` and `..`
/// left out.
fn entries(fd: OwnedFd, path: &Path) -> Result<Vec<String>> {
    let dir = nix::dir::Dir::from_fd(fd).map_err(|e| errno_error(path, "read", e))?;
    let mut names = Vec::new();
    for entry in dir {
        let entry = entry.map_err(|e| errno_error(path, "read", e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name != "." && name != ".." {
            names.push(name);
        }
    }
    Ok(names)
}

/// Lists `<name>.json` files as names; temporary files (leading '.') are
/// skipped, anything else is a foreign file and an error.
fn list_json(fd: OwnedFd, path: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for file in entries(fd, path)? {
        if file.starts_with('.') {
            continue;
        }
        match file.strip_suffix(".json") {
            Some(name) if !name.is_empty() => names.push(name.to_owned()),
            _ => {
                return Err(Error::new(
                    ErrorKind::Corrupt,
                    format!(
                        "state directory holds a foreign file {}: expected only <name>.json files",
                        path.join(&file).display()
                    ),
                ));
            }
        }
    }
    names.sort_unstable();
    Ok(names)
}

impl Store {
    /// The store at `dir` (nothing is created until the first write),
    /// whose changes wait at most [`DEFAULT_LOCK_TIMEOUT`] for the lock.
    pub fn open(dir: impl Into<PathBuf>) -> Store {
        Store {
            dir: dir.into(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            on_lock_wait: None,
        }
    }

    /// The store at `dir` as a door was given it: an empty path is refused
    /// (it would mean the working directory, never what was meant).
    pub fn at(dir: impl Into<PathBuf>) -> Result<Store> {
        let dir = dir.into();
        if dir.as_os_str().is_empty() {
            return Err(Error::invalid(
                "the state directory \"\" is not valid: expected a directory path",
            ));
        }
        Ok(Store::open(dir))
    }

    /// The store at [`default_dir`].
    pub fn from_env() -> Store {
        Store::open(default_dir())
    }

    /// The same store, whose changes wait at most `timeout` for the lock
    /// another process holds (zero: not at all) before failing with
    /// [`ErrorKind::Conflict`].
    #[must_use]
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Store {
        self.lock_timeout = timeout;
        self
    }

    /// The same store, which calls `notice` once, with a sentence naming
    /// the holder, when a change has to wait for the lock (the door
    /// decides where it goes: the library prints nothing).
    #[must_use]
    pub fn on_lock_wait(mut self, notice: fn(&str)) -> Store {
        self.on_lock_wait = Some(notice);
        self
    }

    /// How long a change waits for the lock.
    pub fn lock_timeout(&self) -> Duration {
        self.lock_timeout
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The state directory, opened; `None` when it does not exist yet.
    /// The directory itself may be reached through a link (its path is the
    /// administrator's choice); nothing inside it is.
    fn open_top(&self) -> Result<Option<OwnedFd>> {
        match self.open_top_raw() {
            Ok(fd) => Ok(Some(fd)),
            Err(Errno::ENOENT) => Ok(None),
            Err(e) => Err(errno_error(&self.dir, "open", e)),
        }
    }

    fn open_top_raw(&self) -> nix::Result<OwnedFd> {
        let flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
        nix::fcntl::open(&self.dir, flags, Mode::empty())
    }

    /// The directory that holds `place`, opened without following links;
    /// `None` when it does not exist.
    fn open_parent(&self, place: &Place) -> Result<Option<OwnedFd>> {
        let Some(top) = self.open_top()? else {
            return Ok(None);
        };
        match place.sub {
            None => Ok(Some(top)),
            Some(sub) => open_dir_at(&top, sub, &self.dir.join(sub)),
        }
    }

    /// The bytes of a file in the state directory and its permission bits,
    /// read without following a link; `None` when it does not exist.
    fn read_place(&self, place: &Place) -> Result<Option<(Vec<u8>, u32)>> {
        let path = place.path(&self.dir);
        let Some(dir) = self.open_parent(place)? else {
            return Ok(None);
        };
        let Some(mut file) = open_file_at(&dir, &place.name, &path)? else {
            return Ok(None);
        };
        let mode = file
            .metadata()
            .map(|m| m.permissions().mode() & 0o7777)
            .map_err(|e| io_error(&path, "read", &e))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)
            .map_err(|e| io_error(&path, "read", &e))?;
        Ok(Some((bytes, mode)))
    }

    /// A file of subdirectory `sub` and its permission bits (for this
    /// host's SSH key pair), read without following a link.
    #[cfg_attr(
        not(feature = "ssh"),
        allow(dead_code, reason = "only the SSH key pair is read this way")
    )]
    pub(crate) fn read_file_in(
        &self,
        sub: &'static str,
        name: &str,
    ) -> Result<Option<(Vec<u8>, u32)>> {
        self.read_place(&Place::in_sub(sub, name.to_owned()))
    }

    fn read_json<T>(
        &self,
        place: &Place,
        read: impl FnOnce(&str) -> Result<T, Unread>,
    ) -> Result<Option<T>> {
        let bytes = self.read_place(place)?.map(|(b, _)| b);
        parse_json(&place.path(&self.dir), bytes, read)
    }

    /// The `<name>.json` files of subdirectory `sub`, as names.
    fn list(&self, sub: &'static str) -> Result<Vec<String>> {
        let path = self.dir.join(sub);
        match self.open_parent(&Place::in_sub(sub, String::new()))? {
            Some(fd) => list_json(fd, &path),
            None => Ok(Vec::new()),
        }
    }

    fn identity_place() -> Place {
        Place::top("node.json")
    }

    fn node_place(name: &NodeName) -> Place {
        Place::in_sub("nodes", format!("{name}.json"))
    }

    fn guests_place(vpc: &VpcName) -> Place {
        Place::in_sub("guests", format!("{vpc}.json"))
    }

    fn vpc_place(name: &VpcName) -> Place {
        Place::in_sub("vpcs", format!("{name}.json"))
    }

    /// The guest ports of `vpc` attached on this node.
    pub fn guests(&self, vpc: &VpcName) -> Result<Guests> {
        let place = Store::guests_place(vpc);
        match self.read_json::<Guests>(&place, state(upgrade_guests))? {
            Some(g) => {
                if &g.vpc != vpc {
                    return Err(corrupt(
                        &place.path(&self.dir),
                        format_args!("holds VPC {}, expected {vpc}", g.vpc),
                    ));
                }
                Ok(g)
            }
            None => Ok(Guests {
                schema_version: STATE_SCHEMA,
                vpc: vpc.clone(),
                ports: Vec::new(),
            }),
        }
    }

    /// This host's identity, if set.
    pub fn identity(&self) -> Result<Option<Identity>> {
        let place = Store::identity_place();
        let id: Option<Identity> = self.read_json(&place, state(upgrade_identity))?;
        if let Some(id) = &id {
            id.node()
                .check()
                .map_err(|e| corrupt(&place.path(&self.dir), e))?;
        }
        Ok(id)
    }

    /// This host's identity, or an error telling how to set it.
    pub fn this_node(&self) -> Result<Node> {
        self.identity()?.map(|i| i.node()).ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!(
                    "this host has no identity in {}: run vpc node mode=init name=NAME ip4=ADDR",
                    self.dir.display()
                ),
            )
        })
    }

    /// The record of node `name`, if known.
    pub fn node(&self, name: &NodeName) -> Result<Option<NodeRecord>> {
        let place = Store::node_place(name);
        let path = place.path(&self.dir);
        let rec: Option<NodeRecord> = self.read_json(&place, state(upgrade_node_record))?;
        if let Some(rec) = &rec {
            if &rec.name != name {
                return Err(corrupt(
                    &path,
                    format_args!("holds node {}, expected {name}", rec.name),
                ));
            }
            rec.check().map_err(|e| corrupt(&path, e))?;
        }
        Ok(rec)
    }

    /// Every known node, in ascending byte order of name.
    pub fn nodes(&self) -> Result<Vec<NodeRecord>> {
        let dir = self.dir.join("nodes");
        let mut out = Vec::new();
        for file in self.list("nodes")? {
            let name =
                NodeName::new(&file).map_err(|e| corrupt(&dir.join(format!("{file}.json")), e))?;
            out.extend(self.node(&name)?);
        }
        Ok(out)
    }

    /// The spec of VPC `name`, if held.
    pub fn vpc(&self, name: &VpcName) -> Result<Option<Spec>> {
        let place = Store::vpc_place(name);
        let path = place.path(&self.dir);
        let spec: Option<Spec> = self.read_json(&place, Spec::read_versioned)?;
        if let Some(spec) = &spec {
            if &spec.name != name {
                return Err(corrupt(
                    &path,
                    format_args!("holds VPC {}, expected {name}", spec.name),
                ));
            }
            spec.check().map_err(|e| corrupt(&path, e))?;
        }
        Ok(spec)
    }

    /// The spec of VPC `name`, or a not-found error.
    pub fn require_vpc(&self, name: &VpcName) -> Result<Spec> {
        self.vpc(name)?.ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!(
                    "VPC {name} does not exist in {}: expected one of vpc mode=list",
                    self.dir.display()
                ),
            )
        })
    }

    /// Every VPC held, in ascending order of name.
    pub fn vpcs(&self) -> Result<Vec<Spec>> {
        let dir = self.dir.join("vpcs");
        let mut out = Vec::new();
        for file in self.list("vpcs")? {
            let name =
                VpcName::new(&file).map_err(|e| corrupt(&dir.join(format!("{file}.json")), e))?;
            out.extend(self.vpc(&name)?);
        }
        Ok(out)
    }

    /// The state directory, created (mode [`DIR_MODE`]) if needed, and
    /// opened. Its parents, outside it, are made with the usual modes.
    fn make_top(&self) -> Result<OwnedFd> {
        match self.open_top_raw() {
            Ok(fd) => return Ok(fd),
            // Missing, or a parent is not a directory: creating says why.
            Err(Errno::ENOENT | Errno::ENOTDIR) => {}
            Err(e) => return Err(errno_error(&self.dir, "open", e)),
        }
        let (parent, name) = match (self.dir.parent(), self.dir.file_name()) {
            (Some(p), Some(n)) => (
                if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                },
                n,
            ),
            _ => return Err(errno_error(&self.dir, "create", Errno::EINVAL)),
        };
        fs::create_dir_all(parent).map_err(|e| io_error(&self.dir, "create", &e))?;
        let parent_fd = nix::fcntl::open(
            parent,
            OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| errno_error(parent, "open", e))?;
        make_dir_at(&parent_fd, &name.to_string_lossy(), &self.dir)
    }

    /// Takes the exclusive lock, creating the directory if needed. When
    /// another process holds it, waits at most the store's lock timeout
    /// (telling [`Store::on_lock_wait`]'s callback once), then fails with
    /// [`ErrorKind::Conflict`] naming the holder. Stale temporary files of
    /// killed writers are removed.
    pub fn lock(&self) -> Result<Locked<'_>> {
        let top = self.make_top()?;
        let path = self.dir.join(".lock");
        let file = open_lock(&top, &path)?;
        let deadline = Instant::now() + self.lock_timeout;
        let mut told = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {}
                Err(TryLockError::Error(e)) => return Err(io_error(&path, "lock", &e)),
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    format!(
                        "the state directory {} is locked by {}: gave up after {} s \
                         (lock_timeout=); try again when it is done",
                        self.dir.display(),
                        holder(&file),
                        self.lock_timeout.as_secs()
                    ),
                ));
            }
            if !told {
                told = true;
                if let Some(notice) = self.on_lock_wait {
                    notice(&format!(
                        "waiting for the lock on {}, held by {} (at most {} s)",
                        self.dir.display(),
                        holder(&file),
                        self.lock_timeout.as_secs()
                    ));
                }
            }
            std::thread::sleep((deadline - now).min(Duration::from_millis(50)));
        }
        // The holder's pid, for whoever waits next (not rewritten when it is
        // there already); the length is set after the write so that a
        // reader never sees an empty file in between.
        let pid = format!("{}\n", std::process::id());
        let mut held = [0u8; 24];
        let n = file.read_at(&mut held, 0).unwrap_or(0);
        if held.get(..n) != Some(pid.as_bytes()) {
            file.write_all_at(pid.as_bytes(), 0)
                .and_then(|()| file.set_len(pid.len() as u64))
                .map_err(|e| io_error(&path, "write", &e))?;
        }
        let locked = Locked {
            store: self,
            top,
            _lock: file,
        };
        locked.sweep(None);
        for sub in ["nodes", "vpcs", "guests", "owned", "ssh"] {
            locked.sweep(Some(sub));
        }
        Ok(locked)
    }
}

/// Opens (creating it, mode [`FILE_MODE`]) the lock file `.lock` in `top`
/// without following a link.
fn open_lock(top: &OwnedFd, path: &Path) -> Result<File> {
    let base = OFlag::O_RDWR | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let mode = Mode::from_bits_truncate(FILE_MODE as _);
    let fd = match openat(top, ".lock", base | OFlag::O_CREAT | OFlag::O_EXCL, mode) {
        Ok(fd) => {
            // The umask took bits off; the mode is ours to choose.
            fchmod(&fd, mode).map_err(|e| errno_error(path, "set the mode of", e))?;
            fd
        }
        Err(Errno::EEXIST) => openat(top, ".lock", base, Mode::empty())
            .map_err(|e| open_error(top, ".lock", path, "a regular file", e))?,
        Err(e) => return Err(errno_error(path, "create", e)),
    };
    let file = File::from(fd);
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(Error::new(
            ErrorKind::Corrupt,
            format!("{} is not a regular file: expected one", path.display()),
        ));
    }
    Ok(file)
}

/// Who holds the lock, as its holder wrote it into `.lock`.
fn holder(file: &File) -> String {
    let mut buf = [0u8; 24];
    let n = file.read_at(&mut buf, 0).unwrap_or(0);
    match std::str::from_utf8(&buf[..n])
        .ok()
        .and_then(|t| t.trim().parse::<u32>().ok())
    {
        Some(pid) => format!("process {pid}"),
        None => "another process (it wrote no pid into .lock)".to_owned(),
    }
}

/// The store with its lock held: the only way to write.
#[derive(Debug)]
pub struct Locked<'a> {
    store: &'a Store,
    top: OwnedFd,
    // Dropping the file releases the flock.
    _lock: File,
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Locked<'_> {
    /// The store, for reads under the lock.
    pub fn store(&self) -> &Store {
        self.store
    }

    /// Subdirectory `sub` (or the top), opened without following a link;
    /// created with [`DIR_MODE`] when `create`, else `None` if missing.
    fn dir(&self, sub: Option<&'static str>, create: bool) -> Result<Option<OwnedFd>> {
        let Some(sub) = sub else {
            return self
                .top
                .try_clone()
                .map(Some)
                .map_err(|e| io_error(&self.store.dir, "open", &e));
        };
        let path = self.store.dir.join(sub);
        if create {
            make_dir_at(&self.top, sub, &path).map(Some)
        } else {
            open_dir_at(&self.top, sub, &path)
        }
    }

    /// Removes temporary files a killed writer left behind; nobody else
    /// writes while the lock is held. Best effort: a leftover is harmless.
    fn sweep(&self, sub: Option<&'static str>) {
        let Ok(Some(fd)) = self.dir(sub, false) else {
            return;
        };
        let Ok(dir) = fd.try_clone() else {
            return;
        };
        let Ok(names) = entries(dir, &self.store.dir) else {
            return;
        };
        for name in names {
            if name.starts_with('.') && name.ends_with(".tmp") {
                let _ = unlinkat(&fd, name.as_str(), UnlinkatFlags::NoRemoveDir);
            }
        }
    }

    /// Writes `bytes` to `place` atomically, mode [`FILE_MODE`]; a link in
    /// the way is refused.
    fn write_place(&self, place: &Place, bytes: &[u8]) -> Result<()> {
        let path = place.path(&self.store.dir);
        let dir = self
            .dir(place.sub, true)?
            .ok_or_else(|| errno_error(&path, "create", Errno::ENOENT))?;
        refuse_link_at(&dir, &place.name, &path)?;
        atomic_write_at(&dir, &place.name, &path, bytes, FILE_MODE)
    }

    /// Writes `bytes` as file `name` of subdirectory `sub` (for this host's
    /// SSH key pair), atomically and with mode 0600.
    #[cfg_attr(
        not(feature = "ssh"),
        allow(dead_code, reason = "only the SSH key pair is written this way")
    )]
    pub(crate) fn write_file_in(&self, sub: &'static str, name: &str, bytes: &[u8]) -> Result<()> {
        self.write_place(&Place::in_sub(sub, name.to_owned()), bytes)
    }

    /// Writes `value` as JSON to `place` atomically.
    fn write_json<T: Serialize>(&self, place: &Place, value: &T) -> Result<()> {
        let mut text = serde_json::to_string_pretty(value).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!(
                    "cannot encode {}: {e}",
                    place.path(&self.store.dir).display()
                ),
            )
        })?;
        text.push('\n');
        self.write_place(place, text.as_bytes())
    }

    /// Removes `place`; false if it was not there.
    fn remove(&self, place: &Place) -> Result<bool> {
        let path = place.path(&self.store.dir);
        let Some(dir) = self.dir(place.sub, false)? else {
            return Ok(false);
        };
        match unlinkat(&dir, place.name.as_str(), UnlinkatFlags::NoRemoveDir) {
            Ok(()) => {}
            Err(Errno::ENOENT) => return Ok(false),
            Err(e) => return Err(errno_error(&path, "remove", e)),
        }
        nix::unistd::fsync(&dir).map_err(|e| errno_error(&path, "sync the directory of", e))?;
        Ok(true)
    }

    /// Writes this host's identity.
    pub fn write_identity(&self, id: &Identity) -> Result<()> {
        self.write_json(&Store::identity_place(), id)
    }

    /// Writes a node record.
    pub fn write_node(&self, rec: &NodeRecord) -> Result<()> {
        self.write_json(&Store::node_place(&rec.name), rec)
    }

    /// Forgets node `name`; false if it was not known.
    pub fn remove_node(&self, name: &NodeName) -> Result<bool> {
        self.remove(&Store::node_place(name))
    }

    /// Writes a VPC spec.
    pub fn write_vpc(&self, spec: &Spec) -> Result<()> {
        self.write_json(&Store::vpc_place(&spec.name), spec)
    }

    /// Writes the guest ports of a VPC (removing the file when none is left).
    pub fn write_guests(&self, guests: &Guests) -> Result<()> {
        let place = Store::guests_place(&guests.vpc);
        if guests.ports.is_empty() {
            self.remove(&place).map(drop)
        } else {
            self.write_json(&place, guests)
        }
    }

    /// Removes VPC `name`'s spec; false if it was not held.
    pub fn remove_vpc(&self, name: &VpcName) -> Result<bool> {
        self.remove(&Store::vpc_place(name))
    }
}

/// Writes `text` to `path` atomically with permissions `mode`, unless it
/// already holds exactly that. For files outside the state directory (boot
/// scripts), which are not under the store's lock.
pub fn write_file(path: &Path, text: &str, mode: u32) -> Result<Outcome> {
    let existed = match fs::read(path) {
        Ok(old) if old == text.as_bytes() => {
            let same_mode =
                fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o7777 == mode);
            if same_mode {
                return Ok(Outcome::Unchanged);
            }
            true
        }
        Ok(_) => true,
        Err(e) if e.kind() == io::ErrorKind::NotFound => false,
        Err(e) => return Err(io_error(path, "read", &e)),
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| errno_error(path, "write", Errno::EINVAL))?;
    let dir_fd = nix::fcntl::open(
        dir,
        OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| errno_error(dir, "open", e))?;
    atomic_write_at(
        &dir_fd,
        &name.to_string_lossy(),
        path,
        text.as_bytes(),
        mode,
    )?;
    Ok(if existed {
        Outcome::Updated
    } else {
        Outcome::Created
    })
}

/// Writes `bytes` as `name` in directory `dir` (at `path`, for messages)
/// with `mode`, whatever the umask, so that a reader sees the old file or
/// the new one, never a mix: a temporary file beside it (`.vpc.PID.N.tmp`,
/// short so that a long file name still leaves room for it; the store's
/// lock sweeps leftovers) made without following a link, fsync, rename,
/// fsync of the directory.
fn atomic_write_at(dir: &OwnedFd, name: &str, path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let tmp = format!(
        ".vpc.{}.{}.tmp",
        std::process::id(),
        TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    let mode = Mode::from_bits_truncate(mode as _);
    let written = (|| {
        let flags =
            OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
        let fd = openat(dir, tmp.as_str(), flags, mode)?;
        // The umask took bits off; the mode is ours to choose.
        fchmod(&fd, mode)?;
        let mut f = File::from(fd);
        f.write_all(bytes).map_err(errno_of)?;
        f.sync_all().map_err(errno_of)?;
        renameat(dir, tmp.as_str(), dir, name)
    })();
    written.map_err(|e| {
        let _ = unlinkat(dir, tmp.as_str(), UnlinkatFlags::NoRemoveDir);
        errno_error(path, "write", e)
    })?;
    // The new file is in place: a failure now only means a crash could
    // still bring the old one back, and the message says so.
    nix::unistd::fsync(dir).map_err(|e| {
        Error::new(
            ErrorKind::Io,
            format!(
                "{} was written and is in place, but its directory could not be synced ({e}): \
                 after a crash the previous version could reappear",
                path.display()
            ),
        )
    })
}

/// An I/O error's errno (EIO when it has none).
fn errno_of(e: io::Error) -> Errno {
    e.raw_os_error().map_or(Errno::EIO, Errno::from_raw)
}

/// Removes `path`; true if it existed.
pub fn remove_file(path: &Path) -> Result<bool> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(io_error(path, "remove", &e)),
    }
}

// ---------------------------------------------------------------------------
// What vpc made on this host

/// The interfaces vpc created on this host for one VPC, with their kernel
/// indexes (`owned/<vpc>.json`): the proof the planner asks for before it
/// changes or removes an interface ([`crate::plan::Desired::made`]).
/// Rewritten after every apply and teardown, whether it succeeded or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Owned {
    /// Format version ([`STATE_SCHEMA`]).
    pub schema_version: u32,
    /// The VPC.
    pub vpc: VpcName,
    /// The interfaces, in ascending order of name.
    pub ifaces: Vec<crate::plan::OwnedIface>,
}

/// Upgrades an `owned/*.json` of version `from`, like [`upgrade_identity`].
fn upgrade_owned(from: u32, doc: serde_json::Value) -> serde_json::Value {
    debug_assert!((STATE_SCHEMA_OLDEST_READ..STATE_SCHEMA).contains(&from));
    doc
}

impl Store {
    fn owned_place(vpc: &VpcName) -> Place {
        Place::in_sub("owned", format!("{vpc}.json"))
    }

    /// The interfaces vpc recorded making for `vpc` on this host; `None`
    /// when it holds no record (state made before records were kept).
    pub fn owned(&self, vpc: &VpcName) -> Result<Option<Owned>> {
        let place = Store::owned_place(vpc);
        let owned: Option<Owned> = self.read_json(&place, state(upgrade_owned))?;
        if let Some(o) = &owned
            && &o.vpc != vpc
        {
            return Err(corrupt(
                &place.path(&self.dir),
                format_args!("holds VPC {}, expected {vpc}", o.vpc),
            ));
        }
        Ok(owned)
    }
}

impl Locked<'_> {
    /// Writes what vpc made for a VPC on this host. An empty record is kept:
    /// it still says the VPC is under records, so nothing unrecorded is
    /// taken for its.
    pub fn write_owned(&self, owned: &Owned) -> Result<()> {
        self.write_json(&Store::owned_place(&owned.vpc), owned)
    }

    /// Forgets what vpc made for `vpc`; false if it held no record.
    pub fn remove_owned(&self, vpc: &VpcName) -> Result<bool> {
        self.remove(&Store::owned_place(vpc))
    }
}

/// This host's WireGuard keys for one encrypted VPC: the one the spec
/// names now, and a new one made for the next spec (at the VPC's first
/// `deploy`, or a `rotate_keys`), which `apply` takes up once the spec
/// names it. Neither ever leaves this host.
#[derive(Debug, Default)]
pub struct WgKeys {
    /// `keys/<vpc>.key`.
    pub current: Option<PrivateKey>,
    /// `keys/<vpc>.next`.
    pub pending: Option<PrivateKey>,
}

impl WgKeys {
    /// The key whose public half is `public`, and whether it is the
    /// pending one.
    pub fn matching(&self, public: &PublicKey) -> Option<(&PrivateKey, bool)> {
        if let Some(k) = self.current.as_ref().filter(|k| k.public() == *public) {
            return Some((k, false));
        }
        self.pending
            .as_ref()
            .filter(|k| k.public() == *public)
            .map(|k| (k, true))
    }
}

impl Store {
    fn wg_key_place(vpc: &VpcName, pending: bool) -> Place {
        let ext = if pending { "next" } else { "key" };
        Place::in_sub(KEYS_DIR, format!("{vpc}.{ext}"))
    }

    fn read_wg_key(&self, vpc: &VpcName, pending: bool) -> Result<Option<PrivateKey>> {
        let place = Store::wg_key_place(vpc, pending);
        let path = place.path(&self.dir);
        let Some((bytes, mode)) = self.read_place(&place)? else {
            return Ok(None);
        };
        if mode & 0o077 != 0 {
            return Err(corrupt(
                &path,
                format_args!(
                    "mode {mode:04o} lets others read this private key: expected 0600 (make a \
                     new one: delete the file and run vpc mode=rotate_keys on the initiator)"
                ),
            ));
        }
        let text = std::str::from_utf8(&bytes).map_err(|_| corrupt(&path, "not text"))?;
        PrivateKey::parse(text)
            .map(Some)
            .map_err(|e| corrupt(&path, e.message()))
    }

    /// This host's WireGuard keys for `vpc`.
    pub fn wg_keys(&self, vpc: &VpcName) -> Result<WgKeys> {
        Ok(WgKeys {
            current: self.read_wg_key(vpc, false)?,
            pending: self.read_wg_key(vpc, true)?,
        })
    }
}

impl Locked<'_> {
    /// Writes this host's WireGuard private key for `vpc` (0600), as the
    /// pending one or the current one.
    pub fn write_wg_key(&self, vpc: &VpcName, key: &PrivateKey, pending: bool) -> Result<()> {
        self.write_place(
            &Store::wg_key_place(vpc, pending),
            key.to_file_text().as_bytes(),
        )
    }

    /// Makes the pending key the current one.
    pub fn promote_wg_key(&self, vpc: &VpcName, key: &PrivateKey) -> Result<()> {
        self.write_wg_key(vpc, key, false)?;
        self.remove(&Store::wg_key_place(vpc, true)).map(drop)
    }

    /// Forgets this host's WireGuard keys for `vpc`.
    pub fn remove_wg_keys(&self, vpc: &VpcName) -> Result<()> {
        self.remove(&Store::wg_key_place(vpc, true))?;
        self.remove(&Store::wg_key_place(vpc, false)).map(drop)
    }
}
