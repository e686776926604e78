//! What plans and `status` return: frozen reports.

use pyo3::prelude::*;
use vpc_core::backend::dryrun;
use vpc_core::model::name::{NodeName, VpcName};
use vpc_core::model::platform::Platform;
use vpc_core::plan::{self, Change};

use crate::args;

/// A node's ordered changes for one VPC, and the same as commands.
#[pyclass(frozen, eq, module = "vpc._vpc")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    vpc: String,
    node: String,
    os: &'static str,
    changes: Vec<Change>,
    warnings: Vec<String>,
    commands: Vec<String>,
}

impl Plan {
    /// A plan of `node` in `vpc` under `platform`'s commands `lines`.
    pub(crate) fn new(
        vpc: &VpcName,
        node: &NodeName,
        platform: Platform,
        plan: plan::Plan,
        lines: Vec<String>,
    ) -> Plan {
        Plan {
            vpc: vpc.to_string(),
            node: node.to_string(),
            os: args::platform_name(platform),
            changes: plan.changes,
            warnings: plan.warnings,
            commands: lines,
        }
    }

    /// A plan that was carried out: its commands are how `platform` would
    /// say the same changes.
    pub(crate) fn done(
        vpc: &VpcName,
        node: &NodeName,
        platform: Platform,
        plan: plan::Plan,
    ) -> Plan {
        let lines = plan
            .changes
            .iter()
            .flat_map(|c| dryrun::render(platform, c))
            .collect();
        Plan::new(vpc, node, platform, plan, lines)
    }
}

#[pymethods]
impl Plan {
    /// The VPC.
    #[getter]
    fn vpc(&self) -> &str {
        &self.vpc
    }

    /// The member the plan is for.
    #[getter]
    fn node(&self) -> &str {
        &self.node
    }

    /// Whose commands: `freebsd` or `linux`.
    #[getter]
    fn os(&self) -> &str {
        self.os
    }

    /// The changes in order, as dicts with an `op` key (the CLI's
    /// `--json` `changes`).
    #[getter]
    fn changes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        args::to_python(py, &self.changes)
    }

    /// Each change said in words (`create vxlan vxlan1 vni 1 …`).
    #[getter]
    fn summary(&self) -> Vec<String> {
        self.changes.iter().map(ToString::to_string).collect()
    }

    /// Things to know (a tunnel the bridge waits for, …).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }

    /// The `ifconfig` or `ip`/`bridge` command lines of the changes: the
    /// CLI's `dryrun=1` output, one line each.
    #[getter]
    fn commands(&self) -> Vec<String> {
        self.commands.clone()
    }

    fn __repr__(&self) -> String {
        format!(
            "Plan(vpc={:?}, node={:?}, os={:?}, {} changes)",
            self.vpc,
            self.node,
            self.os,
            self.changes.len()
        )
    }
}

/// One tunnel's health as the kernel shows it.
#[pyclass(frozen, eq, get_all, module = "vpc._vpc")]
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TunnelHealth {
    /// The far end's node.
    peer: String,
    /// Interface name.
    interface: String,
    /// VNI.
    vni: u32,
    /// The far end's link address (what the probe targets).
    peer_addr: String,
    /// The interface exists as a vxlan.
    present: bool,
    /// Its VNI, addresses and port are the spec's.
    matching: bool,
    /// Administratively up.
    up: bool,
    /// Operationally up.
    running: bool,
    /// Round-trip time of the probe in milliseconds, if it answered.
    rtt_ms: Option<f64>,
}

#[pymethods]
impl TunnelHealth {
    fn __repr__(&self) -> String {
        format!(
            "TunnelHealth(peer={:?}, interface={:?}, present={}, running={}, rtt_ms={:?})",
            self.peer, self.interface, self.present, self.running, self.rtt_ms
        )
    }
}

/// `status`: every difference between the spec and the kernel, and every
/// tunnel's health.
#[pyclass(frozen, eq, get_all, module = "vpc._vpc")]
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Health {
    /// The VPC.
    vpc: String,
    /// This node.
    node: String,
    /// No difference, and every tunnel present, matching, up, running
    /// and answering.
    healthy: bool,
    /// Differences, one sentence each; `apply` repairs exactly these.
    differences: Vec<String>,
    /// Tunnels, by VNI.
    tunnels: Vec<TunnelHealth>,
    /// Whether the far ends were probed.
    probed: bool,
}

impl Health {
    /// The report of `node`.
    pub(crate) fn new(node: &NodeName, h: plan::Health) -> Health {
        let healthy = h.healthy();
        let tunnels = h.tunnels.into_iter().map(|t| TunnelHealth {
            peer: t.peer.to_string(),
            interface: t.interface,
            vni: t.vni,
            peer_addr: t.peer_addr.to_string(),
            present: t.present,
            matching: t.matching,
            up: t.up,
            running: t.running,
            rtt_ms: t.rtt_ms,
        });
        Health {
            vpc: h.vpc.to_string(),
            node: node.to_string(),
            healthy,
            differences: h.differences,
            tunnels: tunnels.collect(),
            probed: h.probed,
        }
    }
}

#[pymethods]
impl Health {
    fn __repr__(&self) -> String {
        format!(
            "Health(vpc={:?}, node={:?}, healthy={}, {} differences)",
            self.vpc,
            self.node,
            self.healthy,
            self.differences.len()
        )
    }
}
