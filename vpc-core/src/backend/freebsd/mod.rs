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
//! - `sys`: the executor, which opens the sockets, pins the buffers, writes
//!   their addresses, calls `ioctl(2)` and decodes the answers; `nix` opens the
//!   sockets and walks getifaddrs(3). The only `unsafe` (ioctl(2) itself and
//!   one sysctlbyname(3), which nix does not wrap) and the only part that
//!   needs FreeBSD.
//!
//! [`Change`]: crate::plan::Change

pub mod abi;
pub mod codec;
#[cfg(target_os = "freebsd")]
mod sys;

#[cfg(target_os = "freebsd")]
pub use sys::FreeBsdKernel;
