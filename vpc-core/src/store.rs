//! The state directory: this node's identity, the nodes it knows and the
//! VPC specs it holds, as JSON files.
//!
//! Every write is atomic (temporary file, fsync, rename, fsync of the
//! directory), so a reader sees the old file or the new one, never a mix.
//! Every mutation holds an exclusive lock on the directory: writes are only
//! reachable through a [`Locked`] guard, so none can happen without it.
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

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result, Schema, Unread, from_versioned_json};
use crate::model::name::{NodeName, VpcName};
use crate::model::node::Node;
use crate::model::quota::Usage;
use crate::model::spec::Spec;

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

/// The state directory when [`STATE_DIR_ENV`] is not set.
pub fn default_dir() -> PathBuf {
    match std::env::var_os(STATE_DIR_ENV) {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ if cfg!(target_os = "freebsd") => PathBuf::from("/var/db/vpc"),
        _ => PathBuf::from("/var/lib/vpc"),
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
}

impl Identity {
    /// The node this identity describes.
    pub fn node(&self) -> Node {
        Node {
            name: self.name.clone(),
            ip4: self.ip4,
            ip6: self.ip6,
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

/// A state directory.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

fn io_error(path: &Path, what: &str, e: &io::Error) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("cannot {what} {}: {e}", path.display()),
    )
}

fn corrupt(path: &Path, why: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Corrupt,
        format!("state file {} is not valid: {why}", path.display()),
    )
}

/// Reads a versioned JSON state file with `read` (which refuses the
/// versions this build does not read and upgrades the previous one);
/// `None` when it does not exist.
fn read_json<T>(path: &Path, read: impl FnOnce(&str) -> Result<T, Unread>) -> Result<Option<T>> {
    let text = match fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.kind() == io::ErrorKind::InvalidData => return Err(corrupt(path, "not UTF-8")),
        Err(e) => return Err(io_error(path, "read", &e)),
    };
    read(&text).map(Some).map_err(|why| corrupt(path, why))
}

/// Reads a state file's text of a version this build reads, upgraded by
/// `upgrade` when it is the previous one.
fn state<T: DeserializeOwned>(
    upgrade: fn(u32, serde_json::Value) -> serde_json::Value,
) -> impl FnOnce(&str) -> Result<T, Unread> {
    move |text| from_versioned_json(text, STATE, upgrade)
}

/// Lists `dir`'s `<name>.json` files as names; temporary files (leading
/// '.') are skipped, anything else is a foreign file and an error.
fn list_json(dir: &Path) -> Result<Vec<String>> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io_error(dir, "read", &e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| io_error(dir, "read", &e))?;
        let file = entry.file_name();
        let file = file.to_string_lossy();
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
                        entry.path().display()
                    ),
                ));
            }
        }
    }
    names.sort_unstable();
    Ok(names)
}

impl Store {
    /// The store at `dir` (nothing is created until the first write).
    pub fn open(dir: impl Into<PathBuf>) -> Store {
        Store { dir: dir.into() }
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

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn identity_path(&self) -> PathBuf {
        self.dir.join("node.json")
    }

    fn node_path(&self, name: &NodeName) -> PathBuf {
        self.dir.join("nodes").join(format!("{name}.json"))
    }

    fn guests_path(&self, vpc: &VpcName) -> PathBuf {
        self.dir.join("guests").join(format!("{vpc}.json"))
    }

    /// The guest ports of `vpc` attached on this node.
    pub fn guests(&self, vpc: &VpcName) -> Result<Guests> {
        let path = self.guests_path(vpc);
        match read_json::<Guests>(&path, state(upgrade_guests))? {
            Some(g) => {
                if &g.vpc != vpc {
                    return Err(corrupt(
                        &path,
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

    fn vpc_path(&self, name: &VpcName) -> PathBuf {
        self.dir.join("vpcs").join(format!("{name}.json"))
    }

    /// This host's identity, if set.
    pub fn identity(&self) -> Result<Option<Identity>> {
        let path = self.identity_path();
        let id: Option<Identity> = read_json(&path, state(upgrade_identity))?;
        if let Some(id) = &id {
            id.node().check().map_err(|e| corrupt(&path, e))?;
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
        let path = self.node_path(name);
        let rec: Option<NodeRecord> = read_json(&path, state(upgrade_node_record))?;
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
        for file in list_json(&dir)? {
            let name =
                NodeName::new(&file).map_err(|e| corrupt(&dir.join(format!("{file}.json")), e))?;
            out.extend(self.node(&name)?);
        }
        Ok(out)
    }

    /// The spec of VPC `name`, if held.
    pub fn vpc(&self, name: &VpcName) -> Result<Option<Spec>> {
        let path = self.vpc_path(name);
        let spec: Option<Spec> = read_json(&path, Spec::read_versioned)?;
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
        for file in list_json(&dir)? {
            let name =
                VpcName::new(&file).map_err(|e| corrupt(&dir.join(format!("{file}.json")), e))?;
            out.extend(self.vpc(&name)?);
        }
        Ok(out)
    }

    /// Takes the exclusive lock (waiting for it), creating the directory if
    /// needed. Stale temporary files of killed writers are removed.
    pub fn lock(&self) -> Result<Locked<'_>> {
        fs::create_dir_all(&self.dir).map_err(|e| io_error(&self.dir, "create", &e))?;
        let path = self.dir.join(".lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io_error(&path, "open", &e))?;
        file.lock().map_err(|e| io_error(&path, "lock", &e))?;
        let locked = Locked {
            store: self,
            _lock: file,
        };
        for sub in ["", "nodes", "vpcs", "guests"] {
            locked.sweep(&self.dir.join(sub));
        }
        Ok(locked)
    }
}

/// The store with its lock held: the only way to write.
#[derive(Debug)]
pub struct Locked<'a> {
    store: &'a Store,
    // Dropping the file releases the flock.
    _lock: File,
}

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Locked<'_> {
    /// The store, for reads under the lock.
    pub fn store(&self) -> &Store {
        self.store
    }

    /// Removes temporary files a killed writer left behind; nobody else
    /// writes while the lock is held. Best effort: a leftover is harmless.
    fn sweep(&self, dir: &Path) {
        let Ok(entries) = fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') && name.ends_with(".tmp") {
                let _ = fs::remove_file(entry.path());
            }
        }
    }

    /// Writes `value` as JSON to `path` atomically.
    fn write_json<T: Serialize>(&self, path: &Path, value: &T) -> Result<()> {
        let dir = path.parent().unwrap_or(self.store.dir());
        fs::create_dir_all(dir).map_err(|e| io_error(dir, "create", &e))?;
        let mut text = serde_json::to_string_pretty(value).map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot encode {}: {e}", path.display()),
            )
        })?;
        text.push('\n');
        atomic_write(path, text.as_bytes(), 0o644)
    }

    fn remove(&self, path: &Path) -> Result<bool> {
        if !remove_file(path)? {
            return Ok(false);
        }
        if let Some(dir) = path.parent() {
            File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|e| io_error(dir, "sync", &e))?;
        }
        Ok(true)
    }

    /// Writes this host's identity.
    pub fn write_identity(&self, id: &Identity) -> Result<()> {
        self.write_json(&self.store.identity_path(), id)
    }

    /// Writes a node record.
    pub fn write_node(&self, rec: &NodeRecord) -> Result<()> {
        self.write_json(&self.store.node_path(&rec.name), rec)
    }

    /// Forgets node `name`; false if it was not known.
    pub fn remove_node(&self, name: &NodeName) -> Result<bool> {
        self.remove(&self.store.node_path(name))
    }

    /// Writes a VPC spec.
    pub fn write_vpc(&self, spec: &Spec) -> Result<()> {
        self.write_json(&self.store.vpc_path(&spec.name), spec)
    }

    /// Writes the guest ports of a VPC (removing the file when none is left).
    pub fn write_guests(&self, guests: &Guests) -> Result<()> {
        let path = self.store.guests_path(&guests.vpc);
        if guests.ports.is_empty() {
            self.remove(&path).map(drop)
        } else {
            self.write_json(&path, guests)
        }
    }

    /// Removes VPC `name`'s spec; false if it was not held.
    pub fn remove_vpc(&self, name: &VpcName) -> Result<bool> {
        self.remove(&self.store.vpc_path(name))
    }
}

/// Writes `text` to `path` atomically with permissions `mode`, unless it
/// already holds exactly that. For files outside the state directory (boot
/// scripts), which are not under the store's lock.
pub fn write_file(path: &Path, text: &str, mode: u32) -> Result<Outcome> {
    use std::os::unix::fs::PermissionsExt;
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
    atomic_write(path, text.as_bytes(), mode)?;
    Ok(if existed {
        Outcome::Updated
    } else {
        Outcome::Created
    })
}

/// Writes `bytes` to `path` with `mode` so that a reader sees the old file
/// or the new one, never a mix: a temporary file beside it (`.vpc.PID.N.tmp`,
/// short so that a long file name still leaves room for it; the store's
/// lock sweeps leftovers), fsync, rename, fsync of the directory.
fn atomic_write(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".vpc.{}.{}.tmp",
        std::process::id(),
        TMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(bytes)?;
        f.set_permissions(fs::Permissions::from_mode(mode))?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        File::open(dir)?.sync_all()
    })();
    written.map_err(|e| {
        let _ = fs::remove_file(&tmp);
        io_error(path, "write", &e)
    })
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
    fn owned_path(&self, vpc: &VpcName) -> PathBuf {
        self.dir.join("owned").join(format!("{vpc}.json"))
    }

    /// The interfaces vpc recorded making for `vpc` on this host; `None`
    /// when it holds no record (state made before records were kept).
    pub fn owned(&self, vpc: &VpcName) -> Result<Option<Owned>> {
        let path = self.owned_path(vpc);
        let owned: Option<Owned> = read_json(&path, state(upgrade_owned))?;
        if let Some(o) = &owned
            && &o.vpc != vpc
        {
            return Err(corrupt(
                &path,
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
        self.write_json(&self.store.owned_path(&owned.vpc), owned)
    }

    /// Forgets what vpc made for `vpc`; false if it held no record.
    pub fn remove_owned(&self, vpc: &VpcName) -> Result<bool> {
        self.remove(&self.store.owned_path(vpc))
    }
}
