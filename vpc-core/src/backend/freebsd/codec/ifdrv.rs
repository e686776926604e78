//! `struct ifdrv` (40 bytes): a driver-specific command (`ifd_cmd`) for a
//! vxlan or bridge, whose argument `ifd_data` points at and whose size
//! `ifd_len` states exactly. The command numbers of vxlan(4) are here;
//! those of if_bridge(4) are `abi::BRDG*`.

use super::super::abi;
use super::bytes::{len_field, put, put_u64};
use super::request::{Inner, Request, Socket};
use super::value::IfName;

/// The fields this codec writes or reads, as byte ranges.
pub(crate) mod field {
    use crate::backend::freebsd::abi;
    use core::ops::Range;

    /// `ifd_name`: the vxlan or bridge the command is for.
    pub(crate) const NAME: Range<usize> = abi::IFD_NAME..abi::IFD_NAME + abi::IFNAMSIZ;
    /// `ifd_cmd` (unsigned long).
    pub(crate) const CMD: Range<usize> = abi::IFD_CMD..abi::IFD_CMD + 8;
    /// `ifd_len` (size_t): must equal the command's struct size exactly.
    pub(crate) const LEN: Range<usize> = abi::IFD_LEN..abi::IFD_LEN + 8;
    /// `ifd_data` (pointer).
    pub(crate) const DATA: Range<usize> = abi::IFD_DATA..abi::IFD_DATA + abi::POINTER;
}

/// A `SIOCSDRVSPEC` / `SIOCGDRVSPEC` on `target` carrying `data`, whose
/// size goes in `ifd_len` (the drivers require it exact).
pub(super) fn drvspec(
    what: String,
    code: u64,
    target: &IfName,
    cmd: u64,
    data: Vec<u8>,
) -> Request {
    let mut outer = vec![0u8; abi::IFDRV];
    put(&mut outer, field::NAME, &target.field());
    put_u64(&mut outer, field::CMD, cmd);
    put_u64(&mut outer, field::LEN, data.len() as u64);
    let mut r = Request::new(what, code, Socket::Inet, outer);
    r.inner = Some(Inner {
        ptr_at: field::DATA.start,
        len_at: Some(len_field(field::LEN)),
        bytes: data,
        inner: None,
    });
    r
}

/// The vxlan driver commands. Number 3 is an empty slot of the kernel's
/// table that would call a null function (§1.7): it has no variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VxlanCmd {
    /// 0, the only get.
    GetConfig,
    /// 1.
    SetVni,
    /// 2.
    SetLocalAddr,
    /// 4.
    SetRemoteAddr,
    /// 5.
    SetLocalPort,
    /// 6.
    SetRemotePort,
    /// 7.
    SetPortRange,
    /// 8.
    SetFtableTimeout,
    /// 9.
    SetFtableMax,
    /// 10.
    SetMulticastIf,
    /// 11.
    SetTtl,
    /// 12.
    SetLearn,
    /// 13.
    FtableEntryAdd,
    /// 14.
    FtableEntryRem,
    /// 15.
    Flush,
}

impl VxlanCmd {
    /// Every command.
    pub const ALL: [VxlanCmd; 15] = [
        VxlanCmd::GetConfig,
        VxlanCmd::SetVni,
        VxlanCmd::SetLocalAddr,
        VxlanCmd::SetRemoteAddr,
        VxlanCmd::SetLocalPort,
        VxlanCmd::SetRemotePort,
        VxlanCmd::SetPortRange,
        VxlanCmd::SetFtableTimeout,
        VxlanCmd::SetFtableMax,
        VxlanCmd::SetMulticastIf,
        VxlanCmd::SetTtl,
        VxlanCmd::SetLearn,
        VxlanCmd::FtableEntryAdd,
        VxlanCmd::FtableEntryRem,
        VxlanCmd::Flush,
    ];

    /// The `ifd_cmd` number.
    pub fn number(self) -> u64 {
        match self {
            VxlanCmd::GetConfig => abi::VXLAN_CMD_GET_CONFIG,
            VxlanCmd::SetVni => abi::VXLAN_CMD_SET_VNI,
            VxlanCmd::SetLocalAddr => abi::VXLAN_CMD_SET_LOCAL_ADDR,
            VxlanCmd::SetRemoteAddr => abi::VXLAN_CMD_SET_REMOTE_ADDR,
            VxlanCmd::SetLocalPort => abi::VXLAN_CMD_SET_LOCAL_PORT,
            VxlanCmd::SetRemotePort => abi::VXLAN_CMD_SET_REMOTE_PORT,
            VxlanCmd::SetPortRange => abi::VXLAN_CMD_SET_PORT_RANGE,
            VxlanCmd::SetFtableTimeout => abi::VXLAN_CMD_SET_FTABLE_TIMEOUT,
            VxlanCmd::SetFtableMax => abi::VXLAN_CMD_SET_FTABLE_MAX,
            VxlanCmd::SetMulticastIf => abi::VXLAN_CMD_SET_MULTICAST_IF,
            VxlanCmd::SetTtl => abi::VXLAN_CMD_SET_TTL,
            VxlanCmd::SetLearn => abi::VXLAN_CMD_SET_LEARN,
            VxlanCmd::FtableEntryAdd => abi::VXLAN_CMD_FTABLE_ENTRY_ADD,
            VxlanCmd::FtableEntryRem => abi::VXLAN_CMD_FTABLE_ENTRY_REM,
            VxlanCmd::Flush => abi::VXLAN_CMD_FLUSH,
        }
    }
}
