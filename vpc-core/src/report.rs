//! Reports: the documents operations answer with. The CLI's `--json`, the
//! C ABI's `*_json` calls and Python's `to_json()` all serialize these
//! types with [`to_json`], so the three doors print the same bytes.
//!
//! Every report carries `"version"` ([`REPORT_VERSION`]), raised when a
//! field changes meaning or goes away (a new field does not raise it).

use std::path::PathBuf;

use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};
use crate::model::addr::Network;
use crate::model::mesh::{Link, Numbering};
use crate::model::name::{NodeName, VpcName};
use crate::model::node::Node;
use crate::model::platform::Platform;
use crate::model::spec::Spec;
use crate::plan::{Change, Health};
use crate::store::{Identity, NodeRecord, Outcome};

/// The version of every report's layout.
pub const REPORT_VERSION: u32 = 1;

/// A report as its JSON document: pretty-printed, no trailing newline.
pub fn to_json(report: &impl Serialize) -> Result<String> {
    serde_json::to_string_pretty(report)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot encode JSON: {e}")))
}

/// Writes the document [`to_json`] makes (the same bytes) to `out` as it
/// is made, without holding it: a peer map's runs to hundreds of
/// megabytes. An error is `out`'s, or the report's own (such as a link
/// that cannot be made), carried in an [`std::io::Error`].
pub fn write_json(out: impl std::io::Write, report: &impl Serialize) -> std::io::Result<()> {
    serde_json::to_writer_pretty(out, report).map_err(std::io::Error::from)
}

/// `vpc node mode=init`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeInit {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// What was stored.
    pub outcome: Outcome,
    /// This host.
    pub node: Node,
}

/// `vpc node mode=add offline=1`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeAdded {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// What was stored.
    pub outcome: Outcome,
    /// The record.
    pub node: NodeRecord,
    /// With `replace=1`, what the record held before that it no longer
    /// does; absent when nothing pinned was replaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced: Option<Replaced>,
}

/// The addresses and host key a node record was pinned to before
/// `replace=1` changed them: the old values, each only when it changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Replaced {
    /// The old IPv4 underlay address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip4: Option<std::net::Ipv4Addr>,
    /// The old IPv6 underlay address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip6: Option<std::net::Ipv6Addr>,
    /// The old address SSH reached it at (`node=` of an online add).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<std::net::IpAddr>,
    /// The old host key fingerprint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host_key: Option<String>,
}

impl Replaced {
    /// What of `old`'s pins `new` changes — an underlay address, the SSH
    /// address or the host key (a host key dropped counts: an offline
    /// record would unpin it) — or `None` when `new` keeps them all.
    pub fn between(old: &NodeRecord, new: &NodeRecord) -> Option<Replaced> {
        fn changed<T: PartialEq>(old: &Option<T>, new: &Option<T>) -> bool {
            old.is_some() && old != new
        }
        let r = Replaced {
            ip4: old.ip4.filter(|_| changed(&old.ip4, &new.ip4)),
            ip6: old.ip6.filter(|_| changed(&old.ip6, &new.ip6)),
            // The SSH address as recorded (an offline record has none: its
            // underlay addresses are the ones above).
            address: old.address.filter(|_| changed(&old.address, &new.address)),
            host_key: old
                .host_key
                .clone()
                .filter(|_| changed(&old.host_key, &new.host_key)),
        };
        let none =
            r.ip4.is_none() && r.ip6.is_none() && r.address.is_none() && r.host_key.is_none();
        (!none).then_some(r)
    }

    /// The old values in words, `ip4 198.18.0.2, host key SHA256:…`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        parts.extend(self.ip4.map(|a| format!("ip4 {a}")));
        parts.extend(self.ip6.map(|a| format!("ip6 {a}")));
        parts.extend(self.address.map(|a| format!("address {a}")));
        parts.extend(self.host_key.as_ref().map(|k| format!("host key {k}")));
        parts.join(", ")
    }
}

/// `vpc node mode=remove`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeRemoved {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// `removed`.
    pub outcome: Outcome,
    /// The node forgotten.
    pub node: NodeName,
}

/// `vpc node mode=list`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeList {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// This host, if its identity is set.
    pub this: Option<Identity>,
    /// The hosts it knows, by name.
    pub nodes: Vec<NodeRecord>,
}

/// One VPC in a line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VpcSummary {
    /// The VPC.
    pub vpc: VpcName,
    /// Its spec's generation.
    pub generation: u64,
    /// Member names, by slot (vacant slots left out).
    pub members: Vec<NodeName>,
    /// How many links.
    pub links: usize,
    /// First VNI of its range.
    pub vni_first: u64,
    /// Last VNI of its range.
    pub vni_last: u64,
    /// The VPC MTU.
    pub mtu: u32,
    /// Where link addresses are cut from.
    pub peer_network: Network,
    /// How it is encrypted, on an encrypted VPC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption: Option<Encryption>,
}

impl VpcSummary {
    /// The summary of `spec`.
    pub fn of(spec: &Spec) -> Result<VpcSummary> {
        let vnis = spec.vni_range();
        Ok(VpcSummary {
            vpc: spec.name.clone(),
            generation: spec.generation,
            members: spec.members().map(|m| m.node.name.clone()).collect(),
            links: spec.link_count()?,
            vni_first: *vnis.start(),
            vni_last: *vnis.end(),
            mtu: spec.mtu()?,
            peer_network: spec.peer_network,
            encryption: Encryption::of(spec)?,
        })
    }
}

/// `vpc mode=init`, `add_member`, `remove_member`, and `list vpc_name=`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Vpc {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// The VPC in a line.
    #[serde(flatten)]
    pub summary: VpcSummary,
    /// What was stored, for a change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// The whole spec, for `list`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spec: Option<Spec>,
    /// Notes for the user.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// `vpc mode=list`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VpcList {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// Every VPC held, by name.
    pub vpcs: Vec<VpcSummary>,
}

/// `vpc mode=remove`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VpcRemoved {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// `removed`.
    pub outcome: Outcome,
    /// The VPC forgotten.
    pub vpc: VpcName,
    /// How many interfaces were torn down first (`force=1`; otherwise 0).
    pub removed: usize,
}

/// `vpc mode=wg_key`: this host's WireGuard public key for a VPC.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WgKey {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// The VPC.
    pub vpc: VpcName,
    /// The public key (the private half never leaves this host).
    pub public_key: crate::model::wgkey::PublicKey,
}

/// `vpc mode=rotate_keys`: this host's new key; the others' are asked for
/// by the next `deploy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeysRotated {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// The VPC.
    pub vpc: VpcName,
    /// The spec's generation now.
    pub generation: u64,
    /// This host's new public key.
    pub public_key: crate::model::wgkey::PublicKey,
    /// How many other members `deploy` will ask for a new key.
    pub pending: usize,
}

/// How an encrypted VPC runs, in `init_peers`, `list` and `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Encryption {
    /// `wireguard`.
    pub encrypt: &'static str,
    /// The WireGuard interface on every member.
    pub interface: String,
    /// The UDP port WireGuard listens on.
    pub port: u16,
    /// The inner network.
    pub network: Network,
    /// Where the MTU comes from.
    pub mtu_budget: String,
    /// The pairs that work only while their first member, which nobody
    /// can reach (`inbound=0`), keeps them open with WireGuard's
    /// persistent keepalive.
    pub keepalive: Vec<[NodeName; 2]>,
}

impl Encryption {
    /// The encryption of `spec`, `None` when it is plain.
    pub fn of(spec: &Spec) -> Result<Option<Encryption>> {
        let Some(wg) = &spec.wireguard else {
            return Ok(None);
        };
        let mut keepalive = Vec::new();
        for hidden in spec.members().filter(|m| !m.node.inbound) {
            for other in spec.members().filter(|m| m.node.name != hidden.node.name) {
                keepalive.push([hidden.node.name.clone(), other.node.name.clone()]);
            }
        }
        Ok(Some(Encryption {
            encrypt: "wireguard",
            interface: spec.wg_interface(),
            port: wg.port,
            network: wg.network,
            mtu_budget: spec.budget()?.to_string(),
            keepalive,
        }))
    }

    /// The lines `init_peers`, `list` and `status` print.
    pub fn lines(&self) -> Vec<String> {
        let mut v = vec![
            format!(
                "encrypt: wireguard on {} port {}, inner network {}",
                self.interface, self.port, self.network
            ),
            format!("mtu: {}", self.mtu_budget),
        ];
        for [hidden, other] in &self.keepalive {
            v.push(format!(
                "keepalive: {hidden} -> {other} ({hidden} has inbound=0: the pair works while \
                 {hidden} keeps it open)"
            ));
        }
        v
    }
}

/// `vpc mode=init_peers`: the peer map. Its links are not held: they are
/// made as they are walked or serialized ([`Links`]), so writing the map
/// of 1000 members (half a million links) takes memory for one link.
#[derive(Debug, Clone, Serialize)]
pub struct PeerMap<'a> {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// The VPC.
    pub vpc: VpcName,
    /// Its spec's generation.
    pub generation: u64,
    /// Member names, by slot.
    pub nodes: Vec<NodeName>,
    /// Where link addresses are cut from.
    pub peer_network: Network,
    /// The link blocks' prefix.
    pub link_prefix: u8,
    /// How pairs are numbered.
    pub numbering: Numbering,
    /// VXLAN UDP port.
    pub port: u16,
    /// How it is encrypted, on an encrypted VPC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption: Option<Encryption>,
    /// The VPC MTU.
    pub mtu: u32,
    /// Every link.
    pub links: Links<'a>,
}

impl<'a> PeerMap<'a> {
    /// The peer map of `spec`: every check of the map is made here (the
    /// capacity, and through the MTU a common underlay family for every
    /// pair), so walking its links finds no error.
    pub fn of(spec: &'a Spec) -> Result<PeerMap<'a>> {
        Ok(PeerMap {
            version: REPORT_VERSION,
            vpc: spec.name.clone(),
            generation: spec.generation,
            nodes: spec.members().map(|m| m.node.name.clone()).collect(),
            peer_network: spec.peer_network,
            link_prefix: spec.link_prefix,
            numbering: spec.numbering,
            port: spec.port,
            mtu: spec.mtu()?,
            encryption: Encryption::of(spec)?,
            links: Links::of(spec)?,
        })
    }

    /// The same map with no link: all of it but the part that grows with
    /// the square of the members.
    pub fn without_links(&self) -> PeerMap<'a> {
        PeerMap {
            links: Links(None),
            ..self.clone()
        }
    }

    /// Writes the document [`to_json`] makes of the map (the same bytes)
    /// to `out`, link by link ([`crate::render::peer_map_json`]).
    pub fn write_json(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        crate::render::peer_map_json(self, out)
    }
}

/// A spec's links, made one at a time each time they are walked
/// ([`Links::iter`]) or serialized (as the array of every [`Link`], the
/// bytes a `Vec<Link>` gives).
#[derive(Clone, Copy)]
pub struct Links<'a>(Option<&'a Spec>);

impl<'a> Links<'a> {
    /// The links of `spec`, refused as [`Spec::peer_map`] refuses them.
    pub fn of(spec: &'a Spec) -> Result<Links<'a>> {
        spec.link_count()?;
        Ok(Links(Some(spec)))
    }

    /// The spec they are made from; `None` for a map shown without them.
    pub fn spec(&self) -> Option<&'a Spec> {
        self.0
    }

    /// How many links there are, without making them.
    pub fn len(&self) -> usize {
        // Links::of checked the count.
        self.0.map_or(0, |s| s.link_count().unwrap_or_default())
    }

    /// Whether there is no link (fewer than two members).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The links in ascending pair index. [`Links::of`] made the checks
    /// that could refuse them or one of them: an error here is a bug.
    pub fn iter(&self) -> Result<impl Iterator<Item = Result<Link<'a>>> + 'a> {
        Ok(self.0.map(Spec::links).transpose()?.into_iter().flatten())
    }
}

impl std::fmt::Debug for Links<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(spec) => write!(f, "Links({} of VPC {})", self.len(), spec.name),
            None => f.write_str("Links(none)"),
        }
    }
}

impl Serialize for Links<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::{Error as _, SerializeSeq};
        let refused = |e: Error| S::Error::custom(e.message());
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for link in self.iter().map_err(refused)? {
            seq.serialize_element(&link.map_err(refused)?)?;
        }
        seq.end()
    }
}

/// `vpc mode=receive`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Received {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// What was stored.
    pub outcome: Outcome,
    /// The VPC.
    pub vpc: VpcName,
    /// The generation now held.
    pub generation: u64,
}

/// `vpc mode=receive apply=1`: the spec stored, then this host converged
/// on it, in one process (what `deploy` runs on each member). A spec
/// refused is an error, not this report: nothing was applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReceivedApplied {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// What `receive` answers.
    pub received: Received,
    /// What `apply` answers, when it succeeded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub applied: Option<Changes>,
    /// Why applying failed, when it did; the spec stays stored, as after
    /// `receive` and a failed `apply`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apply_error: Option<Failed>,
}

/// An error inside a report: what an error document says of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failed {
    /// Its kind, as `{"error": {"kind"}}` names it.
    pub kind: ErrorKind,
    /// Its message.
    pub message: String,
}

impl From<&Error> for Failed {
    fn from(e: &Error) -> Failed {
        Failed {
            kind: e.kind(),
            message: e.message().to_owned(),
        }
    }
}

/// The changes a kernel operation made or would make: `apply`,
/// `init_vxlan`, `init_bridge`, `teardown`, `destroy_*`, `attach`,
/// `detach`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Changes {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// The VPC.
    pub vpc: VpcName,
    /// The member planned for.
    pub node: NodeName,
    /// Whose kernel rules and commands.
    pub os: Platform,
    /// Whether nothing was changed (a dry run).
    pub dryrun: bool,
    /// For `attach` and `detach`: what became of the guest record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<Outcome>,
    /// For `attach` and `detach`: the guest port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iface: Option<String>,
    /// The changes, in order.
    pub changes: Vec<Change>,
    /// The same as `os`'s commands (`ifconfig` or `ip`/`bridge`).
    pub commands: Vec<String>,
    /// Notes for the user.
    pub warnings: Vec<String>,
}

/// `vpc mode=status`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Status {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// This host.
    pub node: NodeName,
    /// The verdict: no difference, every tunnel up and answering.
    pub healthy: bool,
    /// What is wrong, counted (all zero when healthy).
    pub counts: StatusCounts,
    /// How it is encrypted, on an encrypted VPC (its MTU and why, and the
    /// pairs that depend on a keepalive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption: Option<Encryption>,
    /// The findings.
    #[serde(flatten)]
    pub health: Health,
}

/// What makes a status unhealthy, counted for its headline.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatusCounts {
    /// Differences between the spec and the kernel (what `apply` repairs).
    pub differences: usize,
    /// Tunnels present as the spec says and up, but without carrier.
    pub no_carrier: usize,
    /// Tunnels running whose far end did not answer the probe.
    pub silent: usize,
}

impl StatusCounts {
    /// The counts of `health`. A tunnel missing, mismatched or down is
    /// counted among the differences already.
    pub fn of(health: &Health) -> StatusCounts {
        let sound = |t: &&crate::plan::TunnelHealth| t.present && t.matching && t.up;
        StatusCounts {
            differences: health.differences.len(),
            no_carrier: health
                .tunnels
                .iter()
                .filter(sound)
                .filter(|t| !t.running)
                .count(),
            silent: health
                .tunnels
                .iter()
                .filter(sound)
                .filter(|t| t.running && health.probed && t.rtt_ms.is_none())
                .count(),
        }
    }
}

/// `vpc mode=init_rc`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Boot {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// What was written.
    pub outcome: Outcome,
    /// The boot file.
    pub path: PathBuf,
    /// The command that enables it.
    pub enable: String,
    /// Whose boot file.
    pub os: Platform,
}

/// `vpc mode=leave`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Left {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// The VPC.
    pub vpc: VpcName,
    /// This host.
    pub node: NodeName,
    /// `removed`, or `unchanged` when the VPC was not held.
    pub outcome: Outcome,
    /// How many interfaces were removed.
    pub removed: usize,
}

/// One node's result in a multi-node command.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeResult {
    /// The step (`sync`, `apply`, `leave`; `plan` in a dry run).
    pub step: &'static str,
    /// The node.
    pub node: NodeName,
    /// Whether it succeeded.
    pub ok: bool,
    /// What it said, or why it failed.
    pub message: String,
    /// How long it took.
    pub seconds: f64,
    /// In a dry run, the node's plan: its own `Changes` report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<serde_json::Value>,
}

/// `sync`, `deploy`, `destroy`: every member's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cluster {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// The VPC.
    pub vpc: VpcName,
    /// Whether every node succeeded.
    pub ok: bool,
    /// How many failed.
    pub failed: usize,
    /// Every node's result, in the order they finished.
    pub results: Vec<NodeResult>,
}

/// `vpc node mode=add` over SSH.
#[cfg(feature = "ssh")]
#[derive(Debug, Clone, Serialize)]
pub struct NodeJoined {
    /// [`REPORT_VERSION`].
    pub version: u32,
    /// What was done.
    #[serde(flatten)]
    pub added: crate::cluster::Added,
}
