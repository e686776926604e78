//! IPv6 (RFC 8200): version `0` (high nibble), payload length `4..6`,
//! next header `6`, hop limit `7`, source `8..24`, destination `24..40`;
//! the payload follows (the probe's answers carry no extension header).

use std::net::Ipv6Addr;

const VERSION: usize = 0;
const PAYLOAD_LEN: std::ops::Range<usize> = 4..6;
const NEXT_HEADER: usize = 6;
const HOP_LIMIT_AT: usize = 7;
const SRC: std::ops::Range<usize> = 8..24;
const DST: std::ops::Range<usize> = 24..40;
/// Header length.
pub const HEADER: usize = 40;
/// Hop limit of the echo requests.
pub const HOP_LIMIT: u8 = 64;

/// A packet as read, its payload cut to the payload length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Source.
    pub src: Ipv6Addr,
    /// Destination.
    pub dst: Ipv6Addr,
    /// Next header.
    pub next_header: u8,
    /// Hop limit as received.
    pub hop_limit: u8,
    /// The payload.
    pub payload: &'a [u8],
}

fn ip(b: &[u8]) -> Ipv6Addr {
    let mut a = [0u8; 16];
    a.copy_from_slice(b);
    Ipv6Addr::from(a)
}

impl<'a> Packet<'a> {
    /// Reads a packet: `None` unless version 6 and the payload length
    /// inside `b` (the rest is link padding).
    pub fn read(b: &'a [u8]) -> Option<Packet<'a>> {
        let header = b.get(..HEADER)?;
        let len = usize::from(u16::from_be_bytes([header[4], header[5]]));
        if header[VERSION] >> 4 != 6 {
            return None;
        }
        Some(Packet {
            src: ip(&header[SRC]),
            dst: ip(&header[DST]),
            next_header: header[NEXT_HEADER],
            hop_limit: header[HOP_LIMIT_AT],
            payload: b.get(HEADER..HEADER + len)?,
        })
    }
}

/// A packet from `src` to `dst` carrying `payload` (next header
/// `next_header`) with hop limit `hop_limit`.
pub fn packet(
    src: Ipv6Addr,
    dst: Ipv6Addr,
    next_header: u8,
    hop_limit: u8,
    payload: &[u8],
) -> Vec<u8> {
    let mut p = vec![0u8; HEADER];
    p[VERSION] = 0x60;
    // A probe is a few dozen bytes: far below 2^16.
    p[PAYLOAD_LEN].copy_from_slice(&(payload.len() as u16).to_be_bytes());
    p[NEXT_HEADER] = next_header;
    p[HOP_LIMIT_AT] = hop_limit;
    p[SRC].copy_from_slice(&src.octets());
    p[DST].copy_from_slice(&dst.octets());
    p.extend_from_slice(payload);
    p
}

/// The solicited-node group of `addr` (RFC 4291 §2.7.1):
/// `ff02::1:ff00:0/104` with the address's low 24 bits.
pub fn solicited_node(addr: Ipv6Addr) -> Ipv6Addr {
    let o = addr.octets();
    Ipv6Addr::from([
        0xff02,
        0,
        0,
        0,
        0,
        1,
        0xff00 | u16::from(o[13]),
        u16::from_be_bytes([o[14], o[15]]),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_bytes_and_reading() {
        let a: Ipv6Addr = "2001:db8::1".parse().unwrap();
        let b: Ipv6Addr = "2001:db8::2".parse().unwrap();
        let p = packet(a, b, 58, 255, &[9, 9]);
        assert_eq!(p[..8], [0x60, 0, 0, 0, 0, 2, 58, 255]);
        assert_eq!(p[8..24], a.octets());
        assert_eq!(p[24..40], b.octets());
        assert_eq!(p[40..], [9, 9]);
        let r = Packet::read(&p).unwrap();
        assert_eq!(
            (r.src, r.dst, r.next_header, r.hop_limit, r.payload),
            (a, b, 58, 255, &[9, 9][..])
        );
        let mut padded = p.clone();
        padded.push(0);
        assert_eq!(Packet::read(&padded), Some(r));
        assert_eq!(Packet::read(&p[..41]), None);
        let mut v4 = p;
        v4[0] = 0x45;
        assert_eq!(Packet::read(&v4), None);
    }

    #[test]
    fn solicited_node_groups() {
        let g = |s: &str| solicited_node(s.parse().unwrap()).to_string();
        assert_eq!(g("2001:db8:100::2"), "ff02::1:ff00:2");
        assert_eq!(g("fe80::1234:5678:9abc"), "ff02::1:ff78:9abc");
    }
}
