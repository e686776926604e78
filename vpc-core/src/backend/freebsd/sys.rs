//! The FreeBSD executor: [`Request`]s carried out with ioctl(2) on an
//! AF_INET (and, for IPv6 addresses, an AF_INET6) datagram socket, and the
//! kernel's interfaces read with getifaddrs(3) plus a few ioctls each;
//! the [`Program`]s a change needs besides (pfctl, wg(8), kldload) run
//! with their input on a pipe, and pf's anchors and vpc's WireGuard
//! configurations read back with the same programs.
//! `nix` opens the sockets and walks getifaddrs(3); the only `unsafe` of
//! the FreeBSD backend, ioctl(2) and sysctlbyname(3), which nix does not
//! wrap, lives here.

use std::collections::BTreeMap;
use std::ffi::CStr;
use std::io::Write;
use std::net::IpAddr;
use std::num::NonZeroU16;
use std::os::fd::{AsRawFd, OwnedFd};
use std::process::{Command, Stdio};
use std::time::Duration;

use nix::errno::Errno;
use nix::ifaddrs::getifaddrs;
use nix::net::if_::{InterfaceFlags, if_nametoindex};
use nix::sys::socket::{AddressFamily, SockFlag, SockType, SockaddrStorage, socket};

use super::abi;
use super::codec::{self, IfName, Merge, ReadBack, Request, Socket, Target};
use super::program::{Input, Program, candidates, lines_text, wipe};
use super::{pf, wg};
use crate::backend::{Backend, Probe};
use crate::error::{Error, ErrorKind, Result};
use crate::model::addr::{IfAddr, Mac};
use crate::model::platform::Platform;
use crate::model::spec::WG_INTERFACE_PREFIX;
use crate::plan::{Change, FirewallTable, Iface, IfaceKind, Observed, PacketFilter, WgDevice};

/// The buffers of one call after the kernel has seen them.
struct Answer {
    outer: Vec<u8>,
    inner: Option<Vec<u8>>,
    inner2: Option<Vec<u8>>,
}

/// The kernel of the host (or VNET jail) this process runs in.
#[derive(Debug)]
pub struct FreeBsdKernel {
    inet: OwnedFd,
    inet6: Option<OwnedFd>,
    member_addrs: bool,
}

/// A datagram socket of `family`, closed on exec.
fn dgram(family: AddressFamily) -> nix::Result<OwnedFd> {
    socket(family, SockType::Datagram, SockFlag::SOCK_CLOEXEC, None)
}

/// An integer sysctl, if the kernel has it.
fn sysctl_int(name: &CStr) -> Option<i32> {
    let mut value: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>();
    // SAFETY: `value` and `len` are valid for writes of an int and a size_t;
    // no new value is passed.
    let rc = unsafe {
        libc::sysctlbyname(
            name.as_ptr(),
            (&raw mut value).cast(),
            &raw mut len,
            std::ptr::null(),
            0,
        )
    };
    (rc == 0 && len == std::mem::size_of::<libc::c_int>()).then_some(value)
}

fn put_ptr(buf: &mut [u8], at: usize, ptr: u64) -> Result<()> {
    let slot = buf.get_mut(at..at + 8).ok_or_else(|| {
        Error::new(
            ErrorKind::Backend,
            format!("pointer slot at {at} lies outside the request"),
        )
    })?;
    slot.copy_from_slice(&ptr.to_le_bytes());
    Ok(())
}

impl FreeBsdKernel {
    /// Opens the sockets and reads whether bridge members may carry
    /// addresses.
    pub fn open() -> Result<FreeBsdKernel> {
        let inet = dgram(AddressFamily::Inet).map_err(|e| {
            Error::new(
                ErrorKind::Backend,
                format!("cannot open an AF_INET socket: {e}"),
            )
        })?;
        // A kernel without INET6 has none; only IPv6 addresses need it.
        let inet6 = dgram(AddressFamily::Inet6).ok();
        let member_addrs = sysctl_int(c"net.link.bridge.member_ifaddrs").is_none_or(|v| v != 0);
        Ok(FreeBsdKernel {
            inet,
            inet6,
            member_addrs,
        })
    }

    /// One ioctl, as built: errno on failure.
    fn call(&self, req: &Request) -> std::result::Result<Answer, i32> {
        let fd = match req.socket {
            Socket::Inet => self.inet.as_raw_fd(),
            Socket::Inet6 => self.inet6.as_ref().ok_or(abi::EAFNOSUPPORT)?.as_raw_fd(),
        };
        let mut outer = req.outer.clone();
        let mut inner = req.inner.as_ref().map(|i| i.bytes.clone());
        let nested = req.inner.as_ref().and_then(|i| i.inner.as_deref());
        let mut inner2 = nested.map(|i| i.bytes.clone());
        // Buffers are not moved or resized from here to the call: the
        // addresses written stay valid.
        if let (Some(spec), Some(buf2), Some(buf)) = (nested, inner2.as_mut(), inner.as_mut()) {
            put_ptr(buf, spec.ptr_at, buf2.as_mut_ptr() as u64).map_err(|_| abi::EFAULT)?;
        }
        if let (Some(spec), Some(buf)) = (req.inner.as_ref(), inner.as_mut()) {
            put_ptr(&mut outer, spec.ptr_at, buf.as_mut_ptr() as u64).map_err(|_| abi::EFAULT)?;
        }
        // The request code encodes the outer buffer's size, which the codec
        // built to match (tested): the kernel reads and writes within it,
        // and through the pointers above within the inner buffers, whose
        // lengths the codec wrote into the length fields.
        // SAFETY: `outer` is a live, writable buffer of the size the code
        // names; every pointer in it refers to a live buffer of the length
        // the request states.
        let rc = unsafe { libc::ioctl(fd, req.code as libc::c_ulong, outer.as_mut_ptr()) };
        Errno::result(rc).map_err(|e| e as i32)?;
        Ok(Answer {
            outer,
            inner,
            inner2,
        })
    }

    fn call_checked(&self, req: &Request) -> Result<Answer> {
        self.call(req)
            .map_err(|errno| codec::ioctl_error(&req.what, errno))
    }

    /// Carries out one request with what surrounds it: the created name,
    /// a read-modify-write, a read-back.
    fn execute(&self, req: &Request, created: &mut Option<IfName>) -> Result<()> {
        let named;
        let req = match req.target {
            Target::Named => req,
            Target::Created => {
                let name = created.as_ref().ok_or_else(|| {
                    Error::new(
                        ErrorKind::Backend,
                        format!("{}: no interface was created before it", req.what),
                    )
                })?;
                named = req.with_created_name(name)?;
                &named
            }
        };
        let merged;
        let req = match &req.merge {
            Merge::None => req,
            Merge::OrFlags { read, .. } => {
                let answer = self.call_checked(read)?;
                let flags = match read.read_back {
                    ReadBack::MemberFlags => {
                        codec::decode_member_flags(answer.inner.as_deref().unwrap_or(&[]))?
                    }
                    _ => codec::decode_flags(&answer.outer)?,
                };
                merged = req.merged(flags)?;
                &merged
            }
        };
        let answer = self.call_checked(req)?;
        match &req.read_back {
            ReadBack::CreatedName => *created = Some(codec::decode_name(&answer.outer)?),
            ReadBack::RequireRunning { read } => {
                let flags = codec::decode_flags(&self.call_checked(read)?.outer)?;
                let name = codec::decode_name(&answer.outer)?;
                // A vxlan that cannot start stays UP without RUNNING and the
                // ioctl still succeeds. A guest's tap is not RUNNING until
                // its VM opens it, which is no fault.
                if let Err(e) = codec::check_running(&name, flags)
                    && self.vxlan(&name)?.is_some()
                {
                    return Err(e);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The description of `name`, if it has one.
    fn description(&self, name: &IfName) -> Result<Option<String>> {
        let req = codec::get_description(name);
        match self.call(&req) {
            Ok(a) => Ok(Some(codec::decode_description(
                &a.outer,
                a.inner.as_deref().unwrap_or(&[]),
            )?)),
            Err(abi::ENOMSG) => Ok(None),
            Err(errno) => Err(codec::ioctl_error(&req.what, errno)),
        }
    }

    /// The MTU of `name` (getifaddrs(3) has it in `ifa_data`, which `nix`
    /// does not hand out).
    fn mtu(&self, name: &IfName) -> Result<u32> {
        codec::decode_mtu(&self.call_checked(&codec::get_mtu(name))?.outer)
    }

    /// The members of bridge `name`, or `None` when it is no bridge.
    fn members(&self, name: &IfName) -> Result<Option<Vec<codec::Member>>> {
        let mut records: u16 = 64;
        loop {
            let count = NonZeroU16::new(records).unwrap_or(NonZeroU16::MIN);
            let req = codec::list_members(name, count);
            let answer = match self.call(&req) {
                Ok(a) => a,
                // Not a bridge: the driver does not know the request.
                Err(abi::EINVAL | abi::ENOTTY | abi::EOPNOTSUPP | abi::ENXIO) => return Ok(None),
                Err(errno) => return Err(codec::ioctl_error(&req.what, errno)),
            };
            let conf = answer.inner.unwrap_or_default();
            if codec::members_need_more(&conf, count)? && records < u16::MAX / 2 {
                records *= 2;
                continue;
            }
            return Ok(Some(codec::decode_members(
                &conf,
                answer.inner2.as_deref().unwrap_or(&[]),
            )?));
        }
    }

    /// Whether `name` is a WireGuard interface: only wg(4) answers
    /// `SIOCGWG`.
    fn is_wireguard(&self, name: &IfName) -> Result<bool> {
        let req = codec::wg_probe(name);
        match self.call(&req) {
            Ok(a) => codec::decode_wg_size(&a.outer).map(|_| true),
            Err(abi::EINVAL | abi::ENOTTY | abi::EOPNOTSUPP | abi::ENXIO) => Ok(false),
            Err(errno) => Err(codec::ioctl_error(&req.what, errno)),
        }
    }

    /// The vxlan settings of `name`, or `None` when it is no vxlan.
    fn vxlan(&self, name: &IfName) -> Result<Option<codec::VxlanConfig>> {
        let req = codec::vxlan_get_config(name);
        match self.call(&req) {
            Ok(a) => Ok(Some(codec::decode_vxlan_config(
                a.inner.as_deref().unwrap_or(&[]),
            )?)),
            Err(abi::EINVAL | abi::ENOTTY | abi::EOPNOTSUPP | abi::ENXIO) => Ok(None),
            Err(errno) => Err(codec::ioctl_error(&req.what, errno)),
        }
    }
}

/// What a program said and how it ended.
struct Ran {
    ok: bool,
    status: String,
    stdout: String,
    stderr: String,
}

/// Runs `p` once: the first of its [`candidates`] that exists, in the C
/// locale, its input on a pipe. `Ok` whatever its exit status; an error
/// only when no candidate could be started.
fn run(p: &Program) -> Result<Ran> {
    let mut last = None;
    for path in candidates(p.name) {
        if path.starts_with('/') && !std::path::Path::new(&path).exists() {
            continue;
        }
        let mut cmd = Command::new(&path);
        cmd.args(&p.args)
            .env("LC_ALL", "C")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(match p.input {
                Input::Nothing => Stdio::null(),
                _ => Stdio::piped(),
            });
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                last = Some(e);
                continue;
            }
        };
        if let Some(mut stdin) = child.stdin.take() {
            let mut text = match &p.input {
                Input::Nothing => String::new(),
                Input::Lines(lines) => lines_text(lines),
                Input::Secret(s) => s.text(),
            };
            // A program that exits early closes its end: what it says
            // tells why, so a failed write is not the error to report.
            let _ = stdin.write_all(text.as_bytes());
            wipe(&mut text);
        }
        let out = child.wait_with_output().map_err(|e| {
            Error::new(
                ErrorKind::Backend,
                format!("{}: waiting for {path} failed: {e}", p.what),
            )
        })?;
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let stderr = match &p.input {
            Input::Secret(s) => s.scrub(&stderr),
            _ => stderr,
        };
        return Ok(Ran {
            ok: out.status.success(),
            status: out.status.to_string(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr,
        });
    }
    let why = last.map_or_else(|| "not found".to_owned(), |e| e.to_string());
    Err(Error::new(
        ErrorKind::Unsupported,
        format!(
            "{}: {} cannot be run ({why}); expected it at {}{}",
            p.what,
            p.name,
            candidates(p.name)
                .iter()
                .filter(|c| c.starts_with('/'))
                .cloned()
                .collect::<Vec<_>>()
                .join(" or "),
            if p.name == "wg" {
                " (pkg install wireguard-tools)"
            } else {
                ""
            }
        ),
    ))
}

/// The error of a run that failed: the command line (never a secret) and
/// the end of what it said.
fn failed(p: &Program, ran: &Ran) -> Error {
    let said = ran.stderr.trim();
    let said: String = said
        .chars()
        .skip(said.chars().count().saturating_sub(2000))
        .collect();
    Error::new(
        ErrorKind::Backend,
        format!(
            "{}: `{}` failed ({}): {}",
            p.what,
            p.command_line(),
            ran.status,
            if said.is_empty() {
                "it said nothing"
            } else {
                &said
            }
        ),
    )
}

/// Runs `p` and answers its output, or fails when it fails.
fn run_ok(p: &Program) -> Result<String> {
    let ran = run(p)?;
    if ran.ok {
        Ok(ran.stdout)
    } else {
        Err(failed(p, &ran))
    }
}

/// pf as vpc's rule sets see it, and vpc's anchors in it. `None` and no
/// anchors when pf cannot be read (no privilege: a dry run by a user then
/// shows the rule set being made).
fn observe_pf() -> Result<(Option<PacketFilter>, Vec<FirewallTable>)> {
    let not_loaded = PacketFilter {
        loaded: false,
        enabled: false,
        evaluates_anchors: false,
    };
    let info = pf::show_info();
    let ran = match run(&info) {
        Ok(r) => r,
        // No pfctl at all: no pf either.
        Err(e) if e.kind() == ErrorKind::Unsupported => return Ok((Some(not_loaded), Vec::new())),
        Err(e) => return Err(e),
    };
    if !ran.ok {
        // pfctl opens /dev/pf first (err(1, "/dev/pf")): missing without
        // the module, refused without privilege.
        if ran.stderr.contains("No such file or directory") {
            return Ok((Some(not_loaded), Vec::new()));
        }
        if ran.stderr.contains("Permission denied") || ran.stderr.contains("not permitted") {
            return Ok((None, Vec::new()));
        }
        return Err(failed(&info, &ran));
    }
    let enabled = pf::parse_status(&ran.stdout)
        .ok_or_else(|| pf::unreadable(&info.what, ran.stdout.lines().next().unwrap_or("")))?;
    let evaluates_anchors = pf::evaluates_anchors(&run_ok(&pf::show_main_rules())?);
    let list = pf::show_anchors();
    let ran = run(&list)?;
    let names = if ran.ok {
        pf::parse_anchors(&ran.stdout)
    } else if ran.stderr.contains("not found") || ran.stderr.contains("does not exist") {
        Vec::new()
    } else {
        return Err(failed(&list, &ran));
    };
    let mut firewalls = Vec::new();
    for name in names {
        let (Some(table), Ok(anchor)) = (
            pf::table_of(&name),
            pf::anchor_of(&format!("{}{name}", crate::plan::FIREWALL_PREFIX)),
        ) else {
            continue;
        };
        let rules = run(&pf::show_rules(&anchor))?;
        if !rules.ok {
            // Gone since the listing.
            continue;
        }
        // No table: the rule set is not vpc's as written.
        let addrs = run(&pf::show_table(&anchor))?;
        let addrs = if addrs.ok {
            addrs.stdout
        } else {
            String::new()
        };
        if pf::is_empty(&rules.stdout, &addrs) {
            continue;
        }
        firewalls.push(FirewallTable {
            rules: pf::read_back(&name, &rules.stdout, &addrs),
            table,
        });
    }
    Ok((
        Some(PacketFilter {
            loaded: true,
            enabled,
            evaluates_anchors,
        }),
        firewalls,
    ))
}

/// The configuration of vpc's WireGuard interface `name`, when wg(8) can
/// read it; without wg(8) nothing is known of it, and the change that
/// configures it says what is missing.
fn observe_wireguard(name: &str) -> Result<Option<WgDevice>> {
    let show = wg::show_dump(name);
    match run(&show) {
        Ok(ran) if ran.ok => wg::parse_dump(name, &ran.stdout).map(Some),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == ErrorKind::Unsupported => Ok(None),
        Err(e) => Err(e),
    }
}

/// A netmask's prefix length.
fn prefix_of(mask: IpAddr) -> u8 {
    match mask {
        IpAddr::V4(m) => u32::from(m).count_ones() as u8,
        IpAddr::V6(m) => u128::from(m).count_ones() as u8,
    }
}

/// An address from a sockaddr, if it is IPv4 or IPv6.
fn ip_of(sa: &SockaddrStorage) -> Option<IpAddr> {
    if let Some(sin) = sa.as_sockaddr_in() {
        return Some(IpAddr::V4(sin.ip()));
    }
    sa.as_sockaddr_in6().map(|sin6| IpAddr::V6(sin6.ip()))
}

/// What getifaddrs(3) tells of one interface.
#[derive(Default)]
struct Listed {
    up: bool,
    running: bool,
    mac: Option<Mac>,
    addrs: Vec<IfAddr>,
}

fn list_interfaces() -> Result<BTreeMap<String, Listed>> {
    let list = getifaddrs()
        .map_err(|e| Error::new(ErrorKind::Backend, format!("getifaddrs failed: {e}")))?;
    let mut out: BTreeMap<String, Listed> = BTreeMap::new();
    for ifa in list {
        let entry = out.entry(ifa.interface_name).or_default();
        entry.up = ifa.flags.contains(InterfaceFlags::IFF_UP);
        entry.running = ifa.flags.contains(InterfaceFlags::IFF_RUNNING);
        let Some(addr) = ifa.address else {
            continue;
        };
        if let Some(dl) = addr.as_link_addr() {
            if dl.alen() == 6 {
                entry.mac = dl.addr().map(Mac);
            }
        } else if let Some(addr) = ip_of(&addr) {
            let prefix = ifa
                .netmask
                .as_ref()
                .and_then(ip_of)
                .map_or(if addr.is_ipv4() { 32 } else { 128 }, prefix_of);
            entry.addrs.push(IfAddr { addr, prefix });
        }
    }
    Ok(out)
}

impl Backend for FreeBsdKernel {
    fn platform(&self) -> Platform {
        Platform::FreeBsd
    }

    fn member_addresses(&self) -> bool {
        self.member_addrs
    }

    /// ICMP echoes through the stack: FreeBSD up to 14 hands a bridge
    /// member's frames to the member itself, so its own ARP resolves.
    fn probe(&mut self, targets: &[Probe], timeout: Duration) -> Result<Vec<Option<Duration>>> {
        let to: Vec<IpAddr> = targets.iter().map(|p| p.to).collect();
        crate::backend::probe::ping_all(&to, timeout)
    }

    fn observe(&mut self) -> Result<Observed> {
        let listed = list_interfaces()?;
        let mut ifaces: Vec<Iface> = Vec::with_capacity(listed.len());
        let mut memberships: Vec<(String, String, bool)> = Vec::new();
        let mut wireguard: Vec<WgDevice> = Vec::new();
        for (name, l) in listed {
            let Ok(ifname) = IfName::new(&name) else {
                continue;
            };
            // 0 when the interface is gone since the listing, as if_nametoindex(3) answers.
            let index = if_nametoindex(name.as_str()).unwrap_or(0);
            let kind = if let Some(cfg) = self.vxlan(&ifname)? {
                IfaceKind::Vxlan(cfg.conf())
            } else if let Some(members) = self.members(&ifname)? {
                for m in members {
                    memberships.push((m.name.as_str().to_owned(), name.clone(), m.private()));
                }
                IfaceKind::Bridge
            } else if self.is_wireguard(&ifname)? {
                if name.starts_with(WG_INTERFACE_PREFIX)
                    && let Some(device) = observe_wireguard(&name)?
                {
                    wireguard.push(device);
                }
                IfaceKind::Wireguard
            } else {
                IfaceKind::Other("device".to_owned())
            };
            ifaces.push(Iface {
                index,
                description: self.description(&ifname)?,
                name,
                kind,
                mtu: self.mtu(&ifname)?,
                up: l.up,
                running: l.running,
                mac: l.mac,
                master: None,
                private: false,
                addrs: l.addrs,
                neighbours: Vec::new(),
            });
        }
        for (member, bridge, private) in memberships {
            if let Some(i) = ifaces.iter_mut().find(|i| i.name == member) {
                i.master = Some(bridge);
                i.private = private;
            }
        }
        let (packet_filter, firewalls) = observe_pf()?;
        Ok(Observed {
            ifaces,
            firewalls,
            wireguard,
            packet_filter,
        })
    }

    fn apply(&mut self, changes: &[Change]) -> Result<()> {
        for (i, change) in changes.iter().enumerate() {
            let context =
                |e: Error| e.context(format!("change {} of {} ({change})", i + 1, changes.len()));
            let programs = super::programs(change).map_err(context)?;
            let requests = codec::requests(change).map_err(context)?;
            // A run allowed to fail (kldload of a module that may be built
            // in) is told only if the ioctls after it fail too.
            let mut before: Option<Error> = None;
            for p in &programs {
                let ran = run(p).map_err(context)?;
                if !ran.ok {
                    if p.required {
                        return Err(context(failed(p, &ran)));
                    }
                    before = Some(failed(p, &ran));
                }
            }
            let mut created = None;
            for req in &requests {
                self.execute(req, &mut created)
                    .map_err(|e| match &before {
                        Some(b) => Error::new(
                            e.kind(),
                            format!("{}; before it, {}", e.message(), b.message()),
                        ),
                        None => e,
                    })
                    .map_err(context)?;
            }
        }
        Ok(())
    }
}
