//! The state directory through the library: round trips, idempotence,
//! corrupt and foreign files, stale temporary files, receiving specs from
//! peers, and the lock serialising writers.
//!
//! Every test works in a directory of its own under the system temporary
//! directory, removed when the test ends (also when it fails).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::collections::BTreeMap;
use std::fs;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::Value;
use vpc_core::model::addr::IfAddr;
use vpc_core::model::members::MemberSelection;
use vpc_core::model::name::{NodeName, VpcName};
use vpc_core::model::node::Node;
use vpc_core::model::spec::{Options, Spec};
use vpc_core::model::spec::{SPEC_SCHEMA, SPEC_SCHEMA_OLDEST_READ};
use vpc_core::ops::{self};
use vpc_core::store::Outcome;
use vpc_core::store::{Identity, NodeRecord, STATE_SCHEMA, STATE_SCHEMA_OLDEST_READ, Store};
use vpc_core::{Error, ErrorKind};

// ---------------------------------------------------------------- helpers

/// A directory of its own, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(label: &str) -> TempDir {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "vpc-core-store-{label}-{}-{nanos}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir(&dir).unwrap_or_else(|e| panic!("create {}: {e}", dir.display()));
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn node_name(s: &str) -> NodeName {
    NodeName::new(s).unwrap()
}

fn vpc_name(s: &str) -> VpcName {
    VpcName::new(s).unwrap()
}

fn v4(s: &str) -> Option<Ipv4Addr> {
    Some(s.parse().unwrap())
}

fn node(name: &str, ip4: &str) -> Node {
    Node::new(node_name(name), v4(ip4), None).unwrap()
}

fn record(name: &str, ip4: &str) -> NodeRecord {
    NodeRecord::new(node(name, ip4))
}

fn options(peer_network: &str) -> Options {
    let mut o = Options::default();
    assert!(o.set("peer_network", peer_network).unwrap());
    o
}

/// What a file looks like, to tell whether it was rewritten: its bytes,
/// its modification time and (on Unix) its inode, which a rename changes.
#[derive(Debug, PartialEq, Eq)]
struct FileState {
    bytes: Vec<u8>,
    mtime: SystemTime,
    inode: u64,
}

#[cfg(unix)]
fn inode(meta: &fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    meta.ino()
}

#[cfg(not(unix))]
fn inode(_meta: &fs::Metadata) -> u64 {
    0
}

/// Every file and directory under `root` (hidden ones included).
fn snapshot(root: &Path) -> BTreeMap<PathBuf, Option<FileState>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Option<FileState>>) {
        for entry in fs::read_dir(dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let rel = path.strip_prefix(root).unwrap().to_path_buf();
            let meta = fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                out.insert(rel, None);
                walk(root, &path, out);
            } else {
                out.insert(
                    rel,
                    Some(FileState {
                        bytes: fs::read(&path).unwrap(),
                        mtime: meta.modified().unwrap(),
                        inode: inode(&meta),
                    }),
                );
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

fn assert_same(before: &BTreeMap<PathBuf, Option<FileState>>, root: &Path, what: &str) {
    let after = snapshot(root);
    let names = |m: &BTreeMap<PathBuf, Option<FileState>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(before),
        names(&after),
        "{what}: the set of files changed"
    );
    for (path, state) in before {
        assert!(
            after.get(path) == Some(state),
            "{what}: {} changed (contents, mtime or inode)",
            path.display()
        );
    }
}

/// Temporary files (`.NAME.PID.N.tmp`) anywhere in the store.
fn temp_files(root: &Path) -> Vec<PathBuf> {
    snapshot(root)
        .into_keys()
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            name.starts_with('.') && name.ends_with(".tmp")
        })
        .collect()
}

fn expect_err<T: std::fmt::Debug>(
    result: vpc_core::Result<T>,
    kind: ErrorKind,
    what: &str,
) -> Error {
    match result {
        Ok(v) => panic!("{what}: expected a {kind} error, got Ok({v:?})"),
        Err(e) => {
            assert_eq!(
                e.kind(),
                kind,
                "{what}: wrong kind, message: {}",
                e.message()
            );
            e
        }
    }
}

fn assert_mentions(e: &Error, needle: &str, what: &str) {
    assert!(
        e.message().contains(needle),
        "{what}: expected the message to mention {needle:?}, got: {}",
        e.message()
    );
}

/// The text a store file must hold: pretty JSON and a newline.
fn pretty<T: Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap();
    text.push('\n');
    text
}

/// A store with this host `self` (198.18.0.1), known nodes `a` and `b`
/// (b with an IPv6 address too and non-default SSH settings) and VPC `v1`
/// over all of them.
struct Fixture {
    dir: TempDir,
    store: Store,
    identity: Identity,
    a: NodeRecord,
    b: NodeRecord,
    v1: Spec,
}

fn fixture(label: &str) -> Fixture {
    let dir = TempDir::new(label);
    let store = Store::open(dir.path().join("state"));
    let me = node("self", "198.18.0.1");
    assert_eq!(
        ops::node_init(&store, me.clone()).unwrap(),
        Outcome::Created
    );
    let a = record("a", "198.18.0.2");
    let mut b = NodeRecord::new(
        Node::new(
            node_name("b"),
            v4("198.18.0.3"),
            Some("2001:db8::3".parse::<Ipv6Addr>().unwrap()),
        )
        .unwrap(),
    );
    b.port = 2222;
    b.user = "admin".to_owned();
    b.command = "/usr/local/bin/vpc".to_owned();
    assert_eq!(
        ops::node_add_offline(&store, a.clone()).unwrap(),
        Outcome::Created
    );
    assert_eq!(
        ops::node_add_offline(&store, b.clone()).unwrap(),
        Outcome::Created
    );
    let (outcome, v1) = ops::vpc_init(
        &store,
        vpc_name("v1"),
        &MemberSelection::All,
        &options("10.100.0.0/24"),
    )
    .unwrap();
    assert_eq!(outcome, Outcome::Created);
    let identity = Identity {
        schema_version: STATE_SCHEMA,
        name: me.name,
        ip4: me.ip4,
        ip6: me.ip6,
        local4: None,
        local6: None,
        inbound: true,
    };
    Fixture {
        dir,
        store,
        identity,
        a,
        b,
        v1,
    }
}

impl Fixture {
    fn root(&self) -> PathBuf {
        let root = self.dir.path().join("state");
        assert_eq!(root, self.store.dir());
        root
    }

    fn file(&self, rel: &str) -> PathBuf {
        self.root().join(rel)
    }
}

// ---------------------------------------------------------------- round trip

#[test]
fn round_trip_reads_back_what_was_written() {
    let f = fixture("roundtrip");
    let s = &f.store;

    assert_eq!(s.identity().unwrap(), Some(f.identity.clone()));
    assert_eq!(s.this_node().unwrap(), f.identity.node());
    assert_eq!(s.nodes().unwrap(), vec![f.a.clone(), f.b.clone()]);
    assert_eq!(s.node(&node_name("a")).unwrap(), Some(f.a.clone()));
    assert_eq!(s.node(&node_name("b")).unwrap(), Some(f.b.clone()));
    assert_eq!(s.node(&node_name("zz")).unwrap(), None);
    assert_eq!(s.vpcs().unwrap(), vec![f.v1.clone()]);
    assert_eq!(s.vpc(&vpc_name("v1")).unwrap(), Some(f.v1.clone()));
    assert_eq!(s.vpc(&vpc_name("v2")).unwrap(), None);

    // The spec: generation 1, this host in slot 0, then every known node
    // in ascending order of name, and the peer network as given.
    assert_eq!(f.v1.generation, 1);
    let members: Vec<&str> = f.v1.members().map(|m| m.node.name.as_str()).collect();
    assert_eq!(members, ["self", "a", "b"]);
    assert_eq!(f.v1.peer_network.to_string(), "10.100.0.0/24");

    // Files: pretty JSON ending in a newline, with the schema version.
    let files: [(&str, String); 4] = [
        ("node.json", pretty(&f.identity)),
        ("nodes/a.json", pretty(&f.a)),
        ("nodes/b.json", pretty(&f.b)),
        ("vpcs/v1.json", pretty(&f.v1)),
    ];
    for (rel, expected) in &files {
        let text = fs::read_to_string(f.file(rel)).unwrap();
        assert_eq!(&text, expected, "{rel} is not the pretty JSON of its value");
        assert!(text.ends_with("}\n"), "{rel} does not end in a newline");
        assert!(
            text.contains("\"schema_version\": 1"),
            "{rel} has no \"schema_version\": 1:\n{text}"
        );
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(doc["schema_version"], 1, "{rel}");
    }
    // The spec file is what Spec::to_json gives, and reads back.
    let text = fs::read_to_string(f.file("vpcs/v1.json")).unwrap();
    assert_eq!(text, format!("{}\n", f.v1.to_json()));
    assert_eq!(Spec::from_json(&text).unwrap(), f.v1);

    // Nothing else is in the store but the lock.
    let mut names: Vec<String> = snapshot(&f.root())
        .into_keys()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            ".lock",
            "node.json",
            "nodes",
            "nodes/a.json",
            "nodes/b.json",
            "vpcs",
            "vpcs/v1.json"
        ]
    );

    // A second Store over the same directory sees the same.
    let again = Store::open(f.root());
    assert_eq!(again.identity().unwrap(), Some(f.identity.clone()));
    assert_eq!(again.nodes().unwrap(), vec![f.a.clone(), f.b.clone()]);
    assert_eq!(again.vpcs().unwrap(), vec![f.v1.clone()]);
}

#[test]
fn an_empty_or_missing_directory_reads_as_empty() {
    let dir = TempDir::new("empty");
    let s = Store::open(dir.path().join("not-yet"));
    assert_eq!(s.identity().unwrap(), None);
    assert!(s.nodes().unwrap().is_empty());
    assert!(s.vpcs().unwrap().is_empty());
    expect_err(
        s.this_node(),
        ErrorKind::NotFound,
        "this_node without identity",
    );
    assert!(
        !dir.path().join("not-yet").exists(),
        "a read created the directory"
    );
}

// ---------------------------------------------------------------- idempotence

#[test]
fn repeating_a_mutation_with_identical_input_changes_nothing() {
    let f = fixture("idempotence");
    let before = snapshot(&f.root());
    // Coarse file-system clocks: make a rewrite visible in the mtime.
    std::thread::sleep(Duration::from_millis(30));

    for _ in 0..3 {
        assert_eq!(
            ops::node_add_offline(&f.store, f.a.clone()).unwrap(),
            Outcome::Unchanged
        );
        assert_eq!(
            ops::node_add_offline(&f.store, f.b.clone()).unwrap(),
            Outcome::Unchanged
        );
        assert_eq!(
            ops::node_init(&f.store, f.identity.node()).unwrap(),
            Outcome::Unchanged
        );
        let (outcome, spec) = ops::vpc_init(
            &f.store,
            vpc_name("v1"),
            &MemberSelection::All,
            &options("10.100.0.0/24"),
        )
        .unwrap();
        assert_eq!(outcome, Outcome::Unchanged);
        assert_eq!(spec, f.v1);
        // The same members listed by name are the same definition.
        let (outcome, _) = ops::vpc_init(
            &f.store,
            vpc_name("v1"),
            &MemberSelection::List(vec![node_name("a"), node_name("b")]),
            &options("10.100.0.0/24"),
        )
        .unwrap();
        assert_eq!(outcome, Outcome::Unchanged);
        assert_same(&before, &f.root(), "repeated identical mutations");
    }

    // A different definition under the same name is a conflict, and also
    // changes nothing.
    let e = expect_err(
        ops::vpc_init(
            &f.store,
            vpc_name("v1"),
            &MemberSelection::List(vec![node_name("a")]),
            &options("10.100.0.0/24"),
        ),
        ErrorKind::Conflict,
        "vpc_init with another definition",
    );
    assert_mentions(&e, "v1", "vpc_init conflict");
    assert_same(&before, &f.root(), "refused vpc_init");

    // A changed record is an update (the control: writes are visible).
    let mut a2 = f.a.clone();
    a2.port = 2200;
    assert_eq!(
        ops::node_add_offline(&f.store, a2.clone()).unwrap(),
        Outcome::Updated
    );
    assert_eq!(f.store.node(&node_name("a")).unwrap(), Some(a2));
    let after = snapshot(&f.root());
    assert_ne!(
        before.get(Path::new("nodes/a.json")),
        after.get(Path::new("nodes/a.json"))
    );
}

#[test]
fn unchanged_bridge_addresses_write_nothing() {
    // ops::set_bridge_addrs answers Unchanged ("nothing was written") when
    // the addresses are those held; the spec file must then be untouched.
    let f = fixture("bridge-unchanged");
    let v1 = vpc_name("v1");
    let addrs = vec![IfAddr::parse("10.10.11.1/24", "bridge_ips").unwrap()];
    let (outcome, spec) = ops::set_bridge_addrs(&f.store, &v1, addrs.clone()).unwrap();
    assert_eq!(outcome, Outcome::Updated);
    assert_eq!(spec.generation, 2);
    let before = snapshot(&f.root());
    std::thread::sleep(Duration::from_millis(30));
    let (outcome, spec) = ops::set_bridge_addrs(&f.store, &v1, addrs).unwrap();
    assert_eq!(outcome, Outcome::Unchanged);
    assert_eq!(spec.generation, 2);
    assert_same(&before, &f.root(), "set_bridge_addrs answering Unchanged");
}

#[test]
fn node_add_offline_never_writes_a_record_the_store_cannot_read() {
    // NodeRecord's fields are public: a caller (C ABI, Python) can hand over
    // a record with another schema_version. Storing it would make every
    // later listing of nodes fail as Corrupt; it must be refused (or
    // normalised) instead.
    let f = fixture("record-schema");
    let mut rec = record("c", "198.18.0.4");
    rec.schema_version = 99;
    let result = ops::node_add_offline(&f.store, rec);
    let readable = f.store.nodes();
    assert!(
        readable.is_ok(),
        "node_add_offline answered {result:?} and left a store whose nodes() fails: {}",
        readable.unwrap_err()
    );
    if result.is_err() {
        assert!(!f.file("nodes/c.json").exists());
    }
}

// ---------------------------------------------------------------- corrupt files

fn debug<T: std::fmt::Debug>(r: vpc_core::Result<T>) -> vpc_core::Result<String> {
    r.map(|v| format!("{v:?}"))
}

/// One way of damaging a store, and the operations that must then refuse
/// with a Corrupt error naming the damaged file (and `mention`). Only the
/// listed operations run: the others may succeed and change the store.
fn check_corrupt(
    label: &str,
    damage: impl FnOnce(&Fixture) -> PathBuf,
    mention: &str,
    ops_that_read_it: &[&str],
) {
    let f = fixture(label);
    // A known node that is not a member yet, for add_member.
    let c = record("c", "198.18.0.4");
    ops::node_add_offline(&f.store, c.clone()).unwrap();
    let path = damage(&f);
    let path_text = path.display().to_string();
    let before = snapshot(&f.root());
    let s = &f.store;
    let v1 = vpc_name("v1");
    let mut newer = f.v1.clone();
    newer.port = 4790;
    newer.generation += 1;
    let newer = newer.to_json();

    type Op<'a> = Box<dyn Fn() -> vpc_core::Result<String> + 'a>;
    let all: Vec<(&str, Op<'_>)> = vec![
        ("identity", Box::new(|| debug(s.identity()))),
        ("this_node", Box::new(|| debug(s.this_node()))),
        ("node a", Box::new(|| debug(s.node(&node_name("a"))))),
        ("node x", Box::new(|| debug(s.node(&node_name("x"))))),
        ("nodes", Box::new(|| debug(s.nodes()))),
        ("vpc v1", Box::new(|| debug(s.vpc(&v1)))),
        ("vpcs", Box::new(|| debug(s.vpcs()))),
        (
            "node_init",
            Box::new(|| debug(ops::node_init(s, f.identity.node()))),
        ),
        (
            "node_add_offline a",
            Box::new(|| debug(ops::node_add_offline(s, f.a.clone()))),
        ),
        (
            "node_add_offline x",
            Box::new(|| debug(ops::node_add_offline(s, record("x", "198.18.0.9")))),
        ),
        (
            "vpc_init v2",
            Box::new(|| {
                debug(ops::vpc_init(
                    s,
                    vpc_name("v2"),
                    &MemberSelection::All,
                    &options("10.101.0.0/24"),
                ))
            }),
        ),
        (
            "add_member",
            Box::new(|| debug(ops::add_member(s, &v1, &c.name))),
        ),
        ("receive", Box::new(|| debug(ops::receive(s, &newer)))),
    ];
    for name in ops_that_read_it {
        assert!(
            all.iter().any(|(n, _)| n == name),
            "{label}: no operation named {name:?}"
        );
    }
    for (name, op) in &all {
        if !ops_that_read_it.contains(name) {
            continue;
        }
        let what = format!("{label}: {name}");
        let e = expect_err(op(), ErrorKind::Corrupt, &what);
        assert_mentions(&e, &path_text, &what);
        assert_mentions(&e, mention, &what);
        assert_same(&before, &f.root(), &what);
    }
}

#[test]
fn truncated_vpc_file_is_corrupt() {
    check_corrupt(
        "truncated",
        |f| {
            let path = f.file("vpcs/v1.json");
            let text = fs::read_to_string(&path).unwrap();
            fs::write(&path, &text[..text.len() / 2]).unwrap();
            path
        },
        "EOF",
        &["vpc v1", "vpcs", "vpc_init v2", "add_member", "receive"],
    );
}

#[test]
fn spec_named_differently_from_its_file_is_corrupt() {
    check_corrupt(
        "misnamed",
        |f| {
            let path = f.file("vpcs/v1.json");
            let text = fs::read_to_string(&path).unwrap();
            let text = text.replace("\"name\": \"v1\"", "\"name\": \"v9\"");
            assert!(text.contains("\"v9\""));
            fs::write(&path, text).unwrap();
            path
        },
        "v9",
        &["vpc v1", "vpcs", "vpc_init v2", "add_member", "receive"],
    );
}

#[test]
fn unknown_schema_version_in_node_json_is_corrupt() {
    check_corrupt(
        "schema99",
        |f| {
            let path = f.file("node.json");
            let text = fs::read_to_string(&path).unwrap();
            let text = text.replace("\"schema_version\": 1", "\"schema_version\": 99");
            fs::write(&path, text).unwrap();
            path
        },
        "schema_version 99",
        &[
            "identity",
            "this_node",
            "node_init",
            "node_add_offline a",
            "vpc_init v2",
            "receive",
        ],
    );
}

#[test]
fn unknown_schema_version_in_a_spec_is_corrupt() {
    check_corrupt(
        "specschema99",
        |f| {
            let path = f.file("vpcs/v1.json");
            let text = fs::read_to_string(&path).unwrap();
            let text = text.replace("\"schema_version\": 1", "\"schema_version\": 99");
            fs::write(&path, text).unwrap();
            path
        },
        "schema_version 99",
        &["vpc v1", "vpcs", "vpc_init v2", "add_member", "receive"],
    );
}

/// Sets `schema_version` (and, when `extra`, a field no version has) in
/// the state file `rel`.
fn set_schema_version(f: &Fixture, rel: &str, version: u32, extra: bool) {
    let path = f.file(rel);
    let mut doc: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
    doc["schema_version"] = Value::from(version);
    if extra {
        doc["from_the_future"] = Value::from(true);
    }
    fs::write(&path, format!("{doc:#}\n")).unwrap();
}

#[test]
fn state_and_spec_files_are_read_at_this_version_and_the_one_before() {
    // Read N and N−1, write N (N−1 is N itself while N is 1).
    assert_eq!(
        STATE_SCHEMA_OLDEST_READ,
        STATE_SCHEMA.saturating_sub(1).max(1)
    );
    assert_eq!(
        SPEC_SCHEMA_OLDEST_READ,
        SPEC_SCHEMA.saturating_sub(1).max(1)
    );
    let f = fixture("schema-read");
    for v in STATE_SCHEMA_OLDEST_READ..=STATE_SCHEMA {
        set_schema_version(&f, "node.json", v, false);
        set_schema_version(&f, "nodes/a.json", v, false);
        assert_eq!(f.store.identity().unwrap(), Some(f.identity.clone()), "{v}");
        assert_eq!(
            f.store.node(&node_name("a")).unwrap(),
            Some(f.a.clone()),
            "{v}"
        );
    }
    for v in SPEC_SCHEMA_OLDEST_READ..=SPEC_SCHEMA {
        set_schema_version(&f, "vpcs/v1.json", v, false);
        assert_eq!(
            f.store.vpc(&vpc_name("v1")).unwrap(),
            Some(f.v1.clone()),
            "{v}"
        );
    }
    // Written back at this version.
    ops::node_add_offline(&f.store, f.a.clone()).unwrap();
    let doc: Value =
        serde_json::from_str(&fs::read_to_string(f.file("nodes/a.json")).unwrap()).unwrap();
    assert_eq!(doc["schema_version"], STATE_SCHEMA);
}

#[test]
fn a_state_file_of_a_newer_vpc_is_corrupt_telling_to_upgrade_this_host() {
    let f = fixture("schema-newer");
    // A newer format may have fields this build does not know: the message
    // is about the version, not the field.
    set_schema_version(&f, "nodes/a.json", STATE_SCHEMA + 1, true);
    let e = expect_err(f.store.nodes(), ErrorKind::Corrupt, "newer node record");
    assert_mentions(
        &e,
        &format!("schema_version {} is not supported", STATE_SCHEMA + 1),
        "newer",
    );
    assert_mentions(
        &e,
        "written by a newer vpc: upgrade vpc on this host",
        "newer",
    );
    assert!(!e.message().contains("from_the_future"), "{e}");
    set_schema_version(&f, "vpcs/v1.json", SPEC_SCHEMA + 1, true);
    let e = expect_err(
        f.store.vpc(&vpc_name("v1")),
        ErrorKind::Corrupt,
        "newer spec",
    );
    assert_mentions(&e, "upgrade vpc on this host", "newer spec");
    // Older than the one before: refused too, naming found and expected.
    set_schema_version(&f, "node.json", STATE_SCHEMA_OLDEST_READ - 1, false);
    let e = expect_err(f.store.identity(), ErrorKind::Corrupt, "older identity");
    let head = format!(
        "schema_version {} is not supported: expected {STATE_SCHEMA}",
        STATE_SCHEMA_OLDEST_READ - 1
    );
    assert_mentions(&e, &head, "older identity");
}

#[test]
fn a_spec_received_from_a_newer_vpc_is_refused_telling_to_upgrade_this_host() {
    let f = fixture("schema-receive");
    let before = snapshot(&f.root());
    let mut doc: Value = serde_json::from_str(&f.v1.to_json()).unwrap();
    doc["schema_version"] = Value::from(SPEC_SCHEMA + 1);
    doc["generation"] = Value::from(50);
    doc["from_the_future"] = Value::from(true);
    let e = expect_err(
        ops::receive(&f.store, &doc.to_string()),
        ErrorKind::Invalid,
        "newer",
    );
    assert_mentions(&e, "upgrade vpc on this host", "newer");
    assert!(!e.message().contains("from_the_future"), "{e}");
    assert_same(&before, &f.root(), "a refused newer spec");
}

#[test]
fn unknown_field_in_a_node_record_is_corrupt() {
    check_corrupt(
        "unknownfield",
        |f| {
            let path = f.file("nodes/a.json");
            let mut doc: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
            doc["colour"] = Value::from("red");
            fs::write(&path, pretty(&doc)).unwrap();
            path
        },
        "colour",
        &["node a", "nodes", "node_add_offline a", "vpc_init v2"],
    );
}

#[test]
fn foreign_file_in_vpcs_is_corrupt() {
    check_corrupt(
        "foreign",
        |f| {
            let path = f.file("vpcs/notes.txt");
            fs::write(&path, "remember the milk\n").unwrap();
            path
        },
        "foreign file",
        &["vpcs", "vpc_init v2", "add_member", "receive"],
    );
}

#[test]
fn node_file_that_is_not_json_is_corrupt() {
    check_corrupt(
        "notjson",
        |f| {
            let path = f.file("nodes/x.json");
            fs::write(&path, "x: not json at all\n").unwrap();
            path
        },
        "not valid",
        &["node x", "nodes", "node_add_offline x", "vpc_init v2"],
    );
}

#[test]
fn node_file_holding_another_node_is_corrupt() {
    check_corrupt(
        "othernode",
        |f| {
            let path = f.file("nodes/x.json");
            fs::write(&path, pretty(&f.a)).unwrap();
            path
        },
        "holds node a",
        &["node x", "nodes", "node_add_offline x", "vpc_init v2"],
    );
}

// ---------------------------------------------------------------- stale temporary files

#[test]
fn stale_temporary_files_are_ignored_and_swept_by_the_next_mutation() {
    let f = fixture("staletmp");
    let leftovers = [
        (
            "vpcs/.v1.json.123.0.tmp",
            "{\n  \"schema_version\": 1,\n  \"na",
        ),
        ("nodes/.a.json.123.1.tmp", ""),
        (
            ".node.json.123.2.tmp",
            "{\"schema_version\": 1, \"name\": \"ot",
        ),
        ("vpcs/.v2.json.4567.0.tmp", "{}"),
    ];
    for (rel, text) in leftovers {
        fs::write(f.file(rel), text).unwrap();
    }

    // Readers do not see them.
    assert_eq!(f.store.identity().unwrap(), Some(f.identity.clone()));
    assert_eq!(f.store.nodes().unwrap(), vec![f.a.clone(), f.b.clone()]);
    assert_eq!(f.store.vpcs().unwrap(), vec![f.v1.clone()]);
    assert_eq!(f.store.vpc(&vpc_name("v2")).unwrap(), None);
    assert_eq!(temp_files(&f.root()).len(), leftovers.len());

    // The next mutation removes them all, wherever they are.
    let c = record("c", "198.18.0.4");
    assert_eq!(
        ops::node_add_offline(&f.store, c.clone()).unwrap(),
        Outcome::Created
    );
    assert_eq!(temp_files(&f.root()), Vec::<PathBuf>::new());
    assert_eq!(f.store.nodes().unwrap(), vec![f.a.clone(), f.b.clone(), c]);
    assert_eq!(f.store.vpcs().unwrap(), vec![f.v1.clone()]);
}

// ---------------------------------------------------------------- receive

/// The fixture plus node `c`, and v1 as it is held.
fn receive_fixture(label: &str) -> Fixture {
    let f = fixture(label);
    assert_eq!(
        ops::node_add_offline(&f.store, record("c", "198.18.0.4")).unwrap(),
        Outcome::Created
    );
    f
}

fn held_text(f: &Fixture, name: &str) -> String {
    fs::read_to_string(f.file(&format!("vpcs/{name}.json"))).unwrap()
}

#[test]
fn receive_accepts_newer_and_identical_specs() {
    let f = receive_fixture("recv-newer");
    let held = held_text(&f, "v1");

    // Identical to the held one: nothing is written.
    let before = snapshot(&f.root());
    std::thread::sleep(Duration::from_millis(30));
    let (outcome, spec) = ops::receive(&f.store, &f.v1.to_json()).unwrap();
    assert_eq!(outcome, Outcome::Unchanged);
    assert_eq!(spec, f.v1);
    assert_same(&before, &f.root(), "receive of the identical spec");

    // Newer: stored.
    let mut newer = f.v1.clone();
    newer.add_member(node("c", "198.18.0.4")).unwrap();
    assert_eq!(newer.generation, 2);
    let (outcome, spec) = ops::receive(&f.store, &newer.to_json()).unwrap();
    assert_eq!(outcome, Outcome::Updated);
    assert_eq!(spec, newer);
    assert_eq!(f.store.vpc(&vpc_name("v1")).unwrap(), Some(newer.clone()));
    assert_ne!(held_text(&f, "v1"), held);
    assert_eq!(held_text(&f, "v1"), pretty(&newer));

    // Much newer (a gap of generations is fine).
    let mut newest = newer.clone();
    newest.remove_member(&node_name("a")).unwrap();
    newest.generation = 10;
    let (outcome, _) = ops::receive(&f.store, &newest.to_json()).unwrap();
    assert_eq!(outcome, Outcome::Updated);
    assert_eq!(f.store.vpc(&vpc_name("v1")).unwrap(), Some(newest.clone()));

    // Compact (not pretty) JSON is as good.
    let compact = serde_json::to_string(&newest).unwrap();
    let (outcome, _) = ops::receive(&f.store, &compact).unwrap();
    assert_eq!(outcome, Outcome::Unchanged);
}

#[test]
fn receive_of_a_vpc_not_held_yet_creates_it() {
    let f = receive_fixture("recv-create");
    // v2, initiated by a, with this host as a member.
    let v2 = Spec::define(
        vpc_name("v2"),
        node("a", "198.18.0.2"),
        vec![f.identity.node()],
        &options("10.101.0.0/24"),
        std::slice::from_ref(&f.v1),
    )
    .unwrap();
    let (outcome, spec) = ops::receive(&f.store, &v2.to_json()).unwrap();
    assert_eq!(outcome, Outcome::Created);
    assert_eq!(spec, v2);
    assert_eq!(f.store.vpcs().unwrap(), vec![f.v1.clone(), v2.clone()]);
    assert_eq!(held_text(&f, "v2"), pretty(&v2));
}

#[test]
fn receive_refuses_older_and_equal_but_different_specs() {
    let f = receive_fixture("recv-stale");
    let mut newer = f.v1.clone();
    newer.add_member(node("c", "198.18.0.4")).unwrap();
    assert_eq!(
        ops::receive(&f.store, &newer.to_json()).unwrap().0,
        Outcome::Updated
    );
    let before = snapshot(&f.root());

    // Older.
    let e = expect_err(
        ops::receive(&f.store, &f.v1.to_json()),
        ErrorKind::Stale,
        "receive of an older spec",
    );
    assert_mentions(&e, "generation 1", "older");
    assert_mentions(&e, "generation 2", "older");
    assert_same(&before, &f.root(), "refused older spec");

    // Equal generation, different content.
    let mut twin = newer.clone();
    twin.port = 4790;
    let e = expect_err(
        ops::receive(&f.store, &twin.to_json()),
        ErrorKind::Stale,
        "receive of an equal-but-different spec",
    );
    assert_mentions(&e, "differs", "equal-but-different");
    assert_same(&before, &f.root(), "refused equal-but-different spec");

    // Still the newer one.
    assert_eq!(f.store.vpc(&vpc_name("v1")).unwrap(), Some(newer));
}

#[test]
fn receive_refuses_a_vpc_this_node_is_not_a_member_of() {
    let f = receive_fixture("recv-notmember");
    let before = snapshot(&f.root());
    let v2 = Spec::define(
        vpc_name("v2"),
        node("a", "198.18.0.2"),
        vec![node("b", "198.18.0.3")],
        &options("10.101.0.0/24"),
        &[],
    )
    .unwrap();
    let e = expect_err(
        ops::receive(&f.store, &v2.to_json()),
        ErrorKind::NotFound,
        "receive of a VPC without this node",
    );
    assert_mentions(&e, "self", "not a member");
    assert_mentions(&e, "v2", "not a member");
    assert_same(&before, &f.root(), "refused foreign VPC");
    assert_eq!(f.store.vpc(&vpc_name("v2")).unwrap(), None);

    // Also when it is a newer v1 this node was removed from.
    let mut v1 = f.v1.clone();
    // Slot 0 is this host and cannot be removed through the model; make a
    // v1 initiated elsewhere instead.
    v1.members[0] = Some(vpc_core::model::mesh::Member {
        node: node("c", "198.18.0.4"),
        bridge_addrs: Vec::new(),
        wg_key: None,
    });
    v1.generation = 5;
    let e = expect_err(
        ops::receive(&f.store, &v1.to_json()),
        ErrorKind::NotFound,
        "receive of a newer v1 without this node",
    );
    assert_mentions(&e, "v1", "v1 without this node");
    assert_same(&before, &f.root(), "refused v1 without this node");
}

#[test]
fn receive_refuses_a_vni_range_overlapping_another_vpc() {
    let f = receive_fixture("recv-vni");
    let before = snapshot(&f.root());
    // v1 holds VNIs 1..=3; v3 starts at vni_base 2 (VNIs 3..), on a peer
    // network of its own, so only the VNIs clash.
    let mut o = options("10.102.0.0/24");
    assert!(o.set("vni_base", "2").unwrap());
    let v3 = Spec::define(
        vpc_name("v3"),
        node("a", "198.18.0.2"),
        vec![f.identity.node()],
        &o,
        &[],
    )
    .unwrap();
    let e = expect_err(
        ops::receive(&f.store, &v3.to_json()),
        ErrorKind::Conflict,
        "receive of an overlapping VNI range",
    );
    assert_mentions(&e, "VNI", "VNI overlap");
    assert_mentions(&e, "VPC v3", "VNI overlap");
    assert_mentions(&e, "VPC v1", "VNI overlap");
    assert_same(&before, &f.root(), "refused VNI overlap");
    assert_eq!(f.store.vpc(&vpc_name("v3")).unwrap(), None);

    // The same with a peer network overlapping v1's.
    let v4 = Spec::define(
        vpc_name("v4"),
        node("a", "198.18.0.2"),
        vec![f.identity.node()],
        &options("10.100.0.0/16"),
        &[],
    )
    .unwrap();
    let mut v4 = v4;
    v4.vni_base = 8192;
    let e = expect_err(
        ops::receive(&f.store, &v4.to_json()),
        ErrorKind::Conflict,
        "receive of an overlapping peer network",
    );
    assert_mentions(&e, "v4", "peer network overlap");
    assert_mentions(&e, "v1", "peer network overlap");
    assert_same(&before, &f.root(), "refused peer network overlap");
}

#[test]
fn receive_of_malformed_json_names_the_bad_key() {
    let f = receive_fixture("recv-malformed");
    let before = snapshot(&f.root());
    let base: Value = serde_json::to_value(&f.v1).unwrap();

    let cases: Vec<(&str, String, &[&str])> = vec![
        ("not JSON", "{ this is not json".to_owned(), &[]),
        ("empty", String::new(), &[]),
        (
            "unknown top-level key",
            {
                let mut d = base.clone();
                d["colour"] = Value::from("red");
                d.to_string()
            },
            &["colour"],
        ),
        (
            "invalid member name",
            {
                let mut d = base.clone();
                d["members"][1]["node"]["name"] = Value::from("bad name!");
                d.to_string()
            },
            &["members[1].node.name", "bad name!"],
        ),
        (
            "unknown key in a member's node",
            {
                let mut d = base.clone();
                d["members"][2]["node"]["colour"] = Value::from("red");
                d.to_string()
            },
            &["members[2].node", "colour"],
        ),
        (
            "bad address",
            {
                let mut d = base.clone();
                d["members"][1]["node"]["ip4"] = Value::from("300.1.1.1");
                d.to_string()
            },
            &["members[1].node.ip4"],
        ),
        (
            "generation of the wrong type",
            {
                let mut d = base.clone();
                d["generation"] = Value::from("two");
                d.to_string()
            },
            &["generation"],
        ),
        (
            "bad peer network",
            {
                let mut d = base.clone();
                d["peer_network"] = Value::from("10.100.0.1/24");
                d.to_string()
            },
            &["peer_network", "host bits"],
        ),
        (
            "missing field",
            {
                let mut d = base.clone();
                d.as_object_mut().unwrap().remove("port");
                d.to_string()
            },
            &["port"],
        ),
        (
            "unsupported schema",
            {
                let mut d = base.clone();
                d["schema_version"] = Value::from(99);
                d["generation"] = Value::from(50);
                d.to_string()
            },
            &["schema_version 99"],
        ),
    ];
    for (what, text, mentions) in cases {
        let e = expect_err(ops::receive(&f.store, &text), ErrorKind::Invalid, what);
        for m in mentions {
            assert_mentions(&e, m, what);
        }
        assert_same(&before, &f.root(), what);
    }
}

// ---------------------------------------------------------------- the lock

#[test]
fn the_lock_serialises_concurrent_writers() {
    const THREADS: usize = 8;
    const CYCLES: u64 = 10;
    let dir = TempDir::new("lock");
    let store = Store::open(dir.path().join("state"));
    ops::node_init(&store, node("self", "198.18.0.1")).unwrap();
    ops::node_add_offline(&store, record("base", "198.18.0.2")).unwrap();
    let names: Vec<NodeName> = (0..THREADS).map(|i| node_name(&format!("t{i}"))).collect();
    for (i, name) in names.iter().enumerate() {
        let rec = NodeRecord::new(
            Node::new(name.clone(), v4(&format!("198.18.1.{}", i + 1)), None).unwrap(),
        );
        assert_eq!(
            ops::node_add_offline(&store, rec).unwrap(),
            Outcome::Created
        );
    }
    let v1 = vpc_name("v1");
    let (_, spec) = ops::vpc_init(
        &store,
        v1.clone(),
        &MemberSelection::List(vec![node_name("base")]),
        &options("10.100.0.0/24"),
    )
    .unwrap();
    assert_eq!(spec.generation, 1);

    std::thread::scope(|scope| {
        for name in &names {
            let store = store.clone();
            let v1 = v1.clone();
            scope.spawn(move || {
                for cycle in 0..CYCLES {
                    let added = ops::add_member(&store, &v1, name)
                        .unwrap_or_else(|e| panic!("add {name} #{cycle}: {e}"));
                    assert!(added.slot_of(name).is_some());
                    let removed = ops::remove_member(&store, &v1, name)
                        .unwrap_or_else(|e| panic!("remove {name} #{cycle}: {e}"));
                    assert!(removed.slot_of(name).is_none());
                    assert!(removed.generation > added.generation);
                }
            });
        }
    });

    let spec = store.require_vpc(&v1).unwrap();
    assert_eq!(spec.generation, 1 + THREADS as u64 * CYCLES * 2);
    let members: Vec<&str> = spec.members().map(|m| m.node.name.as_str()).collect();
    assert_eq!(members, ["self", "base"], "every tN was removed last");
    assert!(spec.members.len() <= 2 + THREADS);
    assert_eq!(temp_files(store.dir()), Vec::<PathBuf>::new());

    // And once more, ending with everyone added.
    std::thread::scope(|scope| {
        for name in &names {
            let store = store.clone();
            let v1 = v1.clone();
            scope.spawn(move || {
                for _ in 0..3 {
                    ops::remove_member(&store, &v1, name).unwrap_err();
                    ops::add_member(&store, &v1, name).unwrap();
                    ops::add_member(&store, &v1, name).unwrap_err();
                    ops::remove_member(&store, &v1, name).unwrap();
                }
                ops::add_member(&store, &v1, name).unwrap();
            });
        }
    });
    let spec = store.require_vpc(&v1).unwrap();
    assert_eq!(
        spec.generation,
        1 + THREADS as u64 * CYCLES * 2 + THREADS as u64 * 7
    );
    let mut members: Vec<&str> = spec.members().map(|m| m.node.name.as_str()).collect();
    members.sort_unstable();
    let mut expected: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    expected.extend(["base".to_owned(), "self".to_owned()]);
    expected.sort();
    assert_eq!(members, expected);
    assert_eq!(spec.members.len(), 2 + THREADS, "no slot was left vacant");
}

// ---------------------------------------------------------------- pinned names

#[test]
fn a_name_pinned_to_another_address_is_refused_unless_replace() {
    use vpc_core::ops::run;
    use vpc_core::request::{FromPairs, NodeAddOffline};
    let f = fixture("pinned-address");
    let before = snapshot(&f.root());
    let req = |words: &str| {
        NodeAddOffline::from_pairs(words.split(' ').map(|w| w.split_once('=').unwrap())).unwrap()
    };

    // The same record again: unchanged, nothing replaced.
    let r = run::node_add_offline(&f.store, &req("offline=1 name=a node=198.18.0.2")).unwrap();
    assert_eq!((r.outcome, r.replaced), (Outcome::Unchanged, None));

    // Another address: refused, naming the held one and replace=1.
    let e = expect_err(
        run::node_add_offline(&f.store, &req("offline=1 name=a node=198.18.0.9")),
        ErrorKind::Conflict,
        "another address for a",
    );
    assert_mentions(&e, "198.18.0.2", "pinned address");
    assert_mentions(&e, "198.18.0.9", "new address");
    assert_mentions(&e, "replace=1", "the way out");
    assert_same(&before, &f.root(), "refused re-add");

    // replace=1: replaced, and the report says what it held.
    let r = run::node_add_offline(&f.store, &req("offline=1 name=a node=198.18.0.9 replace=1"))
        .unwrap();
    assert_eq!(r.outcome, Outcome::Updated);
    let replaced = r.replaced.clone().expect("a report of what was replaced");
    assert_eq!(replaced.ip4, v4("198.18.0.2"));
    assert_eq!(replaced.host_key, None);
    let json: Value = serde_json::from_str(&vpc_core::report::to_json(&r).unwrap()).unwrap();
    assert_eq!(json["replaced"]["ip4"], "198.18.0.2");
    assert_eq!(
        f.store.node(&node_name("a")).unwrap().unwrap().ip4,
        v4("198.18.0.9")
    );

    // Port, user and command are not pins: an update, nothing replaced.
    let r = run::node_add_offline(&f.store, &req("offline=1 name=a node=198.18.0.9 port=2200"))
        .unwrap();
    assert_eq!((r.outcome, r.replaced), (Outcome::Updated, None));
}

#[test]
fn a_name_pinned_to_another_host_key_is_refused_unless_replace() {
    let f = fixture("pinned-key");
    let key = |c: char| format!("SHA256:{}", c.to_string().repeat(43));
    let mut pinned = f.a.clone();
    pinned.address = "198.18.0.2".parse().ok();
    pinned.host_key = Some(key('A'));
    assert_eq!(
        ops::node_add_or_replace(&f.store, pinned.clone(), false).unwrap(),
        (Outcome::Updated, None)
    );
    let before = snapshot(&f.root());

    let mut other = pinned.clone();
    other.host_key = Some(key('B'));
    let e = expect_err(
        ops::node_add_or_replace(&f.store, other.clone(), false),
        ErrorKind::Conflict,
        "another host key",
    );
    assert_mentions(&e, &key('A'), "the pinned key");
    assert_mentions(&e, &key('B'), "the offered key");
    // An offline record would drop the pin: refused too.
    expect_err(
        ops::node_add_offline(&f.store, f.a.clone()),
        ErrorKind::Conflict,
        "unpinning by an offline add",
    );
    assert_same(&before, &f.root(), "refused host key change");

    let (outcome, replaced) = ops::node_add_or_replace(&f.store, other.clone(), true).unwrap();
    assert_eq!(outcome, Outcome::Updated);
    let replaced = replaced.unwrap();
    assert_eq!(replaced.host_key, Some(key('A')));
    assert_eq!(replaced.ip4, None, "the address did not change");
    assert_eq!(f.store.node(&node_name("a")).unwrap(), Some(other));
}

// ---------------------------------------------------------------- links and modes

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
}

#[cfg(unix)]
#[test]
fn directories_are_0700_and_files_0600() {
    let f = fixture("modes");
    for dir in ["", "nodes", "vpcs"] {
        assert_eq!(mode(&f.file(dir)), 0o700, "{dir:?}");
    }
    for file in ["node.json", "nodes/a.json", "vpcs/v1.json", ".lock"] {
        assert_eq!(mode(&f.file(file)), 0o600, "{file}");
    }
}

#[cfg(unix)]
#[test]
fn a_symlinked_subdirectory_is_refused_naming_it() {
    let f = fixture("link-dir");
    let elsewhere = f.dir.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    fs::write(elsewhere.join("bait.json"), "kept\n").unwrap();
    fs::rename(f.file("vpcs"), f.dir.path().join("vpcs-moved")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, f.file("vpcs")).unwrap();
    let e = expect_err(f.store.vpcs(), ErrorKind::Corrupt, "vpcs() through a link");
    assert_mentions(&e, &f.file("vpcs").display().to_string(), "the link");
    assert_mentions(&e, "symbolic link", "what it is");
    expect_err(
        f.store.vpc(&vpc_name("bait")),
        ErrorKind::Corrupt,
        "vpc() through a link",
    );
    expect_err(
        ops::vpc_init(
            &f.store,
            vpc_name("v2"),
            &MemberSelection::All,
            &options("10.200.0.0/24"),
        ),
        ErrorKind::Corrupt,
        "a write through a link",
    );
    let left: Vec<_> = fs::read_dir(&elsewhere)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["bait.json"], "the link's target was written to");
    assert_eq!(
        fs::read_to_string(elsewhere.join("bait.json")).unwrap(),
        "kept\n"
    );
}

#[cfg(unix)]
#[test]
fn a_symlinked_state_file_is_refused_naming_it() {
    let f = fixture("link-file");
    let target = f.dir.path().join("target.json");
    fs::copy(f.file("node.json"), &target).unwrap();
    let held = fs::read(&target).unwrap();
    fs::remove_file(f.file("node.json")).unwrap();
    std::os::unix::fs::symlink(&target, f.file("node.json")).unwrap();
    let e = expect_err(
        f.store.identity(),
        ErrorKind::Corrupt,
        "identity() through a link",
    );
    assert_mentions(&e, &f.file("node.json").display().to_string(), "the link");
    expect_err(
        ops::node_init(&f.store, node("self", "198.18.0.7")),
        ErrorKind::Corrupt,
        "node_init through a link",
    );
    assert_eq!(
        fs::read(&target).unwrap(),
        held,
        "the link's target changed"
    );
    assert!(
        fs::symlink_metadata(f.file("node.json"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[cfg(unix)]
#[test]
fn a_symlinked_lock_file_is_refused() {
    let f = fixture("link-lock");
    let target = f.dir.path().join("not-a-lock");
    fs::write(&target, "").unwrap();
    fs::remove_file(f.file(".lock")).unwrap();
    std::os::unix::fs::symlink(&target, f.file(".lock")).unwrap();
    let e = expect_err(
        f.store.lock().map(drop),
        ErrorKind::Corrupt,
        "lock() through a link",
    );
    assert_mentions(&e, ".lock", "the link");
    assert_eq!(
        fs::read(&target).unwrap(),
        b"",
        "the link's target was written to"
    );
}

// ---------------------------------------------------------------- lock timeout

#[test]
fn a_held_lock_is_waited_for_at_most_the_timeout_naming_the_holder() {
    use std::sync::atomic::AtomicUsize;
    static NOTICES: AtomicUsize = AtomicUsize::new(0);
    let f = fixture("lock-timeout");
    // Another "process": a second open file description holding the flock,
    // with a pid in it.
    let lock = fs::OpenOptions::new()
        .write(true)
        .open(f.file(".lock"))
        .unwrap();
    lock.lock().unwrap();
    fs::write(f.file(".lock"), "4242\n").unwrap();
    let store = f
        .store
        .clone()
        .with_lock_timeout(Duration::from_secs(1))
        .on_lock_wait(|line| {
            assert!(line.contains("process 4242"), "{line}");
            NOTICES.fetch_add(1, Ordering::SeqCst);
        });
    let started = std::time::Instant::now();
    let e = expect_err(
        ops::node_add_offline(&store, record("c", "198.18.0.4")),
        ErrorKind::Conflict,
        "a change while another holds the lock",
    );
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "gave up too early"
    );
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "waited far too long"
    );
    assert_mentions(&e, "process 4242", "the holder");
    assert_eq!(NOTICES.load(Ordering::SeqCst), 1, "the wait is told once");
    assert_eq!(store.node(&node_name("c")).unwrap(), None);

    // Timeout 0: no wait, no notice.
    let e = expect_err(
        ops::node_add_offline(
            &store.clone().with_lock_timeout(Duration::ZERO),
            record("c", "198.18.0.4"),
        ),
        ErrorKind::Conflict,
        "timeout 0",
    );
    assert_mentions(&e, "4242", "the holder");
    assert_eq!(NOTICES.load(Ordering::SeqCst), 1);

    // Released: the same change goes through, and the holder's pid is ours.
    drop(lock);
    ops::node_add_offline(&store, record("c", "198.18.0.4")).unwrap();
    assert_eq!(
        fs::read_to_string(f.file(".lock")).unwrap(),
        format!("{}\n", std::process::id())
    );
}

#[test]
fn lock_timeout_is_read_in_whole_seconds_up_to_an_hour() {
    use vpc_core::request::lock_timeout;
    assert_eq!(lock_timeout("0").unwrap(), Duration::ZERO);
    assert_eq!(lock_timeout("3600").unwrap(), Duration::from_secs(3600));
    for bad in ["x", "-1", "3601", "1.5", ""] {
        let e = lock_timeout(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid);
        assert_eq!(
            e.message(),
            format!("lock_timeout {bad:?} is not valid: expected a whole number from 0 to 3600")
        );
    }
}

#[test]
fn by_name_takes_lock_timeout_like_the_cli() {
    let f = fixture("by-name-timeout");
    let lock = fs::OpenOptions::new()
        .write(true)
        .open(f.file(".lock"))
        .unwrap();
    lock.lock().unwrap();
    let e = vpc_core::ops::run::by_name(
        &f.store,
        "node add",
        [
            ("offline", "1"),
            ("name", "c"),
            ("node", "198.18.0.4"),
            ("lock_timeout", "0"),
        ],
        None,
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{}", e.message());
    let e = vpc_core::ops::run::by_name(&f.store, "node list", [("lock_timeout", "x")], None)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Invalid);
    drop(lock);
}

// ---------------------------------------------------------------- the SSH key pair

#[cfg(feature = "ssh")]
mod key_pair {
    use super::*;
    use vpc_core::cluster::keys;

    #[test]
    fn a_missing_public_key_is_derived_from_the_private_one() {
        let dir = TempDir::new("keys-pub");
        let store = Store::open(dir.path().join("state"));
        let (outcome, pair) = keys::ensure(&store, "vpc@a").unwrap();
        assert_eq!(outcome, Outcome::Created);
        let private = fs::read(&pair.private).unwrap();
        let line = pair.public_line().unwrap();
        fs::remove_file(&pair.public).unwrap();
        let (outcome, again) = keys::ensure(&store, "vpc@other").unwrap();
        assert_eq!(outcome, Outcome::Updated);
        assert_eq!(
            fs::read(&pair.private).unwrap(),
            private,
            "the private key changed"
        );
        assert_eq!(again.public_line().unwrap(), line);
        assert_eq!(
            fs::read_to_string(&pair.public).unwrap(),
            format!("{line}\n")
        );
        assert_eq!(mode(&pair.public), 0o600);
        assert_eq!(mode(&dir.path().join("state/ssh")), 0o700);
    }

    #[test]
    fn a_corrupt_private_key_is_refused_and_left_alone() {
        let dir = TempDir::new("keys-corrupt");
        let store = Store::open(dir.path().join("state"));
        let (_, pair) = keys::ensure(&store, "vpc@a").unwrap();
        fs::remove_file(&pair.public).unwrap();
        fs::write(
            &pair.private,
            "-----BEGIN OPENSSH PRIVATE KEY-----\ngarbage\n",
        )
        .unwrap();
        let held = fs::read(&pair.private).unwrap();
        let e = expect_err(
            keys::ensure(&store, "vpc@a"),
            ErrorKind::Corrupt,
            "a corrupt key",
        );
        assert_mentions(&e, &pair.private.display().to_string(), "the key's file");
        assert_eq!(
            fs::read(&pair.private).unwrap(),
            held,
            "the private key was rewritten"
        );
        assert!(!pair.public.exists(), "a public key was written");
    }

    #[test]
    fn concurrent_first_key_generation_makes_one_pair() {
        const THREADS: usize = 8;
        let dir = TempDir::new("keys-race");
        let store = Store::open(dir.path().join("state"));
        let results: Vec<(Outcome, String)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..THREADS)
                .map(|_| {
                    let store = store.clone();
                    scope.spawn(move || {
                        let (outcome, pair) = keys::ensure(&store, "vpc@a").unwrap();
                        (outcome, pair.public_line().unwrap())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let created = results
            .iter()
            .filter(|(o, _)| *o == Outcome::Created)
            .count();
        assert_eq!(created, 1, "{results:?}");
        let on_disk = fs::read_to_string(dir.path().join("state/ssh/id_ed25519.pub")).unwrap();
        for (_, line) in &results {
            assert_eq!(format!("{line}\n"), on_disk);
        }
    }
}

// ---------------------------------------------------------------- one writer

#[test]
fn set_member_on_the_initiator_sets_a_members_bridge_addresses() {
    let f = fixture("set-member");
    let v1 = vpc_name("v1");
    let addrs = vec![IfAddr::parse("10.10.11.2/24", "bridge_ips").unwrap()];
    let (outcome, spec) =
        ops::set_member(&f.store, &v1, &node_name("a"), Some(addrs.clone()), None).unwrap();
    assert_eq!(outcome, Outcome::Updated);
    assert_eq!(spec.generation, 2);
    assert_eq!(spec.member(&node_name("a")).unwrap().bridge_addrs, addrs);
    assert_eq!(f.store.vpc(&v1).unwrap(), Some(spec));
    let before = snapshot(&f.root());
    let (outcome, spec) =
        ops::set_member(&f.store, &v1, &node_name("a"), Some(addrs), None).unwrap();
    assert_eq!((outcome, spec.generation), (Outcome::Unchanged, 2));
    assert_same(&before, &f.root(), "set_member answering Unchanged");
    let e = expect_err(
        ops::set_member(&f.store, &v1, &node_name("zz"), Some(Vec::new()), None),
        ErrorKind::NotFound,
        "set_member of a non-member",
    );
    assert_mentions(&e, "zz", "set_member of a non-member");
}

#[test]
fn a_member_never_changes_a_spec_it_did_not_initiate() {
    let f = receive_fixture("one-writer");
    // v2, initiated by a, received here.
    let v2 = Spec::define(
        vpc_name("v2"),
        node("a", "198.18.0.2"),
        vec![f.identity.node()],
        &options("10.101.0.0/24"),
        std::slice::from_ref(&f.v1),
    )
    .unwrap();
    ops::receive(&f.store, &v2.to_json()).unwrap();
    let name = vpc_name("v2");
    let addrs = vec![IfAddr::parse("10.10.11.2/24", "bridge_ips").unwrap()];
    let before = snapshot(&f.root());
    let then = |what: &str| {
        format!(
            "VPC v2 is defined on a (its initiator); this host only receives it: run there \
             `{what}`, then `vpc mode=sync vpc_name=v2`"
        )
    };
    let cases: Vec<(&str, vpc_core::Result<Spec>, String)> = vec![
        (
            "set_member",
            ops::set_member(
                &f.store,
                &name,
                &node_name("self"),
                Some(addrs.clone()),
                None,
            )
            .map(|r| r.1),
            then("vpc mode=set_member vpc_name=v2 node=self bridge_ips=10.10.11.2/24"),
        ),
        (
            "set_bridge_addrs",
            ops::set_bridge_addrs(&f.store, &name, Vec::new()).map(|r| r.1),
            then("vpc mode=set_member vpc_name=v2 node=self bridge_ips=0"),
        ),
        (
            "add_member",
            ops::add_member(&f.store, &name, &node_name("c")),
            then("vpc mode=add_member vpc_name=v2 node=c"),
        ),
        (
            "remove_member",
            ops::remove_member(&f.store, &name, &node_name("self")),
            then("vpc mode=remove_member vpc_name=v2 node=self"),
        ),
    ];
    for (what, result, message) in cases {
        let e = expect_err(result, ErrorKind::Conflict, what);
        assert_eq!(e.message(), message, "{what}");
    }
    // init_bridge bridge_ips= sets this host's own addresses: refused
    // too, also as a dry run, before any kernel is looked at.
    let pairs = [
        ("vpc_name", "v2"),
        ("bridge_ips", "10.10.11.2/24"),
        ("dryrun", "1"),
    ];
    use vpc_core::request::FromPairs;
    let dry = vpc_core::request::InitBridge::from_pairs(pairs).unwrap().0;
    let e = expect_err(
        vpc_core::ops::run::converge(&f.store, &dry),
        ErrorKind::Conflict,
        "init_bridge dryrun=1 bridge_ips=",
    );
    assert_eq!(
        e.message(),
        then("vpc mode=set_member vpc_name=v2 node=self bridge_ips=10.10.11.2/24")
    );
    let live = vpc_core::request::InitBridge::from_pairs(pairs[..2].iter().copied())
        .unwrap()
        .0;
    let mut kernel =
        vpc_core::backend::memory::MemoryKernel::new(vpc_core::model::platform::Platform::Linux);
    let e = expect_err(
        vpc_core::ops::run::converge_on(&f.store, &live, &mut kernel),
        ErrorKind::Conflict,
        "init_bridge bridge_ips=",
    );
    assert_mentions(
        &e,
        "run there `vpc mode=set_member",
        "init_bridge bridge_ips=",
    );
    assert_same(&before, &f.root(), "refused changes of a received spec");
    assert_eq!(f.store.vpc(&name).unwrap(), Some(v2));
}
