//! Property tests of the mesh (DESIGN.md §3): pair numbering, VNIs,
//! interface names and link addresses over random member sets and peer
//! networks, checked against the rules, against both ends' desired state,
//! across members (each parses the spec it receives), across membership
//! changes, and against CBSD's row-major order. Plain tests pin the
//! article's map and the capacity error messages.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use std::collections::{BTreeSet, HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{FileFailurePersistence, TestCaseError};

use vpc_core::ErrorKind;
use vpc_core::model::addr::{Family, IfAddr, Network};
use vpc_core::model::mesh::{Link, Numbering, VNI_MAX, pairs_of, stable_index};
use vpc_core::model::name::{NodeName, VpcName};
use vpc_core::model::node::Node;
use vpc_core::model::platform::Platform;
use vpc_core::model::spec::{Options, Spec};
use vpc_core::plan::{self, Change, Desired, Observed, Scope};

type TestResult = Result<(), TestCaseError>;

/// How much work the per-member checks may do, in links computed (each
/// member's desired state computes the whole map) or serialized (each
/// member's copy of the map), and the fewest members checked. Small VPCs
/// get every member checked; large ones an evenly spread sample that holds
/// the first and the last member, so the file stays quick in debug builds.
const DESIRED_BUDGET: (u64, u64) = (300_000, 3);
const RECEIVED_BUDGET: (u64, u64) = (32_000, 2);

/// Member counts above this are "large".
const SMALL_MAX: usize = 40;

/// 198.18.0.0/15, the benchmarking range, as a number.
const UNDERLAY4_BASE: u32 = 0xc612_0000;
/// 2001:db8::/32, the documentation range, as a number.
const UNDERLAY6_BASE: u128 = 0x2001_0db8 << 96;

fn to_u128(addr: IpAddr) -> u128 {
    match addr {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

/// The host-bit mask of a `/prefix` in `family`.
fn host_mask(family: Family, prefix: u8) -> u128 {
    let host = u32::from(family.bits() - prefix);
    1u128.checked_shl(host).map_or(u128::MAX, |v| v - 1)
}

fn family_of_prefix(link_prefix: u8) -> Family {
    if link_prefix > 32 {
        Family::V6
    } else {
        Family::V4
    }
}

/// One random VPC definition, before it is checked.
#[derive(Debug, Clone)]
struct Case {
    vpc: String,
    /// Slot order: the initiator first.
    nodes: Vec<Node>,
    /// The peer network as text, aligned to its prefix.
    network: String,
    /// `link_prefix=`, or the family's default.
    link_prefix: Option<u8>,
    /// `vni_base=`, or the default (0 on a node holding no other VPC).
    vni_base: Option<u32>,
    numbering: Numbering,
    /// Picks the non-initiator member to remove.
    victim: Index,
}

impl Case {
    fn effective_link_prefix(&self, family: Family) -> u8 {
        self.link_prefix.unwrap_or(match family {
            Family::V4 => 30,
            Family::V6 => 126,
        })
    }

    fn options(&self) -> Options {
        let mut o = Options::default();
        let mut set = |k: &str, v: &str| {
            assert!(o.set(k, v).unwrap(), "{k} is an option");
        };
        set("peer_network", &self.network);
        if let Some(p) = self.link_prefix {
            set("link_prefix", &p.to_string());
        }
        if let Some(b) = self.vni_base {
            set("vni_base", &b.to_string());
        }
        set(
            "numbering",
            match self.numbering {
                Numbering::Stable => "stable",
                Numbering::Cbsd => "cbsd",
            },
        );
        o
    }

    fn define(&self) -> vpc_core::Result<Spec> {
        let mut nodes = self.nodes.clone();
        let initiator = nodes.remove(0);
        Spec::define(
            VpcName::new(&self.vpc).unwrap(),
            initiator,
            nodes,
            &self.options(),
            &[],
        )
    }
}

/// The most members a generated VPC has.
const LARGE_MAX: usize = 300;

/// Member counts of small VPCs, skewed to the smallest.
fn small_sizes() -> BoxedStrategy<usize> {
    prop_oneof![2 => 2usize..=8, 1 => 9usize..=SMALL_MAX].boxed()
}

/// Member counts of large VPCs.
fn large_sizes() -> BoxedStrategy<usize> {
    ((SMALL_MAX + 1)..=LARGE_MAX).boxed()
}

/// Member counts skewed small, with a few large VPCs.
fn mixed_sizes() -> BoxedStrategy<usize> {
    prop_oneof![18 => small_sizes(), 1 => large_sizes()].boxed()
}

/// `n` nodes with unique names and addresses; every node has an address
/// of the common family, some also one of the other.
fn arb_nodes(n: usize) -> impl Strategy<Value = Vec<Node>> {
    let names = prop::collection::btree_set("[a-z][a-z0-9.-]{0,20}", n)
        .prop_map(|s| s.into_iter().collect::<Vec<_>>())
        .prop_shuffle();
    let v4 = prop::collection::btree_set(0u32..(1 << 17), n)
        .prop_map(|s| s.into_iter().collect::<Vec<_>>())
        .prop_shuffle();
    let v6 = prop::collection::vec(any::<u128>(), n);
    let extra = prop::collection::vec(any::<bool>(), n);
    (names, v4, v6, extra, any::<bool>()).prop_map(|(names, v4, v6, extra, common_v6)| {
        names
            .iter()
            .enumerate()
            .map(|(k, name)| {
                let ip4 = Ipv4Addr::from(UNDERLAY4_BASE + v4[k]);
                let ip6 = Ipv6Addr::from(UNDERLAY6_BASE | (v6[k] & ((1u128 << 96) - 1)));
                let (has4, has6) = if common_v6 {
                    (extra[k], true)
                } else {
                    (true, extra[k])
                };
                Node::new(
                    NodeName::new(name).unwrap(),
                    has4.then_some(ip4),
                    has6.then_some(ip6),
                )
                .unwrap()
            })
            .collect()
    })
}

/// A peer network sized around what `n` members need: `slack` below zero
/// is too small by that many bits, zero or more fits.
fn arb_network(n: usize) -> impl Strategy<Value = (String, Option<u8>)> {
    let pairs = pairs_of(n as u64);
    let needed_bits = 64 - (pairs - 1).leading_zeros() as i32; // ceil(log2(pairs))
    let family = prop_oneof![Just(Family::V4), Just(Family::V6)];
    let slack = prop_oneof![
        3 => -3i32..=-1,
        8 => 0i32..=3,
        1 => 4i32..=80,
    ];
    (family, any::<u8>(), slack, any::<u128>()).prop_map(move |(family, lp, slack, base)| {
        let (link_prefix, min_prefix) = match (family, lp % 3) {
            (Family::V4, 0) => (None, 8),
            (Family::V4, 1) => (Some(30), 8),
            (Family::V4, _) => (Some(31), 8),
            (Family::V6, 0) => (None, 16),
            (Family::V6, 1) => (Some(126), 16),
            (Family::V6, _) => (Some(127), 16),
        };
        let effective = i32::from(link_prefix.unwrap_or(match family {
            Family::V4 => 30,
            Family::V6 => 126,
        }));
        let prefix = (effective - needed_bits - slack).clamp(min_prefix, i32::from(family.bits()));
        let prefix = prefix as u8;
        // Clear of the special ranges and the underlay (198.18.0.0/15,
        // 2001:db8::/32) a peer network may not touch: IPv4 in 1.0.0.0 to
        // 126.255.255.255, IPv6 in 2002:: to fc01:ffff:… (prefixes are at
        // least /8 and /16, so the leading octet or group is the network's).
        let base = match family {
            Family::V4 => (base & 0x00ff_ffff) | ((1 + (base >> 24) % 126) << 24),
            Family::V6 => {
                (base & ((1u128 << 112) - 1)) | ((0x2002 + (base >> 112) % 0xdc00) << 112)
            }
        };
        let base = base & host_mask(family, 0) & !host_mask(family, prefix);
        let addr = match family {
            Family::V4 => IpAddr::V4(Ipv4Addr::from(base as u32)),
            Family::V6 => IpAddr::V6(Ipv6Addr::from(base)),
        };
        (format!("{addr}/{prefix}"), link_prefix)
    })
}

fn arb_vni_base() -> impl Strategy<Value = Option<u32>> {
    prop_oneof![
        4 => Just(None),
        4 => (0u32..=VNI_MAX - 50_000).prop_map(Some),
        1 => (VNI_MAX - 64..=VNI_MAX - 1).prop_map(Some),
    ]
}

fn arb_case(sizes: BoxedStrategy<usize>) -> impl Strategy<Value = Case> {
    sizes.prop_flat_map(|n| {
        (
            // A VPC name is never shaped like a driver's interface (br0).
            "[a-z][a-z0-9_]{0,14}".prop_filter("a valid VPC name", |v| VpcName::new(v).is_ok()),
            arb_nodes(n),
            arb_network(n),
            arb_vni_base(),
            prop_oneof![3 => Just(Numbering::Stable), 1 => Just(Numbering::Cbsd)],
            any::<Index>(),
        )
            .prop_map(
                |(vpc, nodes, (network, link_prefix), vni_base, numbering, victim)| Case {
                    vpc,
                    nodes,
                    network,
                    link_prefix,
                    vni_base,
                    numbering,
                    victim,
                },
            )
    })
}

/// What a link is, as seen by a member: the fields membership changes must
/// not touch.
#[derive(Debug, Clone, PartialEq, Eq)]
struct LinkFacts {
    pair: u64,
    vni: u32,
    interface: String,
    addrs: [IfAddr; 2],
}

/// The links keyed by their ends' names (lower slot first).
fn facts(map: &[Link<'_>]) -> HashMap<(NodeName, NodeName), LinkFacts> {
    map.iter()
        .map(|l| {
            (
                (l.ends[0].node.clone(), l.ends[1].node.clone()),
                LinkFacts {
                    pair: l.pair,
                    vni: l.vni,
                    interface: l.interface(),
                    addrs: [l.ends[0].link_addr, l.ends[1].link_addr],
                },
            )
        })
        .collect()
}

/// The occupied slots, in slot order.
fn present(spec: &Spec) -> Vec<usize> {
    (0..spec.members.len())
        .filter(|s| spec.members[*s].is_some())
        .collect()
}

/// The members whose desired state or received spec are checked: all of
/// them when `budget` allows, else an evenly spread sample.
fn checked_slots(spec: &Spec, (budget, fewest): (u64, u64)) -> Vec<usize> {
    let slots = present(spec);
    let pairs = pairs_of(slots.len() as u64).max(1);
    let count = (budget / pairs).max(fewest) as usize;
    if count >= slots.len() || count < 2 {
        return slots;
    }
    let step = (slots.len() - 1) as f64 / (count - 1) as f64;
    let picked: BTreeSet<usize> = (0..count)
        .map(|k| slots[(k as f64 * step).round() as usize])
        .collect();
    picked.into_iter().collect()
}

fn node_at(spec: &Spec, slot: usize) -> &Node {
    &spec.members[slot].as_ref().unwrap().node
}

/// The mesh rules that hold for any spec, with or without vacant slots.
fn check_map(spec: &Spec) -> TestResult {
    let map = spec
        .peer_map()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let slots = present(spec);
    let network: Network = spec.peer_network;
    let family = network.family();
    let lp = spec.link_prefix;
    prop_assert_eq!(family_of_prefix(lp), family);
    let net_base = to_u128(network.nth(0));
    let net_mask = !host_mask(family, network.prefix());
    let block_mask = !host_mask(family, lp);
    let block_size = host_mask(family, lp) + 1;
    let first = if block_size >= 4 { 1 } else { 0 };

    prop_assert_eq!(map.len() as u64, pairs_of(slots.len() as u64));
    // Counted without the map, in either numbering, vacant slots or not:
    // what every summary prints.
    prop_assert_eq!(spec.link_count().unwrap(), map.len());
    let summary = vpc_core::report::VpcSummary::of(spec).unwrap();
    prop_assert_eq!(summary.links, map.len());
    // Made one at a time, the same links in the same order.
    let report = vpc_core::report::PeerMap::of(spec).unwrap();
    prop_assert_eq!(report.links.len(), map.len());
    let lazy: Vec<String> = report
        .links
        .iter()
        .unwrap()
        .map(|l| format!("{:?}", l.unwrap()))
        .collect();
    let eager: Vec<String> = map.iter().map(|l| format!("{l:?}")).collect();
    prop_assert_eq!(lazy, eager);

    // Which pairs, in which order, with which index.
    let got: Vec<(usize, usize, u64)> = map
        .iter()
        .map(|l| (l.ends[0].slot, l.ends[1].slot, l.pair))
        .collect();
    match spec.numbering {
        Numbering::Stable => {
            let mut want = Vec::new();
            for (b, &hi) in slots.iter().enumerate() {
                for &lo in &slots[..b] {
                    want.push((lo, hi, (hi * (hi - 1) / 2 + lo) as u64));
                }
            }
            want.sort_by_key(|w| w.2);
            prop_assert_eq!(&got, &want, "stable numbering p = j*(j-1)/2 + i");
            for &(lo, hi, p) in &got {
                prop_assert_eq!(stable_index(lo, hi), p);
            }
        }
        Numbering::Cbsd => {
            // CBSD's row-major order over the present members.
            let mut want = Vec::new();
            let mut index = 0u64;
            for a in 0..slots.len() {
                for b in a + 1..slots.len() {
                    want.push((slots[a], slots[b], index));
                    index += 1;
                }
            }
            prop_assert_eq!(&got, &want, "cbsd row-major numbering");
        }
    }

    let mut vnis = HashSet::new();
    let mut interfaces = HashSet::new();
    let mut blocks = HashSet::new();
    for l in &map {
        let [a, b] = &l.ends;
        prop_assert!(a.slot < b.slot);
        let (na, nb) = (node_at(spec, a.slot), node_at(spec, b.slot));
        prop_assert_eq!(a.node, &na.name);
        prop_assert_eq!(b.node, &nb.name);

        // Underlay: IPv6 when both ends have it, else IPv4.
        let want_family = if na.ip6.is_some() && nb.ip6.is_some() {
            Family::V6
        } else {
            Family::V4
        };
        prop_assert_eq!(l.family, want_family);
        prop_assert_eq!(Some(a.underlay), na.underlay(want_family));
        prop_assert_eq!(Some(b.underlay), nb.underlay(want_family));

        // VNI and interface name.
        prop_assert_eq!(u64::from(l.vni), u64::from(spec.vni_base) + l.pair + 1);
        prop_assert!(l.vni >= 1 && l.vni <= VNI_MAX);
        prop_assert_eq!(l.interface(), format!("vxlan{}", l.vni));
        prop_assert!(vnis.insert(l.vni), "VNI {} twice", l.vni);
        prop_assert!(
            interfaces.insert(l.interface()),
            "interface {} twice",
            l.interface()
        );

        // Link addresses: one block per pair, the pair's own, in the network.
        let (xa, xb) = (to_u128(a.link_addr.addr), to_u128(b.link_addr.addr));
        prop_assert_eq!(a.link_addr.prefix, lp);
        prop_assert_eq!(b.link_addr.prefix, lp);
        prop_assert_eq!(a.link_addr.family(), family);
        prop_assert_eq!(b.link_addr.family(), family);
        prop_assert_ne!(xa, xb, "both ends of {} have one address", l.interface());
        prop_assert_eq!(xa & block_mask, xb & block_mask, "ends in different blocks");
        prop_assert_eq!(
            xa & net_mask,
            net_base,
            "{} outside {}",
            a.link_addr,
            network
        );
        prop_assert_eq!(
            xb & net_mask,
            net_base,
            "{} outside {}",
            b.link_addr,
            network
        );
        let block = xa & block_mask;
        prop_assert!(blocks.insert(block), "block of {} used twice", a.link_addr);
        prop_assert_eq!(block, net_base + u128::from(l.pair) * block_size);
        prop_assert_eq!(xa, block + first);
        prop_assert_eq!(xb, block + first + 1);
    }

    // One MTU: the worst pair's.
    let v6 = map.iter().any(|l| l.family == Family::V6) || map.is_empty();
    prop_assert_eq!(spec.mtu().ok(), Some(if v6 { 1430 } else { 1450 }));
    Ok(())
}

/// Both ends of every tunnel agree, through `plan::desired`.
fn check_desired(spec: &Spec) -> TestResult {
    let map = spec
        .peer_map()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let by_vni: HashMap<u32, &Link<'_>> = map.iter().map(|l| (l.vni, l)).collect();
    let members = present(spec).len();
    let checked = checked_slots(spec, DESIRED_BUDGET);
    let mtu = spec.mtu().ok();
    let mut desired: HashMap<usize, Desired> = HashMap::new();
    for &slot in &checked {
        let node = node_at(spec, slot);
        let d = plan::desired(spec, &node.name, Platform::Linux)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(d.tunnels.len(), members - 1, "tunnels of {}", node.name);
        prop_assert_eq!(Some(d.mtu), mtu);
        prop_assert_eq!(d.owned_vnis.clone(), spec.vni_range());
        let mut peers = HashSet::new();
        for t in &d.tunnels {
            let link = by_vni.get(&t.vni);
            prop_assert!(link.is_some(), "{} has no link", t.name);
            let link = link.unwrap();
            let (mine, far) = link.side(slot).unwrap();
            prop_assert_eq!(&t.name, &link.interface());
            prop_assert_eq!(t.local, mine.underlay);
            prop_assert_eq!(Some(t.local), node.underlay(link.family));
            prop_assert_eq!(t.remote, far.underlay);
            prop_assert_eq!(
                Some(t.remote),
                node_at(spec, far.slot).underlay(link.family)
            );
            prop_assert_eq!(t.link_addr, mine.link_addr);
            prop_assert_eq!(t.peer_addr, far.link_addr);
            prop_assert_eq!(&t.peer, far.node);
            prop_assert_eq!(t.port, spec.port);
            prop_assert!(peers.insert(t.peer.clone()), "two tunnels to {}", t.peer);
        }
        desired.insert(slot, d);
    }
    // Mirror: the far end's tunnel of the same VNI, seen from the other side.
    for (&slot, d) in &desired {
        for t in &d.tunnels {
            let far_slot = spec.slot_of(&t.peer).unwrap();
            let Some(fd) = desired.get(&far_slot) else {
                continue;
            };
            let ft = fd.tunnels.iter().find(|f| f.vni == t.vni);
            prop_assert!(ft.is_some(), "{} missing on {}", t.name, t.peer);
            let ft = ft.unwrap();
            prop_assert_eq!(&ft.name, &t.name);
            prop_assert_eq!(ft.local, t.remote);
            prop_assert_eq!(ft.remote, t.local);
            prop_assert_eq!(ft.link_addr, t.peer_addr);
            prop_assert_eq!(ft.peer_addr, t.link_addr);
            prop_assert_eq!(ft.port, t.port);
            prop_assert_eq!(&ft.peer, &node_at(spec, slot).name);
        }
    }
    // FreeBSD rules: the same tunnels (no platform pins a MAC).
    let first = node_at(spec, 0);
    let bsd = plan::desired(spec, &first.name, Platform::FreeBsd)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let linux = &desired[&0];
    prop_assert_eq!(&bsd.tunnels, &linux.tunnels);
    // A fresh node plans one creation per tunnel.
    let p = plan::plan(linux, &Observed::default(), Scope::All)
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let created = p
        .changes
        .iter()
        .filter(|c| matches!(c, Change::CreateVxlan { .. }))
        .count();
    prop_assert_eq!(created, members - 1);
    Ok(())
}

/// Every member that receives the spec as JSON computes the same map.
fn check_received(spec: &Spec) -> TestResult {
    let json = spec.to_json();
    let map = spec
        .peer_map()
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    let original = serde_json::to_value(&map).unwrap();
    for slot in checked_slots(spec, RECEIVED_BUDGET) {
        let received = Spec::from_json(&json);
        prop_assert!(
            received.is_ok(),
            "member {} refuses the spec: {:?}",
            node_at(spec, slot).name,
            received.err()
        );
        let received = received.unwrap();
        prop_assert_eq!(&received, spec);
        let theirs = received
            .peer_map()
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(
            serde_json::to_value(&theirs).unwrap(),
            original.clone(),
            "member {} computes another map",
            node_at(spec, slot).name
        );
    }
    Ok(())
}

/// A node whose name the generator never makes (it has a '_').
fn newcomer() -> Node {
    Node::new(
        NodeName::new("new_member").unwrap(),
        Some(Ipv4Addr::new(198, 19, 255, 254)),
        Some("2001:db8:ffff::fe".parse().unwrap()),
    )
    .unwrap()
}

/// Defines the case's spec, checking that it fails for capacity exactly
/// when the peer network or the VNI space is too small; skips those cases.
fn define_or_skip(case: &Case) -> Result<Spec, TestCaseError> {
    let n = case.nodes.len();
    let pairs = pairs_of(n as u64);
    let network = Network::parse(&case.network).unwrap();
    let lp = case.effective_link_prefix(network.family());
    let short_net = u128::from(pairs) > network.blocks(lp);
    let vni_base = case.vni_base.unwrap_or(0);
    let short_vni = u64::from(vni_base) + pairs > u64::from(VNI_MAX);
    match case.define() {
        Ok(spec) => {
            prop_assert!(
                !short_net,
                "{} members ({} pairs) fit {} with /{} links ({} blocks)?",
                n,
                pairs,
                network,
                lp,
                network.blocks(lp)
            );
            prop_assert!(
                !short_vni,
                "vni_base {} with {} pairs fits?",
                vni_base,
                pairs
            );
            prop_assert_eq!(spec.vni_base, vni_base);
            prop_assert_eq!(spec.link_prefix, lp);
            prop_assert_eq!(spec.members.len(), n);
            Ok(spec)
        }
        Err(e) if e.kind() == ErrorKind::Capacity => {
            prop_assert!(
                short_net || short_vni,
                "capacity error for {} members ({} pairs) in {} with /{} links ({} blocks), \
                 vni_base {}: {}",
                n,
                pairs,
                network,
                lp,
                network.blocks(lp),
                vni_base,
                e
            );
            let names_network = e.message().contains(&network.to_string());
            prop_assert_eq!(names_network, short_net, "{}", e);
            Err(TestCaseError::reject("capacity"))
        }
        Err(e) => Err(TestCaseError::fail(format!(
            "unexpected {} error: {e}",
            e.kind()
        ))),
    }
}

/// Blocks, VNIs, names, both ends, every member's copy, N-1 tunnels.
fn mesh_is_consistent(case: &Case) -> TestResult {
    let spec = define_or_skip(case)?;
    check_map(&spec)?;
    check_desired(&spec)?;
    check_received(&spec)?;
    Ok(())
}

/// Removing a member leaves the other pairs alone; a new member takes the
/// vacant slot and its links, again leaving the others alone.
fn membership_changes_keep_numbers(case: &Case) -> TestResult {
    let mut spec = define_or_skip(case)?;
    let n = spec.members.len();
    let before = facts(&spec.peer_map().unwrap());
    let slot = 1 + case.victim.index(n - 1);
    let gone = node_at(&spec, slot).name.clone();
    let generation = spec.generation;

    spec.remove_member(&gone).unwrap();
    prop_assert_eq!(spec.generation, generation + 1);
    prop_assert_eq!(spec.members.len(), n);
    prop_assert!(spec.members[slot].is_none());
    check_map(&spec)?;
    let after = spec.peer_map().unwrap();
    prop_assert_eq!(after.len() as u64, pairs_of(n as u64 - 1));
    for l in &after {
        prop_assert!(l.ends.iter().all(|e| e.node != &gone && e.slot != slot));
    }
    if spec.numbering == Numbering::Stable {
        for (key, f) in facts(&after) {
            prop_assert_eq!(Some(&f), before.get(&key), "{:?} changed", key);
        }
    }
    check_desired(&spec)?;

    let new = newcomer();
    spec.add_member(new.clone()).unwrap();
    prop_assert_eq!(
        spec.members.len(),
        n,
        "a vacant slot is filled, not appended"
    );
    prop_assert_eq!(spec.slot_of(&new.name), Some(slot));
    check_map(&spec)?;
    let again = facts(&spec.peer_map().unwrap());
    prop_assert_eq!(again.len() as u64, pairs_of(n as u64));
    if spec.numbering == Numbering::Stable {
        // The newcomer inherits the removed member's slot, so its links
        // are the removed member's, number for number.
        let was = |n: &NodeName| if *n == new.name { &gone } else { n }.clone();
        for (key, f) in &again {
            let old = (was(&key.0), was(&key.1));
            let same = before.get(&old) == Some(f);
            prop_assert!(same, "{:?} differs from {:?}", key, old);
        }
    }
    check_desired(&spec)?;
    check_received(&spec)?;
    Ok(())
}

/// numbering=cbsd is CBSD's row-major order over the member list.
fn cbsd_numbering_is_row_major(mut case: Case) -> TestResult {
    case.numbering = Numbering::Cbsd;
    let spec = define_or_skip(&case)?;
    let map = spec.peer_map().unwrap();
    let list: Vec<&NodeName> = spec.members().map(|m| &m.node.name).collect();
    let mut index = 0u64;
    let mut links = map.iter();
    for i in 0..list.len() {
        for j in i + 1..list.len() {
            let l = links.next();
            prop_assert!(l.is_some(), "pair ({}, {}) missing", i, j);
            let l = l.unwrap();
            prop_assert_eq!((l.ends[0].node, l.ends[1].node), (list[i], list[j]));
            prop_assert_eq!(l.pair, index);
            prop_assert_eq!(u64::from(l.vni), u64::from(spec.vni_base) + index + 1);
            let block = to_u128(l.ends[0].link_addr.addr)
                & !host_mask(spec.peer_network.family(), spec.link_prefix);
            let size = host_mask(spec.peer_network.family(), spec.link_prefix) + 1;
            prop_assert_eq!(
                block,
                to_u128(spec.peer_network.nth(0)) + u128::from(index) * size
            );
            index += 1;
        }
    }
    prop_assert!(links.next().is_none());
    Ok(())
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        max_shrink_iters: 256,
        // Large cases are slow in debug builds: bound the search for the
        // smallest failing case.
        max_shrink_time: 60_000,
        // A failure prints its minimal case; no regression file is written
        // next to the tests.
        failure_persistence: Some(Box::new(FileFailurePersistence::Off)),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn small_mesh_is_consistent(case in arb_case(small_sizes())) {
        mesh_is_consistent(&case)?;
    }

    #[test]
    fn small_membership_changes_keep_numbers(case in arb_case(small_sizes())) {
        membership_changes_keep_numbers(&case)?;
    }

    #[test]
    fn cbsd_numbering_matches_cbsd(case in arb_case(mixed_sizes())) {
        cbsd_numbering_is_row_major(case)?;
    }
}

// Large VPCs cost members × pairs each: few cases, so the file stays quick.
proptest! {
    #![proptest_config(config(4))]

    #[test]
    fn large_mesh_is_consistent(case in arb_case(large_sizes())) {
        mesh_is_consistent(&case)?;
    }

    #[test]
    fn large_membership_changes_keep_numbers(case in arb_case(large_sizes())) {
        membership_changes_keep_numbers(&case)?;
    }
}

fn node(name: &str, ip: &str) -> Node {
    let ip: IpAddr = ip.parse().unwrap();
    let (ip4, ip6) = match ip {
        IpAddr::V4(a) => (Some(a), None),
        IpAddr::V6(a) => (None, Some(a)),
    };
    Node::new(NodeName::new(name).unwrap(), ip4, ip6).unwrap()
}

fn options(pairs: &[(&str, &str)]) -> Options {
    let mut o = Options::default();
    for (k, v) in pairs {
        assert!(o.set(k, v).unwrap(), "{k}");
    }
    o
}

fn nodes4(n: usize) -> Vec<Node> {
    (0..n)
        .map(|i| node(&format!("h{i}"), &format!("198.18.0.{}", i + 1)))
        .collect()
}

fn define4(n: usize, opts: &[(&str, &str)]) -> vpc_core::Result<Spec> {
    let mut nodes = nodes4(n);
    let first = nodes.remove(0);
    Spec::define(
        VpcName::new("vpc1").unwrap(),
        first,
        nodes,
        &options(opts),
        &[],
    )
}

#[test]
fn article_map() {
    let spec = Spec::define(
        VpcName::new("vpc1").unwrap(),
        node("jhoster1.olevole.ru", "2a05:3580:d800:20f7::1"),
        vec![
            node("gold-hoster-02.hz.fbs.dev", "2a01:4f8:241:500b::1"),
            node("gold-hoster1.prod.inf.hz.fbs.dev", "2a01:4f8:241:500c::1"),
        ],
        &options(&[("peer_network", "10.100.0.0/24")]),
        &[],
    )
    .unwrap();
    let map = spec.peer_map().unwrap();
    let got: Vec<(u32, usize, usize, String, String, Family)> = map
        .iter()
        .map(|l| {
            (
                l.vni,
                l.ends[0].slot,
                l.ends[1].slot,
                l.ends[0].link_addr.to_string(),
                l.ends[1].link_addr.to_string(),
                l.family,
            )
        })
        .collect();
    let want: Vec<(u32, usize, usize, String, String, Family)> = [
        (1, 0, 1, "10.100.0.1/30", "10.100.0.2/30"),
        (2, 0, 2, "10.100.0.5/30", "10.100.0.6/30"),
        (3, 1, 2, "10.100.0.9/30", "10.100.0.10/30"),
    ]
    .into_iter()
    .map(|(v, a, b, x, y)| (v, a, b, x.to_owned(), y.to_owned(), Family::V6))
    .collect();
    assert_eq!(got, want);
    let names: Vec<String> = map.iter().map(Link::interface).collect();
    assert_eq!(names, ["vxlan1", "vxlan2", "vxlan3"]);
    assert_eq!(spec.mtu().unwrap(), 1430);

    let me: NodeName = "gold-hoster1.prod.inf.hz.fbs.dev".parse().unwrap();
    let d = plan::desired(&spec, &me, Platform::FreeBsd).unwrap();
    assert_eq!(d.mtu, 1430);
    let t: Vec<(String, String, String, String, String)> = d
        .tunnels
        .iter()
        .map(|t| {
            (
                t.name.clone(),
                t.local.to_string(),
                t.remote.to_string(),
                t.link_addr.to_string(),
                t.description(),
            )
        })
        .collect();
    assert_eq!(
        t,
        [
            (
                "vxlan2".to_owned(),
                "2a01:4f8:241:500c::1".to_owned(),
                "2a05:3580:d800:20f7::1".to_owned(),
                "10.100.0.6/30".to_owned(),
                "tunnel-to-jhoster1.olevole.ru".to_owned()
            ),
            (
                "vxlan3".to_owned(),
                "2a01:4f8:241:500c::1".to_owned(),
                "2a01:4f8:241:500b::1".to_owned(),
                "10.100.0.10/30".to_owned(),
                "tunnel-to-gold-hoster-02.hz.fbs.dev".to_owned()
            ),
        ]
    );
}

#[test]
fn capacity_error_names_network_links_and_members() {
    let e = define4(4, &[("peer_network", "10.100.0.0/28")]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Capacity, "{e}");
    assert_eq!(
        e.message(),
        "peer_network 10.100.0.0/28 holds 4 links of /30; 6 are needed for 4 members"
    );
    // Three members fit the same network.
    assert!(define4(3, &[("peer_network", "10.100.0.0/28")]).is_ok());
}

#[test]
fn capacity_error_names_last_vni() {
    let e = define4(
        3,
        &[("peer_network", "10.100.0.0/24"), ("vni_base", "16777214")],
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Capacity, "{e}");
    assert!(e.message().contains("16777215"), "{e}");
    assert!(e.message().contains("16777214"), "{e}");
    // The highest base that fits three links.
    let spec = define4(
        3,
        &[("peer_network", "10.100.0.0/24"), ("vni_base", "16777212")],
    )
    .unwrap();
    let vnis: Vec<u32> = spec.peer_map().unwrap().iter().map(|l| l.vni).collect();
    assert_eq!(vnis, [16_777_213, 16_777_214, 16_777_215]);
}

#[test]
fn network_smaller_than_one_link_is_refused() {
    for (net, lp) in [
        ("10.100.0.0/31", None),
        ("10.100.0.0/32", Some("31")),
        ("2001:db8::/127", None),
        ("2001:db8::/128", Some("127")),
    ] {
        let mut opts = vec![("peer_network", net)];
        if let Some(lp) = lp {
            opts.push(("link_prefix", lp));
        }
        let e = define4(2, &opts).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Capacity, "{net}: {e}");
        assert!(e.message().contains(net), "{e}");
    }
    // One /31 link fits a /31.
    let spec = define4(
        2,
        &[("peer_network", "10.100.0.0/31"), ("link_prefix", "31")],
    )
    .unwrap();
    let ends: Vec<String> = spec.peer_map().unwrap()[0]
        .ends
        .iter()
        .map(|e| e.link_addr.to_string())
        .collect();
    assert_eq!(ends, ["10.100.0.0/31", "10.100.0.1/31"]);
}

#[test]
fn network_with_host_bits_is_refused() {
    for bad in ["10.100.0.1/24", "10.100.0.4/29", "2001:db8::1/64"] {
        let e = Options::default().set("peer_network", bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Invalid, "{e}");
        assert!(e.message().contains(bad), "{e}");
        assert!(e.message().contains("host bits"), "{e}");
    }
}

/// DESIGN.md §3: "Host bits in the given network are an error, not
/// silently dropped" — also for a /0, where the host mask is all 128 bits
/// (regression: before 8a80c02 `::1/0` was accepted).
#[test]
fn ipv6_slash_zero_with_host_bits_is_refused() {
    for bad in ["::1/0", "2001:db8::1/0", "0.0.0.1/0"] {
        let e = Network::parse(bad);
        assert!(e.is_err(), "{bad} accepted as {}", e.unwrap());
    }
}

/// `Network::overlaps` against `::/0` must hold for every IPv6 network
/// (regression: before 8a80c02 the /0 mask compared the lowest bit).
#[test]
fn ipv6_slash_zero_overlaps_everything() {
    let all = Network::parse("::/0").unwrap();
    for net in ["2001:db8::1/128", "2001:db8::/64", "::1/128"] {
        let n = Network::parse(net).unwrap();
        assert!(all.overlaps(&n), "::/0 does not overlap {net}");
        assert!(n.overlaps(&all), "{net} does not overlap ::/0");
    }
}
