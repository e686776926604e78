//! The frames of a tunnel probe, built and read without sockets (smoltcp's
//! `wire/`): one file per header, its fields named once as byte ranges,
//! byte-exact tests beside each. The packet socket (`super::packet`) only
//! moves the bytes; the exchange (`super::exchange`) decides what to send.
//!
//! Readers take any bytes: a frame that is short, inconsistent, of
//! another kind or with a wrong checksum reads as `None`, never a panic
//! (fuzzed by `fuzz/fuzz_targets/probe_frame.rs`).

pub mod arp;
pub mod ethernet;
pub mod icmp;
pub mod icmpv6;
pub mod ipv4;
pub mod ipv6;

use std::net::IpAddr;

use crate::model::addr::Mac;

/// One tunnel's two ends, as the probe sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ends {
    /// The tunnel interface's own MAC (the source of every frame).
    pub mac: Mac,
    /// This end's link address.
    pub from: IpAddr,
    /// The far end's link address.
    pub to: IpAddr,
}

/// What a frame heard on the tunnel says about its far end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// The far end's link address is at this MAC (ARP reply, NDP
    /// advertisement).
    At(Mac),
    /// An echo reply from the far end to this end: identifier, sequence.
    Echo(u16, u16),
}

/// The Internet checksum (RFC 1071) of the concatenation of `parts`,
/// each but the last of even length.
pub fn checksum(parts: &[&[u8]]) -> u16 {
    let mut sum: u32 = 0;
    for part in parts {
        for pair in part.chunks(2) {
            let word = u16::from_be_bytes([pair[0], pair.get(1).copied().unwrap_or(0)]);
            sum += u32::from(word);
        }
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// The frame that asks where `ends.to` is: an ARP request (IPv4) or a
/// neighbour solicitation to the solicited-node group (IPv6), from
/// `ends.from` at `ends.mac`. `None` when the two addresses are of
/// different families.
///
/// Its Ethernet destination is [`ethernet::NEAREST_BRIDGE`], not the
/// broadcast address: a Linux bridge never forwards that group and hands
/// it to the port's own stack, so a far end whose link address sits on an
/// enslaved vxlan answers from that port and, seeing our address there,
/// learns where to send its echo replies (it cannot otherwise: its own
/// ARP on the port is answered to the port's MAC, which its bridge takes
/// in). FreeBSD's bridge hands every multicast frame to the member too.
pub fn solicit(ends: &Ends) -> Option<Vec<u8>> {
    match (ends.from, ends.to) {
        (IpAddr::V4(from), IpAddr::V4(to)) => Some(ethernet::frame(
            ethernet::NEAREST_BRIDGE,
            ends.mac,
            ethernet::ARP,
            &arp::request(ends.mac, from, to),
        )),
        (IpAddr::V6(from), IpAddr::V6(to)) => {
            let group = ipv6::solicited_node(to);
            let ns = icmpv6::solicitation(from, group, to, ends.mac);
            Some(ethernet::frame(
                ethernet::NEAREST_BRIDGE,
                ends.mac,
                ethernet::IPV6,
                &ipv6::packet(from, group, icmpv6::NEXT_HEADER, icmpv6::ND_HOP_LIMIT, &ns),
            ))
        }
        _ => None,
    }
}

/// An echo request from `ends.from` to `ends.to`, sent to `peer` (the
/// MAC the far end gave).
pub fn echo(ends: &Ends, peer: Mac, ident: u16, seq: u16) -> Option<Vec<u8>> {
    let (kind, ip) = match (ends.from, ends.to) {
        (IpAddr::V4(from), IpAddr::V4(to)) => (
            ethernet::IPV4,
            ipv4::packet(from, to, icmp::PROTOCOL, &icmp::echo_request(ident, seq)),
        ),
        (IpAddr::V6(from), IpAddr::V6(to)) => (
            ethernet::IPV6,
            ipv6::packet(
                from,
                to,
                icmpv6::NEXT_HEADER,
                ipv6::HOP_LIMIT,
                &icmpv6::echo_request(from, to, ident, seq),
            ),
        ),
        _ => return None,
    };
    Some(ethernet::frame(peer, ends.mac, kind, &ip))
}

/// What `frame`, heard on the tunnel of `ends`, says: the far end's MAC
/// (an ARP reply or neighbour advertisement for `ends.to`, to
/// `ends.from`) or an echo reply from `ends.to` to `ends.from`. Anything
/// else — our own frames looped back by the tap included — is `None`.
pub fn hear(ends: &Ends, frame: &[u8]) -> Option<Heard> {
    let eth = ethernet::Frame::read(frame)?;
    match (eth.kind, ends.from, ends.to) {
        (ethernet::ARP, IpAddr::V4(from), IpAddr::V4(to)) => {
            let a = arp::Packet::read(eth.payload)?;
            (a.op == arp::REPLY && a.sender_ip == to && a.target_ip == from)
                .then_some(Heard::At(a.sender_mac))
        }
        (ethernet::IPV4, IpAddr::V4(from), IpAddr::V4(to)) => {
            let ip = ipv4::Packet::read(eth.payload)?;
            if ip.src != to || ip.dst != from || ip.protocol != icmp::PROTOCOL {
                return None;
            }
            let (ident, seq) = icmp::echo_reply(ip.payload)?;
            Some(Heard::Echo(ident, seq))
        }
        (ethernet::IPV6, IpAddr::V6(from), IpAddr::V6(to)) => {
            let ip = ipv6::Packet::read(eth.payload)?;
            if ip.src != to || ip.next_header != icmpv6::NEXT_HEADER {
                return None;
            }
            match icmpv6::Message::read(ip.src, ip.dst, ip.payload)? {
                icmpv6::Message::EchoReply(ident, seq) if ip.dst == from => {
                    Some(Heard::Echo(ident, seq))
                }
                // A solicited advertisement may leave the option out: the
                // frame's source is then the answer.
                icmpv6::Message::Advertisement { target, mac }
                    if target == to && ip.hop_limit == icmpv6::ND_HOP_LIMIT =>
                {
                    Some(Heard::At(mac.unwrap_or(eth.src)))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    const MINE: Mac = Mac([0x02, 0, 0, 0, 0, 0x01]);
    const FAR: Mac = Mac([0x5a, 0x11, 0x22, 0x33, 0x44, 0x55]);

    fn v4() -> Ends {
        Ends {
            mac: MINE,
            from: Ipv4Addr::new(10, 100, 0, 1).into(),
            to: Ipv4Addr::new(10, 100, 0, 2).into(),
        }
    }

    fn v6() -> Ends {
        Ends {
            mac: MINE,
            from: "2001:db8:100::1".parse::<Ipv6Addr>().unwrap().into(),
            to: "2001:db8:100::2".parse::<Ipv6Addr>().unwrap().into(),
        }
    }

    /// The far end's side of the exchange, as a reader of our frames would
    /// see it: swaps the ends.
    fn far(e: &Ends) -> Ends {
        Ends {
            mac: FAR,
            from: e.to,
            to: e.from,
        }
    }

    #[test]
    fn checksum_of_rfc1071_example() {
        // RFC 1071 §3: 0001 f203 f4f5 f6f7 sums to ddf2; the checksum is
        // its complement.
        assert_eq!(
            checksum(&[&[0x00, 0x01, 0xf2, 0x03], &[0xf4, 0xf5, 0xf6, 0xf7]]),
            !0xddf2
        );
        assert_eq!(checksum(&[&[0xff]]), !0xff00);
        assert_eq!(checksum(&[]), 0xffff);
    }

    #[test]
    fn arp_solicitation_bytes() {
        let f = solicit(&v4()).unwrap();
        #[rustfmt::skip]
        let want = [
            0x01, 0x80, 0xc2, 0, 0, 0x0e,  2, 0, 0, 0, 0, 1,  0x08, 0x06,
            0, 1,  0x08, 0,  6, 4,  0, 1,
            2, 0, 0, 0, 0, 1,  10, 100, 0, 1,
            0, 0, 0, 0, 0, 0,  10, 100, 0, 2,
        ];
        assert_eq!(f, want);
    }

    #[test]
    fn arp_reply_gives_the_far_mac_and_nothing_else_does() {
        let e = v4();
        let reply = ethernet::frame(
            MINE,
            FAR,
            ethernet::ARP,
            &arp::reply(
                FAR,
                Ipv4Addr::new(10, 100, 0, 2),
                MINE,
                Ipv4Addr::new(10, 100, 0, 1),
            ),
        );
        assert_eq!(hear(&e, &reply), Some(Heard::At(FAR)));
        // Our own request, looped back by the tap, is no answer.
        assert_eq!(hear(&e, &solicit(&e).unwrap()), None);
        // A reply for another address, or to another asker, is none.
        let other = ethernet::frame(
            MINE,
            FAR,
            ethernet::ARP,
            &arp::reply(
                FAR,
                Ipv4Addr::new(10, 100, 0, 6),
                MINE,
                Ipv4Addr::new(10, 100, 0, 1),
            ),
        );
        assert_eq!(hear(&e, &other), None);
        assert_eq!(hear(&v6(), &reply), None);
    }

    #[test]
    fn icmp_echo_bytes_and_reply() {
        let e = v4();
        let f = echo(&e, FAR, 0x1234, 7).unwrap();
        #[rustfmt::skip]
        let head = [
            0x5a, 0x11, 0x22, 0x33, 0x44, 0x55,  2, 0, 0, 0, 0, 1,  0x08, 0x00,
            0x45, 0, 0, 36,  0, 0, 0x40, 0,  64, 1,
        ];
        assert_eq!(f[..24], head);
        assert_eq!(f.len(), 14 + 20 + 16);
        assert_eq!(checksum(&[&f[14..34]]), 0, "IPv4 header checksum");
        assert_eq!(&f[26..34], &[10, 100, 0, 1, 10, 100, 0, 2]);
        assert_eq!(f[34..42], [8, 0, f[36], f[37], 0x12, 0x34, 0, 7]);
        assert_eq!(checksum(&[&f[34..]]), 0, "ICMP checksum");
        assert_eq!(&f[42..], b"vpc-prob");
        // The far end hears a request, not a reply; a reply the far end
        // would send is heard.
        assert_eq!(hear(&far(&e), &f), None);
        let reply = ethernet::frame(
            MINE,
            FAR,
            ethernet::IPV4,
            &ipv4::packet(
                Ipv4Addr::new(10, 100, 0, 2),
                Ipv4Addr::new(10, 100, 0, 1),
                icmp::PROTOCOL,
                &icmp::echo_reply_of(0x1234, 7),
            ),
        );
        assert_eq!(hear(&e, &reply), Some(Heard::Echo(0x1234, 7)));
        // A corrupted reply is none.
        let mut bad = reply.clone();
        bad[40] ^= 1;
        assert_eq!(hear(&e, &bad), None);
        let mut bad = reply;
        bad[20] ^= 1;
        assert_eq!(hear(&e, &bad), None, "IPv4 header checksum");
    }

    #[test]
    fn ndp_solicitation_bytes() {
        let f = solicit(&v6()).unwrap();
        #[rustfmt::skip]
        let eth = [0x01, 0x80, 0xc2, 0, 0, 0x0e,  2, 0, 0, 0, 0, 1,  0x86, 0xdd];
        assert_eq!(f[..14], eth);
        // IPv6: version 6, payload 32 (24 + an 8-byte option), ICMPv6, 255.
        assert_eq!(f[14..22], [0x60, 0, 0, 0, 0, 32, 58, 255]);
        let src: Ipv6Addr = "2001:db8:100::1".parse().unwrap();
        let group: Ipv6Addr = "ff02::1:ff00:2".parse().unwrap();
        assert_eq!(f[22..38], src.octets());
        assert_eq!(f[38..54], group.octets());
        let icmp = &f[54..];
        assert_eq!(icmp[..2], [135, 0]);
        assert_eq!(icmp[4..8], [0; 4]);
        let target: Ipv6Addr = "2001:db8:100::2".parse().unwrap();
        assert_eq!(icmp[8..24], target.octets());
        assert_eq!(
            icmp[24..],
            [1, 1, 2, 0, 0, 0, 0, 1],
            "source link-layer option"
        );
        let len = (icmp.len() as u32).to_be_bytes();
        assert_eq!(
            checksum(&[&src.octets(), &group.octets(), &len, &[0, 0, 0, 58], icmp]),
            0,
            "pseudo-header checksum"
        );
        // A solicitation is no answer, even to the far end.
        assert_eq!(hear(&far(&v6()), &f), None);
    }

    #[test]
    fn ndp_advertisement_gives_the_far_mac() {
        let e = v6();
        let (IpAddr::V6(from), IpAddr::V6(to)) = (e.from, e.to) else {
            unreachable!()
        };
        let na = |mac: Option<Mac>, hop: u8| {
            ethernet::frame(
                MINE,
                FAR,
                ethernet::IPV6,
                &ipv6::packet(
                    to,
                    from,
                    icmpv6::NEXT_HEADER,
                    hop,
                    &icmpv6::advertisement(to, from, to, mac),
                ),
            )
        };
        let other = Mac([0x02, 9, 9, 9, 9, 9]);
        assert_eq!(hear(&e, &na(Some(other), 255)), Some(Heard::At(other)));
        assert_eq!(hear(&e, &na(None, 255)), Some(Heard::At(FAR)));
        assert_eq!(hear(&e, &na(Some(other), 64)), None, "hop limit not 255");
        assert_eq!(hear(&v4(), &na(None, 255)), None);
    }

    #[test]
    fn icmpv6_echo_bytes_and_reply() {
        let e = v6();
        let f = echo(&e, FAR, 0xbeef, 3).unwrap();
        assert_eq!(f[12..14], [0x86, 0xdd]);
        assert_eq!(f[14..22], [0x60, 0, 0, 0, 0, 16, 58, 64]);
        let icmp = &f[54..];
        assert_eq!(icmp[..8], [128, 0, icmp[2], icmp[3], 0xbe, 0xef, 0, 3]);
        let (IpAddr::V6(from), IpAddr::V6(to)) = (e.from, e.to) else {
            unreachable!()
        };
        assert_eq!(
            checksum(&[
                &from.octets(),
                &to.octets(),
                &[0, 0, 0, 16],
                &[0, 0, 0, 58],
                icmp
            ]),
            0
        );
        assert_eq!(hear(&far(&e), &f), None, "a request is no reply");
        let reply = ethernet::frame(
            MINE,
            FAR,
            ethernet::IPV6,
            &ipv6::packet(
                to,
                from,
                icmpv6::NEXT_HEADER,
                64,
                &icmpv6::echo_reply_of(to, from, 0xbeef, 3),
            ),
        );
        assert_eq!(hear(&e, &reply), Some(Heard::Echo(0xbeef, 3)));
        let mut bad = reply;
        let n = bad.len();
        bad[n - 1] ^= 0x40;
        assert_eq!(hear(&e, &bad), None, "checksum");
    }

    #[test]
    fn families_must_agree() {
        let mixed = Ends {
            mac: MINE,
            from: v4().from,
            to: v6().to,
        };
        assert_eq!(solicit(&mixed), None);
        assert_eq!(echo(&mixed, FAR, 1, 1), None);
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_read_without_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            let _ = hear(&v4(), &bytes);
            let _ = hear(&v6(), &bytes);
        }

        #[test]
        fn every_truncation_of_an_answer_reads_as_none(cut in 0usize..200) {
            let e = v6();
            let (IpAddr::V6(from), IpAddr::V6(to)) = (e.from, e.to) else { unreachable!() };
            let reply = ethernet::frame(MINE, FAR, ethernet::IPV6, &ipv6::packet(
                to, from, icmpv6::NEXT_HEADER, 64, &icmpv6::echo_reply_of(to, from, 1, 2)));
            if cut < reply.len() {
                proptest::prop_assert_eq!(hear(&e, &reply[..cut]), None);
            }
        }
    }
}
