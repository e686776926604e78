//! Ethernet II: destination `0..6`, source `6..12`, EtherType `12..14`,
//! payload from 14 (no 802.1Q tag: inner frames of a VPC's tunnels are
//! untagged).

use crate::model::addr::Mac;

const DST: std::ops::Range<usize> = 0..6;
const SRC: std::ops::Range<usize> = 6..12;
const KIND: std::ops::Range<usize> = 12..14;
/// Header length.
pub const HEADER: usize = 14;

/// EtherType of IPv4.
pub const IPV4: u16 = 0x0800;
/// EtherType of ARP.
pub const ARP: u16 = 0x0806;
/// EtherType of IPv6.
pub const IPV6: u16 = 0x86dd;

/// The nearest-bridge group (IEEE 802.1AB, LLDP's): never forwarded by a
/// bridge, handed to the receiving port's own stack.
pub const NEAREST_BRIDGE: Mac = Mac([0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e]);

/// A frame as read: its addresses, EtherType and payload (which may carry
/// padding after what its own header counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame<'a> {
    /// Destination.
    pub dst: Mac,
    /// Source.
    pub src: Mac,
    /// EtherType.
    pub kind: u16,
    /// Everything after the header.
    pub payload: &'a [u8],
}

fn mac(b: &[u8]) -> Option<Mac> {
    Some(Mac(b.try_into().ok()?))
}

impl<'a> Frame<'a> {
    /// Reads a frame; `None` if shorter than the header.
    pub fn read(bytes: &'a [u8]) -> Option<Frame<'a>> {
        Some(Frame {
            dst: mac(bytes.get(DST)?)?,
            src: mac(bytes.get(SRC)?)?,
            kind: u16::from_be_bytes(bytes.get(KIND)?.try_into().ok()?),
            payload: bytes.get(HEADER..)?,
        })
    }
}

/// A frame from `src` to `dst` carrying `payload`.
pub fn frame(dst: Mac, src: Mac, kind: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(HEADER + payload.len());
    f.extend_from_slice(&dst.0);
    f.extend_from_slice(&src.0);
    f.extend_from_slice(&kind.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_both_ways() {
        let f = frame(
            Mac([1, 2, 3, 4, 5, 6]),
            Mac([7, 8, 9, 10, 11, 12]),
            ARP,
            &[0xaa],
        );
        assert_eq!(f, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x06, 0xaa]);
        let r = Frame::read(&f).unwrap();
        assert_eq!(r.dst, Mac([1, 2, 3, 4, 5, 6]));
        assert_eq!(r.src, Mac([7, 8, 9, 10, 11, 12]));
        assert_eq!((r.kind, r.payload), (ARP, &[0xaa][..]));
        assert_eq!(Frame::read(&f[..14]).unwrap().payload, &[] as &[u8]);
        assert_eq!(Frame::read(&f[..13]), None);
    }
}
