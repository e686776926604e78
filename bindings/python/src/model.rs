//! Value objects of the model, frozen on the Python side, and the pure
//! functions: MTU, overhead, quota admission, sizes.

use std::hash::{Hash, Hasher};

use pyo3::prelude::*;
use pyo3::types::PyDict;
use vpc_core::model::{mesh, mtu as core_mtu, node, quota as core_quota, spec};
use vpc_core::ops::Preview;
use vpc_core::ops::run;
use vpc_core::store;

use crate::args;
use crate::errors::OrRaise;
use crate::report::Plan;

/// A host: its name and underlay addresses.
#[pyclass(frozen, eq, hash, module = "vpc._vpc")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Node(pub(crate) node::Node);

impl Hash for Node {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (&self.0.name, self.0.ip4, self.0.ip6).hash(state);
    }
}

#[pymethods]
impl Node {
    /// A node with at least one underlay address.
    #[new]
    #[pyo3(signature = (name, ip4=None, ip6=None))]
    pub(crate) fn new(
        name: &str,
        ip4: Option<&Bound<'_, PyAny>>,
        ip6: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let (ip4, ip6) = (args::ip("ip4", ip4)?, args::ip("ip6", ip6)?);
        node::Node::new(args::node_name(name)?, ip4, ip6)
            .or_raise()
            .map(Node)
    }

    /// The node's name.
    #[getter]
    fn name(&self) -> &str {
        self.0.name.as_str()
    }

    /// The IPv4 underlay address, if any.
    #[getter]
    fn ip4(&self) -> Option<String> {
        self.0.ip4.map(|a| a.to_string())
    }

    /// The IPv6 underlay address, if any.
    #[getter]
    fn ip6(&self) -> Option<String> {
        self.0.ip6.map(|a| a.to_string())
    }

    fn __repr__(&self) -> String {
        format!(
            "Node({:?}, ip4={:?}, ip6={:?})",
            self.name(),
            self.ip4(),
            self.ip6()
        )
    }
}

/// A known host as the store records it: the node and how SSH reaches it.
#[pyclass(frozen, eq, module = "vpc._vpc")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NodeRecord(pub(crate) store::NodeRecord);

#[pymethods]
impl NodeRecord {
    /// The node.
    #[getter]
    fn node(&self) -> Node {
        Node(self.0.node())
    }

    /// The node's name.
    #[getter]
    fn name(&self) -> &str {
        self.0.name.as_str()
    }

    /// The IPv4 underlay address, if any.
    #[getter]
    fn ip4(&self) -> Option<String> {
        self.0.ip4.map(|a| a.to_string())
    }

    /// The IPv6 underlay address, if any.
    #[getter]
    fn ip6(&self) -> Option<String> {
        self.0.ip6.map(|a| a.to_string())
    }

    /// SSH port.
    #[getter]
    fn port(&self) -> u16 {
        self.0.port
    }

    /// SSH user.
    #[getter]
    fn user(&self) -> &str {
        &self.0.user
    }

    /// The `vpc` command run there.
    #[getter]
    fn command(&self) -> &str {
        &self.0.command
    }

    /// The address SSH reaches it at, when not its underlay address.
    #[getter]
    fn address(&self) -> Option<String> {
        self.0.address.map(|a| a.to_string())
    }

    /// The pinned SHA256 fingerprint of its host key, if any.
    #[getter]
    fn host_key(&self) -> Option<&str> {
        self.0.host_key.as_deref()
    }

    fn __repr__(&self) -> String {
        format!(
            "NodeRecord({:?}, ip4={:?}, ip6={:?}, port={})",
            self.name(),
            self.ip4(),
            self.ip6(),
            self.0.port
        )
    }
}

/// One end of a link.
#[pyclass(frozen, eq, hash, get_all, module = "vpc._vpc")]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct End {
    /// The member's slot.
    slot: usize,
    /// The member's name.
    node: String,
    /// The member's underlay address used by this link.
    underlay: String,
    /// The link address this end puts on its tunnel, `A/P`.
    link_addr: String,
}

#[pymethods]
impl End {
    fn __repr__(&self) -> String {
        format!(
            "End(slot={}, node={:?}, underlay={:?}, link_addr={:?})",
            self.slot, self.node, self.underlay, self.link_addr
        )
    }
}

/// One tunnel of the peer map.
#[pyclass(frozen, eq, hash, get_all, module = "vpc._vpc")]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Link {
    /// Pair index.
    pair: u64,
    /// VXLAN network identifier, the same on both ends.
    vni: u32,
    /// The tunnel's interface name on both ends, `vxlan<vni>`.
    interface: String,
    /// Underlay family: `v4` or `v6`.
    family: String,
    /// The lower slot's end, then the higher slot's.
    ends: (End, End),
}

impl From<&mesh::Link<'_>> for Link {
    fn from(l: &mesh::Link<'_>) -> Self {
        let end = |e: &mesh::End<'_>| End {
            slot: e.slot,
            node: e.node.to_string(),
            underlay: e.underlay.to_string(),
            link_addr: e.link_addr.to_string(),
        };
        Link {
            pair: l.pair,
            vni: l.vni,
            interface: l.interface(),
            family: l.family.as_str().to_owned(),
            ends: (end(&l.ends[0]), end(&l.ends[1])),
        }
    }
}

#[pymethods]
impl Link {
    fn __repr__(&self) -> String {
        format!(
            "Link(pair={}, vni={}, interface={:?}, family={:?}, ends=({}, {}))",
            self.pair,
            self.vni,
            self.interface,
            self.family,
            self.ends.0.__repr__(),
            self.ends.1.__repr__()
        )
    }
}

/// A VPC definition, as every member holds it. Always valid: it comes
/// from `Spec.define`, `Spec.from_json` or a store, which all check it.
#[pyclass(frozen, eq, module = "vpc._vpc")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spec(pub(crate) spec::Spec);

#[pymethods]
impl Spec {
    /// Defines a VPC over `members` (the first is the initiator, slot 0)
    /// with `mode=init`'s options, without a store: no other VPC is
    /// considered, so `vni_base` defaults to 0.
    #[staticmethod]
    #[pyo3(signature = (name, members, *, peer_network, **options))]
    fn define(
        name: &str,
        members: Vec<PyRef<'_, Node>>,
        peer_network: &str,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Spec> {
        let mut nodes = members.iter().map(|n| n.0.clone());
        let first = nodes.next().ok_or_else(|| {
            crate::errors::to_py(vpc_core::Error::invalid(
                "members is empty: expected the initiator first",
            ))
        })?;
        spec::Spec::define(
            args::vpc_name(name)?,
            first,
            nodes.collect(),
            &args::options(peer_network, options)?,
            &[],
        )
        .or_raise()
        .map(Spec)
    }

    /// Reads and checks a spec in JSON (as `vpc mode=export` prints it).
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<Spec> {
        spec::Spec::from_json(text).or_raise().map(Spec)
    }

    /// The spec as JSON (`vpc mode=export`, without the final newline).
    fn to_json(&self) -> String {
        self.0.to_json()
    }

    /// The VPC's name (also its bridge's).
    #[getter]
    fn name(&self) -> &str {
        self.0.name.as_str()
    }

    /// Incremented by every change.
    #[getter]
    fn generation(&self) -> u64 {
        self.0.generation
    }

    /// Member slots in order; `None` is a vacant slot.
    #[getter]
    fn members(&self) -> Vec<Option<Node>> {
        self.0
            .members
            .iter()
            .map(|m| m.as_ref().map(|m| Node(m.node.clone())))
            .collect()
    }

    /// The network link addresses are cut from.
    #[getter]
    fn peer_network(&self) -> String {
        self.0.peer_network.to_string()
    }

    /// Prefix of one link block.
    #[getter]
    fn link_prefix(&self) -> u8 {
        self.0.link_prefix
    }

    /// VNIs are `vni_base + pair + 1`.
    #[getter]
    fn vni_base(&self) -> u32 {
        self.0.vni_base
    }

    /// The VNIs the VPC reserves, first and last.
    #[getter]
    fn vni_range(&self) -> (u64, u64) {
        let r = self.0.vni_range();
        (*r.start(), *r.end())
    }

    /// VXLAN UDP port.
    #[getter]
    fn port(&self) -> u16 {
        self.0.port
    }

    /// Pair numbering: `stable` or `cbsd`.
    #[getter]
    fn numbering(&self) -> &'static str {
        match self.0.numbering {
            mesh::Numbering::Stable => "stable",
            mesh::Numbering::Cbsd => "cbsd",
        }
    }

    /// MTU of the underlay path between members.
    #[getter]
    fn underlay_mtu(&self) -> u32 {
        self.0.underlay_mtu
    }

    /// The MTU chosen with `mtu=`, if any.
    #[getter]
    fn requested_mtu(&self) -> Option<u32> {
        self.0.mtu
    }

    /// The VPC's MTU: of every tunnel, the bridge and guest ports.
    #[getter]
    fn mtu(&self) -> PyResult<u32> {
        self.0.mtu().or_raise()
    }

    /// Whether guests carry 802.1Q tags.
    #[getter]
    fn vlan(&self) -> bool {
        self.0.vlan
    }

    /// Cluster-wide limits on guests.
    #[getter]
    fn quota(&self) -> Quota {
        self.0.quota.into()
    }

    /// Removed members whose interfaces `deploy` still has to take down.
    #[getter]
    fn departed(&self) -> Vec<String> {
        self.0.departed.iter().map(ToString::to_string).collect()
    }

    /// This node's bridge addresses (`bridge_ips=`) of member `node`.
    fn bridge_ips(&self, node: &str) -> PyResult<Vec<String>> {
        let member = self.0.member(&args::node_name(node)?).or_raise()?;
        Ok(member
            .bridge_addrs
            .iter()
            .map(ToString::to_string)
            .collect())
    }

    /// The peer map: one link per pair of members, by pair index.
    fn peer_map(&self) -> PyResult<Vec<Link>> {
        Ok(self
            .0
            .peer_map()
            .or_raise()?
            .iter()
            .map(Link::from)
            .collect())
    }

    /// Member `node`'s plan against an empty node, with the commands of
    /// `os` (`freebsd`, `linux`; default this host's): `vpc mode=apply
    /// dryrun=1 os=OS node=NODE`, or `mode=teardown` with `teardown=True`.
    #[pyo3(signature = (node, *, os=None, scope="all", teardown=false))]
    fn plan(&self, node: &str, os: Option<&str>, scope: &str, teardown: bool) -> PyResult<Plan> {
        let (node, os, what) = (
            args::node_name(node)?,
            os.map(args::word).transpose()?,
            preview(scope, teardown)?,
        );
        run::plan_spec(&self.0, &node, os, what)
            .or_raise()
            .map(Plan)
    }

    fn __repr__(&self) -> String {
        format!("Spec({:?}, generation={})", self.name(), self.0.generation)
    }
}

/// What a dry run previews.
pub(crate) fn preview(scope: &str, teardown: bool) -> PyResult<Preview> {
    let scope = args::word(scope)?;
    Ok(if teardown {
        Preview::Teardown(scope)
    } else {
        Preview::Converge(scope)
    })
}

/// Limits of a VPC; 0 means unlimited. Memory and disk are in bytes.
#[pyclass(frozen, eq, hash, get_all, module = "vpc._vpc")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Quota {
    /// Most guests attached at once.
    max_guests: u64,
    /// Most virtual CPUs over all guests.
    max_cpus: u64,
    /// Most memory over all guests, bytes.
    max_mem: u64,
    /// Most disk over all guests, bytes.
    max_disk: u64,
}

#[pymethods]
impl Quota {
    /// Limits; sizes as bytes or text such as `64g`.
    #[new]
    #[pyo3(
        signature = (max_guests=None, max_cpus=None, max_mem=None, max_disk=None),
        text_signature = "(max_guests=0, max_cpus=0, max_mem=None, max_disk=None)"
    )]
    fn new(
        max_guests: Option<&Bound<'_, PyAny>>,
        max_cpus: Option<&Bound<'_, PyAny>>,
        max_mem: Option<&Bound<'_, PyAny>>,
        max_disk: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let max_guests = args::whole("max_guests", max_guests, 0, 0..=u64::MAX)?;
        let max_cpus = args::whole("max_cpus", max_cpus, 0, 0..=u64::MAX)?;
        let (max_mem, max_disk) = (
            max_mem.map_or(Ok(0), |v| args::size("max_mem", v))?,
            max_disk.map_or(Ok(0), |v| args::size("max_disk", v))?,
        );
        Ok(Quota {
            max_guests,
            max_cpus,
            max_mem,
            max_disk,
        })
    }

    fn __repr__(&self) -> String {
        format!(
            "Quota(max_guests={}, max_cpus={}, max_mem={}, max_disk={})",
            self.max_guests, self.max_cpus, self.max_mem, self.max_disk
        )
    }
}

impl From<core_quota::Quota> for Quota {
    fn from(q: core_quota::Quota) -> Self {
        Quota {
            max_guests: q.max_guests,
            max_cpus: q.max_cpus,
            max_mem: q.max_mem,
            max_disk: q.max_disk,
        }
    }
}

impl From<&Quota> for core_quota::Quota {
    fn from(q: &Quota) -> Self {
        core_quota::Quota {
            max_guests: q.max_guests,
            max_cpus: q.max_cpus,
            max_mem: q.max_mem,
            max_disk: q.max_disk,
        }
    }
}

/// What a guest declares it uses, or what guests use together.
#[pyclass(frozen, eq, hash, get_all, module = "vpc._vpc")]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Usage {
    /// Number of guests.
    guests: u64,
    /// Virtual CPUs.
    cpus: u64,
    /// Memory, bytes.
    mem: u64,
    /// Disk, bytes.
    disk: u64,
}

impl Usage {
    /// `guests` guests using `cpus`, `mem` and `disk` as Python gives them.
    fn of(
        guests: u64,
        cpus: Option<&Bound<'_, PyAny>>,
        mem: Option<&Bound<'_, PyAny>>,
        disk: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let cpus = args::whole("cpus", cpus, 0, 0..=u64::MAX)?;
        let (mem, disk) = (
            mem.map_or(Ok(0), |v| args::size("mem", v))?,
            disk.map_or(Ok(0), |v| args::size("disk", v))?,
        );
        Ok(Usage {
            guests,
            cpus,
            mem,
            disk,
        })
    }
}

#[pymethods]
impl Usage {
    /// A usage; sizes as bytes or text such as `64g`.
    #[new]
    #[pyo3(
        signature = (guests=None, cpus=None, mem=None, disk=None),
        text_signature = "(guests=0, cpus=0, mem=None, disk=None)"
    )]
    fn new(
        guests: Option<&Bound<'_, PyAny>>,
        cpus: Option<&Bound<'_, PyAny>>,
        mem: Option<&Bound<'_, PyAny>>,
        disk: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        Usage::of(
            args::whole("guests", guests, 0, 0..=u64::MAX)?,
            cpus,
            mem,
            disk,
        )
    }

    /// One guest with these resources.
    #[staticmethod]
    #[pyo3(
        signature = (cpus=None, mem=None, disk=None),
        text_signature = "(cpus=0, mem=None, disk=None)"
    )]
    pub(crate) fn guest(
        cpus: Option<&Bound<'_, PyAny>>,
        mem: Option<&Bound<'_, PyAny>>,
        disk: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        Usage::of(1, cpus, mem, disk)
    }

    fn __repr__(&self) -> String {
        format!(
            "Usage(guests={}, cpus={}, mem={}, disk={})",
            self.guests, self.cpus, self.mem, self.disk
        )
    }
}

impl From<core_quota::Usage> for Usage {
    fn from(u: core_quota::Usage) -> Self {
        Usage {
            guests: u.guests,
            cpus: u.cpus,
            mem: u.mem,
            disk: u.disk,
        }
    }
}

impl From<&Usage> for core_quota::Usage {
    fn from(u: &Usage) -> Self {
        core_quota::Usage {
            guests: u.guests,
            cpus: u.cpus,
            mem: u.mem,
            disk: u.disk,
        }
    }
}

/// The VPC MTU for `underlay_mtu` over pairs of `families` (`v4`, `v6`;
/// none counts as `v6`), with 802.1Q tags if `vlan`, or `requested` after
/// checking it against that limit and 1280.
#[pyfunction]
#[pyo3(signature = (underlay_mtu, families, vlan=false, requested=None))]
pub(crate) fn mtu(
    underlay_mtu: u32,
    families: Vec<String>,
    vlan: bool,
    requested: Option<u32>,
) -> PyResult<u32> {
    let families = families
        .iter()
        .map(|f| args::word(f))
        .collect::<PyResult<Vec<_>>>()?;
    core_mtu::vpc_mtu(underlay_mtu, families, vlan, requested).or_raise()
}

/// VXLAN's overhead in bytes over an underlay of `family`.
#[pyfunction]
#[pyo3(signature = (family, vlan=false))]
pub(crate) fn overhead(family: &str, vlan: bool) -> PyResult<u32> {
    Ok(core_mtu::overhead(args::word(family)?, vlan))
}

/// Checks that `request` fits beside `used` under `quota`; returns the
/// usage after it.
#[pyfunction]
pub(crate) fn admit(
    quota: PyRef<'_, Quota>,
    used: PyRef<'_, Usage>,
    request: PyRef<'_, Usage>,
) -> PyResult<Usage> {
    core_quota::admit(&(&*quota).into(), (&*used).into(), (&*request).into())
        .or_raise()
        .map(Usage::from)
}

/// A size such as `512m`, `16g`, `2t` or a byte count, in bytes; `key`
/// names it in errors.
#[pyfunction]
pub(crate) fn parse_size(key: &str, text: &str) -> PyResult<u64> {
    core_quota::parse_size(key, text).or_raise()
}
