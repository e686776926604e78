//! `Store`: a state directory and the local operations on it, as the CLI
//! runs them. Kernel calls run with the interpreter released
//! (`Python::detach`), so other Python threads go on meanwhile.

use std::path::{Path, PathBuf};
use std::time::Duration;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use vpc_core::model::addr::IfAddr;
use vpc_core::model::members::MemberSelection;
use vpc_core::model::quota::Usage as CoreUsage;
use vpc_core::ops::run;
use vpc_core::{ops, request, store};

use crate::args;
use crate::errors::OrRaise;
use crate::model::{self, Node, NodeRecord, Spec};
use crate::report::{Health, Plan, Report};

/// A state directory: this host's identity, the hosts it knows and the
/// VPCs it holds. Nothing is created until the first change.
#[pyclass(frozen, module = "vpc._vpc")]
#[derive(Debug, Clone)]
pub(crate) struct Store(store::Store);

#[pymethods]
impl Store {
    /// The store at `path`; by default `$VPC_STATE_DIR`, else the
    /// system's (`/var/lib/vpc`, `/var/db/vpc` on FreeBSD). A change waits
    /// at most `lock_timeout` seconds (0 to 3600) for another process's
    /// lock, then raises `ConflictError` naming the holder.
    #[new]
    #[pyo3(signature = (path=None, *, lock_timeout=None), text_signature = "(path=None, *, lock_timeout=30)")]
    fn new(path: Option<PathBuf>, lock_timeout: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let store = match path {
            Some(p) => store::Store::at(p).or_raise()?,
            None => store::Store::from_env(),
        };
        Ok(Store(match lock_timeout {
            Some(v) => {
                let text = args::int_text("lock_timeout", v)?;
                store.with_lock_timeout(request::lock_timeout(&text).or_raise()?)
            }
            None => store,
        }))
    }

    /// How long a change waits for the lock, in seconds.
    #[getter]
    fn lock_timeout(&self) -> u64 {
        self.0.lock_timeout().as_secs()
    }

    /// The directory.
    #[getter]
    fn path(&self) -> &Path {
        self.0.dir()
    }

    /// This host's identity, if set.
    fn identity(&self) -> PyResult<Option<Node>> {
        Ok(self.0.identity().or_raise()?.map(|i| Node(i.node())))
    }

    /// Sets this host's identity (`vpc node mode=init`); returns
    /// `created`, `updated` or `unchanged`.
    #[pyo3(signature = (name, ip4=None, ip6=None))]
    fn init_node(
        &self,
        name: &str,
        ip4: Option<&Bound<'_, PyAny>>,
        ip6: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        let node = Node::new(name, ip4, ip6)?;
        Ok(ops::node_init(&self.0, node.0).or_raise()?.to_string())
    }

    /// Records a host without contacting it (`vpc node mode=add
    /// offline=1`); returns `created`, `updated` or `unchanged`. A name
    /// recorded with other addresses raises `ConflictError` unless
    /// `replace`.
    #[pyo3(
        signature = (name, ip4=None, ip6=None, *, port=None, user="root", command="vpc", replace=false),
        text_signature = "($self, name, ip4=None, ip6=None, *, port=22, user='root', command='vpc', replace=False)"
    )]
    #[allow(clippy::too_many_arguments, reason = "Python keyword arguments")]
    fn add_node(
        &self,
        name: &str,
        ip4: Option<&Bound<'_, PyAny>>,
        ip6: Option<&Bound<'_, PyAny>>,
        port: Option<&Bound<'_, PyAny>>,
        user: &str,
        command: &str,
        replace: bool,
    ) -> PyResult<String> {
        let record = store::NodeRecord {
            port: args::whole("port", port, 22, 1..=65535)?,
            user: user.to_owned(),
            command: command.to_owned(),
            ..store::NodeRecord::new(Node::new(name, ip4, ip6)?.0)
        };
        Ok(ops::node_add_or_replace(&self.0, record, replace)
            .or_raise()?
            .0
            .to_string())
    }

    /// Forgets a host; returns `removed`.
    fn remove_node(&self, name: &str) -> PyResult<String> {
        Ok(ops::node_remove(&self.0, &args::node_name(name)?)
            .or_raise()?
            .to_string())
    }

    /// Every known host, by name.
    fn nodes(&self) -> PyResult<Vec<NodeRecord>> {
        Ok(self
            .0
            .nodes()
            .or_raise()?
            .into_iter()
            .map(NodeRecord)
            .collect())
    }

    /// Every VPC held, by name.
    fn vpcs(&self) -> PyResult<Vec<Spec>> {
        Ok(self.0.vpcs().or_raise()?.into_iter().map(Spec).collect())
    }

    /// The spec of VPC `name`.
    fn vpc(&self, name: &str) -> PyResult<Spec> {
        self.0
            .require_vpc(&args::vpc_name(name)?)
            .or_raise()
            .map(Spec)
    }

    /// Defines a VPC with this host as initiator (`vpc mode=init`):
    /// `node_member` is `"all"`, `"a,b"` or a list of names; `options` are
    /// `mode=init`'s (`vni_base`, `port`, `numbering`, `link_prefix`,
    /// `underlay_mtu`, `mtu`, `vlan`, `max_guests`, `max_cpus`, `max_mem`,
    /// `max_disk`). Repeating the same definition changes nothing.
    // Left out, `node_member` is "all": the signature says so.
    #[pyo3(
        signature = (name, node_member=None, *, peer_network, **options),
        text_signature = "($self, name, node_member='all', *, peer_network, **options)"
    )]
    fn init_vpc(
        &self,
        name: &str,
        node_member: Option<&Bound<'_, PyAny>>,
        peer_network: &str,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Spec> {
        let members = node_member.map_or(Ok(MemberSelection::All), args::members)?;
        let options = args::options(peer_network, options)?;
        ops::vpc_init(&self.0, args::vpc_name(name)?, &members, &options)
            .or_raise()
            .map(|(_, s)| Spec(s))
    }

    /// Forgets a VPC's spec, guest records and boot files (`vpc
    /// mode=remove`): refused while this host holds its interfaces or
    /// guest ports, unless `force`, which tears them down first. Returns
    /// `removed`.
    #[pyo3(signature = (name, *, force=false))]
    fn remove_vpc(&self, py: Python<'_>, name: &str, force: bool) -> PyResult<String> {
        let req = request::Remove {
            vpc: args::vpc_name(name)?,
            force,
        };
        let r = py.detach(|| run::remove(&self.0, &req)).or_raise()?;
        Ok(r.outcome.as_str().to_owned())
    }

    /// Adds a known host to a VPC, in the first vacant slot.
    fn add_member(&self, vpc: &str, node: &str) -> PyResult<Spec> {
        ops::add_member(&self.0, &args::vpc_name(vpc)?, &args::node_name(node)?)
            .or_raise()
            .map(Spec)
    }

    /// Removes a member from a VPC; its slot stays vacant.
    fn remove_member(&self, vpc: &str, node: &str) -> PyResult<Spec> {
        ops::remove_member(&self.0, &args::vpc_name(vpc)?, &args::node_name(node)?)
            .or_raise()
            .map(Spec)
    }

    /// Sets this host's addresses on the VPC bridge (`bridge_ips=`);
    /// returns `updated` or `unchanged`.
    fn set_bridge_ips(&self, vpc: &str, addrs: Vec<String>) -> PyResult<String> {
        let addrs = addrs
            .iter()
            .map(|a| IfAddr::parse(a, "bridge_ips"))
            .collect::<vpc_core::Result<_>>()
            .or_raise()?;
        Ok(ops::set_bridge_addrs(&self.0, &args::vpc_name(vpc)?, addrs)
            .or_raise()?
            .0
            .to_string())
    }

    /// The spec of `vpc` as JSON, for another member's `receive`.
    fn export(&self, vpc: &str) -> PyResult<String> {
        Ok(self.vpc(vpc)?.0.to_json())
    }

    /// Stores a spec received as JSON (`vpc mode=receive`) after checking
    /// it like local input; returns `created`, `updated` or `unchanged`.
    fn receive(&self, text: &str) -> PyResult<String> {
        Ok(ops::receive(&self.0, text).or_raise()?.0.to_string())
    }

    /// The plan of `vpc` without changing anything (`vpc mode=apply
    /// dryrun=1`): against this host's kernel when `node` and `os` are
    /// left out (or `os` is this host's), else against an empty `node`.
    #[pyo3(signature = (vpc, *, node=None, os=None, scope="all", teardown=false))]
    fn plan(
        &self,
        py: Python<'_>,
        vpc: &str,
        node: Option<&str>,
        os: Option<&str>,
        scope: &str,
        teardown: bool,
    ) -> PyResult<Plan> {
        let dry = request::DryRun {
            os: os.map(args::word).transpose()?,
            node: node.map(args::node_name).transpose()?,
        };
        let (vpc, scope) = (args::vpc_name(vpc)?, args::word(scope)?);
        py.detach(|| {
            if teardown {
                let req = request::Teardown {
                    vpc,
                    scope,
                    dry_run: Some(dry),
                };
                run::teardown(&self.0, &req)
            } else {
                let req = request::Converge {
                    vpc,
                    scope,
                    dry_run: Some(dry),
                    bridge_ips: None,
                };
                run::converge(&self.0, &req)
            }
        })
        .or_raise()
        .map(Plan)
    }

    /// Converges `scope` (`all`, `tunnels`, `bridge`) of `vpc` on this
    /// host's kernel (`vpc mode=apply`); returns what was done.
    #[pyo3(signature = (vpc, scope="all"))]
    fn apply(&self, py: Python<'_>, vpc: &str, scope: &str) -> PyResult<Plan> {
        let req = request::Converge {
            vpc: args::vpc_name(vpc)?,
            scope: args::word(scope)?,
            dry_run: None,
            bridge_ips: None,
        };
        py.detach(|| run::converge(&self.0, &req))
            .or_raise()
            .map(Plan)
    }

    /// Removes `scope` of `vpc`'s interfaces from this host (`vpc
    /// mode=teardown`); returns what was done.
    #[pyo3(signature = (vpc, scope="all"))]
    fn teardown(&self, py: Python<'_>, vpc: &str, scope: &str) -> PyResult<Plan> {
        let req = request::Teardown {
            vpc: args::vpc_name(vpc)?,
            scope: args::word(scope)?,
            dry_run: None,
        };
        py.detach(|| run::teardown(&self.0, &req))
            .or_raise()
            .map(Plan)
    }

    /// Compares this host's interfaces of `vpc` with the spec and probes
    /// every tunnel's far end, waiting `timeout_ms` for answers (`vpc
    /// mode=status`).
    #[pyo3(signature = (vpc, timeout_ms=None), text_signature = "($self, vpc, timeout_ms=1000)")]
    fn status(
        &self,
        py: Python<'_>,
        vpc: &str,
        timeout_ms: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Health> {
        let req = request::Status {
            vpc: args::vpc_name(vpc)?,
            timeout: Duration::from_millis(args::whole(
                "timeout_ms",
                timeout_ms,
                1000,
                1..=60_000,
            )?),
        };
        py.detach(|| run::status(&self.0, &req))
            .or_raise()
            .map(Health)
    }

    /// Runs any operation as the command line does, with `pairs` as its
    /// `key=value` words (numbers and bools allowed): `op` is the words
    /// after `vpc`, such as `"node init"`, `"init"` or `"apply"`; `input`
    /// is the document `"receive"` reads. Returns the report that `vpc OP
    /// … --json` prints.
    #[pyo3(signature = (op, *, input=None, **pairs))]
    fn run(
        &self,
        py: Python<'_>,
        op: &str,
        input: Option<&str>,
        pairs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Report> {
        let mut words: Vec<(String, String)> = Vec::new();
        for (key, value) in pairs.into_iter().flat_map(|d| d.iter()) {
            let key: String = key.extract()?;
            let text = args::text(&key, &value)?;
            words.push((key, text));
        }
        py.detach(|| {
            let pairs = words.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            run::by_name(&self.0, op, pairs, input)
        })
        .or_raise()
        .map(Report)
    }

    /// Attaches guest port `iface` to `vpc`'s bridge after the quota
    /// admits what it declares (`vpc mode=attach`); sizes as bytes or text
    /// such as `8g`. Returns `created`, `updated` or `unchanged`.
    #[pyo3(
        signature = (vpc, iface, *, cpus=None, mem=None, disk=None),
        text_signature = "($self, vpc, iface, *, cpus=0, mem=None, disk=None)"
    )]
    fn attach(
        &self,
        py: Python<'_>,
        vpc: &str,
        iface: &str,
        cpus: Option<&Bound<'_, PyAny>>,
        mem: Option<&Bound<'_, PyAny>>,
        disk: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        let req = request::Attach {
            vpc: args::vpc_name(vpc)?,
            iface: request::iface_name(iface).or_raise()?,
            usage: CoreUsage::from(&model::Usage::guest(cpus, mem, disk)?),
        };
        let r = py.detach(|| run::attach(&self.0, &req)).or_raise()?;
        Ok(r.outcome.map_or("", |o| o.as_str()).to_owned())
    }

    /// Takes guest port `iface` out of `vpc`'s bridge and forgets it (`vpc
    /// mode=detach`). Returns `removed` or `unchanged`.
    fn detach(&self, py: Python<'_>, vpc: &str, iface: &str) -> PyResult<String> {
        let req = request::Detach {
            vpc: args::vpc_name(vpc)?,
            iface: request::iface_name(iface).or_raise()?,
        };
        let r = py.detach(|| run::detach(&self.0, &req)).or_raise()?;
        Ok(r.outcome.map_or("", |o| o.as_str()).to_owned())
    }

    fn __repr__(&self) -> String {
        format!("Store({:?})", self.0.dir())
    }
}
