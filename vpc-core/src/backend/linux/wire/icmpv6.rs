//! ICMPv6 (RFC 4443) echo and the two NDP messages (RFC 4861) a probe
//! needs: type `0`, code `1`, checksum `2..4` over the IPv6 pseudo-header
//! and the message. Echo: identifier `4..6`, sequence `6..8`, data.
//! Neighbour solicitation (135) and advertisement (136): flags `4..8`
//! (advertisement: R S O in the top bits), target `8..24`, then options of
//! 8-byte units: type, length in units, value; source (1) and target (2)
//! link-layer address options hold a MAC.

use std::net::Ipv6Addr;

use super::checksum;
use crate::model::addr::Mac;

/// IPv6 next header of ICMPv6.
pub const NEXT_HEADER: u8 = 58;
/// The hop limit NDP messages must carry (RFC 4861 §7.1).
pub const ND_HOP_LIMIT: u8 = 255;

const ECHO_REQUEST: u8 = 128;
const ECHO_REPLY: u8 = 129;
const SOLICITATION: u8 = 135;
const ADVERTISEMENT: u8 = 136;
const SOURCE_LL: u8 = 1;
const TARGET_LL: u8 = 2;
/// Advertisement flags: solicited, override.
const SOLICITED_OVERRIDE: u8 = 0x60;

const TYPE: usize = 0;
const CODE: usize = 1;
const CHECKSUM: std::ops::Range<usize> = 2..4;
const IDENT: std::ops::Range<usize> = 4..6;
const SEQ: std::ops::Range<usize> = 6..8;
const FLAGS: usize = 4;
const TARGET: std::ops::Range<usize> = 8..24;
const OPTIONS: usize = 24;

/// The data every echo carries.
const DATA: &[u8; 8] = super::icmp::DATA;

/// An ICMPv6 message a probe reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    /// Echo reply: identifier, sequence.
    EchoReply(u16, u16),
    /// Neighbour advertisement for `target`, with its target link-layer
    /// option's MAC if it has one.
    Advertisement {
        /// The address advertised.
        target: Ipv6Addr,
        /// Its MAC, from the target link-layer address option.
        mac: Option<Mac>,
    },
}

/// Fills in the checksum of `m`, sent from `src` to `dst`.
fn seal(src: Ipv6Addr, dst: Ipv6Addr, mut m: Vec<u8>) -> Vec<u8> {
    m[CHECKSUM].copy_from_slice(&[0, 0]);
    let sum = pseudo_checksum(src, dst, &m);
    m[CHECKSUM].copy_from_slice(&sum.to_be_bytes());
    m
}

/// The checksum over the pseudo-header (source, destination, upper-layer
/// length, next header) and `m`.
fn pseudo_checksum(src: Ipv6Addr, dst: Ipv6Addr, m: &[u8]) -> u16 {
    // An ICMPv6 message read from a frame is below 2^16 bytes.
    let len = (m.len() as u32).to_be_bytes();
    checksum(&[
        &src.octets(),
        &dst.octets(),
        &len,
        &[0, 0, 0, NEXT_HEADER],
        m,
    ])
}

fn echo(kind: u8, src: Ipv6Addr, dst: Ipv6Addr, ident: u16, seq: u16) -> Vec<u8> {
    let mut m = vec![0u8; 8];
    m[TYPE] = kind;
    m[IDENT].copy_from_slice(&ident.to_be_bytes());
    m[SEQ].copy_from_slice(&seq.to_be_bytes());
    m.extend_from_slice(DATA);
    seal(src, dst, m)
}

/// An echo request from `src` to `dst`.
pub fn echo_request(src: Ipv6Addr, dst: Ipv6Addr, ident: u16, seq: u16) -> Vec<u8> {
    echo(ECHO_REQUEST, src, dst, ident, seq)
}

/// The reply a far end gives to [`echo_request`] (tests, fuzz seeds).
pub fn echo_reply_of(src: Ipv6Addr, dst: Ipv6Addr, ident: u16, seq: u16) -> Vec<u8> {
    echo(ECHO_REPLY, src, dst, ident, seq)
}

fn nd(kind: u8, flags: u8, target: Ipv6Addr, option: Option<(u8, Mac)>) -> Vec<u8> {
    let mut m = vec![0u8; OPTIONS];
    m[TYPE] = kind;
    m[FLAGS] = flags;
    m[TARGET].copy_from_slice(&target.octets());
    if let Some((kind, mac)) = option {
        m.extend_from_slice(&[kind, 1]);
        m.extend_from_slice(&mac.0);
    }
    m
}

/// A solicitation from `src` at `mac` to `dst` for `target`, with the
/// source link-layer option (so the far end learns where we are).
pub fn solicitation(src: Ipv6Addr, dst: Ipv6Addr, target: Ipv6Addr, mac: Mac) -> Vec<u8> {
    seal(
        src,
        dst,
        nd(SOLICITATION, 0, target, Some((SOURCE_LL, mac))),
    )
}

/// A solicited advertisement from `src` to `dst`: `target` is at `mac`
/// (tests, fuzz seeds).
pub fn advertisement(src: Ipv6Addr, dst: Ipv6Addr, target: Ipv6Addr, mac: Option<Mac>) -> Vec<u8> {
    seal(
        src,
        dst,
        nd(
            ADVERTISEMENT,
            SOLICITED_OVERRIDE,
            target,
            mac.map(|m| (TARGET_LL, m)),
        ),
    )
}

/// The target link-layer option among `options`; `None` also when the
/// options are malformed (a zero length, or one running past the end).
fn target_ll(mut options: &[u8]) -> Option<Option<Mac>> {
    let mut found = None;
    while !options.is_empty() {
        let kind = *options.first()?;
        let len = usize::from(*options.get(1)?) * 8;
        let option = options.get(..len).filter(|o| !o.is_empty())?;
        if kind == TARGET_LL && len == 8 {
            found = Some(Mac(option[2..8].try_into().ok()?));
        }
        options = &options[len..];
    }
    Some(found)
}

impl Message {
    /// Reads the ICMPv6 message `m` sent from `src` to `dst`: an echo
    /// reply or a neighbour advertisement with a correct checksum and
    /// well-formed options; `None` for anything else.
    pub fn read(src: Ipv6Addr, dst: Ipv6Addr, m: &[u8]) -> Option<Message> {
        let kind = *m.first()?;
        if *m.get(CODE)? != 0 || m.len() < 8 || pseudo_checksum(src, dst, m) != 0 {
            return None;
        }
        match kind {
            ECHO_REPLY => Some(Message::EchoReply(
                u16::from_be_bytes([m[4], m[5]]),
                u16::from_be_bytes([m[6], m[7]]),
            )),
            ADVERTISEMENT => {
                let target = Ipv6Addr::from(<[u8; 16]>::try_from(m.get(TARGET)?).ok()?);
                let mac = target_ll(m.get(OPTIONS..)?)?;
                Some(Message::Advertisement { target, mac })
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    /// A solicited advertisement in the form Linux sends, for 2001:db8:100::2 at
    /// 5a:11:22:33:44:55 to 2001:db8:100::1 (flags S and O, the target
    /// option).
    #[rustfmt::skip]
    const LINUX_NA: [u8; 32] = [
        136, 0, 0xc8, 0xd9, 0x60, 0, 0, 0,
        0x20, 0x01, 0x0d, 0xb8, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
        2, 1, 0x5a, 0x11, 0x22, 0x33, 0x44, 0x55,
    ];

    #[test]
    fn advertisement_bytes_both_ways() {
        let (far, me) = (a("2001:db8:100::2"), a("2001:db8:100::1"));
        let mac = Mac([0x5a, 0x11, 0x22, 0x33, 0x44, 0x55]);
        assert_eq!(advertisement(far, me, far, Some(mac)), LINUX_NA);
        assert_eq!(
            Message::read(far, me, &LINUX_NA),
            Some(Message::Advertisement {
                target: far,
                mac: Some(mac)
            })
        );
        // The checksum covers the pseudo-header: another destination fails.
        assert_eq!(Message::read(far, a("2001:db8:100::5"), &LINUX_NA), None);
        let bare = advertisement(far, me, far, None);
        assert_eq!(bare.len(), 24);
        assert_eq!(
            Message::read(far, me, &bare),
            Some(Message::Advertisement {
                target: far,
                mac: None
            })
        );
    }

    #[test]
    fn options_are_walked_and_checked() {
        let mac = Mac([2, 0, 0, 0, 0, 9]);
        assert_eq!(target_ll(&[]), Some(None));
        assert_eq!(
            target_ll(&[1, 1, 9, 9, 9, 9, 9, 9, 2, 1, 2, 0, 0, 0, 0, 9]),
            Some(Some(mac))
        );
        assert_eq!(target_ll(&[2, 0, 0, 0, 0, 0, 0, 0]), None, "zero length");
        assert_eq!(target_ll(&[2, 2, 0, 0, 0, 0, 0, 0]), None, "past the end");
        assert_eq!(target_ll(&[2]), None);
    }

    #[test]
    fn solicitation_and_echo_are_not_answers() {
        let (me, far) = (a("2001:db8:100::1"), a("2001:db8:100::2"));
        let group = a("ff02::1:ff00:2");
        let ns = solicitation(me, group, far, Mac([2, 0, 0, 0, 0, 1]));
        assert_eq!(ns[..2], [135, 0]);
        assert_eq!(ns[24..], [1, 1, 2, 0, 0, 0, 0, 1]);
        assert_eq!(pseudo_checksum(me, group, &ns), 0);
        assert_eq!(Message::read(me, group, &ns), None);
        let req = echo_request(me, far, 1, 2);
        assert_eq!(Message::read(me, far, &req), None);
        let rep = echo_reply_of(far, me, 1, 2);
        assert_eq!(Message::read(far, me, &rep), Some(Message::EchoReply(1, 2)));
        assert_eq!(Message::read(far, me, &rep[..7]), None);
    }
}
