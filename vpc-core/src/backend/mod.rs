//! Backends carry a plan out against a kernel. One trait; the memory
//! backend is an in-memory kernel for tests, the dry-run backend renders
//! the commands an administrator would type.

pub mod dryrun;
pub mod freebsd;
#[cfg(target_os = "linux")]
pub mod linux;
pub mod memory;
pub mod probe;

use std::net::IpAddr;
use std::time::Duration;

use crate::error::Result;
use crate::model::platform::Platform;
use crate::plan::{Change, Observed};

/// One tunnel to probe: the far end's link address, reached over the
/// tunnel interface from this end's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// The tunnel interface.
    pub iface: String,
    /// This end's link address.
    pub from: IpAddr,
    /// The far end's link address.
    pub to: IpAddr,
}

/// A kernel the planner can read and change.
pub trait Backend {
    /// Whose rules this kernel follows.
    fn platform(&self) -> Platform;

    /// Reads every interface.
    fn observe(&mut self) -> Result<Observed>;

    /// Makes `changes` in order, stopping at the first that fails; the
    /// error names that change (and so how far it got).
    fn apply(&mut self, changes: &[Change]) -> Result<()>;

    /// Asks every target for an answer at once and waits at most `timeout`
    /// in all: one round-trip time per target, in order, `None` where no
    /// answer came. An error means the probes could not be sent at all
    /// (the real kernels need a raw ICMP or packet socket, so root), not
    /// that a target is silent.
    fn probe(&mut self, targets: &[Probe], timeout: Duration) -> Result<Vec<Option<Duration>>>;

    /// Whether bridge members may carry addresses (FreeBSD 15 refuses them
    /// unless `net.link.bridge.member_ifaddrs=1`).
    fn member_addresses(&self) -> bool {
        true
    }
}

/// The backend for the kernel this program runs on.
pub fn host() -> Result<Box<dyn Backend>> {
    #[cfg(target_os = "linux")]
    {
        Ok(Box::new(linux::LinuxKernel::open()?))
    }
    #[cfg(target_os = "freebsd")]
    {
        Ok(Box::new(freebsd::FreeBsdKernel::open()?))
    }
    #[cfg(not(any(target_os = "linux", target_os = "freebsd")))]
    {
        Err(crate::error::Error::new(
            crate::error::ErrorKind::Unsupported,
            "this build has no kernel backend for this system yet: use dryrun=1",
        ))
    }
}

/// The kernel a dry run plans against: this host's, when its own view is
/// asked for (no other system's commands, no other node) and it can be
/// read; else an empty node under `os`'s commands (default this host's).
pub fn preview(os: Option<Platform>, other_node: bool) -> Box<dyn Backend> {
    let host_view = os.is_none_or(|o| o == Platform::host()) && !other_node;
    match host_view.then(host) {
        Some(Ok(kernel)) => kernel,
        _ => Box::new(dryrun::DryRun::new(
            os.unwrap_or_else(Platform::host),
            Observed::default(),
        )),
    }
}
