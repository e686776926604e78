//! The kernels a node can run: their names and which one this is.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

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

    /// Parses `freebsd` or `linux`.
    pub fn parse(text: &str) -> Result<Platform> {
        match text {
            "freebsd" => Ok(Platform::FreeBsd),
            "linux" => Ok(Platform::Linux),
            _ => Err(Error::invalid(format!(
                "os {text:?} is not valid: expected freebsd or linux"
            ))),
        }
    }
}
