//! The kernel's rtnetlink answers: a datagram split into messages and
//! deserialized as the socket layer does (`backend/linux/sys.rs`,
//! `receive`), the dumps decoded into an observed state
//! (`backend/linux/codec.rs`, `decode`), and that state planned against the
//! article's VPC, as `apply`, `teardown` and `status` do.
//!
//! Input: one datagram, a sequence of netlink messages (16-byte header in
//! host order, then the payload, each padded to 4 bytes), e.g. the
//! concatenated answers of a link, an address and a neighbour dump.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use netlink_packet_core::{NetlinkMessage, NetlinkPayload, Parseable};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::address::AddressMessage;
use netlink_packet_route::link::LinkMessage;
use netlink_packet_route::neighbour::NeighbourMessage;
use vpc_core::backend::linux::codec;
use vpc_core::model::name::{NodeName, VpcName};
use vpc_core::model::node::Node;
use vpc_core::model::spec::{Options, Spec};
use vpc_core::plan::{self, Desired, Observed, Platform, Scope};

/// The netlink header's size.
const HEADER: usize = 16;

/// The datagram's messages, as `sys.rs`'s `receive` frames them: `None`
/// where it would stop with an error.
fn frames(datagram: &[u8]) -> Vec<Option<&[u8]>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + HEADER <= datagram.len() {
        let mut len = [0u8; 4];
        len.copy_from_slice(&datagram[at..at + 4]);
        let len = u32::from_ne_bytes(len) as usize;
        if len < HEADER || at + len > datagram.len() {
            out.push(None);
            break;
        }
        out.push(Some(&datagram[at..at + len]));
        at += (len + 3) & !3;
    }
    out
}

/// `jhoster1`'s part of the article's VPC (three hosts over IPv6).
fn article() -> &'static Option<Desired> {
    static DESIRED: OnceLock<Option<Desired>> = OnceLock::new();
    DESIRED.get_or_init(|| {
        let node = |name: &str, ip6: &str| {
            Node::new(NodeName::new(name).ok()?, None, ip6.parse().ok()).ok()
        };
        let me = node("jhoster1.olevole.ru", "2a05:3580:d800:20f7::1")?;
        let others = vec![
            node("gold-hoster-02.hz.fbs.dev", "2a01:4f8:241:500b::1")?,
            node("gold-hoster1.prod.inf.hz.fbs.dev", "2a01:4f8:241:500c::1")?,
        ];
        let mut options = Options::default();
        options.set("peer_network", "10.100.0.0/24").ok()?;
        let spec = Spec::define(
            VpcName::new("vpc1").ok()?,
            me.clone(),
            others,
            &options,
            &[],
        )
        .ok()?;
        plan::desired(&spec, &me.name, Platform::Linux).ok()
    })
}

fn plan_against(observed: &Observed) {
    let Some(desired) = article() else {
        unreachable!("the article's VPC is valid");
    };
    for scope in [Scope::All, Scope::Tunnels, Scope::Bridge] {
        let _ = plan::plan(desired, observed, scope);
        let _ = plan::teardown(desired, observed, scope);
    }
    let _ = plan::check_underlay(desired, observed);
    let _ = plan::health(desired, observed);
    let _ = plan::attach(desired, observed, "veth0");
    let _ = plan::detach(desired, observed, "veth0");
}

fuzz_target!(|data: &[u8]| {
    let (mut links, mut addrs, mut neighbours) = (Vec::new(), Vec::new(), Vec::new());
    // Each message's payload parsed directly as each kind (as the codec's
    // tests do), whatever its header says.
    let (mut any_links, mut any_addrs, mut any_neighbours) = (Vec::new(), Vec::new(), Vec::new());
    for frame in frames(data).into_iter().flatten() {
        if let Ok(m) = NetlinkMessage::<RouteNetlinkMessage>::deserialize(frame) {
            match m.payload {
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewLink(l)) => links.push(l),
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewAddress(a)) => addrs.push(a),
                NetlinkPayload::InnerMessage(RouteNetlinkMessage::NewNeighbour(n)) => {
                    neighbours.push(n)
                }
                _ => {}
            }
        }
        let payload = &frame[HEADER..];
        any_links.extend(LinkMessage::parse(payload).ok());
        any_addrs.extend(AddressMessage::parse(payload).ok());
        any_neighbours.extend(NeighbourMessage::parse(payload).ok());
    }
    let _ = codec::groups(&links);
    if let Ok(observed) = codec::decode(&links, &addrs, &neighbours) {
        plan_against(&observed);
    }
    if let Ok(observed) = codec::decode(&any_links, &any_addrs, &any_neighbours) {
        plan_against(&observed);
    }
});
