//! The kernels a node can run: their names and which one this is.

use serde::{Deserialize, Serialize};

/// The kernel whose rules a node's desired state follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// FreeBSD: vxlan(4), if_bridge(4) with `private` members.
    FreeBsd,
    /// Linux: vxlan and bridge links with `isolated` ports. A vxlan port's
    /// own address stops resolving once enslaved, so every tunnel gets a
    /// derived MAC and a permanent neighbour entry for the far end.
    Linux,
}

impl Platform {
    /// The platform this program runs on (Linux rules elsewhere, for tests).
    pub fn host() -> Platform {
        if cfg!(target_os = "freebsd") {
            Platform::FreeBsd
        } else {
            Platform::Linux
        }
    }
}

crate::model::words!(Platform, "os", { FreeBsd => "freebsd", Linux => "linux" }, display);
