//! The kernel's rtnetlink answers: a datagram split into messages and read
//! by the codec's framing (`backend/linux/codec/frame.rs`: `frames`,
//! `Frame::decode`, `Dump`, `Acks`, as the socket layer calls them), the
//! dumps decoded into an observed state (`backend/linux/codec/mod.rs`,
//! `decode`), and that state planned against the article's VPC, as `apply`,
//! `teardown` and `status` do.
//!
//! Input: one datagram, a sequence of netlink messages (16-byte header in
//! host order, then the payload, each padded to 4 bytes), e.g. the
//! concatenated answers of a link, an address and a neighbour dump.

#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use netlink_packet_core::Parseable;
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::address::AddressMessage;
use netlink_packet_route::link::LinkMessage;
use netlink_packet_route::neighbour::NeighbourMessage;
use vpc_core::backend::linux::codec::{self, frame};
use vpc_core::model::name::{NodeName, VpcName};
use vpc_core::model::node::Node;
use vpc_core::model::spec::{Options, Spec};
use vpc_core::plan::{self, Desired, Observed, Scope};
use vpc_core::model::platform::Platform;

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
    // As the backend reads it: a fresh socket's three dumps (sequence
    // numbers 1, 2 and 3, as the seeds carry), and the acknowledgements of
    // a batch.
    let mut dumps = [1, 2, 3].map(frame::Dump::new);
    for dump in &mut dumps {
        let _ = dump.read(data);
    }
    let [links, addrs, neighbours] = dumps;
    let links = codec::links(links.into_entries());
    let _ = codec::groups(&links);
    let addrs = codec::addresses(addrs.into_entries());
    let neighbours = codec::neighbours(neighbours.into_entries());
    if let Ok(observed) = codec::decode(&links, &addrs, &neighbours) {
        plan_against(&observed);
    }
    let mut acks = frame::Acks::new(1, 4);
    let _ = acks.read(data);
    let _ = acks.refused();

    // Every message whatever its sequence number, decoded by its header's
    // type and its payload parsed directly as each kind (as the codec's
    // tests do), up to the first malformed one.
    let (mut typed_links, mut typed_addrs, mut typed_neighbours) =
        (Vec::new(), Vec::new(), Vec::new());
    let (mut any_links, mut any_addrs, mut any_neighbours) = (Vec::new(), Vec::new(), Vec::new());
    for frame in frame::frames(data).map_while(Result::ok) {
        match frame.decode() {
            Ok(frame::Reply::Route(RouteNetlinkMessage::NewLink(l))) => typed_links.push(l),
            Ok(frame::Reply::Route(RouteNetlinkMessage::NewAddress(a))) => typed_addrs.push(a),
            Ok(frame::Reply::Route(RouteNetlinkMessage::NewNeighbour(n))) => {
                typed_neighbours.push(n)
            }
            _ => {}
        }
        let payload = frame.payload();
        any_links.extend(LinkMessage::parse(payload).ok());
        any_addrs.extend(AddressMessage::parse(payload).ok());
        any_neighbours.extend(NeighbourMessage::parse(payload).ok());
    }
    if let Ok(observed) = codec::decode(&typed_links, &typed_addrs, &typed_neighbours) {
        plan_against(&observed);
    }
    if let Ok(observed) = codec::decode(&any_links, &any_addrs, &any_neighbours) {
        plan_against(&observed);
    }
});
