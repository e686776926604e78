//! One VPC's members-only rule set, `table inet vpc_<vpc>`:
//!
//! ```text
//! table inet vpc_<vpc> {
//!     set allow4 { type ipv4_addr; elements = { members' IPv4 underlays } }
//!     set allow6 { type ipv6_addr; elements = { members' IPv6 underlays } }
//!     chain input {
//!         type filter hook input priority filter - 1; policy accept;
//!         meta l4proto udp udp dport PORT @th,96,24 FIRST-LAST ip saddr != @allow4 counter drop
//!         meta l4proto udp udp dport PORT @th,96,24 FIRST-LAST ip6 saddr != @allow6 counter drop
//!     }
//! }
//! ```
//!
//! Written whole in one batch (`add table; delete table; table …`: the
//! add makes the delete a delete-if-exists, and the kernel commits all of
//! it or nothing), so there is no moment without the rules and the admin's
//! tables are never named. Read back from four dumps of that table only.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::Message;
use super::chain::{self, Chain};
use super::expr::{self, Expr};
use super::rule;
use super::set::{self, Set};
use super::table;
use crate::plan::Firewall;

/// The chain's name.
pub const CHAIN: &str = "input";
/// The set of IPv4 members.
pub const SET4: &str = "allow4";
/// The set of IPv6 members.
pub const SET6: &str = "allow6";
/// `NF_IP_PRI_FILTER - 1`: before the admin's filter chains, whose
/// accept cannot then let a stranger in (a drop in any base chain is
/// final).
pub const PRIORITY: i32 = -1;

/// The base chain.
pub fn chain() -> Chain {
    Chain {
        name: CHAIN.to_owned(),
        kind: "filter".to_owned(),
        hook: chain::HOOK_INPUT,
        priority: PRIORITY,
        policy: chain::ACCEPT,
    }
}

fn sets() -> [Set; 2] {
    [
        Set {
            name: SET4.to_owned(),
            key_type: set::TYPE_IPV4,
            key_len: 4,
            flags: 0,
        },
        Set {
            name: SET6.to_owned(),
            key_type: set::TYPE_IPV6,
            key_len: 16,
            flags: 0,
        },
    ]
}

/// `meta l4proto udp udp dport PORT @th,96,24 FIRST-LAST ip[6] saddr !=
/// @SET counter drop` (`@th,96,24` is the VXLAN header's VNI); `set_id` as
/// in a batch (`None` as the kernel reports it).
pub fn rule_exprs(port: u16, vnis: [u32; 2], v6: bool, set_id: Option<u32>) -> Vec<Expr> {
    let vni = |v: u32| v.to_be_bytes()[1..].to_vec();
    let (nfproto, offset, len, set) = if v6 {
        (10u8, 8, 16, SET6)
    } else {
        (2u8, 12, 4, SET4)
    };
    vec![
        Expr::Meta {
            key: expr::META_L4PROTO,
            dreg: expr::REG_1,
        },
        Expr::Cmp {
            sreg: expr::REG_1,
            op: expr::CMP_EQ,
            data: vec![17],
        },
        Expr::Payload {
            dreg: expr::REG_1,
            base: expr::BASE_TRANSPORT,
            offset: 2,
            len: 2,
        },
        Expr::Cmp {
            sreg: expr::REG_1,
            op: expr::CMP_EQ,
            data: port.to_be_bytes().to_vec(),
        },
        Expr::Payload {
            dreg: expr::REG_1,
            base: expr::BASE_TRANSPORT,
            offset: 12,
            len: 3,
        },
        Expr::Cmp {
            sreg: expr::REG_1,
            op: expr::CMP_GTE,
            data: vni(vnis[0]),
        },
        Expr::Cmp {
            sreg: expr::REG_1,
            op: expr::CMP_LTE,
            data: vni(vnis[1]),
        },
        Expr::Meta {
            key: expr::META_NFPROTO,
            dreg: expr::REG_1,
        },
        Expr::Cmp {
            sreg: expr::REG_1,
            op: expr::CMP_EQ,
            data: vec![nfproto],
        },
        Expr::Payload {
            dreg: expr::REG_1,
            base: expr::BASE_NETWORK,
            offset,
            len,
        },
        Expr::Lookup {
            sreg: expr::REG_1,
            set: set.to_owned(),
            set_id,
            flags: expr::LOOKUP_INV,
        },
        Expr::Counter,
        Expr::Verdict(expr::DROP),
    ]
}

/// The messages that make `fw` from nothing.
pub fn create(fw: &Firewall) -> Vec<Message> {
    let t = fw.table.as_str();
    let mut out = vec![table::add(t), chain::add(t, &chain())];
    let keys: [Vec<Vec<u8>>; 2] = [
        fw.allow4.iter().map(|a| a.octets().to_vec()).collect(),
        fw.allow6.iter().map(|a| a.octets().to_vec()).collect(),
    ];
    for (i, (s, keys)) in sets().iter().zip(&keys).enumerate() {
        let id = i as u32 + 1;
        out.push(set::add(t, s, id));
        if !keys.is_empty() {
            out.push(set::add_elements(t, &s.name, id, keys));
        }
    }
    out.push(rule::add(
        t,
        CHAIN,
        &rule_exprs(fw.port, fw.vnis, false, Some(1)),
    ));
    out.push(rule::add(
        t,
        CHAIN,
        &rule_exprs(fw.port, fw.vnis, true, Some(2)),
    ));
    out
}

/// The messages that delete table `name` if it exists.
pub fn remove(name: &str) -> Vec<Message> {
    vec![table::add(name), table::delete(name)]
}

/// The messages that replace whatever table `fw.table` holds with `fw`.
pub fn replace(fw: &Firewall) -> Vec<Message> {
    let mut out = remove(&fw.table);
    out.extend(create(fw));
    out
}

/// What the dumps of one table returned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableDump {
    /// Chains (`None`: a chain without a hook).
    pub chains: Vec<Option<Chain>>,
    /// Sets with their keys (`None`: a set vpc cannot read).
    pub sets: Vec<(Option<Set>, Vec<Vec<u8>>)>,
    /// Rules.
    pub rules: Vec<rule::Read>,
}

/// The rule set `dump` holds, if it is exactly one vpc writes; `None` for
/// anything else (altered, partial, foreign), which `apply` replaces.
pub fn read(table: &str, dump: &TableDump) -> Option<Firewall> {
    if dump.chains != [Some(chain())] || dump.rules.len() != 2 {
        return None;
    }
    // The values come from the first rule; then both must be exactly ours.
    let first = dump.rules[0].exprs.as_deref().ok()?;
    let data = |i: usize| match first.get(i)? {
        Expr::Cmp { data, .. } => Some(data.as_slice()),
        _ => None,
    };
    let port = u16::from_be_bytes(data(3)?.try_into().ok()?);
    let vni = |i| {
        let [a, b, c] = <[u8; 3]>::try_from(data(i)?).ok()?;
        Some(u32::from_be_bytes([0, a, b, c]))
    };
    let vnis = [vni(5)?, vni(6)?];
    for (rule, v6) in dump.rules.iter().zip([false, true]) {
        if rule.chain != CHAIN || rule.exprs.as_ref().ok()? != &rule_exprs(port, vnis, v6, None) {
            return None;
        }
    }
    let [s4, s6] = sets();
    let keys_of = |want: &Set| {
        let mut found = dump.sets.iter().filter(|(s, _)| s.as_ref() == Some(want));
        let keys = &found.next()?.1;
        found.next().is_none().then_some(keys)
    };
    if dump.sets.len() != 2 {
        return None;
    }
    let allow4 = keys_of(&s4)?
        .iter()
        .map(|k| <[u8; 4]>::try_from(k.as_slice()).ok().map(Ipv4Addr::from))
        .collect::<Option<Vec<_>>>()?;
    let allow6 = keys_of(&s6)?
        .iter()
        .map(|k| <[u8; 16]>::try_from(k.as_slice()).ok().map(Ipv6Addr::from))
        .collect::<Option<Vec<_>>>()?;
    Some(Firewall::new(table.to_owned(), port, vnis, allow4, allow6))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t1() -> Firewall {
        Firewall::new(
            "vpc_t1".to_owned(),
            4789,
            [1, 3],
            vec![Ipv4Addr::new(198, 18, 0, 2), Ipv4Addr::new(198, 18, 0, 1)],
            vec!["2001:db8::1".parse().unwrap()],
        )
    }

    /// `nft -f` of `add table inet vpc_t1; delete table inet vpc_t1`
    /// followed by the table in this module's documentation (port 4789,
    /// VNIs 1-3, 198.18.0.1 and .2, 2001:db8::1), as `strace -e write=3`
    /// showed it.
    #[test]
    fn replace_is_byte_for_byte_what_nft_sends() {
        let want = include_bytes!("testdata/replace.bin");
        assert_eq!(super::super::batch(&replace(&t1()), 0, false), want);
    }

    /// `nft -f` of `add table inet vpc_t1; delete table inet vpc_t1`.
    #[test]
    fn remove_is_byte_for_byte_what_nft_sends() {
        let want = include_bytes!("testdata/remove.bin");
        assert_eq!(super::super::batch(&remove("vpc_t1"), 0, false), want);
    }

    /// What the kernel reports reads back as the rule set written; any
    /// change to it reads as not vpc's.
    #[test]
    fn dumps_read_back_and_alterations_do_not() {
        let fw = t1();
        let reported = |v6| rule::Read {
            table: fw.table.clone(),
            chain: CHAIN.to_owned(),
            exprs: Ok(rule_exprs(fw.port, fw.vnis, v6, None)),
            packets: 0,
        };
        let [s4, s6] = sets();
        let dump = TableDump {
            chains: vec![Some(chain())],
            sets: vec![
                (Some(s4), vec![vec![198, 18, 0, 1], vec![198, 18, 0, 2]]),
                (
                    Some(s6),
                    vec!["2001:db8::1".parse::<Ipv6Addr>().unwrap().octets().to_vec()],
                ),
            ],
            rules: vec![reported(false), reported(true)],
        };
        assert_eq!(read("vpc_t1", &dump), Some(fw.clone()));

        let mut fewer = dump.clone();
        fewer.rules.pop();
        assert_eq!(read("vpc_t1", &fewer), None);
        let mut accepting = dump.clone();
        accepting.rules[1].exprs = Ok({
            let mut e = rule_exprs(fw.port, fw.vnis, true, None);
            *e.last_mut().unwrap() = Expr::Verdict(chain::ACCEPT);
            e
        });
        assert_eq!(read("vpc_t1", &accepting), None);
        let mut late = dump.clone();
        late.chains[0].as_mut().unwrap().priority = 10;
        assert_eq!(read("vpc_t1", &late), None);
        let mut extra = dump;
        extra.sets[0].1.push(vec![203, 0, 113, 9]);
        assert_eq!(read("vpc_t1", &extra).unwrap().allow4.len(), 3);
    }

    #[test]
    fn expressions_decode_what_they_encode() {
        for e in rule_exprs(4789, [1, 3], true, None) {
            let bytes = e.encode().done();
            assert_eq!(Expr::decode(&bytes), Ok(e));
        }
    }
}
