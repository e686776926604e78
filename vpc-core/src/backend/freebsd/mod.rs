//! The FreeBSD backend: ioctl(2) on sockets, no `ifconfig` processes.
//!
//! Layers, from data to effect:
//!
//! - [`abi`]: the FreeBSD amd64 kernel ABI as data (request codes,
//!   constants, struct sizes and offsets), with FreeBSD's own values, never
//!   the host's.
//! - [`codec`]: pure encoders and decoders, one file per kernel struct
//!   (`ifreq`, `ifdrv`, `ifvxlanparam`, `ifvxlancfg`, `ifbreq`,
//!   `ifbifconf`, `in_aliasreq`, `in6_aliasreq`, `in6_ifreq`, the
//!   sockaddrs), each naming its fields once as byte ranges taken from
//!   [`abi`], with its byte-exact tests beside it. A [`Change`] becomes a
//!   list of [`codec::Request`]s (`codec/changes.rs`), each the bytes of
//!   one ioctl with its pointer slots left out and markers for what the
//!   executor does around it (read-modify-write, the name a create
//!   returned, read back RUNNING); `codec/errno.rs` words the kernel's
//!   refusals. Platform-independent, so every byte is tested on any host.
//! - [`program`], [`pf`], [`wg`]: what is not an ioctl vpc speaks, as
//!   program runs described without running them ([`programs`]): the
//!   members-only rule set is a pf anchor loaded and read with `pfctl`, a
//!   WireGuard configuration goes in with `wg setconf` and comes back with
//!   `wg show dump`, and `kldload` loads `if_wg`. The rule set's text, the
//!   command lines and the parsers of what pfctl and wg print are pure and
//!   tested on any host; the dry run prints the same runs.
//! - `sys`: the executor, which opens the sockets, pins the buffers, writes
//!   their addresses, calls `ioctl(2)` and decodes the answers, and runs
//!   the programs; `nix` opens the sockets and walks getifaddrs(3). The
//!   only `unsafe` (ioctl(2) itself and one sysctlbyname(3), which nix
//!   does not wrap) and the only part that needs FreeBSD.
//!
//! [`Change`]: crate::plan::Change

pub mod abi;
pub mod codec;
pub mod pf;
pub mod program;
#[cfg(target_os = "freebsd")]
mod sys;
pub mod wg;

#[cfg(target_os = "freebsd")]
pub use sys::FreeBsdKernel;

use crate::error::Result;
use crate::plan::Change;
use program::Program;

/// The programs that make `change`, run before its ioctls
/// ([`codec::requests`], empty for the changes programs make whole): the
/// rule set is loaded or flushed by pfctl, a WireGuard configuration set
/// by wg(8), and `if_wg` loaded before a WireGuard interface is created.
pub fn programs(change: &Change) -> Result<Vec<Program>> {
    Ok(match change {
        Change::SetFirewall { rules } => vec![pf::load(rules)?],
        Change::RemoveFirewall { table } => vec![pf::flush(table)?],
        Change::CreateWireguard { .. } => vec![wg::load_module()],
        Change::SetWireguard { device, .. } => vec![wg::setconf(device)?],
        Change::Destroy { .. }
        | Change::CreateBridge { .. }
        | Change::CreateVxlan { .. }
        | Change::SetMtu { .. }
        | Change::SetDescription { .. }
        | Change::DelAddr { .. }
        | Change::AddAddr { .. }
        | Change::DelNeighbour { .. }
        | Change::AddPort { .. }
        | Change::DelPort { .. }
        | Change::SetPrivate { .. }
        | Change::Up { .. } => Vec::new(),
    })
}
