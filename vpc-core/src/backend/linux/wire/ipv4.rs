//! IPv4 (RFC 791): version and header length `0`, total length `2..4`,
//! flags and fragment offset `6..8`, TTL `8`, protocol `9`, header
//! checksum `10..12`, source `12..16`, destination `16..20`; options up to
//! the header length, then the payload.

use std::net::Ipv4Addr;

use super::checksum;

const VERSION_IHL: usize = 0;
const TOTAL_LEN: std::ops::Range<usize> = 2..4;
const FRAGMENT: std::ops::Range<usize> = 6..8;
const TTL: usize = 8;
const PROTOCOL: usize = 9;
const CHECKSUM: std::ops::Range<usize> = 10..12;
const SRC: std::ops::Range<usize> = 12..16;
const DST: std::ops::Range<usize> = 16..20;
/// Length of a header without options.
pub const HEADER: usize = 20;
/// Don't fragment: a probe is small, and a fragment of it would be no
/// answer anyway.
const DONT_FRAGMENT: u16 = 0x4000;
/// TTL of what the probe sends.
pub const TTL_SENT: u8 = 64;

/// A packet as read: header checked, payload cut to the total length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// Source.
    pub src: Ipv4Addr,
    /// Destination.
    pub dst: Ipv4Addr,
    /// Protocol of the payload.
    pub protocol: u8,
    /// The payload.
    pub payload: &'a [u8],
}

fn ip(b: &[u8]) -> Ipv4Addr {
    let mut a = [0u8; 4];
    a.copy_from_slice(b);
    Ipv4Addr::from(a)
}

impl<'a> Packet<'a> {
    /// Reads a packet: `None` unless version 4, a header length of 5 to 15
    /// words inside the total length, the total length inside `b` (the
    /// rest is link padding), a correct header checksum and no fragment.
    pub fn read(b: &'a [u8]) -> Option<Packet<'a>> {
        let first = *b.first()?;
        let header = usize::from(first & 0x0f) * 4;
        let total = usize::from(u16::from_be_bytes(b.get(TOTAL_LEN)?.try_into().ok()?));
        if first >> 4 != 4 || header < HEADER || total < header || total > b.len() {
            return None;
        }
        let fragment = u16::from_be_bytes(b.get(FRAGMENT)?.try_into().ok()?);
        if fragment & !DONT_FRAGMENT != 0 || checksum(&[&b[..header]]) != 0 {
            return None;
        }
        Some(Packet {
            src: ip(&b[SRC]),
            dst: ip(&b[DST]),
            protocol: b[PROTOCOL],
            payload: &b[header..total],
        })
    }
}

/// A packet from `src` to `dst` carrying `payload` of `protocol`.
pub fn packet(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0u8; HEADER];
    p[VERSION_IHL] = 0x45;
    // A probe is a few dozen bytes: far below 2^16.
    let total = (HEADER + payload.len()) as u16;
    p[TOTAL_LEN].copy_from_slice(&total.to_be_bytes());
    p[FRAGMENT].copy_from_slice(&DONT_FRAGMENT.to_be_bytes());
    p[TTL] = TTL_SENT;
    p[PROTOCOL] = protocol;
    p[SRC].copy_from_slice(&src.octets());
    p[DST].copy_from_slice(&dst.octets());
    let sum = checksum(&[&p]);
    p[CHECKSUM].copy_from_slice(&sum.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Ipv4Addr = Ipv4Addr::new(10, 100, 0, 1);
    const B: Ipv4Addr = Ipv4Addr::new(10, 100, 0, 2);

    #[test]
    fn header_bytes() {
        let p = packet(A, B, 1, &[0xab; 4]);
        #[rustfmt::skip]
        let want = [
            0x45, 0, 0, 24,  0, 0, 0x40, 0,  64, 1, 0x26, 0x1b,
            10, 100, 0, 1,  10, 100, 0, 2,  0xab, 0xab, 0xab, 0xab,
        ];
        assert_eq!(p, want);
        let r = Packet::read(&p).unwrap();
        assert_eq!(
            (r.src, r.dst, r.protocol, r.payload),
            (A, B, 1, &[0xab; 4][..])
        );
    }

    #[test]
    fn padding_options_and_refusals() {
        let p = packet(A, B, 1, &[1, 2]);
        let mut padded = p.clone();
        padded.extend([0; 10]);
        assert_eq!(Packet::read(&padded).unwrap().payload, &[1, 2]);
        assert_eq!(
            Packet::read(&p[..p.len() - 1]),
            None,
            "shorter than its length"
        );
        // 24-byte header: one word of options (NOPs), checksum redone.
        let mut opt = p[..HEADER].to_vec();
        opt[0] = 0x46;
        opt[3] = 26;
        opt.extend([1, 1, 1, 1]);
        opt[10..12].copy_from_slice(&[0, 0]);
        let sum = checksum(&[&opt]);
        opt[10..12].copy_from_slice(&sum.to_be_bytes());
        opt.extend([1, 2]);
        assert_eq!(Packet::read(&opt).unwrap().payload, &[1, 2]);
        for (at, v) in [(0, 0x65), (0, 0x44), (3, 19), (7, 1), (6, 0x20), (11, 0)] {
            let mut b = p.clone();
            b[at] = v;
            assert_eq!(Packet::read(&b), None, "byte {at} = {v:#x}");
        }
        assert_eq!(Packet::read(&[]), None);
    }
}
