//! An in-memory kernel that enforces the rules the real ones do (name
//! length, unique names, one VNI per local address and port, one bridge per
//! member), with a failure that can be injected at the Nth operation, or
//! an operation that is accepted but silently not carried out.
//!
//! Probes are answered from a model the test sets: a far end answers when
//! the test said it would ([`MemoryKernel::answer_from`]) and the kernel
//! has a way to it. See [`Backend::probe`] on [`MemoryKernel`].

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use crate::backend::{Backend, Probe};
use crate::error::{Error, ErrorKind, Result};
use crate::model::name::IFNAME_MAX;
use crate::model::platform::Platform;
use crate::plan::{
    Change, FirewallTable, Iface, IfaceKind, Observed, PacketFilter, VxlanConf, WgDevice,
};

/// The in-memory kernel.
#[derive(Debug, Clone)]
pub struct MemoryKernel {
    platform: Platform,
    ifaces: BTreeMap<String, Iface>,
    next_index: u32,
    operations: u64,
    fail_at: Option<u64>,
    ignore_at: Option<u64>,
    far_ends: BTreeMap<IpAddr, Duration>,
    firewalls: BTreeMap<String, FirewallTable>,
    wireguard: BTreeMap<String, WgDevice>,
    packet_filter: Option<PacketFilter>,
}

impl MemoryKernel {
    /// An empty kernel following `platform`'s rules.
    pub fn new(platform: Platform) -> Self {
        MemoryKernel {
            platform,
            ifaces: BTreeMap::new(),
            next_index: 1,
            operations: 0,
            fail_at: None,
            ignore_at: None,
            far_ends: BTreeMap::new(),
            firewalls: BTreeMap::new(),
            wireguard: BTreeMap::new(),
            packet_filter: None,
        }
    }

    /// A kernel holding `observed`'s interfaces (indexes kept).
    pub fn with(platform: Platform, observed: Observed) -> Self {
        let mut k = MemoryKernel::new(platform);
        for i in observed.ifaces {
            k.next_index = k.next_index.max(i.index + 1);
            k.ifaces.insert(i.name.clone(), i);
        }
        for f in observed.firewalls {
            k.firewalls.insert(f.table.clone(), f);
        }
        for d in observed.wireguard {
            k.wireguard.insert(d.name.clone(), d);
        }
        k.packet_filter = observed.packet_filter;
        k
    }

    /// Makes operation number `n` (counted from 1 over the kernel's life)
    /// fail; `None` stops injecting.
    pub fn fail_at(&mut self, n: Option<u64>) {
        self.fail_at = n;
    }

    /// Makes operation number `n` (counted like [`MemoryKernel::fail_at`])
    /// report success without doing anything, as a kernel that silently
    /// ignores a request would; `None` stops ignoring.
    pub fn ignore_at(&mut self, n: Option<u64>) {
        self.ignore_at = n;
    }

    /// Makes the far end `addr` answer probes after `rtt`, while a link to
    /// it is up and running (see [`Backend::probe`] on [`MemoryKernel`]).
    pub fn answer_from(&mut self, addr: IpAddr, rtt: Duration) {
        self.far_ends.insert(addr, rtt);
    }

    /// Makes the far end `addr` silent again.
    pub fn silence(&mut self, addr: IpAddr) {
        self.far_ends.remove(&addr);
    }

    /// Makes interface `name` lose or regain its carrier (operational
    /// state), as when the underlay goes away; it stays administratively
    /// up or down.
    pub fn set_running(&mut self, name: &str, running: bool) -> Result<()> {
        self.get_mut(name)?.running = running;
        Ok(())
    }

    /// Whether `probe` can leave by its interface: it exists, is up and
    /// running, and holds `probe.from` on a subnet that contains
    /// `probe.to` (not `probe.to` itself).
    fn carries(&self, probe: &Probe) -> bool {
        self.ifaces.get(&probe.iface).is_some_and(|i| {
            i.up && i.running
                && probe.from != probe.to
                && i.addrs
                    .iter()
                    .any(|a| a.addr == probe.from && a.contains(probe.to))
        })
    }

    /// Changes rule set `table` by hand, as an admin editing it would:
    /// it then holds something vpc does not write.
    pub fn alter_firewall(&mut self, table: &str) -> Result<()> {
        let f = self.firewalls.get_mut(table).ok_or_else(|| {
            Error::new(
                ErrorKind::Backend,
                format!("firewall {table} does not exist"),
            )
        })?;
        f.rules = None;
        Ok(())
    }

    /// Sets what the kernel's packet filter is (FreeBSD pf: loaded,
    /// enabled, evaluating vpc's anchors), as [`Observed::packet_filter`]
    /// reports it; `None` (the default) is a kernel where nothing depends
    /// on it.
    pub fn set_packet_filter(&mut self, pf: Option<PacketFilter>) {
        self.packet_filter = pf;
    }

    /// Operations carried out or attempted so far.
    pub fn operations(&self) -> u64 {
        self.operations
    }

    /// The interfaces, by name.
    pub fn snapshot(&self) -> Observed {
        Observed {
            ifaces: self.ifaces.values().cloned().collect(),
            firewalls: self.firewalls.values().cloned().collect(),
            wireguard: self.wireguard.values().cloned().collect(),
            packet_filter: self.packet_filter,
        }
    }

    fn get_mut(&mut self, name: &str) -> Result<&mut Iface> {
        self.ifaces.get_mut(name).ok_or_else(|| no_such(name))
    }

    fn create(&mut self, mut iface: Iface) -> Result<()> {
        if iface.name.is_empty() || iface.name.len() > IFNAME_MAX {
            return Err(Error::new(
                ErrorKind::Backend,
                format!(
                    "interface name {:?} is not valid: expected 1 to {IFNAME_MAX} bytes",
                    iface.name
                ),
            ));
        }
        if self.ifaces.contains_key(&iface.name) {
            return Err(Error::new(
                ErrorKind::Backend,
                format!("interface {} already exists", iface.name),
            ));
        }
        if let IfaceKind::Vxlan(new) = &iface.kind {
            let clash = self.ifaces.values().find(|i| match &i.kind {
                IfaceKind::Vxlan(c) => {
                    c.vni == new.vni && c.local == new.local && c.port == new.port
                }
                _ => false,
            });
            if let Some(other) = clash {
                return Err(Error::new(
                    ErrorKind::Backend,
                    format!(
                        "VNI {} on local address {:?} port {} is already used by {}",
                        new.vni, new.local, new.port, other.name
                    ),
                ));
            }
        }
        iface.index = self.next_index;
        self.next_index += 1;
        self.ifaces.insert(iface.name.clone(), iface);
        Ok(())
    }

    fn one(&mut self, change: &Change) -> Result<()> {
        match change {
            Change::Destroy { name } => {
                let gone = self.ifaces.remove(name).ok_or_else(|| no_such(name))?;
                self.wireguard.remove(name);
                if gone.kind == IfaceKind::Bridge {
                    for i in self
                        .ifaces
                        .values_mut()
                        .filter(|i| i.master.as_deref() == Some(name))
                    {
                        i.master = None;
                        i.private = false;
                    }
                }
            }
            Change::CreateBridge {
                name,
                mtu,
                description,
            } => self.create(Iface {
                kind: IfaceKind::Bridge,
                mtu: *mtu,
                description: Some(description.clone()),
                ..blank(name)
            })?,
            Change::CreateVxlan {
                name,
                vni,
                local,
                remote,
                port,
                mtu,
                description,
            } => {
                if *vni == 0 || *vni > crate::model::mesh::VNI_MAX {
                    return Err(Error::new(
                        ErrorKind::Backend,
                        format!("VNI {vni} is out of range"),
                    ));
                }
                self.create(Iface {
                    kind: IfaceKind::Vxlan(VxlanConf {
                        vni: *vni,
                        local: Some(*local),
                        remote: Some(*remote),
                        port: *port,
                    }),
                    mtu: *mtu,
                    description: Some(description.clone()),
                    ..blank(name)
                })?;
            }
            Change::SetMtu { name, mtu } => {
                if !(68..=65535).contains(mtu) {
                    return Err(Error::new(
                        ErrorKind::Backend,
                        format!("MTU {mtu} is out of range"),
                    ));
                }
                let freebsd = self.platform == Platform::FreeBsd;
                let i = self.get_mut(name)?;
                if freebsd && i.master.is_some() {
                    // FreeBSD 14 and later: EOPNOTSUPP on a bridge member.
                    return Err(Error::new(
                        ErrorKind::Backend,
                        format!("{name} is a bridge member: its MTU cannot be set"),
                    ));
                }
                i.mtu = *mtu;
                if freebsd && i.kind == IfaceKind::Bridge {
                    // A FreeBSD bridge pushes its MTU to every member.
                    for m in self
                        .ifaces
                        .values_mut()
                        .filter(|m| m.master.as_deref() == Some(name))
                    {
                        m.mtu = *mtu;
                    }
                }
            }
            Change::SetDescription { name, text } => {
                self.get_mut(name)?.description = Some(text.clone())
            }
            Change::AddAddr { name, addr } => {
                let i = self.get_mut(name)?;
                if i.addrs.contains(addr) {
                    return Err(Error::new(
                        ErrorKind::Backend,
                        format!("{addr} is already on {name}"),
                    ));
                }
                i.addrs.push(*addr);
            }
            Change::DelAddr { name, addr } => {
                let i = self.get_mut(name)?;
                let at = i.addrs.iter().position(|a| a == addr).ok_or_else(|| {
                    Error::new(ErrorKind::Backend, format!("{addr} is not on {name}"))
                })?;
                i.addrs.remove(at);
            }
            Change::DelNeighbour { name, ip } => {
                let i = self.get_mut(name)?;
                let before = i.neighbours.len();
                i.neighbours.retain(|(a, _)| a != ip);
                if i.neighbours.len() == before {
                    return Err(Error::new(
                        ErrorKind::Backend,
                        format!("no permanent neighbour {ip} on {name}"),
                    ));
                }
            }
            Change::AddPort {
                bridge,
                port,
                private,
            } => {
                match self.ifaces.get(bridge) {
                    Some(b) if b.kind == IfaceKind::Bridge => {}
                    Some(_) => {
                        return Err(Error::new(
                            ErrorKind::Backend,
                            format!("{bridge} is not a bridge"),
                        ));
                    }
                    None => return Err(no_such(bridge)),
                }
                let p = self.get_mut(port)?;
                if p.kind == IfaceKind::Bridge {
                    return Err(Error::new(
                        ErrorKind::Backend,
                        format!("bridge {port} cannot be a port"),
                    ));
                }
                if let Some(other) = &p.master {
                    return Err(Error::new(
                        ErrorKind::Backend,
                        format!("{port} is already a member of bridge {other}"),
                    ));
                }
                p.master = Some(bridge.clone());
                p.private = *private;
                if self.platform == Platform::FreeBsd {
                    // The first member sets a FreeBSD bridge's MTU; later
                    // members take the bridge's.
                    let first = !self
                        .ifaces
                        .values()
                        .any(|m| m.name != *port && m.master.as_deref() == Some(bridge));
                    let port_mtu = self.ifaces.get(port).map_or(0, |m| m.mtu);
                    let bridge_mtu = self.ifaces.get(bridge).map_or(0, |b| b.mtu);
                    if first {
                        self.get_mut(bridge)?.mtu = port_mtu;
                    } else {
                        self.get_mut(port)?.mtu = bridge_mtu;
                    }
                }
            }
            Change::DelPort { bridge, port } => {
                let p = self.get_mut(port)?;
                if p.master.as_deref() != Some(bridge) {
                    return Err(Error::new(
                        ErrorKind::Backend,
                        format!("{port} is not a member of {bridge}"),
                    ));
                }
                p.master = None;
                p.private = false;
            }
            Change::SetPrivate { bridge, port } => {
                let p = self.get_mut(port)?;
                if p.master.as_deref() != Some(bridge) {
                    return Err(Error::new(
                        ErrorKind::Backend,
                        format!("{port} is not a member of {bridge}"),
                    ));
                }
                p.private = true;
            }
            Change::Up { name } => {
                let i = self.get_mut(name)?;
                i.up = true;
                i.running = true;
            }
            Change::SetFirewall { rules } => {
                // FreeBSD: no rule set without pf (the planner warns
                // instead of planning one).
                if self.packet_filter.is_some_and(|pf| !pf.loaded) {
                    return Err(Error::new(
                        ErrorKind::Backend,
                        format!("{}: pf is not loaded", rules.table),
                    ));
                }
                // One transaction (Linux's table, FreeBSD's anchor):
                // whatever it held goes.
                self.firewalls.insert(
                    rules.table.clone(),
                    FirewallTable {
                        table: rules.table.clone(),
                        rules: Some(rules.clone()),
                    },
                );
            }
            Change::RemoveFirewall { table } => {
                self.firewalls.remove(table);
            }
            Change::CreateWireguard {
                name,
                mtu,
                description,
            } => self.create(Iface {
                kind: IfaceKind::Wireguard,
                mtu: *mtu,
                description: Some(description.clone()),
                ..blank(name)
            })?,
            Change::SetWireguard { device, .. } => {
                let i = self.get_mut(&device.name)?;
                if i.kind != IfaceKind::Wireguard {
                    return Err(Error::new(
                        ErrorKind::Backend,
                        format!("{} is not a WireGuard interface", device.name),
                    ));
                }
                let Some(key) = &device.private_key else {
                    return Err(Error::new(
                        ErrorKind::Backend,
                        format!("{} is given no private key", device.name),
                    ));
                };
                // The kernel keeps the private key and tells its public half.
                let mut held = device.clone();
                held.public_key = Some(key.public());
                self.wireguard.insert(device.name.clone(), held);
            }
        }
        Ok(())
    }
}

fn blank(name: &str) -> Iface {
    Iface {
        name: name.to_owned(),
        index: 0,
        kind: IfaceKind::Other(String::new()),
        mtu: 1500,
        up: false,
        running: false,
        description: None,
        mac: None,
        master: None,
        private: false,
        addrs: Vec::new(),
        neighbours: Vec::new(),
    }
}

fn no_such(name: &str) -> Error {
    Error::new(
        ErrorKind::Backend,
        format!("interface {name} does not exist"),
    )
}

impl Backend for MemoryKernel {
    fn platform(&self) -> Platform {
        self.platform
    }

    fn observe(&mut self) -> Result<Observed> {
        Ok(self.snapshot())
    }

    fn apply(&mut self, changes: &[Change]) -> Result<()> {
        for (done, change) in changes.iter().enumerate() {
            self.operations += 1;
            let result = if self.fail_at == Some(self.operations) {
                Err(Error::new(
                    ErrorKind::Backend,
                    format!("injected failure at operation {}", self.operations),
                ))
            } else if self.ignore_at == Some(self.operations) {
                Ok(())
            } else {
                self.one(change)
            };
            result.map_err(|e| {
                e.context(format!(
                    "change {} of {} ({change})",
                    done + 1,
                    changes.len()
                ))
            })?;
        }
        Ok(())
    }

    /// The model: a target answers, after the round-trip time the test gave
    /// [`MemoryKernel::answer_from`], when the test made it a far end that
    /// answers and the probe's tunnel is up, running and carries this
    /// end's link address on the target's subnet. Any other target is
    /// silent, so a missing, down or carrier-less tunnel, a wrong or
    /// missing link address, or a far end the test never set, all read as
    /// no answer. Answers take no time: `timeout` is only an upper bound,
    /// and a round-trip time above it reads as no answer.
    fn probe(&mut self, targets: &[Probe], timeout: Duration) -> Result<Vec<Option<Duration>>> {
        Ok(targets
            .iter()
            .map(|p| {
                let rtt = *self.far_ends.get(&p.to)?;
                (rtt <= timeout && self.carries(p)).then_some(rtt)
            })
            .collect())
    }
}
