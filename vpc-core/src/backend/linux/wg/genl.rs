//! The kernel's WireGuard over generic netlink, pure: the family lookup
//! (`CTRL_CMD_GETFAMILY` "wireguard"), `WG_CMD_SET_DEVICE` built from a
//! [`WgDevice`] (cut into several messages when it is large, as wg(8)
//! does), `WG_CMD_GET_DEVICE` asked and its dump read back into a
//! [`WgDevice`]. No socket here (that is [`super::sys`]).
//!
//! The attributes are netlink-packet-wireguard's (rust-netlink, the
//! project of netlink-packet-route), framed with netlink-packet-generic.
//! Two things are ours, and why:
//!
//! - the controller's answer is read for `CTRL_ATTR_FAMILY_ID` alone with
//!   the attribute helpers ([`crate::backend::linux::nft::attr`]): the
//!   crate refuses the whole answer at any attribute it does not know, and
//!   a newer kernel describing its families with one more attribute must
//!   not make WireGuard unusable;
//! - before the crate parses a `WG_CMD_GET_DEVICE` answer, [`check`] walks
//!   it for `WGALLOWEDIP_A_CIDR_MASK` attributes without their byte, which
//!   the crate indexes unchecked (a panic on a malformed answer).
//!
//! Numbers are the kernel's `include/uapi/linux/wireguard.h`; the tests
//! check the bytes against them.

use std::fmt;
use std::net::IpAddr;

use netlink_packet_core::{
    Emitable, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, NetlinkHeader, NetlinkMessage, NetlinkPayload,
    ParseableParametrized,
};
use netlink_packet_generic::ctrl::nlas::GenlCtrlAttrs;
use netlink_packet_generic::ctrl::{GenlCtrl, GenlCtrlCmd};
use netlink_packet_generic::{GenlFamily, GenlHeader, GenlMessage};
use netlink_packet_wireguard::{
    WireguardAddressFamily, WireguardAllowedIp, WireguardAllowedIpAttr, WireguardAttribute,
    WireguardCmd, WireguardDeviceFlags, WireguardMessage, WireguardPeer, WireguardPeerAttribute,
    WireguardPeerFlags,
};

use crate::backend::linux::codec::frame::{self, HEADER, Reply};
use crate::backend::linux::nft::attr;
use crate::error::{Error, ErrorKind, Result};
use crate::model::addr::IfAddr;
use crate::model::wgkey::{PrivateKey, PublicKey};
use crate::plan::{WgDevice, WgPeer};

/// WireGuard's generic netlink family name (`WG_GENL_NAME`).
pub const FAMILY: &str = "wireguard";

/// `GENL_ID_CTRL`: the controller's fixed family id.
pub const GENL_ID_CTRL: u16 = 16;

/// `GENL_HDRLEN`: command, version, reserved.
const GENL_HEADER: usize = 4;

/// `ENOENT`: the controller's answer for a family the kernel does not have.
const ENOENT: i32 = 2;

/// `CTRL_ATTR_FAMILY_ID`.
const CTRL_ATTR_FAMILY_ID: u16 = 1;

/// `WGDEVICE_A_PEERS`.
const WGDEVICE_A_PEERS: u16 = 8;
/// `WGPEER_A_ALLOWEDIPS`.
const WGPEER_A_ALLOWEDIPS: u16 = 9;
/// `WGALLOWEDIP_A_CIDR_MASK`.
const WGALLOWEDIP_A_CIDR_MASK: u16 = 3;

/// Most bytes of one `WG_CMD_SET_DEVICE` message. The peers travel in one
/// nested attribute, whose length is 16 bits: a message can never hold
/// more than 64 KiB of peers (some 450), so larger sets are cut. Half of
/// that keeps every message far below the socket's send buffer too.
pub const MESSAGE_BYTES: usize = 32 * 1024;

const _: () = assert!(MESSAGE_BYTES < u16::MAX as usize);

fn malformed(name: &str, what: impl fmt::Display) -> Error {
    Error::new(
        ErrorKind::Backend,
        format!("the kernel's WireGuard answer for {name} is not understood: {what}"),
    )
}

/// Frames `payload` as one netlink message of `family`.
fn framed<F>(family: u16, flags: u16, seq: u32, payload: F) -> Vec<u8>
where
    F: GenlFamily + Emitable + fmt::Debug,
{
    let mut genl = GenlMessage::from_payload(payload);
    genl.set_resolved_family_id(family);
    let mut header = NetlinkHeader::default();
    header.flags = flags;
    header.sequence_number = seq;
    let mut m = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(genl));
    m.finalize();
    let mut out = vec![0; m.buffer_len()];
    m.serialize(&mut out);
    out
}

/// `CTRL_CMD_GETFAMILY` for [`FAMILY`], numbered `seq`.
pub fn family_request(seq: u32) -> Vec<u8> {
    framed(
        GENL_ID_CTRL,
        NLM_F_REQUEST,
        seq,
        GenlCtrl {
            cmd: GenlCtrlCmd::GetFamily,
            nlas: vec![GenlCtrlAttrs::FamilyName(FAMILY.to_owned())],
        },
    )
}

/// Where the family lookup stands after a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Not answered yet.
    Pending,
    /// The family's id.
    Found(u16),
    /// The kernel has no such family (no WireGuard).
    Missing,
}

/// Reads one datagram of the answer to [`family_request`] numbered `seq`.
pub fn read_family(datagram: &[u8], seq: u32) -> Result<Lookup> {
    let bad = |what: String| malformed(FAMILY, format_args!("family lookup: {what}"));
    for f in frame::frames(datagram) {
        let f = f?;
        if f.seq() != seq {
            continue;
        }
        match f.control()? {
            Some(Reply::Refused(ENOENT)) => return Ok(Lookup::Missing),
            Some(Reply::Refused(errno)) => {
                return Err(Error::new(
                    ErrorKind::Backend,
                    format!(
                        "generic netlink family lookup of {FAMILY} failed: {}",
                        std::io::Error::from_raw_os_error(errno)
                    ),
                ));
            }
            Some(_) => continue,
            None if f.message_type() == GENL_ID_CTRL => {
                let attrs = f
                    .payload()
                    .get(GENL_HEADER..)
                    .ok_or_else(|| bad("no generic netlink header".to_owned()))?;
                let attrs = attr::parse(attrs).map_err(bad)?;
                return match attr::get(&attrs, CTRL_ATTR_FAMILY_ID) {
                    Some(&[a, b]) => Ok(Lookup::Found(u16::from_ne_bytes([a, b]))),
                    Some(p) => Err(bad(format!(
                        "CTRL_ATTR_FAMILY_ID has {} bytes, expected 2",
                        p.len()
                    ))),
                    None => Err(bad("no CTRL_ATTR_FAMILY_ID".to_owned())),
                };
            }
            None => {
                return Err(f.error(format_args!(
                    "expected the controller's answer (type {GENL_ID_CTRL})"
                )));
            }
        }
    }
    Ok(Lookup::Pending)
}

/// `WG_CMD_GET_DEVICE` for interface `name`, as a dump (the kernel's
/// only way to answer it), numbered `seq`.
pub fn get_device_request(family: u16, seq: u32, name: &str) -> Vec<u8> {
    framed(
        family,
        NLM_F_REQUEST | NLM_F_DUMP,
        seq,
        WireguardMessage {
            cmd: WireguardCmd::GetDevice,
            attributes: vec![WireguardAttribute::IfName(name.to_owned())],
        },
    )
}

/// The whole configuration of one device as `WG_CMD_SET_DEVICE`
/// messages, to be sent in order. The first holds the private key, the
/// port and `WGDEVICE_F_REPLACE_PEERS` with as many peers as fit; the
/// others name the device and add the remaining peers. A peer whose
/// allowed IPs do not fit is continued in the next message under its
/// public key alone, without `WGPEER_F_REPLACE_ALLOWEDIPS`, which adds
/// the rest (as the kernel's dumps cut them, and as wg(8) sends them).
///
/// Its `Debug` shows how many messages there are, never their bytes.
pub struct SetDevice {
    messages: Vec<WireguardMessage>,
}

impl fmt::Debug for SetDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SetDevice({} messages)", self.messages.len())
    }
}

impl SetDevice {
    /// How many messages.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// Whether there is none (never: the first is always there).
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// Message `i` framed for `family`, numbered `seq`, asking for an
    /// acknowledgement.
    pub fn request(&self, i: usize, family: u16, seq: u32) -> Option<Vec<u8>> {
        let m = self.messages.get(i)?.clone();
        Some(framed(family, NLM_F_REQUEST | NLM_F_ACK, seq, m))
    }
}

fn allowed_ip(a: &IfAddr) -> WireguardAllowedIp {
    let family = match a.addr {
        IpAddr::V4(_) => WireguardAddressFamily::Ipv4,
        IpAddr::V6(_) => WireguardAddressFamily::Ipv6,
    };
    WireguardAllowedIp(vec![
        WireguardAllowedIpAttr::Family(family),
        WireguardAllowedIpAttr::IpAddr(a.addr),
        WireguardAllowedIpAttr::Cidr(a.prefix),
    ])
}

/// The bytes `attrs` take in a message.
fn len_of(attrs: &[WireguardAttribute]) -> usize {
    attrs.buffer_len()
}

/// One peer's attributes with `ips` as its allowed IPs.
fn peer_with(mut attrs: Vec<WireguardPeerAttribute>, ips: &[WireguardAllowedIp]) -> WireguardPeer {
    if !ips.is_empty() {
        attrs.push(WireguardPeerAttribute::AllowedIps(ips.to_vec()));
    }
    WireguardPeer(attrs)
}

/// A message being filled.
struct Filling {
    attrs: Vec<WireguardAttribute>,
    peers: Vec<WireguardPeer>,
    /// Bytes of the peers, without their nest's header.
    peers_len: usize,
}

impl Filling {
    fn continuation(name: &str) -> Filling {
        Filling {
            attrs: vec![WireguardAttribute::IfName(name.to_owned())],
            peers: Vec::new(),
            peers_len: 0,
        }
    }

    /// The message's size with `extra` more bytes of peers.
    fn size_with(&self, extra: usize) -> usize {
        // Netlink header, generic header, attributes, the peers' nest.
        HEADER + GENL_HEADER + len_of(&self.attrs) + 4 + self.peers_len + extra
    }

    fn push(&mut self, peer: WireguardPeer) {
        self.peers_len += peer.buffer_len();
        self.peers.push(peer);
    }

    fn done(mut self) -> WireguardMessage {
        if !self.peers.is_empty() {
            self.attrs.push(WireguardAttribute::Peers(self.peers));
        }
        WireguardMessage {
            cmd: WireguardCmd::SetDevice,
            attributes: self.attrs,
        }
    }
}

/// `device`'s whole configuration as `WG_CMD_SET_DEVICE` messages of at
/// most `budget` bytes each ([`MESSAGE_BYTES`] for the kernel). An error
/// if the device has no private key.
pub fn set_device(device: &WgDevice, budget: usize) -> Result<SetDevice> {
    let name = device.name.as_str();
    let key = device.private_key.as_ref().ok_or_else(|| {
        Error::new(
            ErrorKind::Backend,
            format!("WireGuard interface {name} is given no private key"),
        )
    })?;
    let too_small = || {
        Error::new(
            ErrorKind::Backend,
            format!("a WireGuard peer of {name} does not fit a message of {budget} bytes"),
        )
    };
    let mut messages = Vec::new();
    let mut filling = Filling {
        attrs: vec![
            WireguardAttribute::IfName(name.to_owned()),
            WireguardAttribute::PrivateKey(*key.bytes()),
            WireguardAttribute::ListenPort(device.listen_port),
            WireguardAttribute::Flags(WireguardDeviceFlags::ReplacePeers),
        ],
        peers: Vec::new(),
        peers_len: 0,
    };
    if filling.size_with(0) > budget {
        return Err(too_small());
    }
    for peer in &device.peers {
        let ips: Vec<WireguardAllowedIp> = peer.allowed_ips.iter().map(allowed_ip).collect();
        let mut rest = ips.as_slice();
        let mut first = true;
        loop {
            let mut attrs = vec![WireguardPeerAttribute::PublicKey(*peer.public_key.bytes())];
            if first {
                attrs.push(WireguardPeerAttribute::Flags(
                    WireguardPeerFlags::ReplaceAllowedIps,
                ));
                if let Some(e) = peer.endpoint {
                    attrs.push(WireguardPeerAttribute::Endpoint(e));
                }
                attrs.push(WireguardPeerAttribute::PersistentKeepalive(peer.keepalive));
            }
            // As many allowed IPs as fit; all of them, mostly.
            let fits = |n: usize| {
                filling.size_with(peer_with(attrs.clone(), &rest[..n]).buffer_len()) <= budget
            };
            let mut take = rest.len();
            while take > 0 && !fits(take) {
                take -= 1;
            }
            if !fits(take) || (take == 0 && !rest.is_empty()) {
                // Nothing of this peer fits: on to a fresh message.
                if filling.peers.is_empty() && filling.attrs.len() == 1 {
                    return Err(too_small());
                }
                messages.push(filling.done());
                filling = Filling::continuation(name);
                continue;
            }
            filling.push(peer_with(attrs, &rest[..take]));
            rest = &rest[take..];
            first = false;
            if rest.is_empty() {
                break;
            }
            messages.push(filling.done());
            filling = Filling::continuation(name);
        }
    }
    if messages.is_empty() || !filling.peers.is_empty() {
        messages.push(filling.done());
    }
    Ok(SetDevice { messages })
}

/// Where a dump stands after a datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dumped {
    /// More is coming.
    Pending,
    /// Complete: the payloads (generic header and attributes) in order.
    Done(Vec<Vec<u8>>),
    /// The kernel refused the dump with this errno.
    Refused(i32),
    /// The device changed while it was dumped (`NLM_F_DUMP_INTR`): ask
    /// again.
    Interrupted,
}

/// The answer to one dump request of `family`, over its datagrams.
#[derive(Debug, Clone)]
pub struct Dump {
    family: u16,
    seq: u32,
    entries: Vec<Vec<u8>>,
    interrupted: bool,
}

impl Dump {
    /// The answer to the dump numbered `seq`.
    pub fn new(family: u16, seq: u32) -> Dump {
        Dump {
            family,
            seq,
            entries: Vec::new(),
            interrupted: false,
        }
    }

    /// Reads one datagram. Messages of other requests are skipped.
    pub fn read(&mut self, datagram: &[u8]) -> Result<Dumped> {
        for f in frame::frames(datagram) {
            let f = f?;
            if f.seq() != self.seq {
                continue;
            }
            if f.flags() & netlink_packet_core::NLM_F_DUMP_INTR != 0 {
                self.interrupted = true;
            }
            match f.control()? {
                Some(Reply::Done) if self.interrupted => return Ok(Dumped::Interrupted),
                Some(Reply::Done) => return Ok(Dumped::Done(std::mem::take(&mut self.entries))),
                Some(Reply::Refused(errno)) => return Ok(Dumped::Refused(errno)),
                Some(Reply::Ack) => {
                    return Err(f.error("an acknowledgement where a dump's entries were expected"));
                }
                Some(_) => {}
                None if f.message_type() == self.family => self.entries.push(f.payload().to_vec()),
                None => {
                    return Err(f.error(format_args!(
                        "expected WireGuard's family (type {})",
                        self.family
                    )));
                }
            }
        }
        Ok(Dumped::Pending)
    }
}

/// Walks the raw attributes of a `WG_CMD_GET_DEVICE` answer (after its
/// generic header) for what the crate would not survive: a
/// `WGALLOWEDIP_A_CIDR_MASK` without its byte.
fn check(attrs: &[u8]) -> std::result::Result<(), String> {
    for (ty, peers) in attr::parse(attrs)? {
        if ty != WGDEVICE_A_PEERS {
            continue;
        }
        for (_, peer) in attr::parse(peers)? {
            for (ty, ips) in attr::parse(peer)? {
                if ty != WGPEER_A_ALLOWEDIPS {
                    continue;
                }
                for (_, ip) in attr::parse(ips)? {
                    for (ty, value) in attr::parse(ip)? {
                        if ty == WGALLOWEDIP_A_CIDR_MASK && value.len() != 1 {
                            return Err(format!(
                                "WGALLOWEDIP_A_CIDR_MASK has {} bytes, expected 1",
                                value.len()
                            ));
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

fn read_allowed_ip(ip: &WireguardAllowedIp) -> std::result::Result<IfAddr, String> {
    let (mut family, mut addr, mut cidr) = (None, None, None);
    for a in &ip.0 {
        match a {
            WireguardAllowedIpAttr::Family(f) => family = Some(*f),
            WireguardAllowedIpAttr::IpAddr(a) => addr = Some(*a),
            WireguardAllowedIpAttr::Cidr(c) => cidr = Some(*c),
            _ => {}
        }
    }
    let addr = addr.ok_or("an allowed IP without WGALLOWEDIP_A_IPADDR")?;
    let prefix =
        cidr.ok_or_else(|| format!("allowed IP {addr} without WGALLOWEDIP_A_CIDR_MASK"))?;
    let (expected, bits) = match addr {
        IpAddr::V4(_) => (WireguardAddressFamily::Ipv4, 32),
        IpAddr::V6(_) => (WireguardAddressFamily::Ipv6, 128),
    };
    if family.is_some_and(|f| f != expected) {
        return Err(format!("allowed IP {addr} under address family {family:?}"));
    }
    if prefix > bits {
        return Err(format!("allowed IP {addr}/{prefix}: prefix over {bits}"));
    }
    Ok(IfAddr { addr, prefix })
}

/// One peer of a dump; `None` as its endpoint when the kernel gave none.
fn read_peer(p: &WireguardPeer) -> std::result::Result<WgPeer, String> {
    let mut key = None;
    let mut out = WgPeer {
        public_key: PublicKey::from_bytes([0; 32]),
        endpoint: None,
        allowed_ips: Vec::new(),
        keepalive: 0,
    };
    for a in &p.0 {
        match a {
            WireguardPeerAttribute::PublicKey(k) => key = Some(PublicKey::from_bytes(*k)),
            WireguardPeerAttribute::Endpoint(e) => out.endpoint = Some(*e),
            WireguardPeerAttribute::PersistentKeepalive(k) => out.keepalive = *k,
            WireguardPeerAttribute::AllowedIps(ips) => {
                for ip in ips {
                    out.allowed_ips.push(read_allowed_ip(ip)?);
                }
            }
            _ => {}
        }
    }
    out.public_key = key.ok_or("a peer without WGPEER_A_PUBLIC_KEY")?;
    Ok(out)
}

/// The configuration of interface `name` from the payloads of its
/// `WG_CMD_GET_DEVICE` dump ([`Dumped::Done`]): peers ascending by public
/// key, each one's allowed IPs ascending. A peer cut across two messages
/// (its allowed IPs continued under its public key) is put back together.
/// The public key is the kernel's, else the private key's public half.
pub fn read_device(name: &str, parts: &[Vec<u8>]) -> Result<WgDevice> {
    let bad = |what: String| malformed(name, what);
    let mut private_key: Option<PrivateKey> = None;
    let mut public_key = None;
    let mut listen_port = None;
    let mut peers: Vec<WgPeer> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    if parts.is_empty() {
        return Err(bad("the dump is empty".to_owned()));
    }
    for (i, part) in parts.iter().enumerate() {
        let at = |what: String| bad(format!("message {} of {}: {what}", i + 1, parts.len()));
        let header = GenlHeader::parse(part).map_err(|e| at(e.to_string()))?;
        let attrs = part.get(GENL_HEADER..).unwrap_or_default();
        check(attrs).map_err(at)?;
        let m = WireguardMessage::parse_with_param(attrs, header).map_err(|e| at(e.to_string()))?;
        if m.cmd != WireguardCmd::GetDevice {
            return Err(at(format!(
                "command {}, expected WG_CMD_GET_DEVICE (0)",
                header.cmd
            )));
        }
        for a in m.attributes {
            match a {
                WireguardAttribute::IfName(n) if n != name => {
                    return Err(at(format!("it is about interface {n}")));
                }
                WireguardAttribute::PrivateKey(k) => private_key = Some(PrivateKey::from_bytes(k)),
                WireguardAttribute::PublicKey(k) => public_key = Some(PublicKey::from_bytes(k)),
                WireguardAttribute::ListenPort(p) => listen_port = Some(p),
                WireguardAttribute::Peers(list) => {
                    for p in &list {
                        let p = read_peer(p).map_err(&at)?;
                        if let Some(last) = peers.last_mut()
                            && last.public_key == p.public_key
                        {
                            // The rest of the last peer's allowed IPs.
                            last.allowed_ips.extend(p.allowed_ips);
                        } else if !seen.insert(p.public_key) {
                            return Err(at(format!("peer {} is listed twice", p.public_key)));
                        } else {
                            peers.push(p);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let listen_port = listen_port.ok_or_else(|| bad("no WGDEVICE_A_LISTEN_PORT".to_owned()))?;
    for p in &mut peers {
        p.allowed_ips.sort();
    }
    peers.sort_by_key(|a| a.public_key);
    Ok(WgDevice {
        name: name.to_owned(),
        listen_port,
        public_key: public_key.or_else(|| private_key.as_ref().map(PrivateKey::public)),
        private_key,
        peers,
    })
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv6Addr, SocketAddr};

    use proptest::prelude::*;

    use super::*;
    use crate::backend::linux::nft::attr::Attrs;

    // The numbers of include/uapi/linux/wireguard.h, written out here so
    // that the bytes are checked against the kernel's header, not against
    // the crate's own constants.
    const WG_CMD_GET_DEVICE: u8 = 0;
    const WG_CMD_SET_DEVICE: u8 = 1;
    const WG_GENL_VERSION: u8 = 1;
    const WGDEVICE_A_IFINDEX: u16 = 1;
    const WGDEVICE_A_IFNAME: u16 = 2;
    const WGDEVICE_A_PRIVATE_KEY: u16 = 3;
    const WGDEVICE_A_PUBLIC_KEY: u16 = 4;
    const WGDEVICE_A_FLAGS: u16 = 5;
    const WGDEVICE_A_LISTEN_PORT: u16 = 6;
    const WGDEVICE_A_FWMARK: u16 = 7;
    const WGDEVICE_F_REPLACE_PEERS: u32 = 1;
    const WGPEER_A_PUBLIC_KEY: u16 = 1;
    const WGPEER_A_PRESHARED_KEY: u16 = 2;
    const WGPEER_A_FLAGS: u16 = 3;
    const WGPEER_A_ENDPOINT: u16 = 4;
    const WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL: u16 = 5;
    const WGPEER_A_LAST_HANDSHAKE_TIME: u16 = 6;
    const WGPEER_A_RX_BYTES: u16 = 7;
    const WGPEER_A_TX_BYTES: u16 = 8;
    const WGPEER_A_PROTOCOL_VERSION: u16 = 10;
    const WGPEER_F_REPLACE_ALLOWEDIPS: u32 = 2;
    const WGALLOWEDIP_A_FAMILY: u16 = 1;
    const WGALLOWEDIP_A_IPADDR: u16 = 2;
    const AF_INET: u16 = 2;
    const AF_INET6: u16 = 10;
    const NLA_F_NESTED: u16 = 0x8000;

    /// The family id the tests use (the kernel's is dynamic).
    const FAMILY_ID: u16 = 0x1d;

    // The pair of model::wgkey's tests (`wg genkey`, `wg pubkey`).
    const PRIVATE: &str = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";

    /// `WG_CMD_GET_DEVICE`'s answer from a kernel, captured with nlmon for
    /// `wg show cn` (netlink-packet-wireguard's test data, MIT): the
    /// generic header and the attributes; its private key is masked as
    /// 0, 1, …, 31 and its endpoint as 1.1.1.1:1111.
    const KERNEL_GET: &[u8] = include_bytes!("testdata/get-device-kernel.bin");

    /// `WG_CMD_SET_DEVICE` as `wg setconf wg0` sends it, captured the same
    /// way (same source).
    const WG_SETCONF: &[u8] = include_bytes!("testdata/set-device-wg-setconf.bin");

    fn key() -> PrivateKey {
        PrivateKey::parse(PRIVATE).unwrap()
    }

    fn ifaddr(s: &str) -> IfAddr {
        IfAddr::parse(s, "test").unwrap()
    }

    fn peer(byte: u8, endpoint: Option<&str>, keepalive: u16, ips: &[&str]) -> WgPeer {
        WgPeer {
            public_key: PublicKey::from_bytes([byte; 32]),
            endpoint: endpoint.map(|e| e.parse().unwrap()),
            allowed_ips: ips.iter().map(|a| ifaddr(a)).collect(),
            keepalive,
        }
    }

    fn device(peers: Vec<WgPeer>) -> WgDevice {
        WgDevice {
            name: "vpcwg1".into(),
            listen_port: 51820,
            private_key: Some(key()),
            public_key: Some(key().public()),
            peers,
        }
    }

    fn two_peers() -> WgDevice {
        device(vec![
            peer(0x11, Some("198.18.0.2:51820"), 25, &["fd00::2/128"]),
            peer(
                0x22,
                Some("[2001:db8::3]:51821"),
                0,
                &["10.9.0.3/32", "fd00::3/128"],
            ),
        ])
    }

    fn requests(set: &SetDevice) -> Vec<Vec<u8>> {
        (0..set.len())
            .map(|i| set.request(i, FAMILY_ID, 100 + i as u32).unwrap())
            .collect()
    }

    /// A netlink header in host order.
    fn nlmsghdr(len: usize, ty: u16, flags: u16, seq: u32) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(&(len as u32).to_ne_bytes());
        b.extend_from_slice(&ty.to_ne_bytes());
        b.extend_from_slice(&flags.to_ne_bytes());
        b.extend_from_slice(&seq.to_ne_bytes());
        b.extend_from_slice(&0u32.to_ne_bytes());
        b
    }

    /// A whole message: header, generic header, attributes.
    fn message(ty: u16, flags: u16, seq: u32, cmd: u8, version: u8, attrs: &[u8]) -> Vec<u8> {
        let mut b = nlmsghdr(HEADER + GENL_HEADER + attrs.len(), ty, flags, seq);
        b.extend_from_slice(&[cmd, version, 0, 0]);
        b.extend_from_slice(attrs);
        b
    }

    fn allowed(family: u16, addr: &[u8], cidr: u8) -> Attrs {
        Attrs::new()
            .bytes(WGALLOWEDIP_A_FAMILY, &family.to_ne_bytes())
            .bytes(WGALLOWEDIP_A_IPADDR, addr)
            .bytes(WGALLOWEDIP_A_CIDR_MASK, &[cidr])
    }

    fn fd00(last: u16) -> [u8; 16] {
        Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, last).octets()
    }

    #[test]
    fn set_device_bytes_follow_wireguard_h() {
        let set = set_device(&two_peers(), MESSAGE_BYTES).unwrap();
        assert_eq!(set.len(), 1);
        let got = set.request(0, FAMILY_ID, 7).unwrap();

        // struct sockaddr_in: family (host order), port (network order),
        // address, 8 bytes of zero.
        #[rustfmt::skip]
        let sockaddr_in: [u8; 16] = [
            2, 0, 0xca, 0x6c, 198, 18, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0,
        ];
        // struct sockaddr_in6: family, port, flow info, address, scope.
        #[rustfmt::skip]
        let sockaddr_in6: [u8; 28] = [
            10, 0, 0xca, 0x6d, 0, 0, 0, 0,
            0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3,
            0, 0, 0, 0,
        ];
        let a = Attrs::new()
            .bytes(WGPEER_A_PUBLIC_KEY, &[0x11; 32])
            .bytes(WGPEER_A_FLAGS, &WGPEER_F_REPLACE_ALLOWEDIPS.to_ne_bytes())
            .bytes(WGPEER_A_ENDPOINT, &sockaddr_in)
            .bytes(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, &25u16.to_ne_bytes())
            .nest(
                WGPEER_A_ALLOWEDIPS,
                Attrs::new().nest(0, allowed(AF_INET6, &fd00(2), 128)),
            );
        let b = Attrs::new()
            .bytes(WGPEER_A_PUBLIC_KEY, &[0x22; 32])
            .bytes(WGPEER_A_FLAGS, &WGPEER_F_REPLACE_ALLOWEDIPS.to_ne_bytes())
            .bytes(WGPEER_A_ENDPOINT, &sockaddr_in6)
            .bytes(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, &0u16.to_ne_bytes())
            .nest(
                WGPEER_A_ALLOWEDIPS,
                Attrs::new()
                    .nest(0, allowed(AF_INET, &[10, 9, 0, 3], 32))
                    .nest(0, allowed(AF_INET6, &fd00(3), 128)),
            );
        let attrs = Attrs::new()
            .str(WGDEVICE_A_IFNAME, "vpcwg1")
            .bytes(WGDEVICE_A_PRIVATE_KEY, key().bytes())
            .bytes(WGDEVICE_A_LISTEN_PORT, &51820u16.to_ne_bytes())
            .bytes(WGDEVICE_A_FLAGS, &WGDEVICE_F_REPLACE_PEERS.to_ne_bytes())
            .nest(WGDEVICE_A_PEERS, Attrs::new().nest(0, a).nest(0, b))
            .done();
        let want = message(
            FAMILY_ID,
            NLM_F_REQUEST | NLM_F_ACK,
            7,
            WG_CMD_SET_DEVICE,
            WG_GENL_VERSION,
            &attrs,
        );
        assert_eq!(got, want);
        // The peers' list and each peer are nested (NLA_F_NESTED).
        let peers_at = HEADER + GENL_HEADER + 12 + 36 + 8 + 8;
        assert_eq!(
            u16::from_ne_bytes([got[peers_at + 2], got[peers_at + 3]]),
            WGDEVICE_A_PEERS | NLA_F_NESTED
        );
        assert_eq!(
            u16::from_ne_bytes([got[peers_at + 6], got[peers_at + 7]]),
            NLA_F_NESTED
        );
        assert_eq!(applied(&[got]), two_peers());
    }

    /// What a kernel holds after `messages` (`WG_CMD_SET_DEVICE`, read with
    /// our attribute helpers alone): replace-peers clears the peers, a
    /// peer already there is updated (its allowed IPs replaced only with
    /// the flag).
    fn applied(messages: &[Vec<u8>]) -> WgDevice {
        let mut d = WgDevice {
            name: String::new(),
            listen_port: 0,
            private_key: None,
            public_key: None,
            peers: Vec::new(),
        };
        for m in messages {
            assert_eq!(
                &m[HEADER..HEADER + 2],
                &[WG_CMD_SET_DEVICE, WG_GENL_VERSION]
            );
            for (ty, v) in attr::parse(&m[HEADER + GENL_HEADER..]).unwrap() {
                match ty {
                    WGDEVICE_A_IFNAME => {
                        d.name = std::str::from_utf8(v)
                            .unwrap()
                            .trim_end_matches('\0')
                            .into();
                    }
                    WGDEVICE_A_PRIVATE_KEY => {
                        let k = PrivateKey::from_bytes(v.try_into().unwrap());
                        d.public_key = Some(k.public());
                        d.private_key = Some(k);
                    }
                    WGDEVICE_A_LISTEN_PORT => {
                        d.listen_port = u16::from_ne_bytes(v.try_into().unwrap())
                    }
                    WGDEVICE_A_FLAGS => {
                        if u32::from_ne_bytes(v.try_into().unwrap()) & WGDEVICE_F_REPLACE_PEERS != 0
                        {
                            d.peers.clear();
                        }
                    }
                    WGDEVICE_A_PEERS => {
                        for (_, p) in attr::parse(v).unwrap() {
                            apply_peer(&mut d, p);
                        }
                    }
                    other => panic!("unexpected device attribute {other}"),
                }
            }
        }
        d
    }

    fn apply_peer(d: &mut WgDevice, p: &[u8]) {
        let a = attr::parse(p).unwrap();
        let key = PublicKey::from_bytes(
            attr::get(&a, WGPEER_A_PUBLIC_KEY)
                .unwrap()
                .try_into()
                .unwrap(),
        );
        let at = match d.peers.iter().position(|q| q.public_key == key) {
            Some(at) => at,
            None => {
                d.peers.push(WgPeer {
                    public_key: key,
                    endpoint: None,
                    allowed_ips: Vec::new(),
                    keepalive: 0,
                });
                d.peers.len() - 1
            }
        };
        let peer = &mut d.peers[at];
        for (ty, v) in a {
            match ty {
                WGPEER_A_PUBLIC_KEY => {}
                WGPEER_A_FLAGS => {
                    let f = u32::from_ne_bytes(v.try_into().unwrap());
                    assert_eq!(f & !WGPEER_F_REPLACE_ALLOWEDIPS, 0, "flags {f}");
                    peer.allowed_ips.clear();
                }
                WGPEER_A_ENDPOINT => peer.endpoint = Some(sockaddr(v)),
                WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL => {
                    peer.keepalive = u16::from_ne_bytes(v.try_into().unwrap());
                }
                WGPEER_A_ALLOWEDIPS => {
                    for (_, ip) in attr::parse(v).unwrap() {
                        let ip = attr::parse(ip).unwrap();
                        let family = u16::from_ne_bytes(
                            attr::get(&ip, WGALLOWEDIP_A_FAMILY)
                                .unwrap()
                                .try_into()
                                .unwrap(),
                        );
                        let raw = attr::get(&ip, WGALLOWEDIP_A_IPADDR).unwrap();
                        let addr = match family {
                            AF_INET => IpAddr::from(<[u8; 4]>::try_from(raw).unwrap()),
                            AF_INET6 => IpAddr::from(<[u8; 16]>::try_from(raw).unwrap()),
                            f => panic!("family {f}"),
                        };
                        let prefix = attr::get(&ip, WGALLOWEDIP_A_CIDR_MASK).unwrap()[0];
                        peer.allowed_ips.push(IfAddr { addr, prefix });
                    }
                }
                other => panic!("unexpected peer attribute {other}"),
            }
        }
    }

    fn sockaddr(v: &[u8]) -> SocketAddr {
        let port = u16::from_be_bytes([v[2], v[3]]);
        match (v.len(), u16::from_ne_bytes([v[0], v[1]])) {
            (16, AF_INET) => {
                SocketAddr::new(IpAddr::from(<[u8; 4]>::try_from(&v[4..8]).unwrap()), port)
            }
            (28, AF_INET6) => {
                SocketAddr::new(IpAddr::from(<[u8; 16]>::try_from(&v[8..24]).unwrap()), port)
            }
            (n, f) => panic!("sockaddr of {n} bytes, family {f}"),
        }
    }

    #[test]
    fn our_reader_of_set_device_reads_wg_setconf() {
        // The reader the tests check our messages with reads what wg(8)
        // sends (which adds WGDEVICE_A_FWMARK 0: skipped here).
        let mut m = nlmsghdr(HEADER + WG_SETCONF.len(), FAMILY_ID, 5, 1);
        m.extend_from_slice(WG_SETCONF);
        let a = attr::parse(&m[HEADER + GENL_HEADER..]).unwrap();
        let kept: Vec<(u16, &[u8])> = a
            .into_iter()
            .filter(|(t, _)| *t != WGDEVICE_A_FWMARK)
            .collect();
        let mut attrs = Attrs::new();
        for (t, v) in kept {
            attrs = if t == WGDEVICE_A_PEERS {
                attrs.bytes(t | NLA_F_NESTED, v)
            } else {
                attrs.bytes(t, v)
            };
        }
        let m = message(FAMILY_ID, 5, 1, WG_CMD_SET_DEVICE, 1, &attrs.done());
        let d = applied(&[m]);
        assert_eq!(d.name, "wg0");
        assert_eq!(d.listen_port, 55555);
        assert_eq!(d.peers.len(), 1);
        assert_eq!(
            d.peers[0].allowed_ips,
            vec![ifaddr("192.0.2.2/32"), ifaddr("2001:db8:1::2/128")]
        );
        // Ours for the same device says the same.
        let same = WgDevice {
            name: "wg0".into(),
            listen_port: 55555,
            private_key: d.private_key.clone(),
            public_key: d.public_key,
            peers: d.peers.clone(),
        };
        assert_eq!(
            applied(&requests(&set_device(&same, MESSAGE_BYTES).unwrap())),
            same
        );
    }

    #[test]
    fn no_peers_still_replaces_them() {
        let set = set_device(&device(vec![]), MESSAGE_BYTES).unwrap();
        assert_eq!(set.len(), 1);
        let m = &requests(&set)[0];
        let a = attr::parse(&m[HEADER + GENL_HEADER..]).unwrap();
        assert_eq!(
            attr::get(&a, WGDEVICE_A_FLAGS),
            Some(&WGDEVICE_F_REPLACE_PEERS.to_ne_bytes()[..])
        );
        assert_eq!(attr::get(&a, WGDEVICE_A_PEERS), None);
        assert_eq!(applied(&requests(&set)), device(vec![]));
    }

    /// A device of `n` peers with IPv6 endpoints, as the planner makes
    /// them (ascending keys).
    fn many(n: u16) -> WgDevice {
        let mut peers: Vec<WgPeer> = (0..n)
            .map(|i| {
                let mut k = [0u8; 32];
                k[..2].copy_from_slice(&i.to_be_bytes());
                WgPeer {
                    public_key: PublicKey::from_bytes(k),
                    endpoint: Some(SocketAddr::new(
                        Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 1, i).into(),
                        51820,
                    )),
                    allowed_ips: vec![IfAddr {
                        addr: Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 1, i).into(),
                        prefix: 128,
                    }],
                    keepalive: if i % 2 == 0 { 25 } else { 0 },
                }
            })
            .collect();
        peers.sort_by_key(|p| p.public_key);
        device(peers)
    }

    #[test]
    fn hundreds_of_peers_are_cut_into_messages_that_fit() {
        for n in [300, 1000] {
            let d = many(n);
            let set = set_device(&d, MESSAGE_BYTES).unwrap();
            let msgs = requests(&set);
            assert!(msgs.len() > 1, "{n} peers in {} message", msgs.len());
            for (i, m) in msgs.iter().enumerate() {
                assert!(m.len() <= MESSAGE_BYTES, "message {i}: {} bytes", m.len());
                assert_eq!(
                    u32::from_ne_bytes(m[..4].try_into().unwrap()) as usize,
                    m.len()
                );
                let a = attr::parse(&m[HEADER + GENL_HEADER..]).unwrap();
                // Only the first holds the key and replaces the peers.
                assert_eq!(attr::get(&a, WGDEVICE_A_PRIVATE_KEY).is_some(), i == 0);
                assert_eq!(attr::get(&a, WGDEVICE_A_FLAGS).is_some(), i == 0);
                assert_eq!(attr::get(&a, WGDEVICE_A_IFNAME), Some(&b"vpcwg1\0"[..]));
            }
            assert_eq!(applied(&msgs), d, "{n} peers");
        }
    }

    #[test]
    fn a_peer_with_more_allowed_ips_than_fit_is_continued() {
        let ips: Vec<String> = (0..200)
            .map(|i| format!("10.{}.{}.0/24", i / 250, i % 250))
            .collect();
        let ips: Vec<&str> = ips.iter().map(String::as_str).collect();
        let d = device(vec![
            peer(1, Some("198.18.0.2:51820"), 25, &["fd00::1/128"]),
            peer(2, Some("198.18.0.3:51820"), 0, &ips),
            peer(3, None, 0, &["fd00::3/128"]),
        ]);
        let set = set_device(&d, 1024).unwrap();
        let msgs = requests(&set);
        assert!(msgs.len() >= 6, "{} messages", msgs.len());
        for m in &msgs {
            assert!(m.len() <= 1024, "{} bytes", m.len());
        }
        // A continued peer's later parts carry its key and IPs only.
        let second = attr::parse(&msgs[1][HEADER + GENL_HEADER..]).unwrap();
        let peers = attr::parse(attr::get(&second, WGDEVICE_A_PEERS).unwrap()).unwrap();
        let first_peer = attr::parse(peers[0].1).unwrap();
        let types: Vec<u16> = first_peer.iter().map(|(t, _)| *t).collect();
        assert_eq!(types, vec![WGPEER_A_PUBLIC_KEY, WGPEER_A_ALLOWEDIPS]);
        assert_eq!(applied(&msgs), d);
    }

    #[test]
    fn a_budget_too_small_for_one_peer_is_an_error() {
        // The first message alone fits; no peer fits a message of its own.
        let e = set_device(&two_peers(), 150).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Backend);
        assert!(
            e.message().contains("does not fit a message of 150 bytes"),
            "{e}"
        );
        let e = set_device(&two_peers(), 40).unwrap_err();
        assert!(e.message().contains("does not fit"), "{e}");
    }

    #[test]
    fn no_private_key_is_an_error_and_none_is_ever_shown() {
        let mut d = two_peers();
        let shown = format!("{:?}", set_device(&d, MESSAGE_BYTES).unwrap());
        assert_eq!(shown, "SetDevice(1 messages)");
        d.private_key = None;
        let e = set_device(&d, MESSAGE_BYTES).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Backend);
        assert!(
            e.message().contains("vpcwg1 is given no private key"),
            "{e}"
        );
    }

    #[test]
    fn get_device_request_bytes() {
        let got = get_device_request(FAMILY_ID, 9, "vpcwg1");
        let attrs = Attrs::new().str(WGDEVICE_A_IFNAME, "vpcwg1").done();
        // NLM_F_REQUEST | NLM_F_DUMP (NLM_F_ROOT | NLM_F_MATCH).
        let want = message(
            FAMILY_ID,
            0x301,
            9,
            WG_CMD_GET_DEVICE,
            WG_GENL_VERSION,
            &attrs,
        );
        assert_eq!(got, want);
    }

    #[test]
    fn family_lookup() {
        // CTRL_CMD_GETFAMILY (3), CTRL_ATTR_FAMILY_NAME (2).
        let got = family_request(4);
        let want = message(
            GENL_ID_CTRL,
            NLM_F_REQUEST,
            4,
            3,
            2,
            &Attrs::new().str(2, "wireguard").done(),
        );
        assert_eq!(got, want);
        // The controller's answer (CTRL_CMD_NEWFAMILY, 1), with an
        // attribute no crate knows yet.
        let answer = Attrs::new()
            .str(2, "wireguard")
            .bytes(CTRL_ATTR_FAMILY_ID, &FAMILY_ID.to_ne_bytes())
            .bytes(99, &[1, 2, 3, 4])
            .done();
        let reply = message(GENL_ID_CTRL, 0, 4, 1, 2, &answer);
        assert_eq!(read_family(&reply, 4).unwrap(), Lookup::Found(FAMILY_ID));
        assert_eq!(read_family(&reply, 5).unwrap(), Lookup::Pending);
        let mut enoent = nlmsghdr(36, 2, 0, 4);
        enoent.extend_from_slice(&(-2i32).to_ne_bytes());
        enoent.extend_from_slice(&[0; 16]);
        assert_eq!(read_family(&enoent, 4).unwrap(), Lookup::Missing);
        let mut eperm = enoent.clone();
        eperm[16..20].copy_from_slice(&(-1i32).to_ne_bytes());
        assert!(read_family(&eperm, 4).is_err());
        let short = message(
            GENL_ID_CTRL,
            0,
            4,
            1,
            2,
            &Attrs::new().bytes(CTRL_ATTR_FAMILY_ID, &[1]).done(),
        );
        let e = read_family(&short, 4).unwrap_err();
        assert!(
            e.message()
                .contains("CTRL_ATTR_FAMILY_ID has 1 bytes, expected 2"),
            "{e}"
        );
        let none = message(
            GENL_ID_CTRL,
            0,
            4,
            1,
            2,
            &Attrs::new().str(2, "wireguard").done(),
        );
        assert!(
            read_family(&none, 4)
                .unwrap_err()
                .message()
                .contains("no CTRL_ATTR_FAMILY_ID")
        );
    }

    #[cfg(target_endian = "little")]
    #[test]
    fn a_captured_kernel_answer_reads() {
        let d = read_device("cn", &[KERNEL_GET.to_vec()]).unwrap();
        assert_eq!(d.listen_port, 32812);
        let masked: [u8; 32] = std::array::from_fn(|i| i as u8);
        assert_eq!(d.private_key.as_ref().map(|k| *k.bytes()), Some(masked));
        // The kernel's own public key attribute wins.
        assert_eq!(
            d.public_key.map(|k| k.bytes()[..4].to_vec()),
            Some(vec![0xcc, 0xaf, 0x10, 0xe1])
        );
        assert_eq!(d.peers.len(), 1);
        let p = &d.peers[0];
        assert_eq!(p.public_key.bytes()[..4], [0x77, 0xdc, 0x9a, 0xc0]);
        assert_eq!(p.endpoint, Some("1.1.1.1:1111".parse().unwrap()));
        assert_eq!(p.keepalive, 25);
        assert_eq!(p.allowed_ips, vec![ifaddr("0.0.0.0/0")]);
        // Another interface's answer is refused.
        let e = read_device("vpcwg1", &[KERNEL_GET.to_vec()]).unwrap_err();
        assert!(e.message().contains("it is about interface cn"), "{e}");
    }

    /// A kernel-like dump of `d`: the device's attributes in the first
    /// message, the peers cut after every `cut` allowed IPs (a peer cut in
    /// the middle continues under its key alone).
    fn dump_of(d: &WgDevice, cut: usize) -> Vec<Vec<u8>> {
        let head = Attrs::new()
            .bytes(WGDEVICE_A_LISTEN_PORT, &d.listen_port.to_ne_bytes())
            .bytes(WGDEVICE_A_FWMARK, &0u32.to_ne_bytes())
            .bytes(WGDEVICE_A_IFINDEX, &7u32.to_ne_bytes())
            .str(WGDEVICE_A_IFNAME, &d.name)
            .bytes(
                WGDEVICE_A_PRIVATE_KEY,
                d.private_key.as_ref().unwrap().bytes(),
            )
            .bytes(WGDEVICE_A_PUBLIC_KEY, d.public_key.unwrap().bytes());
        let mut messages = Vec::new();
        let mut attrs = head;
        let mut peers = Attrs::new();
        let mut count = 0;
        for p in &d.peers {
            let endpoint = p.endpoint.map(|e| match e {
                SocketAddr::V4(a) => {
                    let mut b = vec![2, 0];
                    b.extend_from_slice(&a.port().to_be_bytes());
                    b.extend_from_slice(&a.ip().octets());
                    b.extend_from_slice(&[0; 8]);
                    b
                }
                SocketAddr::V6(a) => {
                    let mut b = vec![10, 0];
                    b.extend_from_slice(&a.port().to_be_bytes());
                    b.extend_from_slice(&[0; 4]);
                    b.extend_from_slice(&a.ip().octets());
                    b.extend_from_slice(&[0; 4]);
                    b
                }
            });
            let mut peer = Attrs::new()
                .bytes(WGPEER_A_PUBLIC_KEY, p.public_key.bytes())
                .bytes(WGPEER_A_PRESHARED_KEY, &[0; 32])
                .bytes(WGPEER_A_LAST_HANDSHAKE_TIME, &[0; 16])
                .bytes(
                    WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL,
                    &p.keepalive.to_ne_bytes(),
                )
                .bytes(WGPEER_A_TX_BYTES, &[0; 8])
                .bytes(WGPEER_A_RX_BYTES, &[0; 8])
                .bytes(WGPEER_A_PROTOCOL_VERSION, &1u32.to_ne_bytes());
            if let Some(e) = endpoint {
                peer = peer.bytes(WGPEER_A_ENDPOINT, &e);
            }
            let mut ips = Attrs::new();
            for a in &p.allowed_ips {
                if count > 0 && count % cut == 0 {
                    // The message is full: close it, continue the peer.
                    peers = peers.nest(0, peer.nest(WGPEER_A_ALLOWEDIPS, ips));
                    attrs = attrs.nest(WGDEVICE_A_PEERS, peers);
                    messages.push(attrs.done());
                    attrs = Attrs::new();
                    peers = Attrs::new();
                    peer = Attrs::new().bytes(WGPEER_A_PUBLIC_KEY, p.public_key.bytes());
                    ips = Attrs::new();
                }
                count += 1;
                let (family, raw) = match a.addr {
                    IpAddr::V4(v) => (AF_INET, v.octets().to_vec()),
                    IpAddr::V6(v) => (AF_INET6, v.octets().to_vec()),
                };
                // The kernel writes the mask first.
                ips = ips.nest(
                    0,
                    Attrs::new()
                        .bytes(WGALLOWEDIP_A_CIDR_MASK, &[a.prefix])
                        .bytes(WGALLOWEDIP_A_FAMILY, &family.to_ne_bytes())
                        .bytes(WGALLOWEDIP_A_IPADDR, &raw),
                );
            }
            peers = peers.nest(0, peer.nest(WGPEER_A_ALLOWEDIPS, ips));
        }
        attrs = attrs.nest(WGDEVICE_A_PEERS, peers);
        messages.push(attrs.done());
        messages
            .into_iter()
            .map(|a| {
                let mut m = vec![WG_CMD_GET_DEVICE, WG_GENL_VERSION, 0, 0];
                m.extend(a);
                m
            })
            .collect()
    }

    #[test]
    fn a_dump_reads_back_into_the_device() {
        let d = two_peers();
        assert_eq!(read_device("vpcwg1", &dump_of(&d, 100)).unwrap(), d);
        // Cut inside the second peer's allowed IPs: put back together.
        let parts = dump_of(&d, 2);
        assert_eq!(parts.len(), 2);
        assert_eq!(read_device("vpcwg1", &parts).unwrap(), d);
        let big = many(600);
        let parts = dump_of(&big, 250);
        assert_eq!(parts.len(), 3);
        assert_eq!(read_device("vpcwg1", &parts).unwrap(), big);
    }

    #[test]
    fn peers_and_their_ips_come_back_sorted() {
        let mut d = two_peers();
        d.peers.reverse();
        d.peers[0].allowed_ips.reverse();
        let got = read_device("vpcwg1", &dump_of(&d, 100)).unwrap();
        assert_eq!(got, two_peers());
    }

    #[test]
    fn a_device_without_a_key_reads_with_none() {
        let attrs = Attrs::new()
            .bytes(WGDEVICE_A_LISTEN_PORT, &0u16.to_ne_bytes())
            .str(WGDEVICE_A_IFNAME, "vpcwg1")
            .done();
        let mut m = vec![WG_CMD_GET_DEVICE, 1, 0, 0];
        m.extend(attrs);
        let d = read_device("vpcwg1", &[m]).unwrap();
        assert_eq!(
            (d.private_key.is_none(), d.public_key, d.listen_port),
            (true, None, 0)
        );
        assert!(d.peers.is_empty());
    }

    fn refused(parts: &[Vec<u8>]) -> String {
        let e = read_device("vpcwg1", parts).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Backend);
        let m = e.message().to_owned();
        assert!(
            m.starts_with("the kernel's WireGuard answer for vpcwg1 is not understood: "),
            "{m}"
        );
        m
    }

    fn genl(attrs: Attrs) -> Vec<u8> {
        let mut m = vec![WG_CMD_GET_DEVICE, 1, 0, 0];
        m.extend(attrs.done());
        m
    }

    fn port() -> Attrs {
        Attrs::new().bytes(WGDEVICE_A_LISTEN_PORT, &1u16.to_ne_bytes())
    }

    fn one_peer(p: Attrs) -> Attrs {
        port().nest(WGDEVICE_A_PEERS, Attrs::new().nest(0, p))
    }

    fn key_attr(b: u8) -> Attrs {
        Attrs::new().bytes(WGPEER_A_PUBLIC_KEY, &[b; 32])
    }

    #[test]
    fn malformed_answers_are_refused_by_name() {
        let m = refused(&[]);
        assert!(m.ends_with("the dump is empty"), "{m}");
        let m = refused(&[vec![0, 1]]);
        assert!(m.contains("message 1 of 1"), "{m}");
        let m = refused(&[genl(Attrs::new().str(WGDEVICE_A_IFNAME, "vpcwg1"))]);
        assert!(m.ends_with("no WGDEVICE_A_LISTEN_PORT"), "{m}");
        // A mask without its byte: refused, where the crate would panic.
        let cidr = one_peer(
            key_attr(1).nest(
                WGPEER_A_ALLOWEDIPS,
                Attrs::new().nest(
                    0,
                    Attrs::new()
                        .bytes(WGALLOWEDIP_A_FAMILY, &AF_INET.to_ne_bytes())
                        .bytes(WGALLOWEDIP_A_IPADDR, &[10, 0, 0, 1])
                        .bytes(WGALLOWEDIP_A_CIDR_MASK, &[]),
                ),
            ),
        );
        let m = refused(&[genl(cidr)]);
        assert!(
            m.contains("WGALLOWEDIP_A_CIDR_MASK has 0 bytes, expected 1"),
            "{m}"
        );
        let wide = one_peer(key_attr(1).nest(
            WGPEER_A_ALLOWEDIPS,
            Attrs::new().nest(0, allowed(AF_INET, &[10, 0, 0, 1], 33)),
        ));
        assert!(refused(&[genl(wide)]).contains("10.0.0.1/33: prefix over 32"));
        let family = one_peer(key_attr(1).nest(
            WGPEER_A_ALLOWEDIPS,
            Attrs::new().nest(0, allowed(AF_INET6, &[10, 0, 0, 1], 32)),
        ));
        assert!(refused(&[genl(family)]).contains("allowed IP 10.0.0.1 under address family"));
        let keyless = one_peer(Attrs::new().bytes(WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL, &[0, 0]));
        assert!(refused(&[genl(keyless)]).contains("a peer without WGPEER_A_PUBLIC_KEY"));
        let twice = port().nest(
            WGDEVICE_A_PEERS,
            Attrs::new()
                .nest(0, key_attr(1))
                .nest(0, key_attr(2))
                .nest(0, key_attr(1)),
        );
        assert!(refused(&[genl(twice)]).contains("is listed twice"));
        let short_key = port().bytes(WGDEVICE_A_PRIVATE_KEY, &[0xab; 31]);
        let m = refused(&[genl(short_key)]);
        assert!(m.contains("WGDEVICE_A_PRIVATE_KEY"), "{m}");
        assert!(
            !m.to_lowercase().contains("ab, ab") && !m.contains("171"),
            "{m}"
        );
        // An attribute running past its message.
        let mut cut = genl(port());
        cut[4] = 60;
        assert!(refused(&[cut]).contains("message 1 of 1"));
        let mut set = genl(port());
        set[0] = WG_CMD_SET_DEVICE;
        assert!(refused(&[set]).contains("expected WG_CMD_GET_DEVICE"));
    }

    #[test]
    fn dumps_over_datagrams() {
        let parts = dump_of(&two_peers(), 2);
        let frame = |flags: u16, seq: u32, payload: &[u8]| {
            let mut m = nlmsghdr(HEADER + payload.len(), FAMILY_ID, flags, seq);
            m.extend_from_slice(payload);
            m.resize(m.len().next_multiple_of(4), 0);
            m
        };
        let done = |seq: u32| {
            let mut m = nlmsghdr(20, 3, 2, seq);
            m.extend_from_slice(&0i32.to_ne_bytes());
            m
        };
        let mut dump = Dump::new(FAMILY_ID, 5);
        let mut first = frame(2, 4, &parts[0]);
        first.extend(frame(2, 5, &parts[0]));
        assert_eq!(dump.read(&first).unwrap(), Dumped::Pending);
        let mut second = frame(2, 5, &parts[1]);
        second.extend(done(5));
        let Dumped::Done(got) = dump.read(&second).unwrap() else {
            panic!("not done")
        };
        assert_eq!(got, parts);
        // The device changed meanwhile: ask again.
        let mut dump = Dump::new(FAMILY_ID, 6);
        let mut d = frame(2 | 0x10, 6, &parts[0]);
        d.extend(done(6));
        assert_eq!(dump.read(&d).unwrap(), Dumped::Interrupted);
        // Refused.
        let mut dump = Dump::new(FAMILY_ID, 7);
        let mut eperm = nlmsghdr(36, 2, 0, 7);
        eperm.extend_from_slice(&(-1i32).to_ne_bytes());
        eperm.extend_from_slice(&[0; 16]);
        assert_eq!(dump.read(&eperm).unwrap(), Dumped::Refused(1));
        // Another family's message in our answer.
        let mut dump = Dump::new(FAMILY_ID, 8);
        let mut other = nlmsghdr(24, 0x30, 2, 8);
        other.extend_from_slice(&[0; 8]);
        let e = dump.read(&other).unwrap_err();
        assert!(
            e.message()
                .contains("expected WireGuard's family (type 29)"),
            "{e}"
        );
    }

    proptest! {
        /// No damaged answer panics (the crate alone would, on a mask
        /// without its byte).
        #[test]
        fn damaged_answers_never_panic(at in 0usize..300, byte in any::<u8>(), len in 0usize..300) {
            let mut b = KERNEL_GET.to_vec();
            let at = at % b.len();
            b[at] = byte;
            b.truncate(len.max(at + 1));
            let _ = read_device("cn", &[b]);
            let mut parts = dump_of(&two_peers(), 2);
            let at = at % parts[1].len();
            parts[1][at] = byte;
            let _ = read_device("vpcwg1", &parts);
        }
    }
}
