//! ARP for IPv4 over Ethernet (RFC 826): hardware type `0..2` (1),
//! protocol type `2..4` (0x0800), lengths `4` (6) and `5` (4), operation
//! `6..8`, sender MAC `8..14`, sender IP `14..18`, target MAC `18..24`,
//! target IP `24..28`.

use std::net::Ipv4Addr;

use crate::model::addr::Mac;

const HTYPE: std::ops::Range<usize> = 0..2;
const PTYPE: std::ops::Range<usize> = 2..4;
const HLEN: usize = 4;
const PLEN: usize = 5;
const OP: std::ops::Range<usize> = 6..8;
const SHA: std::ops::Range<usize> = 8..14;
const SPA: std::ops::Range<usize> = 14..18;
const THA: std::ops::Range<usize> = 18..24;
const TPA: std::ops::Range<usize> = 24..28;
/// Length of an Ethernet/IPv4 ARP packet.
pub const LEN: usize = 28;

/// Operation: request.
pub const REQUEST: u16 = 1;
/// Operation: reply.
pub const REPLY: u16 = 2;

/// An ARP packet as read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet {
    /// Operation.
    pub op: u16,
    /// Sender's MAC.
    pub sender_mac: Mac,
    /// Sender's address.
    pub sender_ip: Ipv4Addr,
    /// Target's MAC (zero in a request).
    pub target_mac: Mac,
    /// Target's address.
    pub target_ip: Ipv4Addr,
}

fn ip(b: &[u8]) -> Option<Ipv4Addr> {
    Some(Ipv4Addr::from(<[u8; 4]>::try_from(b).ok()?))
}

impl Packet {
    /// Reads an Ethernet/IPv4 ARP packet; `None` for anything else.
    pub fn read(b: &[u8]) -> Option<Packet> {
        let b = b.get(..LEN)?;
        if b[HTYPE] != [0, 1] || b[PTYPE] != [0x08, 0x00] || b[HLEN] != 6 || b[PLEN] != 4 {
            return None;
        }
        Some(Packet {
            op: u16::from_be_bytes([b[OP.start], b[OP.start + 1]]),
            sender_mac: Mac(b[SHA].try_into().ok()?),
            sender_ip: ip(&b[SPA])?,
            target_mac: Mac(b[THA].try_into().ok()?),
            target_ip: ip(&b[TPA])?,
        })
    }

    /// The packet's bytes.
    pub fn bytes(&self) -> [u8; LEN] {
        let mut b = [0u8; LEN];
        b[HTYPE].copy_from_slice(&[0, 1]);
        b[PTYPE].copy_from_slice(&[0x08, 0x00]);
        b[HLEN] = 6;
        b[PLEN] = 4;
        b[OP].copy_from_slice(&self.op.to_be_bytes());
        b[SHA].copy_from_slice(&self.sender_mac.0);
        b[SPA].copy_from_slice(&self.sender_ip.octets());
        b[THA].copy_from_slice(&self.target_mac.0);
        b[TPA].copy_from_slice(&self.target_ip.octets());
        b
    }
}

/// A request from `ip` at `mac` for `target`.
pub fn request(mac: Mac, ip: Ipv4Addr, target: Ipv4Addr) -> [u8; LEN] {
    Packet {
        op: REQUEST,
        sender_mac: mac,
        sender_ip: ip,
        target_mac: Mac([0; 6]),
        target_ip: target,
    }
    .bytes()
}

/// A reply: `ip` is at `mac`, told to `to_ip` at `to_mac`.
pub fn reply(mac: Mac, ip: Ipv4Addr, to_mac: Mac, to_ip: Ipv4Addr) -> [u8; LEN] {
    Packet {
        op: REPLY,
        sender_mac: mac,
        sender_ip: ip,
        target_mac: to_mac,
        target_ip: to_ip,
    }
    .bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reply as a Linux far end sends it, from its bridge's MAC.
    #[rustfmt::skip]
    const CAPTURED: [u8; LEN] = [
        0, 1, 8, 0, 6, 4, 0, 2,
        0x3e, 0x36, 0xc6, 0xd6, 0x78, 0xca, 10, 100, 0, 2,
        0x02, 0, 0, 0, 0, 1, 10, 100, 0, 1,
    ];

    #[test]
    fn reads_a_reply_and_writes_it_back() {
        let p = Packet::read(&CAPTURED).unwrap();
        assert_eq!(p.op, REPLY);
        assert_eq!(p.sender_mac, Mac([0x3e, 0x36, 0xc6, 0xd6, 0x78, 0xca]));
        assert_eq!(p.sender_ip, Ipv4Addr::new(10, 100, 0, 2));
        assert_eq!(p.target_ip, Ipv4Addr::new(10, 100, 0, 1));
        assert_eq!(p.bytes(), CAPTURED);
        // Ethernet padding after the packet is ignored.
        let mut padded = CAPTURED.to_vec();
        padded.extend([0; 18]);
        assert_eq!(Packet::read(&padded), Some(p));
    }

    #[test]
    fn refuses_what_is_not_ethernet_ipv4() {
        assert_eq!(Packet::read(&CAPTURED[..27]), None);
        for (at, v) in [(1, 6), (2, 0x86), (4, 8), (5, 16)] {
            let mut b = CAPTURED;
            b[at] = v;
            assert_eq!(Packet::read(&b), None, "byte {at} = {v}");
        }
    }
}
