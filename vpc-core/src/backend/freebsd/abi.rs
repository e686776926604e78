//! The FreeBSD amd64 (LP64, little-endian) kernel ABI as data: request
//! codes, constants, struct sizes and field offsets, written as FreeBSD
//! defines them and never taken from the host's `libc` (on Linux,
//! `AF_INET6` is 10 and `sockaddr_in` has no length byte).
//!
//! Figures come from the research note `freebsd-ioctl-abi.md` (§0–§5),
//! checked against `sys/net/if.h`, `sys/net/if_vxlan.h`,
//! `sys/net/if_bridgevar.h`, `sys/netinet6/in6_var.h` and
//! `sys/sys/errno.h`; the tests pin each one to the note's tables. They hold
//! for FreeBSD 13, 14 and 15 on amd64 and arm64.

// ---------------------------------------------------------------------------
// Request encoding (`sys/sys/ioccom.h`)

/// Bits of the length field in a request code.
pub const IOCPARM_SHIFT: u32 = 13;
/// Mask of the length field (the length is at most 8191 bytes).
pub const IOCPARM_MASK: u64 = (1 << IOCPARM_SHIFT) - 1;
/// No argument.
pub const IOC_VOID: u64 = 0x2000_0000;
/// The kernel copies the argument out.
pub const IOC_OUT: u64 = 0x4000_0000;
/// The kernel copies the argument in.
pub const IOC_IN: u64 = 0x8000_0000;
/// Both ways.
pub const IOC_INOUT: u64 = IOC_IN | IOC_OUT;

/// `_IOC(dir, group, num, len)`: the argument's size is part of the code,
/// so a struct of the wrong size yields a different request.
pub const fn ioc(dir: u64, group: u8, num: u8, len: usize) -> u64 {
    dir | ((len as u64 & IOCPARM_MASK) << 16) | ((group as u64) << 8) | num as u64
}

/// The group of every interface request, `'i'`.
pub const GROUP_IF: u8 = b'i';

// ---------------------------------------------------------------------------
// Struct sizes

/// `IFNAMSIZ`: 15 bytes and a NUL.
pub const IFNAMSIZ: usize = 16;
/// `struct ifreq`.
pub const IFREQ: usize = 32;
/// `struct ifdrv`.
pub const IFDRV: usize = 40;
/// `struct ifvxlanparam` (13.0+ union layout).
pub const IFVXLANPARAM: usize = 104;
/// `struct ifvxlancmd`.
pub const IFVXLANCMD: usize = 76;
/// `struct ifvxlancfg`.
pub const IFVXLANCFG: usize = 84;
/// `struct ifbreq` (13, 14 and 15).
pub const IFBREQ: usize = 80;
/// `struct ifbifconf`.
pub const IFBIFCONF: usize = 16;
/// `struct in_aliasreq`.
pub const IN_ALIASREQ: usize = 68;
/// `struct ifaliasreq`, by which `SIOCAIFADDR` is defined (same size as
/// `in_aliasreq`).
pub const IFALIASREQ: usize = 68;
/// `struct in6_aliasreq`.
pub const IN6_ALIASREQ: usize = 136;
/// `struct in6_ifreq`: its union holds `struct icmp6_ifstat` (272 bytes).
pub const IN6_IFREQ: usize = 288;
/// `struct if_clonereq`.
pub const IF_CLONEREQ: usize = 16;
/// `struct sockaddr_in`.
pub const SOCKADDR_IN: usize = 16;
/// `struct sockaddr_in6`.
pub const SOCKADDR_IN6: usize = 28;
/// `union vxlan_sockaddr` (the size of `sockaddr_in6`).
pub const VXLAN_SOCKADDR: usize = 28;
/// `struct in6_addrlifetime`.
pub const IN6_ADDRLIFETIME: usize = 24;
/// A user pointer (`caddr_t`, `void *`) and `size_t`.
pub const POINTER: usize = 8;
/// `struct wg_data_io` (`sys/dev/wg/if_wg.h`): a name, a pointer to a
/// packed nvlist and its size.
pub const WG_DATA_IO: usize = 32;

// ---------------------------------------------------------------------------
// Request codes (§5)

/// Set interface flags.
pub const SIOCSIFFLAGS: u64 = ioc(IOC_IN, GROUP_IF, 16, IFREQ);
/// Get interface flags.
pub const SIOCGIFFLAGS: u64 = ioc(IOC_INOUT, GROUP_IF, 17, IFREQ);
/// Delete an IPv4 address.
pub const SIOCDIFADDR: u64 = ioc(IOC_IN, GROUP_IF, 25, IFREQ);
/// Delete an IPv6 address.
pub const SIOCDIFADDR_IN6: u64 = ioc(IOC_IN, GROUP_IF, 25, IN6_IFREQ);
/// Add an IPv6 address.
pub const SIOCAIFADDR_IN6: u64 = ioc(IOC_IN, GROUP_IF, 27, IN6_ALIASREQ);
/// Get an interface's index.
pub const SIOCGIFINDEX: u64 = ioc(IOC_INOUT, GROUP_IF, 32, IFREQ);
/// Rename an interface.
pub const SIOCSIFNAME: u64 = ioc(IOC_IN, GROUP_IF, 40, IFREQ);
/// Set an interface's description.
pub const SIOCSIFDESCR: u64 = ioc(IOC_IN, GROUP_IF, 41, IFREQ);
/// Get an interface's description.
pub const SIOCGIFDESCR: u64 = ioc(IOC_INOUT, GROUP_IF, 42, IFREQ);
/// Add an IPv4 address.
pub const SIOCAIFADDR: u64 = ioc(IOC_IN, GROUP_IF, 43, IFALIASREQ);
/// Get an interface's MTU.
pub const SIOCGIFMTU: u64 = ioc(IOC_INOUT, GROUP_IF, 51, IFREQ);
/// Set an interface's MTU.
pub const SIOCSIFMTU: u64 = ioc(IOC_IN, GROUP_IF, 52, IFREQ);
/// List interface cloners.
pub const SIOCIFGCLONERS: u64 = ioc(IOC_INOUT, GROUP_IF, 120, IF_CLONEREQ);
/// Destroy a cloned interface.
pub const SIOCIFDESTROY: u64 = ioc(IOC_IN, GROUP_IF, 121, IFREQ);
/// Create a cloned interface without parameters.
pub const SIOCIFCREATE: u64 = ioc(IOC_INOUT, GROUP_IF, 122, IFREQ);
/// Driver-specific set command (`struct ifdrv`).
pub const SIOCSDRVSPEC: u64 = ioc(IOC_IN, GROUP_IF, 123, IFDRV);
/// Driver-specific get command (`struct ifdrv`).
pub const SIOCGDRVSPEC: u64 = ioc(IOC_INOUT, GROUP_IF, 123, IFDRV);
/// Create a cloned interface with parameters in `ifr_data`.
pub const SIOCIFCREATE2: u64 = ioc(IOC_INOUT, GROUP_IF, 124, IFREQ);
/// `SIOCGWG` (`sys/dev/wg/if_wg.h`): wg(4)'s configuration as a packed
/// nvlist; given a size of zero, the kernel answers only the size it
/// needs and copies nothing out.
pub const SIOCGWG: u64 = ioc(IOC_INOUT, GROUP_IF, 211, WG_DATA_IO);

// ---------------------------------------------------------------------------
// Address families and sockaddrs (§0.2)

/// `AF_UNSPEC`: how a fresh vxlan reports an address it has not been given.
pub const AF_UNSPEC: u8 = 0;
/// `AF_LOCAL` / `AF_UNIX`.
pub const AF_LOCAL: u8 = 1;
/// `AF_INET`.
pub const AF_INET: u8 = 2;
/// `AF_LINK`.
pub const AF_LINK: u8 = 18;
/// `AF_INET6`: 28 on FreeBSD (10 on Linux).
pub const AF_INET6: u8 = 28;

/// `sin_len` (u8), the first byte of every BSD sockaddr.
pub const SIN_LEN: usize = 0;
/// `sin_family` (u8).
pub const SIN_FAMILY: usize = 1;
/// `sin_port` (network order).
pub const SIN_PORT: usize = 2;
/// `sin_addr` (4 bytes, network order).
pub const SIN_ADDR: usize = 4;
/// `sin6_len` (u8).
pub const SIN6_LEN: usize = 0;
/// `sin6_family` (u8).
pub const SIN6_FAMILY: usize = 1;
/// `sin6_port` (network order).
pub const SIN6_PORT: usize = 2;
/// `sin6_flowinfo`.
pub const SIN6_FLOWINFO: usize = 4;
/// `sin6_addr` (16 bytes).
pub const SIN6_ADDR: usize = 8;
/// `sin6_scope_id`.
pub const SIN6_SCOPE_ID: usize = 24;

// ---------------------------------------------------------------------------
// struct ifreq (§0.3)

/// `ifr_name`.
pub const IFR_NAME: usize = 0;
/// `ifr_ifru`, the 16-byte union.
pub const IFR_IFRU: usize = 16;
/// `ifr_flags` (short: the low half of the flags).
pub const IFR_FLAGS: usize = 16;
/// `ifr_flagshigh` (short: the high half).
pub const IFR_FLAGSHIGH: usize = 18;
/// `ifr_index` (short).
pub const IFR_INDEX: usize = 16;
/// `ifr_mtu` (int).
pub const IFR_MTU: usize = 16;
/// `ifr_addr` (a `sockaddr_in` fits exactly).
pub const IFR_ADDR: usize = 16;
/// `ifr_data` (pointer).
pub const IFR_DATA: usize = 16;
/// `ifr_buffer.length` (size_t, counts the terminating NUL).
pub const IFR_BUFFER_LENGTH: usize = 16;
/// `ifr_buffer.buffer` (pointer).
pub const IFR_BUFFER_BUFFER: usize = 24;

// ---------------------------------------------------------------------------
// struct ifdrv (§0.4)

/// `ifd_name`: the vxlan or bridge the command is for.
pub const IFD_NAME: usize = 0;
/// `ifd_cmd` (unsigned long).
pub const IFD_CMD: usize = 16;
/// `ifd_len` (size_t): must equal the command's struct size exactly.
pub const IFD_LEN: usize = 24;
/// `ifd_data` (pointer).
pub const IFD_DATA: usize = 32;

// ---------------------------------------------------------------------------
// struct wg_data_io (`sys/dev/wg/if_wg.h`)

/// `wgd_name`: the WireGuard interface.
pub const WGD_NAME: usize = 0;
/// `wgd_data` (pointer): the packed nvlist, NULL to ask its size.
pub const WGD_DATA: usize = 16;
/// `wgd_size` (size_t): the buffer's size in, the nvlist's size out.
pub const WGD_SIZE: usize = 24;

// ---------------------------------------------------------------------------
// Interface flags (§0.5)

/// `IFF_UP`.
pub const IFF_UP: u32 = 0x1;
/// `IFF_BROADCAST`.
pub const IFF_BROADCAST: u32 = 0x2;
/// `IFF_DRV_RUNNING`, shown as RUNNING (`libc` calls it `IFF_RUNNING`).
pub const IFF_RUNNING: u32 = 0x40;
/// `IFF_PROMISC`.
pub const IFF_PROMISC: u32 = 0x100;
/// `IFF_SIMPLEX`.
pub const IFF_SIMPLEX: u32 = 0x800;
/// `IFF_MULTICAST`.
pub const IFF_MULTICAST: u32 = 0x8000;
/// `IFF_PPROMISC` (high half).
pub const IFF_PPROMISC: u32 = 0x2_0000;
/// `IFF_DYING` (high half).
pub const IFF_DYING: u32 = 0x20_0000;
/// `IFF_RENAMING` (high half).
pub const IFF_RENAMING: u32 = 0x40_0000;

/// `IF_MINMTU`: the smallest MTU `SIOCSIFMTU` accepts.
pub const IF_MINMTU: u32 = 72;
/// `IF_MAXMTU`: the largest.
pub const IF_MAXMTU: u32 = 65535;

// ---------------------------------------------------------------------------
// vxlan(4) (§1)

/// `VXLAN_VNI_MAX`: VNIs are below 2^24; GET_CONFIG reports this value for
/// an interface without one.
pub const VXLAN_VNI_MAX: u32 = 1 << 24;
/// The IANA VXLAN port, vxlan(4)'s default.
pub const VXLAN_PORT: u16 = 4789;

/// `vxlp_with`: `vxlp_vni` is valid.
pub const VXLAN_PARAM_WITH_VNI: u64 = 0x0001;
/// `vxlp_local_sa` holds an IPv4 address.
pub const VXLAN_PARAM_WITH_LOCAL_ADDR4: u64 = 0x0002;
/// `vxlp_local_sa` holds an IPv6 address.
pub const VXLAN_PARAM_WITH_LOCAL_ADDR6: u64 = 0x0004;
/// `vxlp_remote_sa` holds an IPv4 address.
pub const VXLAN_PARAM_WITH_REMOTE_ADDR4: u64 = 0x0008;
/// `vxlp_remote_sa` holds an IPv6 address.
pub const VXLAN_PARAM_WITH_REMOTE_ADDR6: u64 = 0x0010;
/// `vxlp_local_port` is valid.
pub const VXLAN_PARAM_WITH_LOCAL_PORT: u64 = 0x0020;
/// `vxlp_remote_port` is valid.
pub const VXLAN_PARAM_WITH_REMOTE_PORT: u64 = 0x0040;
/// `vxlp_min_port` and `vxlp_max_port` are valid.
pub const VXLAN_PARAM_WITH_PORT_RANGE: u64 = 0x0080;
/// `vxlp_ftable_timeout` is valid.
pub const VXLAN_PARAM_WITH_FTABLE_TIMEOUT: u64 = 0x0100;
/// `vxlp_ftable_max` is valid.
pub const VXLAN_PARAM_WITH_FTABLE_MAX: u64 = 0x0200;
/// `vxlp_mc_ifname` is valid.
pub const VXLAN_PARAM_WITH_MULTICAST_IF: u64 = 0x0400;
/// `vxlp_ttl` is valid.
pub const VXLAN_PARAM_WITH_TTL: u64 = 0x0800;
/// `vxlp_learn` is valid.
pub const VXLAN_PARAM_WITH_LEARN: u64 = 0x1000;

/// `vxlp_with` (u64).
pub const VXLP_WITH: usize = 0;
/// `vxlp_vni` (u32).
pub const VXLP_VNI: usize = 8;
/// `vxlp_local_sa` (union vxlan_sockaddr).
pub const VXLP_LOCAL_SA: usize = 12;
/// `vxlp_remote_sa`.
pub const VXLP_REMOTE_SA: usize = 40;
/// `vxlp_local_port` (u16, host order).
pub const VXLP_LOCAL_PORT: usize = 68;
/// `vxlp_remote_port` (u16, host order).
pub const VXLP_REMOTE_PORT: usize = 70;
/// `vxlp_min_port`.
pub const VXLP_MIN_PORT: usize = 72;
/// `vxlp_max_port`.
pub const VXLP_MAX_PORT: usize = 74;
/// `vxlp_mc_ifname` (`char[16]`).
pub const VXLP_MC_IFNAME: usize = 76;
/// `vxlp_ftable_timeout` (u32).
pub const VXLP_FTABLE_TIMEOUT: usize = 92;
/// `vxlp_ftable_max` (u32).
pub const VXLP_FTABLE_MAX: usize = 96;
/// `vxlp_ttl` (u8).
pub const VXLP_TTL: usize = 100;
/// `vxlp_learn` (u8).
pub const VXLP_LEARN: usize = 101;

/// `VXLAN_CMD_GET_CONFIG` (SIOCGDRVSPEC, `ifvxlancfg`).
pub const VXLAN_CMD_GET_CONFIG: u64 = 0;
/// `VXLAN_CMD_SET_VNI`.
pub const VXLAN_CMD_SET_VNI: u64 = 1;
/// `VXLAN_CMD_SET_LOCAL_ADDR`.
pub const VXLAN_CMD_SET_LOCAL_ADDR: u64 = 2;
// 3 is an empty slot of the kernel's table: never sent (§1.7).
/// `VXLAN_CMD_SET_REMOTE_ADDR`.
pub const VXLAN_CMD_SET_REMOTE_ADDR: u64 = 4;
/// `VXLAN_CMD_SET_LOCAL_PORT`.
pub const VXLAN_CMD_SET_LOCAL_PORT: u64 = 5;
/// `VXLAN_CMD_SET_REMOTE_PORT`.
pub const VXLAN_CMD_SET_REMOTE_PORT: u64 = 6;
/// `VXLAN_CMD_SET_PORT_RANGE`.
pub const VXLAN_CMD_SET_PORT_RANGE: u64 = 7;
/// `VXLAN_CMD_SET_FTABLE_TIMEOUT`.
pub const VXLAN_CMD_SET_FTABLE_TIMEOUT: u64 = 8;
/// `VXLAN_CMD_SET_FTABLE_MAX`.
pub const VXLAN_CMD_SET_FTABLE_MAX: u64 = 9;
/// `VXLAN_CMD_SET_MULTICAST_IF`.
pub const VXLAN_CMD_SET_MULTICAST_IF: u64 = 10;
/// `VXLAN_CMD_SET_TTL`.
pub const VXLAN_CMD_SET_TTL: u64 = 11;
/// `VXLAN_CMD_SET_LEARN`.
pub const VXLAN_CMD_SET_LEARN: u64 = 12;
/// `VXLAN_CMD_FTABLE_ENTRY_ADD`.
pub const VXLAN_CMD_FTABLE_ENTRY_ADD: u64 = 13;
/// `VXLAN_CMD_FTABLE_ENTRY_REM`.
pub const VXLAN_CMD_FTABLE_ENTRY_REM: u64 = 14;
/// `VXLAN_CMD_FLUSH`.
pub const VXLAN_CMD_FLUSH: u64 = 15;

/// `VXLAN_CMD_FLAG_FLUSH_ALL`: a flush removes static entries too.
pub const VXLAN_CMD_FLAG_FLUSH_ALL: u32 = 0x0001;
/// `VXLAN_CMD_FLAG_LEARN`: learning on.
pub const VXLAN_CMD_FLAG_LEARN: u32 = 0x0002;

/// Largest `vxlcmd_ftable_timeout` the kernel takes (seconds).
pub const VXLAN_FTABLE_TIMEOUT_MAX: u32 = 86400;
/// Largest `vxlcmd_ftable_max` the kernel takes.
pub const VXLAN_FTABLE_MAX: u32 = 2000;

/// `vxlcmd_flags` (u32).
pub const VXLCMD_FLAGS: usize = 0;
/// `vxlcmd_vni` (u32).
pub const VXLCMD_VNI: usize = 4;
/// `vxlcmd_ftable_timeout` (u32).
pub const VXLCMD_FTABLE_TIMEOUT: usize = 8;
/// `vxlcmd_ftable_max` (u32).
pub const VXLCMD_FTABLE_MAX: usize = 12;
/// `vxlcmd_port` (u16, host order).
pub const VXLCMD_PORT: usize = 16;
/// `vxlcmd_port_min` (u16).
pub const VXLCMD_PORT_MIN: usize = 18;
/// `vxlcmd_port_max` (u16).
pub const VXLCMD_PORT_MAX: usize = 20;
/// `vxlcmd_mac` (6 bytes).
pub const VXLCMD_MAC: usize = 22;
/// `vxlcmd_ttl` (u8).
pub const VXLCMD_TTL: usize = 28;
/// `vxlcmd_sa` (union vxlan_sockaddr).
pub const VXLCMD_SA: usize = 32;
/// `vxlcmd_ifname` (`char[16]`).
pub const VXLCMD_IFNAME: usize = 60;

/// `vxlc_vni` (u32; `VXLAN_VNI_MAX` = none).
pub const VXLC_VNI: usize = 0;
/// `vxlc_local_sa` (port inside, network order).
pub const VXLC_LOCAL_SA: usize = 4;
/// `vxlc_remote_sa`.
pub const VXLC_REMOTE_SA: usize = 32;
/// `vxlc_mc_ifindex` (u32).
pub const VXLC_MC_IFINDEX: usize = 60;
/// `vxlc_ftable_cnt` (u32).
pub const VXLC_FTABLE_CNT: usize = 64;
/// `vxlc_ftable_max` (u32).
pub const VXLC_FTABLE_MAX: usize = 68;
/// `vxlc_ftable_timeout` (u32).
pub const VXLC_FTABLE_TIMEOUT: usize = 72;
/// `vxlc_port_min` (u16, host order).
pub const VXLC_PORT_MIN: usize = 76;
/// `vxlc_port_max` (u16, host order).
pub const VXLC_PORT_MAX: usize = 78;
/// `vxlc_learn` (u8).
pub const VXLC_LEARN: usize = 80;
/// `vxlc_ttl` (u8).
pub const VXLC_TTL: usize = 81;

// ---------------------------------------------------------------------------
// if_bridge(4) (§3)

/// `BRDGADD`: add a member (S, `ifbreq`).
pub const BRDGADD: u64 = 0;
/// `BRDGDEL`: remove a member (S, `ifbreq`).
pub const BRDGDEL: u64 = 1;
/// `BRDGGIFFLGS`: get a member's flags (G, `ifbreq` in and out).
pub const BRDGGIFFLGS: u64 = 2;
/// `BRDGSIFFLGS`: set a member's flags, replacing them all (S, `ifbreq`).
pub const BRDGSIFFLGS: u64 = 3;
/// `BRDGSCACHE`: set the address-cache size.
pub const BRDGSCACHE: u64 = 4;
/// `BRDGGCACHE`: get the address-cache size.
pub const BRDGGCACHE: u64 = 5;
/// `BRDGGIFS`: list members (G, `ifbifconf`).
pub const BRDGGIFS: u64 = 6;
/// `BRDGRTS`: list learned addresses.
pub const BRDGRTS: u64 = 7;
/// `BRDGSADDR`: add a static address.
pub const BRDGSADDR: u64 = 8;
/// `BRDGSTO`: set the cache timeout.
pub const BRDGSTO: u64 = 9;
/// `BRDGGTO`: get the cache timeout.
pub const BRDGGTO: u64 = 10;
/// `BRDGDADDR`: delete an address.
pub const BRDGDADDR: u64 = 11;
/// `BRDGFLUSH`: flush the address cache.
pub const BRDGFLUSH: u64 = 12;
/// `BRDGSIFPRIO`: set a member's STP priority.
pub const BRDGSIFPRIO: u64 = 21;
/// `BRDGSIFCOST`: set a member's STP path cost.
pub const BRDGSIFCOST: u64 = 22;
/// `BRDGADDS`: add a span port.
pub const BRDGADDS: u64 = 23;
/// `BRDGDELS`: remove a span port.
pub const BRDGDELS: u64 = 24;
/// `BRDGSIFAMAX`: set a member's address limit.
pub const BRDGSIFAMAX: u64 = 30;

/// `IFBIF_LEARNING`.
pub const IFBIF_LEARNING: u32 = 0x1;
/// `IFBIF_DISCOVER`.
pub const IFBIF_DISCOVER: u32 = 0x2;
/// `IFBIF_STP`.
pub const IFBIF_STP: u32 = 0x4;
/// `IFBIF_SPAN` (read-only: EINVAL in a set).
pub const IFBIF_SPAN: u32 = 0x8;
/// `IFBIF_STICKY`.
pub const IFBIF_STICKY: u32 = 0x10;
/// `IFBIF_BSTP_EDGE`.
pub const IFBIF_BSTP_EDGE: u32 = 0x20;
/// `IFBIF_BSTP_AUTOEDGE`.
pub const IFBIF_BSTP_AUTOEDGE: u32 = 0x40;
/// `IFBIF_BSTP_PTP`.
pub const IFBIF_BSTP_PTP: u32 = 0x80;
/// `IFBIF_BSTP_AUTOPTP`.
pub const IFBIF_BSTP_AUTOPTP: u32 = 0x100;
/// `IFBIF_BSTP_ADMEDGE`.
pub const IFBIF_BSTP_ADMEDGE: u32 = 0x200;
/// `IFBIF_BSTP_ADMCOST`.
pub const IFBIF_BSTP_ADMCOST: u32 = 0x400;
/// `IFBIF_PRIVATE`: the member forwards to no other private member.
pub const IFBIF_PRIVATE: u32 = 0x800;
/// What `BRDGGIFFLGS` reports for a fresh member: the bridge's own
/// `LEARNING|DISCOVER` plus the STP port's default `AUTOEDGE|AUTOPTP`
/// (`bstp_create`), i.e. ifconfig's `flags=143`. `BRDGSIFFLGS` replaces the
/// flags and passes the four STP bits on to the STP port, so a set that
/// leaves these out turns them off.
pub const IFBIF_DEFAULT: u32 =
    IFBIF_LEARNING | IFBIF_DISCOVER | IFBIF_BSTP_AUTOEDGE | IFBIF_BSTP_AUTOPTP;

/// `ifbr_ifsname` (`char[16]`).
pub const IFBR_IFSNAME: usize = 0;
/// `ifbr_ifsflags` (u32).
pub const IFBR_IFSFLAGS: usize = 16;
/// `ifbr_stpflags` (u32).
pub const IFBR_STPFLAGS: usize = 20;
/// `ifbr_path_cost` (u32).
pub const IFBR_PATH_COST: usize = 24;
/// `ifbr_portno` (u8).
pub const IFBR_PORTNO: usize = 28;
/// `ifbr_priority` (u8).
pub const IFBR_PRIORITY: usize = 29;
/// `ifbr_proto` (u8).
pub const IFBR_PROTO: usize = 30;
/// `ifbr_role` (u8).
pub const IFBR_ROLE: usize = 31;
/// `ifbr_state` (u8).
pub const IFBR_STATE: usize = 32;
/// `ifbr_addrcnt` (u32).
pub const IFBR_ADDRCNT: usize = 36;
/// `ifbr_addrmax` (u32).
pub const IFBR_ADDRMAX: usize = 40;
/// `ifbr_addrexceeded` (u32).
pub const IFBR_ADDREXCEEDED: usize = 44;
/// The pad (15.0 puts `ifbr_pvid` and `ifbr_vlanproto` here; zero is
/// valid on every release).
pub const IFBR_PAD: usize = 48;

/// `ifbic_len` (u32): buffer size in, bytes written out.
pub const IFBIC_LEN: usize = 0;
/// `ifbic_buf` (pointer to an array of `ifbreq`).
pub const IFBIC_BUF: usize = 8;

// ---------------------------------------------------------------------------
// Addresses (§4)

/// `ifra_name`.
pub const IFRA_NAME: usize = 0;
/// `ifra_addr` (`sockaddr_in`).
pub const IFRA_ADDR: usize = 16;
/// `ifra_broadaddr` / `ifra_dstaddr` (`sockaddr_in`).
pub const IFRA_BROADADDR: usize = 32;
/// `ifra_mask` (`sockaddr_in`).
pub const IFRA_MASK: usize = 48;
/// `ifra_vhid` (int, CARP; 0).
pub const IFRA_VHID: usize = 64;

/// `in6_aliasreq.ifra_name`.
pub const IFRA6_NAME: usize = 0;
/// `in6_aliasreq.ifra_addr` (`sockaddr_in6`).
pub const IFRA6_ADDR: usize = 16;
/// `in6_aliasreq.ifra_dstaddr` (zero unless point-to-point).
pub const IFRA6_DSTADDR: usize = 44;
/// `in6_aliasreq.ifra_prefixmask` (`sockaddr_in6`).
pub const IFRA6_PREFIXMASK: usize = 72;
/// `in6_aliasreq.ifra_flags` (int, `IN6_IFF_*`).
pub const IFRA6_FLAGS: usize = 100;
/// `in6_aliasreq.ifra_lifetime` (`in6_addrlifetime`).
pub const IFRA6_LIFETIME: usize = 104;
/// `in6_aliasreq.ifra_vhid` (int).
pub const IFRA6_VHID: usize = 128;
/// `ia6t_expire` (time_t), within the lifetime.
pub const IA6T_EXPIRE: usize = 0;
/// `ia6t_preferred` (time_t).
pub const IA6T_PREFERRED: usize = 8;
/// `ia6t_vltime` (u32).
pub const IA6T_VLTIME: usize = 16;
/// `ia6t_pltime` (u32).
pub const IA6T_PLTIME: usize = 20;
/// `ND6_INFINITE_LIFETIME`: a lifetime of 0 adds nothing, silently.
pub const ND6_INFINITE_LIFETIME: u32 = 0xffff_ffff;

/// `in6_ifreq.ifr_name`.
pub const IN6_IFR_NAME: usize = 0;
/// `in6_ifreq.ifr_addr` (`sockaddr_in6`).
pub const IN6_IFR_ADDR: usize = 16;

// ---------------------------------------------------------------------------
// errno (`sys/sys/errno.h`; §6 says where each comes from)

/// Operation not permitted.
pub const EPERM: i32 = 1;
/// No such file or directory.
pub const ENOENT: i32 = 2;
/// Device not configured.
pub const ENXIO: i32 = 6;
/// Bad address.
pub const EFAULT: i32 = 14;
/// Device busy.
pub const EBUSY: i32 = 16;
/// File exists.
pub const EEXIST: i32 = 17;
/// Invalid argument.
pub const EINVAL: i32 = 22;
/// Inappropriate ioctl for device.
pub const ENOTTY: i32 = 25;
/// No space left on device.
pub const ENOSPC: i32 = 28;
/// Destination address required.
pub const EDESTADDRREQ: i32 = 39;
/// Protocol not supported.
pub const EPROTONOSUPPORT: i32 = 43;
/// Operation not supported.
pub const EOPNOTSUPP: i32 = 45;
/// Address family not supported by protocol family.
pub const EAFNOSUPPORT: i32 = 47;
/// Address already in use.
pub const EADDRINUSE: i32 = 48;
/// Can't assign requested address.
pub const EADDRNOTAVAIL: i32 = 49;
/// File name too long.
pub const ENAMETOOLONG: i32 = 63;
/// No message of desired type.
pub const ENOMSG: i32 = 83;

#[cfg(test)]
mod tests {
    use super::*;

    /// Every request code, against §5 of the reference (its literal values).
    #[test]
    fn request_codes_match_the_reference() {
        let table: [(&str, u64, u64); 19] = [
            ("SIOCSIFFLAGS", SIOCSIFFLAGS, 0x8020_6910),
            ("SIOCGIFFLAGS", SIOCGIFFLAGS, 0xc020_6911),
            ("SIOCDIFADDR", SIOCDIFADDR, 0x8020_6919),
            ("SIOCDIFADDR_IN6", SIOCDIFADDR_IN6, 0x8120_6919),
            ("SIOCAIFADDR_IN6", SIOCAIFADDR_IN6, 0x8088_691b),
            ("SIOCGIFINDEX", SIOCGIFINDEX, 0xc020_6920),
            ("SIOCSIFNAME", SIOCSIFNAME, 0x8020_6928),
            ("SIOCSIFDESCR", SIOCSIFDESCR, 0x8020_6929),
            ("SIOCGIFDESCR", SIOCGIFDESCR, 0xc020_692a),
            ("SIOCAIFADDR", SIOCAIFADDR, 0x8044_692b),
            ("SIOCGIFMTU", SIOCGIFMTU, 0xc020_6933),
            ("SIOCSIFMTU", SIOCSIFMTU, 0x8020_6934),
            ("SIOCIFGCLONERS", SIOCIFGCLONERS, 0xc010_6978),
            ("SIOCIFDESTROY", SIOCIFDESTROY, 0x8020_6979),
            ("SIOCIFCREATE", SIOCIFCREATE, 0xc020_697a),
            ("SIOCSDRVSPEC", SIOCSDRVSPEC, 0x8028_697b),
            ("SIOCGDRVSPEC", SIOCGDRVSPEC, 0xc028_697b),
            ("SIOCIFCREATE2", SIOCIFCREATE2, 0xc020_697c),
            // _IOWR('i', 211, struct wg_data_io)
            ("SIOCGWG", SIOCGWG, 0xc020_69d3),
        ];
        for (name, ours, reference) in table {
            assert_eq!(
                ours, reference,
                "{name}: {ours:#x}, reference {reference:#x}"
            );
        }
    }

    /// The formula itself, on the traps the reference names.
    #[test]
    fn ioc_formula() {
        assert_eq!(IOC_INOUT, 0xc000_0000);
        assert_eq!(ioc(IOC_VOID, b'i', 0, 0), 0x2000_6900);
        // A 44-byte "in6_ifreq" gives a code the kernel does not know.
        assert_eq!(ioc(IOC_IN, b'i', 25, 44), 0x802c_6919);
        // Number 94 is not SIOCSDRVSPEC.
        assert_ne!(ioc(IOC_IN, b'i', 94, IFDRV), SIOCSDRVSPEC);
        // The length field is 13 bits wide.
        assert_eq!(ioc(IOC_IN, b'i', 1, 8192), ioc(IOC_IN, b'i', 1, 0));
    }

    /// Every struct size and field offset used, against the reference's
    /// struct tables.
    #[test]
    fn sizes_and_offsets_match_the_reference() {
        let table: &[(&str, usize, usize)] = &[
            // sizes (§0, §1.2, §1.3, §3.2, §4, §5)
            ("IFNAMSIZ", IFNAMSIZ, 16),
            ("IFREQ", IFREQ, 32),
            ("IFDRV", IFDRV, 40),
            ("IFVXLANPARAM", IFVXLANPARAM, 104),
            ("IFVXLANCMD", IFVXLANCMD, 76),
            ("IFVXLANCFG", IFVXLANCFG, 84),
            ("IFBREQ", IFBREQ, 80),
            ("IFBIFCONF", IFBIFCONF, 16),
            ("IN_ALIASREQ", IN_ALIASREQ, 68),
            ("IFALIASREQ", IFALIASREQ, 68),
            ("IN6_ALIASREQ", IN6_ALIASREQ, 136),
            ("IN6_IFREQ", IN6_IFREQ, 288),
            ("IF_CLONEREQ", IF_CLONEREQ, 16),
            ("SOCKADDR_IN", SOCKADDR_IN, 16),
            ("SOCKADDR_IN6", SOCKADDR_IN6, 28),
            ("VXLAN_SOCKADDR", VXLAN_SOCKADDR, 28),
            ("IN6_ADDRLIFETIME", IN6_ADDRLIFETIME, 24),
            ("WG_DATA_IO", WG_DATA_IO, 32),
            // sockaddr_in / sockaddr_in6 (§0.2)
            ("SIN_LEN", SIN_LEN, 0),
            ("SIN_FAMILY", SIN_FAMILY, 1),
            ("SIN_PORT", SIN_PORT, 2),
            ("SIN_ADDR", SIN_ADDR, 4),
            ("SIN6_LEN", SIN6_LEN, 0),
            ("SIN6_FAMILY", SIN6_FAMILY, 1),
            ("SIN6_PORT", SIN6_PORT, 2),
            ("SIN6_FLOWINFO", SIN6_FLOWINFO, 4),
            ("SIN6_ADDR", SIN6_ADDR, 8),
            ("SIN6_SCOPE_ID", SIN6_SCOPE_ID, 24),
            // ifreq (§0.3)
            ("IFR_NAME", IFR_NAME, 0),
            ("IFR_IFRU", IFR_IFRU, 16),
            ("IFR_FLAGS", IFR_FLAGS, 16),
            ("IFR_FLAGSHIGH", IFR_FLAGSHIGH, 18),
            ("IFR_INDEX", IFR_INDEX, 16),
            ("IFR_MTU", IFR_MTU, 16),
            ("IFR_ADDR", IFR_ADDR, 16),
            ("IFR_DATA", IFR_DATA, 16),
            ("IFR_BUFFER_LENGTH", IFR_BUFFER_LENGTH, 16),
            ("IFR_BUFFER_BUFFER", IFR_BUFFER_BUFFER, 24),
            // ifdrv (§0.4)
            ("IFD_NAME", IFD_NAME, 0),
            ("IFD_CMD", IFD_CMD, 16),
            ("IFD_LEN", IFD_LEN, 24),
            ("IFD_DATA", IFD_DATA, 32),
            // wg_data_io (if_wg.h: char[16], void *, size_t)
            ("WGD_NAME", WGD_NAME, 0),
            ("WGD_DATA", WGD_DATA, 16),
            ("WGD_SIZE", WGD_SIZE, 24),
            // ifvxlanparam (§1.2)
            ("VXLP_WITH", VXLP_WITH, 0),
            ("VXLP_VNI", VXLP_VNI, 8),
            ("VXLP_LOCAL_SA", VXLP_LOCAL_SA, 12),
            ("VXLP_REMOTE_SA", VXLP_REMOTE_SA, 40),
            ("VXLP_LOCAL_PORT", VXLP_LOCAL_PORT, 68),
            ("VXLP_REMOTE_PORT", VXLP_REMOTE_PORT, 70),
            ("VXLP_MIN_PORT", VXLP_MIN_PORT, 72),
            ("VXLP_MAX_PORT", VXLP_MAX_PORT, 74),
            ("VXLP_MC_IFNAME", VXLP_MC_IFNAME, 76),
            ("VXLP_FTABLE_TIMEOUT", VXLP_FTABLE_TIMEOUT, 92),
            ("VXLP_FTABLE_MAX", VXLP_FTABLE_MAX, 96),
            ("VXLP_TTL", VXLP_TTL, 100),
            ("VXLP_LEARN", VXLP_LEARN, 101),
            // ifvxlancmd (§1.3)
            ("VXLCMD_FLAGS", VXLCMD_FLAGS, 0),
            ("VXLCMD_VNI", VXLCMD_VNI, 4),
            ("VXLCMD_FTABLE_TIMEOUT", VXLCMD_FTABLE_TIMEOUT, 8),
            ("VXLCMD_FTABLE_MAX", VXLCMD_FTABLE_MAX, 12),
            ("VXLCMD_PORT", VXLCMD_PORT, 16),
            ("VXLCMD_PORT_MIN", VXLCMD_PORT_MIN, 18),
            ("VXLCMD_PORT_MAX", VXLCMD_PORT_MAX, 20),
            ("VXLCMD_MAC", VXLCMD_MAC, 22),
            ("VXLCMD_TTL", VXLCMD_TTL, 28),
            ("VXLCMD_SA", VXLCMD_SA, 32),
            ("VXLCMD_IFNAME", VXLCMD_IFNAME, 60),
            // ifvxlancfg (§1.3)
            ("VXLC_VNI", VXLC_VNI, 0),
            ("VXLC_LOCAL_SA", VXLC_LOCAL_SA, 4),
            ("VXLC_REMOTE_SA", VXLC_REMOTE_SA, 32),
            ("VXLC_MC_IFINDEX", VXLC_MC_IFINDEX, 60),
            ("VXLC_FTABLE_CNT", VXLC_FTABLE_CNT, 64),
            ("VXLC_FTABLE_MAX", VXLC_FTABLE_MAX, 68),
            ("VXLC_FTABLE_TIMEOUT", VXLC_FTABLE_TIMEOUT, 72),
            ("VXLC_PORT_MIN", VXLC_PORT_MIN, 76),
            ("VXLC_PORT_MAX", VXLC_PORT_MAX, 78),
            ("VXLC_LEARN", VXLC_LEARN, 80),
            ("VXLC_TTL", VXLC_TTL, 81),
            // ifbreq, ifbifconf (§3.2)
            ("IFBR_IFSNAME", IFBR_IFSNAME, 0),
            ("IFBR_IFSFLAGS", IFBR_IFSFLAGS, 16),
            ("IFBR_STPFLAGS", IFBR_STPFLAGS, 20),
            ("IFBR_PATH_COST", IFBR_PATH_COST, 24),
            ("IFBR_PORTNO", IFBR_PORTNO, 28),
            ("IFBR_PRIORITY", IFBR_PRIORITY, 29),
            ("IFBR_PROTO", IFBR_PROTO, 30),
            ("IFBR_ROLE", IFBR_ROLE, 31),
            ("IFBR_STATE", IFBR_STATE, 32),
            ("IFBR_ADDRCNT", IFBR_ADDRCNT, 36),
            ("IFBR_ADDRMAX", IFBR_ADDRMAX, 40),
            ("IFBR_ADDREXCEEDED", IFBR_ADDREXCEEDED, 44),
            ("IFBR_PAD", IFBR_PAD, 48),
            ("IFBIC_LEN", IFBIC_LEN, 0),
            ("IFBIC_BUF", IFBIC_BUF, 8),
            // in_aliasreq (§4.1)
            ("IFRA_NAME", IFRA_NAME, 0),
            ("IFRA_ADDR", IFRA_ADDR, 16),
            ("IFRA_BROADADDR", IFRA_BROADADDR, 32),
            ("IFRA_MASK", IFRA_MASK, 48),
            ("IFRA_VHID", IFRA_VHID, 64),
            // in6_aliasreq (§4.3)
            ("IFRA6_NAME", IFRA6_NAME, 0),
            ("IFRA6_ADDR", IFRA6_ADDR, 16),
            ("IFRA6_DSTADDR", IFRA6_DSTADDR, 44),
            ("IFRA6_PREFIXMASK", IFRA6_PREFIXMASK, 72),
            ("IFRA6_FLAGS", IFRA6_FLAGS, 100),
            ("IFRA6_LIFETIME", IFRA6_LIFETIME, 104),
            ("IFRA6_VHID", IFRA6_VHID, 128),
            ("IA6T_EXPIRE", IA6T_EXPIRE, 0),
            ("IA6T_PREFERRED", IA6T_PREFERRED, 8),
            ("IA6T_VLTIME", IA6T_VLTIME, 16),
            ("IA6T_PLTIME", IA6T_PLTIME, 20),
            // in6_ifreq (§4.4)
            ("IN6_IFR_NAME", IN6_IFR_NAME, 0),
            ("IN6_IFR_ADDR", IN6_IFR_ADDR, 16),
        ];
        for &(name, ours, reference) in table {
            assert_eq!(ours, reference, "{name}");
        }
    }

    /// Fields fit their structs and do not overlap their neighbours.
    #[test]
    fn layouts_are_consistent() {
        // Each (offset, size) list is in field order; each field ends
        // where the next begins or before it (padding), and the last
        // inside the struct.
        /// A struct's name, size, and its fields' (offset, size).
        type Layout<'a> = (&'a str, usize, &'a [(usize, usize)]);
        let layouts: &[Layout<'_>] = &[
            (
                "ifvxlanparam",
                IFVXLANPARAM,
                &[
                    (VXLP_WITH, 8),
                    (VXLP_VNI, 4),
                    (VXLP_LOCAL_SA, VXLAN_SOCKADDR),
                    (VXLP_REMOTE_SA, VXLAN_SOCKADDR),
                    (VXLP_LOCAL_PORT, 2),
                    (VXLP_REMOTE_PORT, 2),
                    (VXLP_MIN_PORT, 2),
                    (VXLP_MAX_PORT, 2),
                    (VXLP_MC_IFNAME, IFNAMSIZ),
                    (VXLP_FTABLE_TIMEOUT, 4),
                    (VXLP_FTABLE_MAX, 4),
                    (VXLP_TTL, 1),
                    (VXLP_LEARN, 1),
                ],
            ),
            (
                "ifvxlancmd",
                IFVXLANCMD,
                &[
                    (VXLCMD_FLAGS, 4),
                    (VXLCMD_VNI, 4),
                    (VXLCMD_FTABLE_TIMEOUT, 4),
                    (VXLCMD_FTABLE_MAX, 4),
                    (VXLCMD_PORT, 2),
                    (VXLCMD_PORT_MIN, 2),
                    (VXLCMD_PORT_MAX, 2),
                    (VXLCMD_MAC, 6),
                    (VXLCMD_TTL, 1),
                    (VXLCMD_SA, VXLAN_SOCKADDR),
                    (VXLCMD_IFNAME, IFNAMSIZ),
                ],
            ),
            (
                "ifvxlancfg",
                IFVXLANCFG,
                &[
                    (VXLC_VNI, 4),
                    (VXLC_LOCAL_SA, VXLAN_SOCKADDR),
                    (VXLC_REMOTE_SA, VXLAN_SOCKADDR),
                    (VXLC_MC_IFINDEX, 4),
                    (VXLC_FTABLE_CNT, 4),
                    (VXLC_FTABLE_MAX, 4),
                    (VXLC_FTABLE_TIMEOUT, 4),
                    (VXLC_PORT_MIN, 2),
                    (VXLC_PORT_MAX, 2),
                    (VXLC_LEARN, 1),
                    (VXLC_TTL, 1),
                ],
            ),
            (
                "ifbreq",
                IFBREQ,
                &[
                    (IFBR_IFSNAME, IFNAMSIZ),
                    (IFBR_IFSFLAGS, 4),
                    (IFBR_STPFLAGS, 4),
                    (IFBR_PATH_COST, 4),
                    (IFBR_PORTNO, 1),
                    (IFBR_PRIORITY, 1),
                    (IFBR_PROTO, 1),
                    (IFBR_ROLE, 1),
                    (IFBR_STATE, 1),
                    (IFBR_ADDRCNT, 4),
                    (IFBR_ADDRMAX, 4),
                    (IFBR_ADDREXCEEDED, 4),
                    (IFBR_PAD, 32),
                ],
            ),
            (
                "ifdrv",
                IFDRV,
                &[
                    (IFD_NAME, IFNAMSIZ),
                    (IFD_CMD, 8),
                    (IFD_LEN, 8),
                    (IFD_DATA, POINTER),
                ],
            ),
            (
                "wg_data_io",
                WG_DATA_IO,
                &[(WGD_NAME, IFNAMSIZ), (WGD_DATA, POINTER), (WGD_SIZE, 8)],
            ),
            (
                "ifreq (buffer)",
                IFREQ,
                &[
                    (IFR_NAME, IFNAMSIZ),
                    (IFR_BUFFER_LENGTH, 8),
                    (IFR_BUFFER_BUFFER, POINTER),
                ],
            ),
            (
                "in_aliasreq",
                IN_ALIASREQ,
                &[
                    (IFRA_NAME, IFNAMSIZ),
                    (IFRA_ADDR, SOCKADDR_IN),
                    (IFRA_BROADADDR, SOCKADDR_IN),
                    (IFRA_MASK, SOCKADDR_IN),
                    (IFRA_VHID, 4),
                ],
            ),
            (
                "in6_aliasreq",
                IN6_ALIASREQ,
                &[
                    (IFRA6_NAME, IFNAMSIZ),
                    (IFRA6_ADDR, SOCKADDR_IN6),
                    (IFRA6_DSTADDR, SOCKADDR_IN6),
                    (IFRA6_PREFIXMASK, SOCKADDR_IN6),
                    (IFRA6_FLAGS, 4),
                    (IFRA6_LIFETIME, IN6_ADDRLIFETIME),
                    (IFRA6_VHID, 4),
                ],
            ),
            (
                "in6_ifreq",
                IN6_IFREQ,
                &[(IN6_IFR_NAME, IFNAMSIZ), (IN6_IFR_ADDR, SOCKADDR_IN6)],
            ),
            (
                "ifbifconf",
                IFBIFCONF,
                &[(IFBIC_LEN, 4), (IFBIC_BUF, POINTER)],
            ),
        ];
        for (name, size, fields) in layouts {
            let mut end = 0;
            for &(at, len) in *fields {
                assert!(at >= end, "{name}: field at {at} overlaps the one before");
                end = at + len;
            }
            assert!(end <= *size, "{name}: fields end at {end}, past {size}");
        }
        // Struct sizes are multiples of their alignment (8 for those with
        // a u64, size_t or pointer; 4 for the vxlan cmd/cfg and ifbreq).
        for (size, align) in [
            (IFREQ, 8),
            (IFDRV, 8),
            (IFVXLANPARAM, 8),
            (IN6_ALIASREQ, 8),
            (IN6_IFREQ, 8),
            (IFBIFCONF, 8),
            (IFVXLANCMD, 4),
            (IFVXLANCFG, 4),
            (IFBREQ, 4),
            (IN_ALIASREQ, 4),
        ] {
            assert_eq!(size % align, 0, "size {size} is not a multiple of {align}");
        }
    }

    #[test]
    fn constants_match_the_reference() {
        assert_eq!(AF_INET, 2);
        assert_eq!(AF_INET6, 28);
        assert_eq!(AF_LOCAL, 1);
        assert_eq!(AF_LINK, 18);
        assert_eq!(
            (IFF_UP, IFF_BROADCAST, IFF_RUNNING, IFF_PROMISC),
            (0x1, 0x2, 0x40, 0x100)
        );
        assert_eq!((IFF_SIMPLEX, IFF_MULTICAST), (0x800, 0x8000));
        assert_eq!(
            (IFF_PPROMISC, IFF_DYING, IFF_RENAMING),
            (0x20000, 0x200000, 0x400000)
        );
        let with = [
            VXLAN_PARAM_WITH_VNI,
            VXLAN_PARAM_WITH_LOCAL_ADDR4,
            VXLAN_PARAM_WITH_LOCAL_ADDR6,
            VXLAN_PARAM_WITH_REMOTE_ADDR4,
            VXLAN_PARAM_WITH_REMOTE_ADDR6,
            VXLAN_PARAM_WITH_LOCAL_PORT,
            VXLAN_PARAM_WITH_REMOTE_PORT,
            VXLAN_PARAM_WITH_PORT_RANGE,
            VXLAN_PARAM_WITH_FTABLE_TIMEOUT,
            VXLAN_PARAM_WITH_FTABLE_MAX,
            VXLAN_PARAM_WITH_MULTICAST_IF,
            VXLAN_PARAM_WITH_TTL,
            VXLAN_PARAM_WITH_LEARN,
        ];
        for (bit, flag) in with.iter().enumerate() {
            assert_eq!(*flag, 1 << bit);
        }
        let cmds = [
            (VXLAN_CMD_GET_CONFIG, 0),
            (VXLAN_CMD_SET_VNI, 1),
            (VXLAN_CMD_SET_LOCAL_ADDR, 2),
            (VXLAN_CMD_SET_REMOTE_ADDR, 4),
            (VXLAN_CMD_SET_LOCAL_PORT, 5),
            (VXLAN_CMD_SET_REMOTE_PORT, 6),
            (VXLAN_CMD_SET_PORT_RANGE, 7),
            (VXLAN_CMD_SET_FTABLE_TIMEOUT, 8),
            (VXLAN_CMD_SET_FTABLE_MAX, 9),
            (VXLAN_CMD_SET_MULTICAST_IF, 10),
            (VXLAN_CMD_SET_TTL, 11),
            (VXLAN_CMD_SET_LEARN, 12),
            (VXLAN_CMD_FTABLE_ENTRY_ADD, 13),
            (VXLAN_CMD_FTABLE_ENTRY_REM, 14),
            (VXLAN_CMD_FLUSH, 15),
        ];
        for (ours, reference) in cmds {
            assert_eq!(ours, reference);
        }
        assert_eq!((VXLAN_CMD_FLAG_FLUSH_ALL, VXLAN_CMD_FLAG_LEARN), (1, 2));
        assert_eq!(VXLAN_VNI_MAX, 16_777_216);
        let brdg = [
            (BRDGADD, 0),
            (BRDGDEL, 1),
            (BRDGGIFFLGS, 2),
            (BRDGSIFFLGS, 3),
            (BRDGSCACHE, 4),
            (BRDGGCACHE, 5),
            (BRDGGIFS, 6),
            (BRDGRTS, 7),
            (BRDGSADDR, 8),
            (BRDGSTO, 9),
            (BRDGGTO, 10),
            (BRDGDADDR, 11),
            (BRDGFLUSH, 12),
            (BRDGSIFPRIO, 21),
            (BRDGSIFCOST, 22),
            (BRDGADDS, 23),
            (BRDGDELS, 24),
            (BRDGSIFAMAX, 30),
        ];
        for (ours, reference) in brdg {
            assert_eq!(ours, reference);
        }
        let ifbif = [
            IFBIF_LEARNING,
            IFBIF_DISCOVER,
            IFBIF_STP,
            IFBIF_SPAN,
            IFBIF_STICKY,
            IFBIF_BSTP_EDGE,
            IFBIF_BSTP_AUTOEDGE,
            IFBIF_BSTP_PTP,
            IFBIF_BSTP_AUTOPTP,
            IFBIF_BSTP_ADMEDGE,
            IFBIF_BSTP_ADMCOST,
            IFBIF_PRIVATE,
        ];
        for (bit, flag) in ifbif.iter().enumerate() {
            assert_eq!(*flag, 1 << bit);
        }
        assert_eq!(IFBIF_PRIVATE, 0x800);
        assert_eq!(IFBIF_DEFAULT, 0x143);
        assert_eq!(ND6_INFINITE_LIFETIME, 0xffff_ffff);
        assert_eq!((IF_MINMTU, IF_MAXMTU), (72, 65535));
    }

    /// FreeBSD's numbers (`sys/sys/errno.h`), not the host's.
    #[test]
    fn errno_numbers_are_freebsd_s() {
        let table = [
            (EPERM, 1),
            (ENOENT, 2),
            (ENXIO, 6),
            (EFAULT, 14),
            (EBUSY, 16),
            (EEXIST, 17),
            (EINVAL, 22),
            (ENOTTY, 25),
            (ENOSPC, 28),
            (EDESTADDRREQ, 39),
            (EPROTONOSUPPORT, 43),
            (EOPNOTSUPP, 45),
            (EAFNOSUPPORT, 47),
            (EADDRINUSE, 48),
            (EADDRNOTAVAIL, 49),
            (ENAMETOOLONG, 63),
            (ENOMSG, 83),
        ];
        for (ours, freebsd) in table {
            assert_eq!(ours, freebsd);
        }
    }
}
