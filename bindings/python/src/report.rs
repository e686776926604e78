//! What plans and `status` return: frozen reports.

use pyo3::prelude::*;
use vpc_core::plan;
use vpc_core::report;

use crate::args;
use crate::errors::OrRaise;

/// A node's ordered changes for one VPC, and the same as commands.
#[pyclass(frozen, eq, module = "vpc._vpc")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan(pub(crate) report::Changes);

#[pymethods]
impl Plan {
    /// The VPC.
    #[getter]
    fn vpc(&self) -> &str {
        self.0.vpc.as_str()
    }

    /// The member the plan is for.
    #[getter]
    fn node(&self) -> &str {
        self.0.node.as_str()
    }

    /// Whose commands: `freebsd` or `linux`.
    #[getter]
    fn os(&self) -> &str {
        self.0.os.as_str()
    }

    /// Whether it is a dry run (nothing was changed).
    #[getter]
    fn dryrun(&self) -> bool {
        self.0.dryrun
    }

    /// The report as JSON, as the CLI prints it with `--json` and the C
    /// ABI returns it.
    fn to_json(&self) -> PyResult<String> {
        report::to_json(&self.0).or_raise()
    }

    /// The changes in order, as dicts with an `op` key (the CLI's
    /// `--json` `changes`).
    #[getter]
    fn changes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        args::to_python(py, &self.0.changes)
    }

    /// Each change said in words (`create vxlan vxlan1 vni 1 …`).
    #[getter]
    fn summary(&self) -> Vec<String> {
        self.0.changes.iter().map(ToString::to_string).collect()
    }

    /// Things to know (a tunnel the bridge waits for, …).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.0.warnings.clone()
    }

    /// The `ifconfig` or `ip`/`bridge` command lines of the changes: the
    /// CLI's `dryrun=1` output, one line each.
    #[getter]
    fn commands(&self) -> Vec<String> {
        self.0.commands.clone()
    }

    fn __repr__(&self) -> String {
        format!(
            "Plan(vpc={:?}, node={:?}, os={:?}, {} changes)",
            self.0.vpc.as_str(),
            self.0.node.as_str(),
            self.0.os.as_str(),
            self.0.changes.len()
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
#[pyclass(frozen, eq, module = "vpc._vpc")]
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Health(pub(crate) report::Status);

impl From<&plan::TunnelHealth> for TunnelHealth {
    fn from(t: &plan::TunnelHealth) -> Self {
        TunnelHealth {
            peer: t.peer.to_string(),
            interface: t.interface.clone(),
            vni: t.vni,
            peer_addr: t.peer_addr.to_string(),
            present: t.present,
            matching: t.matching,
            up: t.up,
            running: t.running,
            rtt_ms: t.rtt_ms,
        }
    }
}

#[pymethods]
impl Health {
    /// The VPC.
    #[getter]
    fn vpc(&self) -> &str {
        self.0.health.vpc.as_str()
    }

    /// This node.
    #[getter]
    fn node(&self) -> &str {
        self.0.node.as_str()
    }

    /// No difference, and every tunnel present, matching, up, running
    /// and answering.
    #[getter]
    fn healthy(&self) -> bool {
        self.0.healthy
    }

    /// Differences, one sentence each; `apply` repairs exactly these.
    #[getter]
    fn differences(&self) -> Vec<String> {
        self.0.health.differences.clone()
    }

    /// What the operator should know that does not make the VPC unhealthy
    /// (pf not enabled, say).
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.0.health.warnings.clone()
    }

    /// Tunnels, by VNI.
    #[getter]
    fn tunnels(&self) -> Vec<TunnelHealth> {
        self.0
            .health
            .tunnels
            .iter()
            .map(TunnelHealth::from)
            .collect()
    }

    /// Whether the far ends were probed.
    #[getter]
    fn probed(&self) -> bool {
        self.0.health.probed
    }

    /// The report as JSON, as `vpc mode=status --json` prints it.
    fn to_json(&self) -> PyResult<String> {
        report::to_json(&self.0).or_raise()
    }

    fn __repr__(&self) -> String {
        format!(
            "Health(vpc={:?}, node={:?}, healthy={}, {} differences)",
            self.vpc(),
            self.node(),
            self.0.healthy,
            self.0.health.differences.len()
        )
    }
}

/// Any operation's report, from `Store.run`: its JSON document.
#[pyclass(frozen, eq, module = "vpc._vpc")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Report(pub(crate) String);

#[pymethods]
impl Report {
    /// The report as JSON, as the CLI prints it with `--json` and the C
    /// ABI's `vpc_store_run` returns it.
    fn to_json(&self) -> String {
        self.0.clone()
    }

    /// The report as Python dicts and lists.
    #[getter]
    fn data<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        py.import("json")?.call_method1("loads", (self.0.as_str(),))
    }

    fn __repr__(&self) -> String {
        format!("Report({} bytes of JSON)", self.0.len())
    }
}
