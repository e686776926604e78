//! Requests: what each operation is asked, read once from `key=value`
//! pairs. The CLI's words, the C ABI's key and value arrays and Python's
//! keyword arguments all come here, so a bad value reads the same from
//! every door.
//!
//! Every request type lists its [`Key`]s (which the CLI's help shows) and
//! reads itself with [`FromPairs::from_pairs`]: an unknown or repeated key,
//! a missing required one, or a bad value is an [`ErrorKind::Invalid`](crate::ErrorKind::Invalid)
//! error naming the key and what was expected.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::model::addr::IfAddr;
use crate::model::members::MemberSelection;
use crate::model::name::{IFNAME_MAX, NodeName, VpcName};
use crate::model::node::Node;
use crate::model::platform::Platform;
use crate::model::quota::{Usage, parse_size};
use crate::model::spec::{OPTION_KEYS, Options, parse_flag, parse_number};
use crate::model::wgkey::PublicKey;
use crate::plan::Scope;
use crate::store::NodeRecord;

/// One key an operation accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// The key.
    pub name: &'static str,
    /// Whether the operation needs it.
    pub required: bool,
    /// One line of help.
    pub help: &'static str,
}

const fn req(name: &'static str, help: &'static str) -> Key {
    Key {
        name,
        required: true,
        help,
    }
}

const fn opt(name: &'static str, help: &'static str) -> Key {
    Key {
        name,
        required: false,
        help,
    }
}

/// `key=value` pairs being read: each key is taken at most once, and what
/// is left when the request is read is refused.
#[derive(Debug)]
pub struct Pairs<'a> {
    op: &'static str,
    keys: &'static [Key],
    spec_options: bool,
    pairs: Vec<(&'a str, &'a str)>,
}

impl<'a> Pairs<'a> {
    /// The pairs of operation `op`, which accepts `keys` (and the spec
    /// options when `spec_options`). A key given twice, an unknown key and
    /// a missing required key are refused here.
    pub fn new(
        op: &'static str,
        keys: &'static [Key],
        spec_options: bool,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Pairs<'a>> {
        let mut list: Vec<(&str, &str)> = Vec::new();
        for (k, v) in pairs {
            if list.iter().any(|(seen, _)| *seen == k) {
                return Err(Error::invalid(format!(
                    "key {k}= is given twice: expected it once"
                )));
            }
            let known = keys.iter().any(|key| key.name == k)
                || (spec_options && OPTION_KEYS.iter().any(|(o, _)| *o == k));
            if !known {
                return Err(Error::invalid(format!(
                    "unknown key {k}= for mode={op}: expected one of {}",
                    key_list(keys, spec_options)
                )));
            }
            list.push((k, v));
        }
        for key in keys.iter().filter(|k| k.required) {
            if !list.iter().any(|(k, _)| *k == key.name) {
                return Err(Error::invalid(format!(
                    "missing key {}= for mode={op}: {}",
                    key.name, key.help
                )));
            }
        }
        Ok(Pairs {
            op,
            keys,
            spec_options,
            pairs: list,
        })
    }

    /// The value of `key`, if given.
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
    }

    /// The value of a required key.
    pub fn required(&self, key: &str) -> Result<&'a str> {
        self.get(key).ok_or_else(|| {
            let help = self
                .keys
                .iter()
                .find(|k| k.name == key)
                .map_or("", |k| k.help);
            Error::invalid(format!("missing key {key}= for mode={}: {help}", self.op))
        })
    }

    /// `key`'s value read by `parse`, if given.
    pub fn parse<T>(
        &self,
        key: &str,
        parse: impl FnOnce(&'a str) -> Result<T>,
    ) -> Result<Option<T>> {
        self.get(key).map(parse).transpose()
    }

    /// `key` is `1` (absent is `0`).
    pub fn flag(&self, key: &str) -> Result<bool> {
        Ok(self.parse(key, |v| parse_flag(key, v))?.unwrap_or(false))
    }

    /// Every pair, in the order given.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str)> + '_ {
        self.pairs.iter().copied()
    }

    /// Whether the spec options are accepted.
    pub fn spec_options(&self) -> bool {
        self.spec_options
    }
}

/// Every key of `keys` (and the spec options), comma-separated.
pub fn key_list(keys: &[Key], spec_options: bool) -> String {
    let mut names: Vec<&str> = keys.iter().map(|k| k.name).collect();
    if spec_options {
        names.extend(OPTION_KEYS.iter().map(|(k, _)| *k));
    }
    if names.is_empty() {
        "no keys".to_owned()
    } else {
        names.join(", ")
    }
}

/// A request read from `key=value` pairs.
pub trait FromPairs: Sized {
    /// The operation's name, as `mode=` gives it.
    const OP: &'static str;
    /// The keys it accepts.
    const KEYS: &'static [Key];
    /// Whether the spec options ([`OPTION_KEYS`]) are accepted too.
    const SPEC_OPTIONS: bool = false;

    /// Reads the request from checked pairs.
    fn read(pairs: &Pairs<'_>) -> Result<Self>;

    /// Checks `pairs` against [`Self::KEYS`] and reads the request.
    fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self> {
        Self::read(&Pairs::new(
            Self::OP,
            Self::KEYS,
            Self::SPEC_OPTIONS,
            pairs,
        )?)
    }
}

// ---------------------------------------------------------------------------
// Values

/// `vpc_name=`.
const VPC_NAME: Key = req(
    "vpc_name",
    "the VPC's name: a letter, then letters, digits or '_'; at most 15 bytes",
);
const DRYRUN: Key = opt(
    "dryrun",
    "1 = print the commands (ifconfig / ip) instead of changing the kernel",
);
const OS: Key = opt(
    "os",
    "with dryrun=1: render for freebsd or linux; default this host's",
);
const FOR_NODE: Key = opt(
    "node",
    "with dryrun=1: plan for this member instead of this host",
);
const BRIDGE_IPS: Key = opt(
    "bridge_ips",
    "this host's addresses on the bridge, A/P[,A/P…]; 0 = none",
);
/// `connect_timeout=`.
pub const CONNECT_TIMEOUT: Key = opt("connect_timeout", "seconds to connect to a node; default 5");
/// `command_timeout=`.
pub const COMMAND_TIMEOUT: Key = opt(
    "command_timeout",
    "seconds a node's command may take; default 120",
);
const IFACE: Key = req("iface", "the guest port on this host");

fn vpc_name(p: &Pairs<'_>) -> Result<VpcName> {
    VpcName::new(p.required("vpc_name")?)
}

/// A node name from `key=`.
fn node_name(p: &Pairs<'_>, key: &str) -> Result<Option<NodeName>> {
    p.parse(key, |v| {
        NodeName::new(v).map_err(|e| e.context(format!("{key}=")))
    })
}

fn required_node_name(p: &Pairs<'_>, key: &str) -> Result<NodeName> {
    node_name(p, key)?.ok_or_else(|| Error::invalid(format!("missing key {key}=")))
}

fn parse_ip<T: std::str::FromStr>(key: &str, text: &str, family: &str) -> Result<T> {
    text.parse().map_err(|_| {
        Error::invalid(format!(
            "{key} {text:?} is not valid: expected an {family} address"
        ))
    })
}

/// `ip4=` and `ip6=`.
fn underlay(p: &Pairs<'_>) -> Result<(Option<Ipv4Addr>, Option<Ipv6Addr>)> {
    Ok((
        p.parse("ip4", |v| parse_ip("ip4", v, "IPv4"))?,
        p.parse("ip6", |v| parse_ip("ip6", v, "IPv6"))?,
    ))
}

/// A node from `ip4=`/`ip6=` and the NAT keys `local4=`, `local6=`,
/// `inbound=`.
fn node_behind_nat(p: &Pairs<'_>, name: NodeName) -> Result<Node> {
    let (ip4, ip6) = underlay(p)?;
    with_nat_keys(p, Node::new(name, ip4, ip6)?)
}

/// `node` with the NAT keys `local4=`, `local6=`, `inbound=` of `p`.
fn with_nat_keys(p: &Pairs<'_>, mut node: Node) -> Result<Node> {
    node.local4 = p.parse("local4", |v| parse_ip("local4", v, "IPv4"))?;
    node.local6 = p.parse("local6", |v| parse_ip("local6", v, "IPv6"))?;
    node.inbound = p
        .parse("inbound", |v| parse_flag("inbound", v))?
        .unwrap_or(true);
    node.check()?;
    Ok(node)
}

/// `bridge_ips=A/P[,A/P…]`; `0` or empty means none (CBSD's convention).
pub fn bridge_ips(text: &str) -> Result<Vec<IfAddr>> {
    if text.is_empty() || text == "0" {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|a| IfAddr::parse(a, "bridge_ips"))
        .collect()
}

/// An interface name `iface=`. No kernel names an interface with a '/',
/// white space or a control character (a newline would also split the
/// lines of a dry run's commands and of boot files).
pub fn iface_name(name: &str) -> Result<String> {
    let bad = |c: char| c == '/' || c.is_whitespace() || c.is_control();
    if name.is_empty() || name.len() > IFNAME_MAX || name.contains(bad) {
        return Err(Error::invalid(format!(
            "iface {name:?} is not valid: expected an interface name of 1 to {IFNAME_MAX} bytes, \
             without '/', white space or control characters"
        )));
    }
    Ok(name.to_owned())
}

/// One word (`user=`, `command=`).
fn word(key: &str, v: &str) -> Result<String> {
    if v.is_empty() || v.chars().any(char::is_whitespace) {
        return Err(Error::invalid(format!(
            "{key} {v:?} is not valid: expected one word"
        )));
    }
    Ok(v.to_owned())
}

// ---------------------------------------------------------------------------
// Node requests

/// `vpc node mode=init`: this host's identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeInit {
    /// The node, checked.
    pub node: Node,
}

impl FromPairs for NodeInit {
    const OP: &'static str = "init";
    const KEYS: &'static [Key] = &[
        req("name", "this host's name (a host name)"),
        opt(
            "ip4",
            "this host's IPv4 underlay address, as the other members reach it",
        ),
        opt(
            "ip6",
            "this host's IPv6 underlay address, as the other members reach it",
        ),
        opt(
            "local4",
            "behind a 1:1 NAT: the IPv4 address on this host's interface (ip4= is the public one)",
        ),
        opt(
            "local6",
            "behind a 1:1 NAT: the IPv6 address on this host's interface",
        ),
        opt(
            "inbound",
            "0 = nobody can reach this host (masquerading router): it needs encrypt=wireguard; default 1",
        ),
    ];
    fn read(p: &Pairs<'_>) -> Result<Self> {
        let name = required_node_name(p, "name")?;
        Ok(NodeInit {
            node: node_behind_nat(p, name)?,
        })
    }
}

/// The keys of `vpc node mode=add`, online and offline.
const NODE_ADD_KEYS: &[Key] = &[
    req("node", "the host's underlay address (IPv4 or IPv6)"),
    opt("name", "the host's name (required with offline=1)"),
    opt("offline", "1 = record without contacting the host"),
    opt("ip4", "its IPv4 underlay address, when node= is IPv6"),
    opt("ip6", "its IPv6 underlay address, when node= is IPv4"),
    opt(
        "local4",
        "offline=1, behind a 1:1 NAT: the IPv4 address on its interface (node= is the public one)",
    ),
    opt(
        "local6",
        "offline=1, behind a 1:1 NAT: the IPv6 address on its interface",
    ),
    opt(
        "inbound",
        "offline=1: 0 = nobody can reach it (masquerade); default 1",
    ),
    opt("port", "SSH port; default 22"),
    opt("user", "SSH user; default root"),
    opt("command", "the vpc command on that host; default vpc"),
    opt(
        "identity",
        "log in with this private key instead of a password",
    ),
    opt(
        "fingerprint",
        "the host key's SHA256:… fingerprint, pinned in advance",
    ),
    opt(
        "replace",
        "1 = replace a record of that name with another address or host key",
    ),
    CONNECT_TIMEOUT,
    COMMAND_TIMEOUT,
];

/// `node=ADDR`.
fn node_addr(p: &Pairs<'_>) -> Result<IpAddr> {
    parse_ip("node", p.required("node")?, "IPv4 or IPv6")
}

/// `vpc node mode=add offline=1`: a record made without contact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeAddOffline {
    /// The record to store.
    pub record: NodeRecord,
    /// `replace=1`: a record of that name with another address or host key
    /// may be replaced.
    pub replace: bool,
}

impl FromPairs for NodeAddOffline {
    const OP: &'static str = "add";
    const KEYS: &'static [Key] = NODE_ADD_KEYS;
    fn read(p: &Pairs<'_>) -> Result<Self> {
        let addr = node_addr(p)?;
        let name = node_name(p, "name")?.ok_or_else(|| {
            Error::invalid("missing key name= (offline=1 records a host by name)")
        })?;
        let (mut ip4, mut ip6) = underlay(p)?;
        let clash = |key: &str, given: &dyn std::fmt::Display| {
            Error::invalid(format!(
                "{key} {given} differs from node {addr}: expected one address per family"
            ))
        };
        match addr {
            IpAddr::V4(a) if ip4.is_some_and(|x| x != a) => return Err(clash("ip4", &a)),
            IpAddr::V6(a) if ip6.is_some_and(|x| x != a) => return Err(clash("ip6", &a)),
            IpAddr::V4(a) => ip4 = Some(a),
            IpAddr::V6(a) => ip6 = Some(a),
        }
        let mut record = NodeRecord::new(with_nat_keys(p, Node::new(name, ip4, ip6)?)?);
        if let Some(port) = p.parse("port", |v| parse_number("port", v, 1..=65535))? {
            record.port = port;
        }
        if let Some(user) = p.parse("user", |v| word("user", v))? {
            record.user = user;
        }
        if let Some(command) = p.parse("command", |v| word("command", v))? {
            record.command = command;
        }
        Ok(NodeAddOffline {
            record,
            replace: p.flag("replace")?,
        })
    }
}

/// `vpc node mode=add`: over SSH, or with `offline=1` a record only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeAdd {
    /// `offline=1`.
    Offline(NodeAddOffline),
    /// Over SSH.
    Online(NodeAddOnline),
}

impl FromPairs for NodeAdd {
    const OP: &'static str = "add";
    const KEYS: &'static [Key] = NODE_ADD_KEYS;
    fn read(p: &Pairs<'_>) -> Result<Self> {
        if p.flag("offline")? {
            NodeAddOffline::read(p).map(NodeAdd::Offline)
        } else {
            NodeAddOnline::read(p).map(NodeAdd::Online)
        }
    }
}

/// `vpc node mode=add` over SSH: whom to reach and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeAddOnline {
    /// Where SSH reaches the node.
    pub address: IpAddr,
    /// SSH port.
    pub port: u16,
    /// SSH user.
    pub user: String,
    /// The vpc command on that host.
    pub command: String,
    /// A private key to log in with instead of a password.
    pub identity: Option<PathBuf>,
    /// The host key's fingerprint, pinned in advance.
    pub fingerprint: Option<String>,
    /// `replace=1`: a record of that name with another address or host key
    /// may be replaced.
    pub replace: bool,
    /// Connect and command timeouts.
    pub timeouts: Timeouts,
}

impl FromPairs for NodeAddOnline {
    const OP: &'static str = "add";
    const KEYS: &'static [Key] = NODE_ADD_KEYS;
    fn read(p: &Pairs<'_>) -> Result<Self> {
        let address = node_addr(p)?;
        if p.get("name").is_some() {
            return Err(Error::invalid(
                "name= goes with offline=1: over SSH the node tells its own name",
            ));
        }
        for key in ["ip4", "ip6"] {
            if p.get(key).is_some() {
                return Err(Error::invalid(format!(
                    "{key}= goes with offline=1: over SSH the node tells its own addresses"
                )));
            }
        }
        let identity = p.parse("identity", |v| {
            let path = PathBuf::from(v);
            if path.is_file() {
                Ok(path)
            } else {
                Err(Error::invalid(format!(
                    "identity {v:?} is not a readable file: expected a private key"
                )))
            }
        })?;
        Ok(NodeAddOnline {
            address,
            port: p
                .parse("port", |v| parse_number("port", v, 1..=65535))?
                .unwrap_or(22),
            user: p
                .parse("user", |v| word("user", v))?
                .unwrap_or_else(|| "root".to_owned()),
            command: p
                .parse("command", |v| word("command", v))?
                .unwrap_or_else(|| "vpc".to_owned()),
            identity,
            fingerprint: fingerprint(p)?,
            replace: p.flag("replace")?,
            timeouts: Timeouts::read(p)?,
        })
    }
}

/// `fingerprint=SHA256:…`, checked when this build can read it.
fn fingerprint(p: &Pairs<'_>) -> Result<Option<String>> {
    #[cfg(feature = "ssh")]
    {
        p.parse("fingerprint", crate::cluster::keys::parse_fingerprint)
    }
    #[cfg(not(feature = "ssh"))]
    {
        Ok(p.get("fingerprint").map(str::to_owned))
    }
}

/// `vpc node mode=remove`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRemove {
    /// The node to forget.
    pub name: NodeName,
}

impl FromPairs for NodeRemove {
    const OP: &'static str = "remove";
    const KEYS: &'static [Key] = &[req("node", "the host's name")];
    fn read(p: &Pairs<'_>) -> Result<Self> {
        Ok(NodeRemove {
            name: required_node_name(p, "node")?,
        })
    }
}

/// `vpc node mode=list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeList;

impl FromPairs for NodeList {
    const OP: &'static str = "list";
    const KEYS: &'static [Key] = &[];
    fn read(_: &Pairs<'_>) -> Result<Self> {
        Ok(NodeList)
    }
}

// ---------------------------------------------------------------------------
// VPC definition requests

/// `vpc mode=init`: define a VPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Init {
    /// The VPC.
    pub vpc: VpcName,
    /// Its members besides this host.
    pub members: MemberSelection,
    /// The spec options; `peer_network` is set.
    pub options: Options,
}

impl FromPairs for Init {
    const OP: &'static str = "init";
    const KEYS: &'static [Key] = &[
        VPC_NAME,
        req(
            "node_member",
            "all (every known host, by name) or a comma-separated list of names",
        ),
    ];
    const SPEC_OPTIONS: bool = true;
    fn read(p: &Pairs<'_>) -> Result<Self> {
        let vpc = vpc_name(p)?;
        let members = MemberSelection::parse(p.required("node_member")?)?;
        // The options are the pairs other than the two keys above.
        let options = SpecOptions::from_pairs(
            p.iter()
                .filter(|(k, _)| Self::KEYS.iter().all(|key| key.name != *k)),
        )?;
        Ok(Init {
            vpc,
            members,
            options: options.0,
        })
    }
}

/// The spec options alone (`peer_network` required), for a spec defined
/// without a store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecOptions(pub Options);

impl FromPairs for SpecOptions {
    const OP: &'static str = "init";
    const KEYS: &'static [Key] = &[];
    const SPEC_OPTIONS: bool = true;

    /// As [`FromPairs::from_pairs`], with an unknown key said as "not an
    /// option of a VPC" (these pairs are options alone, such as Python's
    /// keyword arguments).
    fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self> {
        let pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
        if let Some((key, _)) = pairs
            .iter()
            .find(|(k, _)| OPTION_KEYS.iter().all(|(o, _)| o != k))
        {
            return Err(Error::invalid(format!(
                "{key} is not an option of a VPC: expected one of {}",
                key_list(&[], true)
            )));
        }
        Self::read(&Pairs::new(
            Self::OP,
            Self::KEYS,
            Self::SPEC_OPTIONS,
            pairs,
        )?)
    }

    fn read(p: &Pairs<'_>) -> Result<Self> {
        let mut options = Options::default();
        for (key, value) in p.iter() {
            options.set(key, value)?;
        }
        if options.peer_network.is_none() {
            return Err(Error::invalid(
                "missing key peer_network= for vpc mode=init: a CIDR such as 10.100.0.0/24",
            ));
        }
        Ok(SpecOptions(options))
    }
}

/// A request that names one VPC and nothing else.
macro_rules! vpc_only {
    ($(#[$doc:meta])* $name:ident, $op:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name {
            /// The VPC.
            pub vpc: VpcName,
        }

        impl FromPairs for $name {
            const OP: &'static str = $op;
            const KEYS: &'static [Key] = &[VPC_NAME];
            fn read(p: &Pairs<'_>) -> Result<Self> {
                Ok($name { vpc: vpc_name(p)? })
            }
        }
    };
}

vpc_only!(
    /// `vpc mode=init_peers`: the peer map.
    InitPeers,
    "init_peers"
);
/// `vpc mode=remove`: forget a VPC here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remove {
    /// The VPC.
    pub vpc: VpcName,
    /// Tear down this host's interfaces of the VPC first, instead of
    /// refusing while it holds any.
    pub force: bool,
}

impl FromPairs for Remove {
    const OP: &'static str = "remove";
    const KEYS: &'static [Key] = &[
        VPC_NAME,
        opt(
            "force",
            "1 = tear down this host's interfaces of the VPC first (else a VPC that holds \
             interfaces or guest ports here is refused)",
        ),
    ];
    fn read(p: &Pairs<'_>) -> Result<Self> {
        Ok(Remove {
            vpc: vpc_name(p)?,
            force: p.flag("force")?,
        })
    }
}
vpc_only!(
    /// `vpc mode=export`: the spec as JSON.
    Export,
    "export"
);
vpc_only!(
    /// `vpc mode=leave`: this host's side of `destroy`.
    Leave,
    "leave"
);
/// `vpc mode=wg_key`: this host's WireGuard public key for an encrypted
/// VPC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WgKey {
    /// The VPC.
    pub vpc: VpcName,
    /// `next=1`: the key for the next spec — the pending one, made now if
    /// there is none (what `deploy` asks of a member the spec gives no
    /// key). Without it: the key in use, else the pending one, else a new
    /// pending one.
    pub next: bool,
}

impl FromPairs for WgKey {
    const OP: &'static str = "wg_key";
    const KEYS: &'static [Key] = &[
        VPC_NAME,
        opt(
            "next",
            "1 = the key for the next spec: a new one unless one is pending (deploy asks so)",
        ),
    ];
    fn read(p: &Pairs<'_>) -> Result<Self> {
        Ok(WgKey {
            vpc: vpc_name(p)?,
            next: p.flag("next")?,
        })
    }
}
vpc_only!(
    /// `vpc mode=rotate_keys`: new WireGuard keys for every member.
    RotateKeys,
    "rotate_keys"
);

/// `vpc mode=list`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct List {
    /// One VPC in detail, or every VPC in a line.
    pub vpc: Option<VpcName>,
}

impl FromPairs for List {
    const OP: &'static str = "list";
    const KEYS: &'static [Key] = &[opt("vpc_name", "show this VPC in detail")];
    fn read(p: &Pairs<'_>) -> Result<Self> {
        Ok(List {
            vpc: p.parse("vpc_name", VpcName::new)?,
        })
    }
}

/// `vpc mode=add_member` / `mode=remove_member`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The VPC.
    pub vpc: VpcName,
    /// The node joining or leaving.
    pub node: NodeName,
}

const MEMBER_KEYS: &[Key] = &[VPC_NAME, req("node", "the host's name")];

impl Member {
    fn read_pairs(p: &Pairs<'_>) -> Result<Member> {
        Ok(Member {
            vpc: vpc_name(p)?,
            node: required_node_name(p, "node")?,
        })
    }
}

/// `vpc mode=add_member`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddMember(pub Member);

impl FromPairs for AddMember {
    const OP: &'static str = "add_member";
    const KEYS: &'static [Key] = MEMBER_KEYS;
    fn read(p: &Pairs<'_>) -> Result<Self> {
        Member::read_pairs(p).map(AddMember)
    }
}

/// `vpc mode=remove_member`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveMember(pub Member);

impl FromPairs for RemoveMember {
    const OP: &'static str = "remove_member";
    const KEYS: &'static [Key] = MEMBER_KEYS;
    fn read(p: &Pairs<'_>) -> Result<Self> {
        Member::read_pairs(p).map(RemoveMember)
    }
}

/// `vpc mode=set_member`: a member's own settings, set on the initiator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetMember {
    /// The VPC and the member.
    pub member: Member,
    /// The member's new bridge addresses (`bridge_ips=`; `0` = none).
    pub bridge_ips: Option<Vec<IfAddr>>,
    /// The member's WireGuard public key (`wg_key=`), on an encrypted VPC
    /// whose members are not reached over SSH (`deploy` fetches keys
    /// itself): the member prints it with `vpc mode=wg_key`.
    pub wg_key: Option<PublicKey>,
}

impl FromPairs for SetMember {
    const OP: &'static str = "set_member";
    const KEYS: &'static [Key] = &[
        VPC_NAME,
        req("node", "the member's name"),
        opt(
            "bridge_ips",
            "the member's addresses on the bridge, A/P[,A/P…]; 0 = none",
        ),
        opt(
            "wg_key",
            "encrypted VPC: the member's WireGuard public key, as its vpc mode=wg_key prints it",
        ),
    ];
    fn read(p: &Pairs<'_>) -> Result<Self> {
        let bridge_ips = p.parse("bridge_ips", bridge_ips)?;
        let wg_key = p.parse("wg_key", |v| PublicKey::parse(&format!("wg_key {v:?}"), v))?;
        if bridge_ips.is_none() && wg_key.is_none() {
            return Err(Error::invalid(
                "set_member sets nothing: expected bridge_ips= or wg_key= (or both)",
            ));
        }
        Ok(SetMember {
            member: Member::read_pairs(p)?,
            bridge_ips,
            wg_key,
        })
    }
}

/// `vpc mode=receive`: the keys only; the spec comes as a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receive {
    /// `dryrun=1`: check the spec as receiving it would, and answer with
    /// the plan of applying it here; store and change nothing (what
    /// `deploy dryrun=1` asks of each member).
    pub dry_run: bool,
    /// `apply=1`: once the spec is stored, apply it here (the whole VPC,
    /// as `apply` does), in the same process: what `deploy` asks of each
    /// member, in one remote command.
    pub apply: bool,
}

impl FromPairs for Receive {
    const OP: &'static str = "receive";
    const KEYS: &'static [Key] = &[
        opt(
            "dryrun",
            "1 = check the spec and print the plan of applying it here; nothing is stored or changed",
        ),
        opt(
            "apply",
            "1 = then apply it here (needs root), as mode=apply would; a spec refused is not applied",
        ),
    ];
    fn read(p: &Pairs<'_>) -> Result<Self> {
        let r = Receive {
            dry_run: p.flag("dryrun")?,
            apply: p.flag("apply")?,
        };
        if r.dry_run && r.apply {
            return Err(Error::invalid(
                "apply=1 goes without dryrun=1: a dry run already prints the plan of applying it",
            ));
        }
        Ok(r)
    }
}

// ---------------------------------------------------------------------------
// Kernel requests

/// Who a dry run plans for and whose commands it prints.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DryRun {
    /// Whose commands; default this host's.
    pub os: Option<Platform>,
    /// The member planned for; default this host.
    pub node: Option<NodeName>,
}

/// `dryrun=`, `os=`, `node=`: a dry run, or none (then `os=` and `node=`
/// are refused).
fn dry_run(p: &Pairs<'_>) -> Result<Option<DryRun>> {
    if p.flag("dryrun")? {
        return Ok(Some(DryRun {
            os: p.parse("os", str::parse)?,
            node: node_name(p, "node")?,
        }));
    }
    for key in ["os", "node"] {
        if p.get(key).is_some() {
            return Err(Error::invalid(format!("{key}= goes with dryrun=1 only")));
        }
    }
    Ok(None)
}

/// `apply`, `init_vxlan`, `init_bridge`: converge a part of this node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Converge {
    /// The VPC.
    pub vpc: VpcName,
    /// Which part.
    pub scope: Scope,
    /// Print instead of change.
    pub dry_run: Option<DryRun>,
    /// New bridge addresses of this member (`init_bridge bridge_ips=`).
    pub bridge_ips: Option<Vec<IfAddr>>,
}

/// `teardown`, `destroy_vxlan`, `destroy_bridge`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Teardown {
    /// The VPC.
    pub vpc: VpcName,
    /// Which part.
    pub scope: Scope,
    /// Print instead of change.
    pub dry_run: Option<DryRun>,
}

const CHANGE_KEYS: &[Key] = &[VPC_NAME, DRYRUN, OS, FOR_NODE];
const BRIDGE_KEYS: &[Key] = &[VPC_NAME, BRIDGE_IPS, DRYRUN, OS, FOR_NODE];

macro_rules! scoped {
    ($(#[$doc:meta])* $name:ident, $op:literal, $what:ident, $scope:expr, $keys:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(pub $what);

        impl FromPairs for $name {
            const OP: &'static str = $op;
            const KEYS: &'static [Key] = $keys;
            fn read(p: &Pairs<'_>) -> Result<Self> {
                $what::read_scope(p, $scope).map($name)
            }
        }
    };
}

impl Converge {
    fn read_scope(p: &Pairs<'_>, scope: Scope) -> Result<Converge> {
        Ok(Converge {
            vpc: vpc_name(p)?,
            scope,
            dry_run: dry_run(p)?,
            bridge_ips: p.parse("bridge_ips", bridge_ips)?,
        })
    }
}

impl Teardown {
    fn read_scope(p: &Pairs<'_>, scope: Scope) -> Result<Teardown> {
        Ok(Teardown {
            vpc: vpc_name(p)?,
            scope,
            dry_run: dry_run(p)?,
        })
    }
}

scoped!(
    /// `vpc mode=apply`.
    Apply,
    "apply",
    Converge,
    Scope::All,
    CHANGE_KEYS
);
scoped!(
    /// `vpc mode=init_vxlan`.
    InitVxlan,
    "init_vxlan",
    Converge,
    Scope::Tunnels,
    CHANGE_KEYS
);
scoped!(
    /// `vpc mode=init_bridge`.
    InitBridge,
    "init_bridge",
    Converge,
    Scope::Bridge,
    BRIDGE_KEYS
);
scoped!(
    /// `vpc mode=teardown`.
    TeardownAll,
    "teardown",
    Teardown,
    Scope::All,
    CHANGE_KEYS
);
scoped!(
    /// `vpc mode=destroy_vxlan`.
    DestroyVxlan,
    "destroy_vxlan",
    Teardown,
    Scope::Tunnels,
    CHANGE_KEYS
);
scoped!(
    /// `vpc mode=destroy_bridge`.
    DestroyBridge,
    "destroy_bridge",
    Teardown,
    Scope::Bridge,
    CHANGE_KEYS
);

/// `vpc mode=attach`: a guest port joins the bridge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attach {
    /// The VPC.
    pub vpc: VpcName,
    /// The guest port.
    pub iface: String,
    /// What the guest declares it uses.
    pub usage: Usage,
}

impl FromPairs for Attach {
    const OP: &'static str = "attach";
    const KEYS: &'static [Key] = &[
        VPC_NAME,
        IFACE,
        opt(
            "cpus",
            "virtual CPUs the guest uses, counted against max_cpus",
        ),
        opt(
            "mem",
            "memory the guest uses, e.g. 4g, counted against max_mem",
        ),
        opt(
            "disk",
            "disk the guest uses, e.g. 40g, counted against max_disk",
        ),
    ];
    fn read(p: &Pairs<'_>) -> Result<Self> {
        Ok(Attach {
            vpc: vpc_name(p)?,
            iface: iface_name(p.required("iface")?)?,
            usage: Usage::guest(
                p.parse("cpus", |v| parse_number("cpus", v, 0..=u64::MAX))?
                    .unwrap_or(0),
                p.parse("mem", |v| parse_size("mem", v))?.unwrap_or(0),
                p.parse("disk", |v| parse_size("disk", v))?.unwrap_or(0),
            ),
        })
    }
}

/// `vpc mode=detach`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detach {
    /// The VPC.
    pub vpc: VpcName,
    /// The guest port.
    pub iface: String,
}

impl FromPairs for Detach {
    const OP: &'static str = "detach";
    const KEYS: &'static [Key] = &[VPC_NAME, IFACE];
    fn read(p: &Pairs<'_>) -> Result<Self> {
        Ok(Detach {
            vpc: vpc_name(p)?,
            iface: iface_name(p.required("iface")?)?,
        })
    }
}

/// `vpc mode=status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The VPC.
    pub vpc: VpcName,
    /// How long probes are awaited.
    pub timeout: Duration,
}

impl FromPairs for Status {
    const OP: &'static str = "status";
    const KEYS: &'static [Key] = &[
        VPC_NAME,
        opt(
            "timeout",
            "how long to wait for probe answers, ms; default 1000",
        ),
    ];
    fn read(p: &Pairs<'_>) -> Result<Self> {
        Ok(Status {
            vpc: vpc_name(p)?,
            timeout: Duration::from_millis(
                p.parse("timeout", |v| parse_number("timeout", v, 1..=60_000))?
                    .unwrap_or(1000),
            ),
        })
    }
}

/// `vpc mode=init_rc`: the boot file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitRc {
    /// The VPC.
    pub vpc: VpcName,
    /// rc.d script or systemd unit; default this host's.
    pub os: Platform,
    /// Where to write it; default the system's.
    pub rc_dir: Option<PathBuf>,
    /// The program it runs; default this one.
    pub program: Option<PathBuf>,
}

impl FromPairs for InitRc {
    const OP: &'static str = "init_rc";
    const KEYS: &'static [Key] = &[
        VPC_NAME,
        opt(
            "rc_dir",
            "where to write it; default $VPC_RC_DIR, else /usr/local/etc/rc.d or /etc/systemd/system",
        ),
        opt(
            "os",
            "freebsd (rc.d script) or linux (systemd unit); default this host's",
        ),
        opt(
            "program",
            "the vpc binary the boot file runs; default this one",
        ),
    ];
    fn read(p: &Pairs<'_>) -> Result<Self> {
        Ok(InitRc {
            vpc: vpc_name(p)?,
            os: p.parse("os", str::parse)?.unwrap_or_else(Platform::host),
            rc_dir: p.get("rc_dir").map(PathBuf::from),
            program: p.get("program").map(PathBuf::from),
        })
    }
}

// ---------------------------------------------------------------------------
// Cluster requests

/// How long a remote step may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// To open the TCP connection and finish the SSH handshake.
    pub connect: Duration,
    /// For a command to finish.
    pub command: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(5),
            command: Duration::from_secs(120),
        }
    }
}

impl Timeouts {
    /// `connect_timeout=` and `command_timeout=`, seconds.
    fn read(p: &Pairs<'_>) -> Result<Timeouts> {
        let mut t = Timeouts::default();
        if let Some(s) = p.parse("connect_timeout", |v| {
            parse_number("connect_timeout", v, 1..=600)
        })? {
            t.connect = Duration::from_secs(s);
        }
        if let Some(s) = p.parse("command_timeout", |v| {
            parse_number("command_timeout", v, 1..=3600)
        })? {
            t.command = Duration::from_secs(s);
        }
        Ok(t)
    }
}

/// The key every mode accepts besides its own: how long a change waits for
/// the store's lock. It is a setting of the store handle, not of one
/// request ([`crate::store::Store::with_lock_timeout`]), so a door takes it
/// off the pairs before reading the request ([`LOCK_TIMEOUT_KEY`]).
pub const LOCK_TIMEOUT: Key = opt(
    "lock_timeout",
    "seconds a change waits for another vpc's lock on the state directory; default 30",
);

/// [`LOCK_TIMEOUT`]'s name.
pub const LOCK_TIMEOUT_KEY: &str = LOCK_TIMEOUT.name;

/// A `lock_timeout=` value: whole seconds, 0 to 3600 (0: do not wait).
pub fn lock_timeout(text: &str) -> Result<Duration> {
    parse_number(LOCK_TIMEOUT_KEY, text, 0..=3600).map(Duration::from_secs)
}

/// `sync`, `deploy`: a VPC over every member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// The VPC.
    pub vpc: VpcName,
    /// Per-node timeouts.
    pub timeouts: Timeouts,
}

const CLUSTER_KEYS: &[Key] = &[VPC_NAME, CONNECT_TIMEOUT, COMMAND_TIMEOUT];

impl Cluster {
    fn read_pairs(p: &Pairs<'_>) -> Result<Cluster> {
        Ok(Cluster {
            vpc: vpc_name(p)?,
            timeouts: Timeouts::read(p)?,
        })
    }
}

/// `vpc mode=sync`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sync(pub Cluster);

impl FromPairs for Sync {
    const OP: &'static str = "sync";
    const KEYS: &'static [Key] = CLUSTER_KEYS;
    fn read(p: &Pairs<'_>) -> Result<Self> {
        Cluster::read_pairs(p).map(Sync)
    }
}

/// `vpc mode=deploy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deploy {
    /// The VPC and timeouts.
    pub cluster: Cluster,
    /// Every member's plan instead of changes.
    pub dry_run: bool,
}

impl FromPairs for Deploy {
    const OP: &'static str = "deploy";
    const KEYS: &'static [Key] = &[
        VPC_NAME,
        opt(
            "dryrun",
            "1 = print every member's plan (each asked over SSH); nothing is stored or changed",
        ),
        CONNECT_TIMEOUT,
        COMMAND_TIMEOUT,
    ];
    fn read(p: &Pairs<'_>) -> Result<Self> {
        Ok(Deploy {
            cluster: Cluster::read_pairs(p)?,
            dry_run: p.flag("dryrun")?,
        })
    }
}

/// `vpc mode=destroy`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destroy {
    /// The VPC and timeouts.
    pub cluster: Cluster,
    /// Remove this host's copy even when a member failed.
    pub force: bool,
}

impl FromPairs for Destroy {
    const OP: &'static str = "destroy";
    const KEYS: &'static [Key] = &[
        VPC_NAME,
        opt(
            "force",
            "1 = remove this host's copy even when a member failed",
        ),
        CONNECT_TIMEOUT,
        COMMAND_TIMEOUT,
    ];
    fn read(p: &Pairs<'_>) -> Result<Self> {
        Ok(Destroy {
            cluster: Cluster::read_pairs(p)?,
            force: p.flag("force")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err<R: FromPairs + std::fmt::Debug>(pairs: &[(&str, &str)]) -> String {
        match R::from_pairs(pairs.iter().copied()) {
            Err(e) => e.message().to_owned(),
            Ok(r) => panic!("{pairs:?}: expected an error, got {r:?}"),
        }
    }

    #[test]
    fn an_iface_name_has_no_control_character_or_space() {
        for ok in ["veth0", "tap1", "epair0a", "vnet.12", "a-b_c"] {
            assert_eq!(iface_name(ok).unwrap(), ok);
        }
        for bad in [
            "",
            "veth0\n",
            "a\nb",
            "a\tb",
            "a\rb",
            "a\u{7f}",
            "a\u{1b}[0m",
            "a b",
            "a/b",
            "a\0",
            "a\u{a0}b",
            "0123456789abcdef",
        ] {
            let e = iface_name(bad).unwrap_err();
            assert_eq!(
                e.message(),
                format!(
                    "iface {bad:?} is not valid: expected an interface name of 1 to 15 bytes, \
                     without '/', white space or control characters"
                )
            );
        }
        let e = err::<Attach>(&[("vpc_name", "v1"), ("iface", "veth0\nx")]);
        assert!(e.starts_with("iface \"veth0\\nx\" is not valid"), "{e}");
    }

    #[test]
    fn keys_are_checked_before_values() {
        assert!(
            err::<InitPeers>(&[("vpc_name", "a"), ("colour", "red")])
                .contains("unknown key colour=")
        );
        assert!(err::<InitPeers>(&[]).contains("missing key vpc_name="));
        assert!(err::<List>(&[("vpc_name", "a"), ("vpc_name", "b")]).contains("given twice"));
        assert!(err::<InitPeers>(&[("vpc_name", "1bad")]).contains("1bad"));
    }

    #[test]
    fn deploy_and_receive_take_dryrun() {
        let d = Deploy::from_pairs([("vpc_name", "a"), ("dryrun", "1")]).unwrap();
        assert!(d.dry_run);
        assert!(!Deploy::from_pairs([("vpc_name", "a")]).unwrap().dry_run);
        assert!(Receive::from_pairs([("dryrun", "1")]).unwrap().dry_run);
        assert!(!Receive::from_pairs([]).unwrap().dry_run);
    }

    #[test]
    fn receive_takes_apply_but_not_with_dryrun() {
        assert_eq!(
            Receive::from_pairs([("apply", "1")]).unwrap(),
            Receive {
                dry_run: false,
                apply: true
            }
        );
        assert!(!Receive::from_pairs([]).unwrap().apply);
        assert!(
            err::<Receive>(&[("apply", "1"), ("dryrun", "1")])
                .contains("apply=1 goes without dryrun=1")
        );
        assert!(err::<Receive>(&[("apply", "yes")]).contains("apply"));
    }

    #[test]
    fn dry_run_keys_go_with_dryrun() {
        assert!(
            err::<Apply>(&[("vpc_name", "a"), ("os", "linux")]).contains("os= goes with dryrun=1")
        );
        let a = Apply::from_pairs([("vpc_name", "a"), ("dryrun", "1"), ("os", "freebsd")]);
        assert_eq!(
            a.ok().and_then(|a| a.0.dry_run),
            Some(DryRun {
                os: Some(Platform::FreeBsd),
                node: None
            })
        );
    }

    #[test]
    fn init_reads_options_and_needs_a_peer_network() {
        assert!(
            err::<Init>(&[("vpc_name", "a"), ("node_member", "all")]).contains("peer_network=")
        );
        assert!(
            err::<Init>(&[
                ("vpc_name", "a"),
                ("node_member", "all"),
                ("peer_network", "10.0.0.1/24")
            ])
            .contains("peer_network")
        );
        let i = Init::from_pairs([
            ("vpc_name", "a"),
            ("node_member", "all"),
            ("peer_network", "10.0.0.0/24"),
            ("mtu", "1400"),
        ]);
        assert!(i.is_ok_and(|i| i.options.mtu == Some(1400)));
    }

    #[test]
    fn attach_reads_sizes() {
        let a = Attach::from_pairs([("vpc_name", "a"), ("iface", "epair1a"), ("mem", "4g")]);
        assert!(a.is_ok_and(|a| a.usage.mem == 4 << 30 && a.usage.guests == 1));
        assert!(err::<Attach>(&[("vpc_name", "a"), ("iface", "a/b")]).contains("iface"));
    }
}
