//! Pure rtnetlink encoding and decoding: [`Change`]s become route netlink
//! messages, the kernel's datagrams are split and read ([`frame`]), and dump
//! answers become an [`Observed`] state. No socket here, so every byte can
//! be checked in tests.

pub mod frame;
mod trim;

use std::collections::HashMap;
use std::net::IpAddr;

use netlink_packet_route::address::{AddressAttribute, AddressFlags, AddressMessage};
use netlink_packet_route::link::{
    InfoBridgePort, InfoData, InfoKind, InfoPortData, InfoPortKind, InfoVxlan, LinkAttribute,
    LinkFlags, LinkInfo, LinkLayerType, LinkMessage,
};
use netlink_packet_route::neighbour::{
    NeighbourAddress, NeighbourAttribute, NeighbourMessage, NeighbourState,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};

use crate::error::{Error, ErrorKind, Result};
use crate::model::addr::{IfAddr, Mac};
use crate::plan::{Change, Iface, IfaceKind, Observed, VxlanConf};

/// Interface indexes by name, as last observed or learned.
pub type Indexes = HashMap<String, u32>;

/// A change that cannot be encoded yet: it names an interface whose index
/// is not known (one created earlier in the same apply).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedsIndex(pub String);

fn family(addr: IpAddr) -> AddressFamily {
    match addr {
        IpAddr::V4(_) => AddressFamily::Inet,
        IpAddr::V6(_) => AddressFamily::Inet6,
    }
}

fn index_of(indexes: &Indexes, name: &str) -> Result<u32, NeedsIndex> {
    indexes
        .get(name)
        .copied()
        .ok_or_else(|| NeedsIndex(name.to_owned()))
}

/// A link message for interface `index` (0: by name) with `attributes`.
fn link(index: u32, attributes: Vec<LinkAttribute>) -> LinkMessage {
    let mut m = LinkMessage::default();
    m.header.index = index;
    m.attributes = attributes;
    m
}

/// Setting an existing link by name: `RTM_NEWLINK` without `NLM_F_CREATE`
/// finds the device by `IFLA_IFNAME`, so no index is needed.
fn set_by_name(name: &str, mut attributes: Vec<LinkAttribute>) -> RouteNetlinkMessage {
    attributes.insert(0, LinkAttribute::IfName(name.to_owned()));
    RouteNetlinkMessage::NewLink(link(0, attributes))
}

fn isolated(port: u32) -> RouteNetlinkMessage {
    // Port options go through RTM_NEWLINK's IFLA_LINKINFO slave data; the
    // kernel reads them with the bridge the port already belongs to, so
    // this must follow the message that sets the master.
    RouteNetlinkMessage::NewLink(link(
        port,
        vec![LinkAttribute::LinkInfo(vec![
            LinkInfo::PortKind(InfoPortKind::Bridge),
            LinkInfo::PortData(InfoPortData::BridgePort(vec![InfoBridgePort::Isolated(
                true,
            )])),
        ])],
    ))
}

/// Whether a message creates something (sent with `NLM_F_CREATE |
/// NLM_F_EXCL`) or changes or deletes what exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Change or delete something that exists.
    Plain,
    /// Create; fail if it exists.
    Create,
}

/// A link of `kind` with no settings but its name and MTU, then its alias.
fn create_described(
    name: &str,
    mtu: u32,
    description: &str,
    kind: InfoKind,
) -> Vec<(Mode, RouteNetlinkMessage)> {
    vec![
        (
            Mode::Create,
            RouteNetlinkMessage::NewLink(link(
                0,
                vec![
                    LinkAttribute::IfName(name.to_owned()),
                    LinkAttribute::Mtu(mtu),
                    LinkAttribute::LinkInfo(vec![LinkInfo::Kind(kind)]),
                ],
            )),
        ),
        (
            Mode::Plain,
            set_by_name(name, vec![LinkAttribute::IfAlias(description.to_owned())]),
        ),
    ]
}

/// The messages that carry out `change`, given the indexes known so far.
pub fn encode(
    change: &Change,
    indexes: &Indexes,
) -> Result<Vec<(Mode, RouteNetlinkMessage)>, NeedsIndex> {
    use Mode::{Create, Plain};
    let out = match change {
        // Carried by the netfilter socket ([`super::nft`]), not rtnetlink.
        Change::SetFirewall { .. } | Change::RemoveFirewall { .. } => Vec::new(),
        // Generic netlink or wireguard-go's socket ([`super::wg`]).
        Change::SetWireguard { .. } => Vec::new(),
        // The kernel's WireGuard. Where the kernel refuses the kind (no
        // module), the backend starts wireguard-go instead and sends
        // [`link_settings`] for its TUN link.
        Change::CreateWireguard {
            name,
            mtu,
            description,
        } => create_described(name, *mtu, description, InfoKind::Wireguard),
        Change::Destroy { name } => {
            vec![(
                Plain,
                RouteNetlinkMessage::DelLink(link(index_of(indexes, name)?, vec![])),
            )]
        }
        Change::CreateBridge {
            name,
            mtu,
            description,
        } => create_described(name, *mtu, description, InfoKind::Bridge),
        Change::CreateVxlan {
            name,
            vni,
            local,
            remote,
            port,
            mtu,
            description,
        } => {
            let mut data = vec![InfoVxlan::Id(*vni)];
            match (local, remote) {
                (IpAddr::V4(l), IpAddr::V4(r)) => {
                    data.push(InfoVxlan::Local(*l));
                    data.push(InfoVxlan::Group(*r));
                }
                (l, r) => {
                    // Mixed families never reach here (one family per pair);
                    // IPv6 covers the rest.
                    if let (IpAddr::V6(l), IpAddr::V6(r)) = (l, r) {
                        data.push(InfoVxlan::Local6(*l));
                        data.push(InfoVxlan::Group6(*r));
                    }
                }
            }
            data.push(InfoVxlan::Port(*port));
            let attributes = vec![
                LinkAttribute::IfName(name.clone()),
                LinkAttribute::Mtu(*mtu),
                LinkAttribute::LinkInfo(vec![
                    LinkInfo::Kind(InfoKind::Vxlan),
                    LinkInfo::Data(InfoData::Vxlan(data)),
                ]),
            ];
            vec![
                (Create, RouteNetlinkMessage::NewLink(link(0, attributes))),
                (
                    Plain,
                    set_by_name(name, vec![LinkAttribute::IfAlias(description.clone())]),
                ),
            ]
        }
        Change::SetMtu { name, mtu } => {
            vec![(Plain, set_by_name(name, vec![LinkAttribute::Mtu(*mtu)]))]
        }
        Change::SetDescription { name, text } => {
            vec![(
                Plain,
                set_by_name(name, vec![LinkAttribute::IfAlias(text.clone())]),
            )]
        }
        Change::AddAddr { name, addr } => {
            vec![(
                Create,
                RouteNetlinkMessage::NewAddress(address(index_of(indexes, name)?, addr)),
            )]
        }
        Change::DelAddr { name, addr } => {
            vec![(
                Plain,
                RouteNetlinkMessage::DelAddress(address(index_of(indexes, name)?, addr)),
            )]
        }
        Change::DelNeighbour { name, ip } => {
            let mut m = NeighbourMessage::default();
            m.header.family = family(*ip);
            m.header.ifindex = index_of(indexes, name)?;
            let dest = match ip {
                IpAddr::V4(a) => NeighbourAddress::Inet(*a),
                IpAddr::V6(a) => NeighbourAddress::Inet6(*a),
            };
            m.attributes = vec![NeighbourAttribute::Destination(dest)];
            vec![(Plain, RouteNetlinkMessage::DelNeighbour(m))]
        }
        Change::AddPort {
            bridge,
            port,
            private,
        } => {
            let port = index_of(indexes, port)?;
            let master = index_of(indexes, bridge)?;
            let mut v = vec![(
                Plain,
                RouteNetlinkMessage::SetLink(link(port, vec![LinkAttribute::Controller(master)])),
            )];
            if *private {
                v.push((Plain, isolated(port)));
            }
            v
        }
        Change::DelPort { port, .. } => vec![(
            Plain,
            RouteNetlinkMessage::SetLink(link(
                index_of(indexes, port)?,
                vec![LinkAttribute::Controller(0)],
            )),
        )],
        Change::SetPrivate { port, .. } => vec![(Plain, isolated(index_of(indexes, port)?))],
        Change::Up { name } => {
            let mut m = link(index_of(indexes, name)?, vec![]);
            m.header.flags = LinkFlags::Up;
            m.header.change_mask = LinkFlags::Up;
            vec![(Plain, RouteNetlinkMessage::SetLink(m))]
        }
    };
    Ok(out)
}

/// The MTU and description of an existing link `name` in one message (a
/// wireguard-go's TUN link, which the process made).
pub fn link_settings(name: &str, mtu: u32, description: &str) -> (Mode, RouteNetlinkMessage) {
    (
        Mode::Plain,
        set_by_name(
            name,
            vec![
                LinkAttribute::Mtu(mtu),
                LinkAttribute::IfAlias(description.to_owned()),
            ],
        ),
    )
}

/// Destroys several interfaces at once: each joins link group `group`,
/// then one `RTM_DELLINK` names the group. The kernel unregisters a group
/// in one pass, where one message per interface costs a synchronisation
/// each (tens of milliseconds apiece). `group` must be one that no other
/// interface of the namespace is in.
pub fn encode_bulk_destroy(
    names: &[&str],
    indexes: &Indexes,
    group: u32,
) -> Result<Vec<(Mode, RouteNetlinkMessage)>, NeedsIndex> {
    let mut out = Vec::with_capacity(names.len() + 1);
    for name in names {
        let index = index_of(indexes, name)?;
        out.push((
            Mode::Plain,
            RouteNetlinkMessage::SetLink(link(index, vec![LinkAttribute::Group(group)])),
        ));
    }
    out.push((
        Mode::Plain,
        RouteNetlinkMessage::DelLink(link(0, vec![LinkAttribute::Group(group)])),
    ));
    Ok(out)
}

/// The link groups in use, from a link dump.
pub fn groups(links: &[LinkMessage]) -> Vec<u32> {
    links
        .iter()
        .flat_map(|l| l.attributes.iter())
        .filter_map(|a| match a {
            LinkAttribute::Group(g) => Some(*g),
            _ => None,
        })
        .collect()
}

fn address(index: u32, addr: &IfAddr) -> AddressMessage {
    let mut m = AddressMessage::default();
    m.header.family = family(addr.addr);
    m.header.prefix_len = addr.prefix;
    m.header.index = index;
    m.attributes.push(AddressAttribute::Address(addr.addr));
    match addr.addr {
        IpAddr::V4(_) => m.attributes.push(AddressAttribute::Local(addr.addr)),
        // A link address must answer at once, not after duplicate detection.
        IpAddr::V6(_) => m
            .attributes
            .push(AddressAttribute::Flags(AddressFlags::Nodad)),
    }
    m
}

fn malformed(what: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Backend,
        format!("the kernel's answer is not understood: {what}"),
    )
}

/// One link of a dump, decoded, with the index of its master.
fn decode_link(m: &LinkMessage) -> Result<(Iface, Option<u32>)> {
    let index = m.header.index;
    let mut name = None;
    let mut iface = Iface {
        name: String::new(),
        index,
        kind: IfaceKind::Other(String::new()),
        mtu: 0,
        up: m.header.flags.contains(LinkFlags::Up),
        running: m.header.flags.contains(LinkFlags::Running),
        description: None,
        mac: None,
        master: None,
        private: false,
        addrs: Vec::new(),
        neighbours: Vec::new(),
    };
    let mut kind = match m.header.link_layer_type {
        LinkLayerType::Loopback => "loopback".to_owned(),
        _ => "device".to_owned(),
    };
    let mut master_index = None;
    let mut vxlan = None;
    for a in &m.attributes {
        match a {
            LinkAttribute::IfName(n) => name = Some(n.clone()),
            LinkAttribute::Mtu(v) => iface.mtu = *v,
            LinkAttribute::IfAlias(t) => iface.description = Some(t.clone()),
            LinkAttribute::Address(b) if b.len() == 6 => {
                let mut mac = [0u8; 6];
                mac.copy_from_slice(b);
                iface.mac = Some(Mac(mac));
            }
            LinkAttribute::Controller(i) => master_index = Some(*i),
            LinkAttribute::LinkInfo(infos) => {
                for info in infos {
                    match info {
                        LinkInfo::Kind(k) => kind = k.to_string(),
                        LinkInfo::Data(InfoData::Vxlan(data)) => vxlan = Some(decode_vxlan(data)),
                        LinkInfo::PortData(InfoPortData::BridgePort(port)) => {
                            iface.private = port
                                .iter()
                                .any(|p| matches!(p, InfoBridgePort::Isolated(true)));
                        }
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    iface.name = name.ok_or_else(|| malformed(format_args!("link {index} has no name")))?;
    iface.kind = match (kind.as_str(), vxlan) {
        ("vxlan", Some(conf)) => IfaceKind::Vxlan(conf?),
        ("vxlan", None) => {
            return Err(malformed(format_args!(
                "vxlan {} has no vxlan settings",
                iface.name
            )));
        }
        ("bridge", _) => IfaceKind::Bridge,
        ("wireguard", _) => IfaceKind::Wireguard,
        (other, _) => IfaceKind::Other(other.to_owned()),
    };
    Ok((iface, master_index))
}

fn decode_vxlan(data: &[InfoVxlan]) -> Result<VxlanConf> {
    let mut conf = VxlanConf {
        vni: 0,
        local: None,
        remote: None,
        port: 0,
    };
    let mut has_id = false;
    for d in data {
        match d {
            InfoVxlan::Id(v) => {
                conf.vni = *v;
                has_id = true;
            }
            InfoVxlan::Local(a) => conf.local = Some(IpAddr::V4(*a)),
            InfoVxlan::Local6(a) => conf.local = Some(IpAddr::V6(*a)),
            InfoVxlan::Group(a) => conf.remote = Some(IpAddr::V4(*a)),
            InfoVxlan::Group6(a) => conf.remote = Some(IpAddr::V6(*a)),
            InfoVxlan::Port(p) => conf.port = *p,
            _ => {}
        }
    }
    if !has_id {
        return Err(malformed("a vxlan link has no VNI"));
    }
    Ok(conf)
}

/// The links of a link dump's entries.
pub fn links(entries: Vec<RouteNetlinkMessage>) -> Vec<LinkMessage> {
    entries
        .into_iter()
        .filter_map(|m| match m {
            RouteNetlinkMessage::NewLink(l) => Some(l),
            _ => None,
        })
        .collect()
}

/// The addresses of an address dump's entries.
pub fn addresses(entries: Vec<RouteNetlinkMessage>) -> Vec<AddressMessage> {
    entries
        .into_iter()
        .filter_map(|m| match m {
            RouteNetlinkMessage::NewAddress(a) => Some(a),
            _ => None,
        })
        .collect()
}

/// The neighbour entries of a neighbour dump's entries.
pub fn neighbours(entries: Vec<RouteNetlinkMessage>) -> Vec<NeighbourMessage> {
    entries
        .into_iter()
        .filter_map(|m| match m {
            RouteNetlinkMessage::NewNeighbour(n) => Some(n),
            _ => None,
        })
        .collect()
}

/// Builds the observed state from the three dumps (links, addresses,
/// neighbours). Permanent neighbour entries only: the others are the
/// kernel's cache, not configuration.
pub fn decode(
    links: &[LinkMessage],
    addrs: &[AddressMessage],
    neighbours: &[NeighbourMessage],
) -> Result<Observed> {
    let decoded = links.iter().map(decode_link).collect::<Result<Vec<_>>>()?;
    let names: HashMap<u32, String> = decoded
        .iter()
        .map(|(i, _)| (i.index, i.name.clone()))
        .collect();
    let mut ifaces = Vec::with_capacity(decoded.len());
    for (mut iface, master) in decoded {
        if let Some(index) = master {
            let name = names.get(&index).ok_or_else(|| {
                malformed(format_args!(
                    "{} has master {index}, which is not listed",
                    iface.name
                ))
            })?;
            iface.master = Some(name.clone());
        }
        ifaces.push(iface);
    }
    let by_index: HashMap<u32, usize> = ifaces
        .iter()
        .enumerate()
        .map(|(at, i)| (i.index, at))
        .collect();
    for a in addrs {
        let Some(&at) = by_index.get(&a.header.index) else {
            continue;
        };
        let mut local = None;
        let mut address = None;
        for attr in &a.attributes {
            match attr {
                AddressAttribute::Local(ip) => local = Some(*ip),
                AddressAttribute::Address(ip) => address = Some(*ip),
                _ => {}
            }
        }
        // IPv4 reports its own address as IFA_LOCAL (IFA_ADDRESS is the peer
        // on point-to-point links); IPv6 only has IFA_ADDRESS.
        if let Some(ip) = local.or(address) {
            ifaces[at].addrs.push(IfAddr {
                addr: ip,
                prefix: a.header.prefix_len,
            });
        }
    }
    for n in neighbours {
        if n.header.state != NeighbourState::Permanent {
            continue;
        }
        let Some(&at) = by_index.get(&n.header.ifindex) else {
            continue;
        };
        let mut ip = None;
        let mut mac = None;
        for attr in &n.attributes {
            match attr {
                NeighbourAttribute::Destination(NeighbourAddress::Inet(a)) => {
                    ip = Some(IpAddr::V4(*a))
                }
                NeighbourAttribute::Destination(NeighbourAddress::Inet6(a)) => {
                    ip = Some(IpAddr::V6(*a))
                }
                NeighbourAttribute::LinkLayerAddress(b) if b.len() == 6 => {
                    let mut m = [0u8; 6];
                    m.copy_from_slice(b);
                    mac = Some(Mac(m));
                }
                _ => {}
            }
        }
        if let (Some(ip), Some(mac)) = (ip, mac) {
            ifaces[at].neighbours.push((ip, mac));
        }
    }
    Ok(Observed {
        ifaces,
        firewalls: Vec::new(),
        wireguard: Vec::new(),
        packet_filter: None,
    })
}

#[cfg(test)]
mod tests {
    use netlink_packet_core::{Emitable, Parseable};

    use super::*;

    /// Encodes a message, then parses its bytes back as the kernel's dump
    /// answer would be parsed.
    fn round_trip(m: &LinkMessage) -> LinkMessage {
        let mut bytes = vec![0u8; m.buffer_len()];
        m.emit(&mut bytes);
        LinkMessage::parse(&bytes[..]).unwrap()
    }

    fn vxlan_change() -> Change {
        Change::CreateVxlan {
            name: "vxlan7".into(),
            vni: 7,
            local: "2001:db8::1".parse().unwrap(),
            remote: "2001:db8::2".parse().unwrap(),
            port: 4789,
            mtu: 1430,
            description: "tunnel-to-b".into(),
        }
    }

    #[test]
    fn vxlan_creation_decodes_to_what_was_asked() {
        let msgs = encode(&vxlan_change(), &Indexes::new()).unwrap();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].0, Mode::Create);
        let RouteNetlinkMessage::NewLink(create) = &msgs[0].1 else {
            panic!("{msgs:?}")
        };
        let (iface, master) = decode_link(&round_trip(create)).unwrap();
        assert_eq!(master, None);
        assert_eq!(iface.name, "vxlan7");
        assert_eq!(iface.mtu, 1430);
        // No MAC is asked for: the kernel chooses one.
        assert_eq!(iface.mac, None);
        assert_eq!(
            iface.kind,
            IfaceKind::Vxlan(VxlanConf {
                vni: 7,
                local: Some("2001:db8::1".parse().unwrap()),
                remote: Some("2001:db8::2".parse().unwrap()),
                port: 4789,
            })
        );
        // The alias is set by name, in the same batch.
        let RouteNetlinkMessage::NewLink(alias) = &msgs[1].1 else {
            panic!("{msgs:?}")
        };
        assert_eq!(alias.header.index, 0);
        assert!(
            alias
                .attributes
                .contains(&LinkAttribute::IfName("vxlan7".into()))
        );
        assert!(
            alias
                .attributes
                .contains(&LinkAttribute::IfAlias("tunnel-to-b".into()))
        );
    }

    #[test]
    fn wireguard_creation_is_the_kernel_kind_then_its_alias() {
        let change = Change::CreateWireguard {
            name: "vpcwg100".into(),
            mtu: 1420,
            description: "vpc-v1-wireguard".into(),
        };
        let msgs = encode(&change, &Indexes::new()).unwrap();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].0, Mode::Create);
        let RouteNetlinkMessage::NewLink(create) = &msgs[0].1 else {
            panic!("{msgs:?}")
        };
        let (iface, _) = decode_link(&round_trip(create)).unwrap();
        assert_eq!(
            (iface.name.as_str(), iface.mtu, iface.kind),
            ("vpcwg100", 1420, IfaceKind::Wireguard)
        );
        let RouteNetlinkMessage::NewLink(alias) = &msgs[1].1 else {
            panic!("{msgs:?}")
        };
        assert_eq!(
            alias.attributes,
            vec![
                LinkAttribute::IfName("vpcwg100".into()),
                LinkAttribute::IfAlias("vpc-v1-wireguard".into())
            ]
        );
        // wireguard-go's TUN link, made by the process: MTU and alias set
        // by name in one message.
        let (mode, RouteNetlinkMessage::NewLink(tun)) =
            link_settings("vpcwg100", 1420, "vpc-v1-wireguard")
        else {
            panic!("not RTM_NEWLINK")
        };
        assert_eq!(mode, Mode::Plain);
        assert_eq!(tun.header.index, 0);
        assert_eq!(
            tun.attributes,
            vec![
                LinkAttribute::IfName("vpcwg100".into()),
                LinkAttribute::Mtu(1420),
                LinkAttribute::IfAlias("vpc-v1-wireguard".into())
            ]
        );
        // Configuring is not rtnetlink's.
        let set = Change::SetWireguard {
            vpc: crate::model::name::VpcName::new("v1").unwrap(),
            device: crate::plan::WgDevice {
                name: "vpcwg100".into(),
                listen_port: 51820,
                private_key: None,
                public_key: None,
                peers: Vec::new(),
            },
        };
        assert!(encode(&set, &Indexes::new()).unwrap().is_empty());
    }

    #[test]
    fn changes_needing_a_new_index_say_so() {
        let mut idx = Indexes::new();
        let add = Change::AddAddr {
            name: "vxlan7".into(),
            addr: IfAddr::parse("10.0.0.1/30", "a").unwrap(),
        };
        assert_eq!(encode(&add, &idx).unwrap_err(), NeedsIndex("vxlan7".into()));
        idx.insert("vxlan7".into(), 9);
        let msgs = encode(&add, &idx).unwrap();
        let RouteNetlinkMessage::NewAddress(a) = &msgs[0].1 else {
            panic!("{msgs:?}")
        };
        assert_eq!((a.header.index, a.header.prefix_len), (9, 30));
        let port = Change::AddPort {
            bridge: "vpc1".into(),
            port: "vxlan7".into(),
            private: true,
        };
        assert_eq!(encode(&port, &idx).unwrap_err(), NeedsIndex("vpc1".into()));
        idx.insert("vpc1".into(), 3);
        let msgs = encode(&port, &idx).unwrap();
        assert_eq!(msgs.len(), 2, "master, then isolated");
        let RouteNetlinkMessage::NewLink(iso) = &msgs[1].1 else {
            panic!("{msgs:?}")
        };
        let mut bridge = round_trip(&link(3, vec![]));
        bridge.attributes.push(LinkAttribute::IfName("vpc1".into()));
        let mut port_msg = round_trip(iso);
        port_msg
            .attributes
            .push(LinkAttribute::IfName("vxlan7".into()));
        port_msg.attributes.push(LinkAttribute::Controller(3));
        let seen = decode(&[bridge, port_msg], &[], &[]).unwrap();
        let p = seen.get("vxlan7").unwrap();
        assert_eq!(p.master.as_deref(), Some("vpc1"));
        assert!(p.private);
    }

    #[test]
    fn malformed_answers_are_errors() {
        let nameless = link(4, vec![LinkAttribute::Mtu(1500)]);
        let e = decode(&[nameless], &[], &[]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Backend);
        assert!(e.message().contains("link 4 has no name"), "{e}");
        let orphan = link(
            5,
            vec![
                LinkAttribute::IfName("x".into()),
                LinkAttribute::Controller(99),
            ],
        );
        let e = decode(&[orphan], &[], &[]).unwrap_err();
        assert!(e.message().contains("master 99"), "{e}");
        let bare_vxlan = link(
            6,
            vec![
                LinkAttribute::IfName("vx".into()),
                LinkAttribute::LinkInfo(vec![LinkInfo::Kind(InfoKind::Vxlan)]),
            ],
        );
        assert!(
            decode(&[bare_vxlan], &[], &[])
                .unwrap_err()
                .message()
                .contains("no vxlan settings")
        );
    }
}
