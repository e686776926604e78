//! The Linux backend: rtnetlink over a blocking socket, no `ip` processes.
//!
//! `observe` is three dumps (links, addresses, neighbours). `apply` encodes
//! the changes ([`codec`]) and sends them in batches (`sys`); the codec
//! also reads the answers ([`codec::frame`]), so `sys` only moves bytes. A
//! batch is cut only where a change needs the index of an interface created earlier
//! in it, which is then learned with one more link dump. A bring-up is
//! therefore a handful of round trips whatever the number of peers.
//!
//! The members-only rule set (`table inet vpc_<vpc>`) is nftables over a
//! netfilter socket: [`nft`] builds and reads the bytes, `sys` moves them.
//! `observe` dumps vpc's tables only; each firewall change is one
//! transaction, sent after the route messages before it.
//!
//! An encrypted VPC's WireGuard interface is the kernel's where it has
//! WireGuard, else a wireguard-go process's TUN link ([`wg`]): each
//! creation tries the kernel's kind first; configuring and reading go to
//! generic netlink or to the process's socket, whichever made the link.
//!
//! `probe` talks to each tunnel's far end over a packet socket on the
//! tunnel (`packet`), learning the far end's MAC rather than assuming it:
//! the frames are [`wire`]'s, the exchange [`exchange`]'s, both pure.
//!
//! On failure, the first refused change is reported and nothing after its
//! batch is sent. Every change is a step towards the plan, computed afresh
//! from what the kernel holds, so the next `apply` converges from wherever
//! this one stopped: nothing is undone.

pub mod codec;
pub mod exchange;
pub mod nft;
mod packet;
mod sys;
pub mod wg;
pub mod wire;

use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::address::AddressMessage;
use netlink_packet_route::link::{LinkAttribute, LinkExtentMask, LinkMessage};
use netlink_packet_route::neighbour::NeighbourMessage;

use std::collections::HashMap;
use std::time::Duration;

use self::codec::{Indexes, NeedsIndex, decode, encode};
use self::nft::ruleset::{self, TableDump};
use self::nft::{Kind, attr, chain, rule, set, table};
use self::sys::{Netfilter, Netlink};
use self::wg::Way;
use crate::backend::{Backend, Probe};
use crate::error::{Error, ErrorKind, Result};
use crate::model::platform::Platform;
use crate::plan::{Change, FIREWALL_PREFIX, FirewallTable, Iface, IfaceKind, Observed, WgDevice};

/// `EOPNOTSUPP`: the kernel's answer to a link kind it has no driver for
/// ("Unknown device type"), as for `wireguard` without the module.
const EOPNOTSUPP: i32 = 95;

/// The kernel of the network namespace this process runs in.
pub struct LinuxKernel {
    netlink: Netlink,
    indexes: Indexes,
    /// Link groups in use at the last dump.
    groups: Vec<u32>,
    /// The nftables socket, opened at first use.
    netfilter: Option<Netfilter>,
    /// The generic netlink socket of the kernel's WireGuard, opened at
    /// first use.
    generic: Option<wg::sys::Generic>,
    /// vpc's WireGuard interfaces (`vpcwg…`) and how each is made, as last
    /// observed, learned or created.
    wireguard: HashMap<String, Way>,
}

impl std::fmt::Debug for LinuxKernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinuxKernel")
            .field("indexes", &self.indexes.len())
            .finish()
    }
}

impl LinuxKernel {
    /// Opens a netlink socket.
    pub fn open() -> Result<LinuxKernel> {
        Ok(LinuxKernel {
            netlink: Netlink::open()?,
            indexes: Indexes::new(),
            groups: Vec::new(),
            netfilter: None,
            generic: None,
            wireguard: HashMap::new(),
        })
    }

    fn generic(&mut self) -> Result<&mut wg::sys::Generic> {
        if self.generic.is_none() {
            self.generic = Some(wg::sys::Generic::open()?);
        }
        self.generic
            .as_mut()
            .ok_or_else(|| Error::new(ErrorKind::Backend, "no generic netlink socket"))
    }

    /// The configuration of vpc's WireGuard interfaces among `ifaces`,
    /// and how each is made. A `tun` link named like one whose
    /// wireguard-go socket answers is a WireGuard interface too (its kind
    /// is set so); one whose socket this process may not open (not root)
    /// is taken for one, its configuration unknown, as is a kernel one
    /// the kernel does not show.
    fn wireguard_devices(&mut self, ifaces: &mut [Iface]) -> Result<Vec<WgDevice>> {
        self.wireguard.clear();
        let mut out = Vec::new();
        for iface in ifaces.iter_mut().filter(|i| wg::is_ours(&i.name)) {
            match &iface.kind {
                IfaceKind::Wireguard => {
                    self.wireguard.insert(iface.name.clone(), Way::Kernel);
                    out.extend(self.generic()?.get_device(&iface.name)?);
                }
                IfaceKind::Other(kind) if kind == "tun" => {
                    let device = match wg::sys::uapi_get(&iface.name)? {
                        wg::sys::Answered::Absent => continue,
                        wg::sys::Answered::Forbidden => None,
                        wg::sys::Answered::Text(t) => Some(wg::uapi::read_get(&iface.name, &t)?),
                    };
                    iface.kind = IfaceKind::Wireguard;
                    self.wireguard.insert(iface.name.clone(), Way::Userspace);
                    out.extend(device);
                }
                _ => {}
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// How vpc's WireGuard interfaces are made, from a link dump alone:
    /// a `tun` link with such a name is taken for wireguard-go's.
    fn learn_wireguard(&mut self, ifaces: &[Iface]) {
        self.wireguard = ifaces
            .iter()
            .filter(|i| wg::is_ours(&i.name))
            .filter_map(|i| match &i.kind {
                IfaceKind::Wireguard => Some((i.name.clone(), Way::Kernel)),
                IfaceKind::Other(k) if k == "tun" => Some((i.name.clone(), Way::Userspace)),
                _ => None,
            })
            .collect();
    }

    /// Creates WireGuard interface `name` (change `i`): the kernel's if
    /// it has WireGuard, else a wireguard-go's. Returns the messages that
    /// finish it (MTU, description), to be sent with what follows.
    fn create_wireguard(
        &mut self,
        i: usize,
        changes: &[Change],
    ) -> Result<Vec<(codec::Mode, RouteNetlinkMessage)>> {
        let Change::CreateWireguard {
            name,
            mtu,
            description,
        } = &changes[i]
        else {
            return Ok(Vec::new());
        };
        let mut messages = encode(&changes[i], &self.indexes)
            .map_err(|NeedsIndex(name)| missing(i, changes, &name))?
            .into_iter();
        let create: Vec<_> = messages.by_ref().take(1).collect();
        match self.netlink.batch(create)? {
            None => {
                self.wireguard.insert(name.clone(), Way::Kernel);
                Ok(messages.collect())
            }
            Some((_, EOPNOTSUPP)) => {
                let why = format!(
                    "the kernel refused link kind wireguard ({}: no WireGuard module)",
                    std::io::Error::from_raw_os_error(EOPNOTSUPP)
                );
                wg::sys::start(name, &why).map_err(|e| failed(i, changes, e.message()))?;
                self.wireguard.insert(name.clone(), Way::Userspace);
                // Its index, for the addresses and the link state to come.
                self.learn_indexes()?;
                Ok(vec![codec::link_settings(name, *mtu, description)])
            }
            Some((_, errno)) => Err(failed(
                i,
                changes,
                &std::io::Error::from_raw_os_error(errno).to_string(),
            )),
        }
    }

    /// Gives a WireGuard interface its configuration (change `i`), over
    /// generic netlink or its wireguard-go's socket.
    fn set_wireguard(&mut self, i: usize, changes: &[Change]) -> Result<()> {
        let Change::SetWireguard { device, .. } = &changes[i] else {
            return Ok(());
        };
        let name = device.name.as_str();
        if !self.wireguard.contains_key(name) {
            self.learn_indexes()?;
        }
        let fail = |what: &str| failed(i, changes, what);
        match self.wireguard.get(name).copied() {
            None => Err(fail(&format!("{name} is not a WireGuard interface"))),
            Some(Way::Kernel) => {
                let set = wg::genl::set_device(device, wg::genl::MESSAGE_BYTES)
                    .map_err(|e| fail(e.message()))?;
                match self.generic()?.set_device(&set)? {
                    None => Ok(()),
                    Some((at, errno)) => Err(fail(&format!(
                        "the kernel refused WG_CMD_SET_DEVICE message {} of {}: {}",
                        at + 1,
                        set.len(),
                        std::io::Error::from_raw_os_error(errno)
                    ))),
                }
            }
            Some(Way::Userspace) => {
                let text = wg::uapi::set(device).map_err(|e| fail(e.message()))?;
                let answer = wg::sys::uapi_set(name, &text).map_err(|e| fail(e.message()))?;
                wg::uapi::read_set(name, &answer).map_err(|e| fail(e.message()))
            }
        }
    }

    fn netfilter(&mut self) -> Result<&mut Netfilter> {
        if self.netfilter.is_none() {
            self.netfilter = Some(Netfilter::open()?);
        }
        self.netfilter
            .as_mut()
            .ok_or_else(|| Error::new(ErrorKind::Backend, "no netfilter socket"))
    }

    /// vpc's rule sets: the `inet` tables named `vpc_…`, each read from
    /// dumps of that table only. The admin's tables are listed by name and
    /// never read further.
    fn firewalls(&mut self) -> Result<Vec<FirewallTable>> {
        let bad = |m: String| Error::new(ErrorKind::Backend, format!("nftables answer: {m}"));
        let nf = self.netfilter()?;
        let mut names = Vec::new();
        // Without CAP_NET_ADMIN (a dry run by a user) nftables are not
        // shown: none is seen, so the plan shows the rule set being made,
        // as it would on a node that has none.
        let Some(tables) = nf.dump_or_refused(Kind::GetTable, Vec::new())? else {
            return Ok(Vec::new());
        };
        for t in tables {
            let a = attr::parse(&t).map_err(bad)?;
            if let Some(name) = attr::get_str(&a, table::NAME)
                && name.starts_with(FIREWALL_PREFIX)
            {
                names.push(name.to_owned());
            }
        }
        let mut out = Vec::new();
        for name in names {
            let filter = rule::of_table(&name);
            let mut dump = TableDump::default();
            for c in nf.dump(Kind::GetChain, filter.clone())? {
                let (t, c) = chain::read(&c).map_err(bad)?;
                if t == name {
                    dump.chains.push(c);
                }
            }
            for s in nf.dump(Kind::GetSet, filter.clone())? {
                let (t, s) = set::read(&s).map_err(bad)?;
                if t != name {
                    continue;
                }
                let mut keys = Vec::new();
                if let Some(s) = &s {
                    for e in nf.dump(Kind::GetSetElem, set::elements_of(&name, &s.name))? {
                        keys.extend(set::read_elements(&e).map_err(bad)?.1);
                    }
                }
                dump.sets.push((s, keys));
            }
            for r in nf.dump(Kind::GetRule, filter)? {
                let r = rule::read(&r).map_err(bad)?;
                if r.table == name {
                    dump.rules.push(r);
                }
            }
            out.push(FirewallTable {
                rules: ruleset::read(&name, &dump),
                table: name,
            });
        }
        Ok(out)
    }

    /// Carries out firewall change `i` in one transaction.
    fn firewall(&mut self, i: usize, changes: &[Change]) -> Result<()> {
        let messages = match &changes[i] {
            Change::SetFirewall { rules } => ruleset::replace(rules),
            Change::RemoveFirewall { table } => ruleset::remove(table),
            _ => return Ok(()),
        };
        if let Some((at, errno)) = self.netfilter()?.transact(&messages)? {
            let why = std::io::Error::from_raw_os_error(errno);
            return Err(Error::new(
                ErrorKind::Backend,
                format!(
                    "change {} of {} ({}) failed: nftables refused message {} of the \
                     transaction, so none of it was made: {why}",
                    i + 1,
                    changes.len(),
                    changes[i],
                    at + 1
                ),
            ));
        }
        Ok(())
    }

    fn links(&mut self) -> Result<Vec<LinkMessage>> {
        // Counters are half of every answer and never read: ask for none.
        let mut request = LinkMessage::default();
        request
            .attributes
            .push(LinkAttribute::ExtMask(vec![LinkExtentMask::SkipStats]));
        let links = codec::links(self.netlink.dump(RouteNetlinkMessage::GetLink(request))?);
        self.groups = codec::groups(&links);
        Ok(links)
    }

    /// A link group no interface is in: where bulk destruction gathers
    /// the interfaces it removes.
    fn free_group(&self) -> u32 {
        // Far from the small numbers administrators use; varied by process.
        let mut g = 0x7670_0000 | (std::process::id() & 0xffff);
        while self.groups.contains(&g) {
            g = g.wrapping_add(1).max(1);
        }
        g
    }

    fn learn_indexes(&mut self) -> Result<()> {
        let links = self.links()?;
        let ifaces = decode(&links, &[], &[])?.ifaces;
        self.learn_wireguard(&ifaces);
        self.indexes = ifaces.into_iter().map(|i| (i.name, i.index)).collect();
        Ok(())
    }

    /// Sends `pending` (messages tagged with the position of their change);
    /// on refusal, names the change.
    fn flush(
        &mut self,
        pending: &mut Vec<(usize, codec::Mode, RouteNetlinkMessage)>,
        changes: &[Change],
    ) -> Result<()> {
        let (positions, batch): (Vec<usize>, Vec<_>) =
            pending.drain(..).map(|(p, mode, m)| (p, (mode, m))).unzip();
        if let Some((at, errno)) = self.netlink.batch(batch)? {
            let i = positions[at];
            let why = std::io::Error::from_raw_os_error(errno);
            return Err(Error::new(
                ErrorKind::Backend,
                format!(
                    "change {} of {} ({}) failed: {why}",
                    i + 1,
                    changes.len(),
                    changes[i]
                ),
            ));
        }
        Ok(())
    }
}

/// The error for change `i`, failed for reason `why`.
fn failed(i: usize, changes: &[Change], why: &str) -> Error {
    Error::new(
        ErrorKind::Backend,
        format!(
            "change {} of {} ({}) failed: {why}",
            i + 1,
            changes.len(),
            changes[i]
        ),
    )
}

/// The error for change `i` naming an interface that does not exist.
fn missing(i: usize, changes: &[Change], name: &str) -> Error {
    Error::new(
        ErrorKind::Backend,
        format!(
            "change {} of {} ({}) failed: interface {name} does not exist",
            i + 1,
            changes.len(),
            changes[i]
        ),
    )
}

impl Backend for LinuxKernel {
    fn platform(&self) -> Platform {
        Platform::Linux
    }

    /// Over a packet socket on each tunnel: an ARP request or neighbour
    /// solicitation for the far end's link address, then an echo to the
    /// MAC it answered with (see [`wire::solicit`] for why the far end can
    /// answer). Neither this kernel's neighbour table nor a MAC vpc chose
    /// for the far end plays a part, so a peer vpc did not build answers
    /// as well. A tunnel that does not exist has no answer.
    fn probe(&mut self, targets: &[Probe], timeout: Duration) -> Result<Vec<Option<Duration>>> {
        let ifaces = decode(&self.links()?, &[], &[])?.ifaces;
        let tunnels: Vec<Option<packet::Tunnel>> = targets
            .iter()
            .map(|p| {
                let i = ifaces.iter().find(|i| i.name == p.iface)?;
                Some(packet::Tunnel {
                    index: i.index,
                    ends: wire::Ends {
                        mac: i.mac?,
                        from: p.from,
                        to: p.to,
                    },
                })
            })
            .collect();
        packet::probe(&tunnels, timeout)
    }

    fn observe(&mut self) -> Result<Observed> {
        let links = self.links()?;
        let addrs = codec::addresses(
            self.netlink
                .dump(RouteNetlinkMessage::GetAddress(AddressMessage::default()))?,
        );
        let neighbours = codec::neighbours(self.netlink.dump(
            RouteNetlinkMessage::GetNeighbour(NeighbourMessage::default()),
        )?);
        let mut observed = decode(&links, &addrs, &neighbours)?;
        observed.firewalls = self.firewalls()?;
        observed.wireguard = self.wireguard_devices(&mut observed.ifaces)?;
        self.indexes = observed
            .ifaces
            .iter()
            .map(|i| (i.name.clone(), i.index))
            .collect();
        Ok(observed)
    }

    fn apply(&mut self, changes: &[Change]) -> Result<()> {
        if self.indexes.is_empty() {
            self.learn_indexes()?;
        }
        let mut pending = Vec::new();
        // wireguard-go processes whose TUN link is being deleted.
        let mut stopping: Vec<String> = Vec::new();
        let mut i = 0;
        while i < changes.len() {
            // A run of destructions goes as one group deletion.
            let run = changes[i..]
                .iter()
                .take_while(|c| matches!(c, Change::Destroy { .. }))
                .count();
            if run >= 2 {
                let names: Vec<&str> = changes[i..i + run]
                    .iter()
                    .filter_map(|c| match c {
                        Change::Destroy { name } => Some(name.as_str()),
                        _ => None,
                    })
                    .collect();
                let messages = codec::encode_bulk_destroy(&names, &self.indexes, self.free_group())
                    .map_err(|NeedsIndex(name)| missing(i, changes, &name))?;
                for name in &names {
                    self.indexes.remove(*name);
                    if self.wireguard.remove(*name) == Some(Way::Userspace) {
                        stopping.push((*name).to_owned());
                    }
                }
                pending.extend(messages.into_iter().map(|(mode, m)| (i, mode, m)));
                i += run;
                continue;
            }
            let change = &changes[i];
            match change {
                Change::CreateWireguard { name, .. } => {
                    self.flush(&mut pending, changes)?;
                    if let Some(at) = stopping.iter().position(|n| n == name) {
                        wg::sys::await_stop(&stopping.remove(at))?;
                    }
                    let rest = self.create_wireguard(i, changes)?;
                    pending.extend(rest.into_iter().map(|(mode, m)| (i, mode, m)));
                    i += 1;
                    continue;
                }
                Change::SetWireguard { .. } => {
                    // In order: the interface and what came before first.
                    self.flush(&mut pending, changes)?;
                    self.set_wireguard(i, changes)?;
                    i += 1;
                    continue;
                }
                _ => {}
            }
            if matches!(
                change,
                Change::SetFirewall { .. } | Change::RemoveFirewall { .. }
            ) {
                // In order: what came before is made first.
                self.flush(&mut pending, changes)?;
                self.firewall(i, changes)?;
                i += 1;
                continue;
            }
            let messages = match encode(change, &self.indexes) {
                Ok(m) => m,
                Err(NeedsIndex(_)) => {
                    // An interface this apply created: send what is pending,
                    // then learn the new indexes once.
                    self.flush(&mut pending, changes)?;
                    self.learn_indexes()?;
                    encode(change, &self.indexes)
                        .map_err(|NeedsIndex(name)| missing(i, changes, &name))?
                }
            };
            if let Change::Destroy { name } = change {
                self.indexes.remove(name);
                if self.wireguard.remove(name) == Some(Way::Userspace) {
                    stopping.push(name.clone());
                }
            }
            pending.extend(messages.into_iter().map(|(mode, m)| (i, mode, m)));
            i += 1;
        }
        self.flush(&mut pending, changes)?;
        // A wireguard-go leaves when its link goes; wait for that, so that
        // a new one of the same name can start at once.
        for name in &stopping {
            wg::sys::await_stop(name)?;
        }
        Ok(())
    }
}
