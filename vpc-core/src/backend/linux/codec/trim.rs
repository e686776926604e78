//! Link messages cut down to what [`decode`](super::decode) reads, before
//! they are parsed. A link's answer is mostly what vpc never looks at —
//! per-family settings (`IFLA_AF_SPEC`: IPv4 and IPv6 configuration and
//! counters), a bridge's forty-odd options, a bridge port's as many, a
//! vxlan's twenty — and parsing it all into typed attributes was half of
//! a converged re-apply with a thousand peers. Only the attributes below
//! are kept, byte for byte, in their order; the parser then reads them as
//! it read the whole message.
//!
//! Kept: `IFLA_ADDRESS`, `IFLA_IFNAME`, `IFLA_MTU`, `IFLA_MASTER`,
//! `IFLA_IFALIAS`, `IFLA_GROUP`, and of `IFLA_LINKINFO` the kind, a
//! vxlan's VNI, addresses and port, the port kind, and a bridge port's
//! isolated flag.
//!
//! A message that does not split into well-formed attributes is left
//! whole (`None`), so that the parser says what is wrong with it.

/// `IFLA_ADDRESS`.
const ADDRESS: u16 = 1;
/// `IFLA_IFNAME`.
const IFNAME: u16 = 3;
/// `IFLA_MTU`.
const MTU: u16 = 4;
/// `IFLA_MASTER`.
const MASTER: u16 = 10;
/// `IFLA_LINKINFO`.
const LINKINFO: u16 = 18;
/// `IFLA_IFALIAS`.
const IFALIAS: u16 = 20;
/// `IFLA_GROUP`.
const GROUP: u16 = 27;

/// `IFLA_INFO_KIND`.
const INFO_KIND: u16 = 1;
/// `IFLA_INFO_DATA`.
const INFO_DATA: u16 = 2;
/// `IFLA_INFO_SLAVE_KIND`.
const INFO_PORT_KIND: u16 = 4;
/// `IFLA_INFO_SLAVE_DATA`.
const INFO_PORT_DATA: u16 = 5;

/// `IFLA_VXLAN_ID`, `_GROUP`, `_LOCAL`, `_PORT`, `_GROUP6`, `_LOCAL6`.
const VXLAN_KEPT: [u16; 6] = [1, 2, 4, 15, 16, 17];
/// `IFLA_BRPORT_ISOLATED`.
const BRPORT_ISOLATED: u16 = 33;

/// Size of `struct ifinfomsg`, before the attributes.
const IFINFOMSG: usize = 16;
/// Size of an attribute's header (length, type).
const NLA_HEADER: usize = 4;
/// The type bits of an attribute's type (without `NLA_F_NESTED` and
/// `NLA_F_NET_BYTEORDER`).
const TYPE_MASK: u16 = 0x3fff;

/// One attribute: its type (flags masked off), its whole bytes (header
/// and value, without padding) and its value.
struct Nla<'a> {
    kind: u16,
    whole: &'a [u8],
    value: &'a [u8],
}

/// The attributes of `bytes`, in order; an `Err` where one does not fit,
/// after which there are none.
struct Nlas<'a> {
    bytes: &'a [u8],
    at: usize,
}

fn nlas(bytes: &[u8]) -> Nlas<'_> {
    Nlas { bytes, at: 0 }
}

/// An attribute that does not fit in its message.
struct Misfit;

impl<'a> Iterator for Nlas<'a> {
    type Item = Result<Nla<'a>, Misfit>;

    fn next(&mut self) -> Option<Self::Item> {
        let at = self.at;
        if at >= self.bytes.len() {
            return None;
        }
        self.at = self.bytes.len();
        let Some(header) = self.bytes.get(at..at + NLA_HEADER) else {
            return Some(Err(Misfit));
        };
        let len = usize::from(u16::from_ne_bytes([header[0], header[1]]));
        let kind = u16::from_ne_bytes([header[2], header[3]]) & TYPE_MASK;
        let Some(whole) = self.bytes.get(at..at + len).filter(|_| len >= NLA_HEADER) else {
            return Some(Err(Misfit));
        };
        self.at = at + len.next_multiple_of(4);
        Some(Ok(Nla {
            kind,
            whole,
            value: &whole[NLA_HEADER..],
        }))
    }
}

/// Appends `whole` (an attribute's header and value), padded to 4.
fn push(out: &mut Vec<u8>, whole: &[u8]) {
    out.extend_from_slice(whole);
    out.resize(out.len().next_multiple_of(4), 0);
}

/// Appends a nested attribute with `header` (its original length and
/// type) holding those of its attributes `inner` that `keep` keeps, its
/// length set to what it now holds.
fn push_nested(
    out: &mut Vec<u8>,
    header: &[u8],
    inner: Nlas<'_>,
    keep: impl Fn(u16) -> bool,
) -> Option<()> {
    let start = out.len();
    out.extend_from_slice(header.get(..NLA_HEADER)?);
    for nla in inner {
        let nla = nla.ok()?;
        if keep(nla.kind) {
            push(out, nla.whole);
        }
    }
    set_length(out, start)
}

/// Sets the length of the attribute that starts at `start` of `out` to
/// what follows it (no more than it had: its parts were only dropped).
fn set_length(out: &mut [u8], start: usize) -> Option<()> {
    let len = u16::try_from(out.len() - start).ok()?;
    out.get_mut(start..start + 2)?
        .copy_from_slice(&len.to_ne_bytes());
    Some(())
}

/// A string attribute's text, without its terminating NULs.
fn text(value: &[u8]) -> &[u8] {
    let end = value.iter().rposition(|b| *b != 0).map_or(0, |e| e + 1);
    &value[..end]
}

/// `IFLA_LINKINFO`'s value cut to the kind, a vxlan's settings, the port
/// kind and a bridge port's isolated flag, appended to `out`.
fn push_linkinfo(out: &mut Vec<u8>, info: Nla<'_>) -> Option<()> {
    let start = out.len();
    out.extend_from_slice(&info.whole[..NLA_HEADER]);
    let mut kind: &[u8] = &[];
    let mut port_kind: &[u8] = &[];
    for nla in nlas(info.value) {
        let nla = nla.ok()?;
        match nla.kind {
            INFO_KIND => {
                kind = text(nla.value);
                push(out, nla.whole);
            }
            INFO_PORT_KIND => {
                port_kind = text(nla.value);
                push(out, nla.whole);
            }
            INFO_DATA if kind == b"vxlan" => {
                push_nested(out, nla.whole, nlas(nla.value), |k| VXLAN_KEPT.contains(&k))?;
            }
            INFO_PORT_DATA if port_kind == b"bridge" => {
                push_nested(out, nla.whole, nlas(nla.value), |k| k == BRPORT_ISOLATED)?;
            }
            _ => {}
        }
    }
    set_length(out, start)
}

/// The payload of an `RTM_NEWLINK` (`ifinfomsg`, then attributes) holding
/// only what the decoder reads; `None` where it does not split into
/// attributes (left for the parser to refuse).
pub(super) fn link(payload: &[u8]) -> Option<Vec<u8>> {
    let header = payload.get(..IFINFOMSG)?;
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(header);
    for nla in nlas(&payload[IFINFOMSG..]) {
        let nla = nla.ok()?;
        match nla.kind {
            ADDRESS | IFNAME | MTU | MASTER | IFALIAS | GROUP => push(&mut out, nla.whole),
            LINKINFO => push_linkinfo(&mut out, nla)?,
            _ => {}
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use netlink_packet_core::{Emitable, Parseable};
    use netlink_packet_route::link::{
        InfoBridge, InfoBridgePort, InfoData, InfoKind, InfoPortData, InfoPortKind, InfoVxlan,
        LinkAttribute, LinkInfo, LinkMessage, Stats64,
    };

    use super::*;

    fn bytes(m: &LinkMessage) -> Vec<u8> {
        let mut b = vec![0u8; m.buffer_len()];
        m.emit(&mut b);
        b
    }

    fn parse(b: &[u8]) -> LinkMessage {
        LinkMessage::parse(b).unwrap()
    }

    #[test]
    fn what_is_read_stays_and_the_rest_goes() {
        let mut m = LinkMessage::default();
        m.header.index = 7;
        m.attributes = vec![
            LinkAttribute::IfName("vxlan7".into()),
            LinkAttribute::Stats64(Stats64::default()),
            LinkAttribute::Mtu(1430),
            LinkAttribute::TxQueueLen(1000),
            LinkAttribute::Controller(3),
            LinkAttribute::Group(9),
            LinkAttribute::LinkInfo(vec![
                LinkInfo::Kind(InfoKind::Vxlan),
                LinkInfo::Data(InfoData::Vxlan(vec![
                    InfoVxlan::Id(7),
                    InfoVxlan::Ttl(64),
                    InfoVxlan::Local("10.0.0.1".parse().unwrap()),
                    InfoVxlan::Group("10.0.0.2".parse().unwrap()),
                    InfoVxlan::Learning(true),
                    InfoVxlan::Port(4789),
                ])),
                LinkInfo::PortKind(InfoPortKind::Bridge),
                LinkInfo::PortData(InfoPortData::BridgePort(vec![
                    InfoBridgePort::Cost(100),
                    InfoBridgePort::Isolated(true),
                    InfoBridgePort::Learning(true),
                ])),
            ]),
            LinkAttribute::IfAlias("tunnel-to-b".into()),
            LinkAttribute::Address(vec![2, 0, 0, 0, 0, 7]),
        ];
        let full = bytes(&m);
        let cut = link(&full).unwrap();
        assert!(cut.len() < full.len());
        let got = parse(&cut);
        assert_eq!(got.header, m.header);
        assert_eq!(
            got.attributes,
            vec![
                LinkAttribute::IfName("vxlan7".into()),
                LinkAttribute::Mtu(1430),
                LinkAttribute::Controller(3),
                LinkAttribute::Group(9),
                LinkAttribute::LinkInfo(vec![
                    LinkInfo::Kind(InfoKind::Vxlan),
                    LinkInfo::Data(InfoData::Vxlan(vec![
                        InfoVxlan::Id(7),
                        InfoVxlan::Local("10.0.0.1".parse().unwrap()),
                        InfoVxlan::Group("10.0.0.2".parse().unwrap()),
                        InfoVxlan::Port(4789),
                    ])),
                    LinkInfo::PortKind(InfoPortKind::Bridge),
                    LinkInfo::PortData(InfoPortData::BridgePort(vec![InfoBridgePort::Isolated(
                        true
                    )])),
                ]),
                LinkAttribute::IfAlias("tunnel-to-b".into()),
                LinkAttribute::Address(vec![2, 0, 0, 0, 0, 7]),
            ]
        );
    }

    #[test]
    fn a_bridge_keeps_its_kind_not_its_options() {
        let mut m = LinkMessage::default();
        m.attributes = vec![
            LinkAttribute::IfName("v1".into()),
            LinkAttribute::LinkInfo(vec![
                LinkInfo::Kind(InfoKind::Bridge),
                LinkInfo::Data(InfoData::Bridge(vec![
                    InfoBridge::HelloTime(200),
                    InfoBridge::VlanFiltering(false),
                ])),
            ]),
        ];
        let got = parse(&link(&bytes(&m)).unwrap());
        assert_eq!(
            got.attributes,
            vec![
                LinkAttribute::IfName("v1".into()),
                LinkAttribute::LinkInfo(vec![LinkInfo::Kind(InfoKind::Bridge)]),
            ]
        );
    }

    #[test]
    fn what_does_not_split_is_left_to_the_parser() {
        assert_eq!(link(&[0; 8]), None, "shorter than ifinfomsg");
        let mut b = vec![0u8; IFINFOMSG];
        // An attribute claiming 40 bytes where 8 are left.
        b.extend_from_slice(&40u16.to_ne_bytes());
        b.extend_from_slice(&IFNAME.to_ne_bytes());
        b.extend_from_slice(b"abcd");
        assert_eq!(link(&b), None);
        // One claiming less than its own header.
        let mut b = vec![0u8; IFINFOMSG];
        b.extend_from_slice(&2u16.to_ne_bytes());
        b.extend_from_slice(&IFNAME.to_ne_bytes());
        assert_eq!(link(&b), None);
        // No attributes at all is a message still.
        assert_eq!(link(&[0; IFINFOMSG]), Some(vec![0; IFINFOMSG]));
    }
}
