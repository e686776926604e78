//! One VPC's members-only rule set, `table inet vpc_<vpc>`:
//!
//! ```text
//! table inet vpc_<vpc> {
//!     set allow4 { type ipv4_addr; elements = { members' IPv4 underlays } }
//!     set allow6 { type ipv6_addr; elements = { members' IPv6 underlays } }
//!     chain input {
//!         type filter hook input priority filter - 1; policy accept;
//!         meta l4proto udp udp dport PORT @th,96,24 FIRST-LAST iifname != "VIA" counter drop
//!         meta l4proto udp udp dport PORT @th,96,24 FIRST-LAST ip saddr != @allow4 counter drop
//!         meta l4proto udp udp dport PORT @th,96,24 FIRST-LAST ip6 saddr != @allow6 counter drop
//!     }
//! }
//! ```
//!
//! The `iifname` rule is there only on an encrypted VPC ([`Firewall::via`]:
//! its VXLAN arrives out of its WireGuard interface `VIA` and nowhere
//! else); without it the rule set is the other two rules alone.
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

/// `meta l4proto udp udp dport PORT @th,96,24 FIRST-LAST`, how every
/// rule begins: UDP to the VXLAN port, for one of the VPC's VNIs
/// (`@th,96,24` is the VXLAN header's VNI).
fn vxlan_of(port: u16, vnis: [u32; 2]) -> Vec<Expr> {
    let vni = |v: u32| v.to_be_bytes()[1..].to_vec();
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
    ]
}

/// `meta l4proto udp udp dport PORT @th,96,24 FIRST-LAST ip[6] saddr !=
/// @SET counter drop` (`@th,96,24` is the VXLAN header's VNI); `set_id` as
/// in a batch (`None` as the kernel reports it).
pub fn rule_exprs(port: u16, vnis: [u32; 2], v6: bool, set_id: Option<u32>) -> Vec<Expr> {
    let (nfproto, offset, len, set) = if v6 {
        (10u8, 8, 16, SET6)
    } else {
        (2u8, 12, 4, SET4)
    };
    let mut out = vxlan_of(port, vnis);
    out.extend([
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
    ]);
    out
}

/// `meta l4proto udp udp dport PORT @th,96,24 FIRST-LAST iifname !=
/// "VIA" counter drop`: the VPC's VXLAN arriving on any interface but
/// `via` (the name padded as [`expr::ifname`] does, as `nft` sends it).
pub fn via_exprs(port: u16, vnis: [u32; 2], via: &str) -> Vec<Expr> {
    let mut out = vxlan_of(port, vnis);
    out.extend([
        Expr::Meta {
            key: expr::META_IIFNAME,
            dreg: expr::REG_1,
        },
        Expr::Cmp {
            sreg: expr::REG_1,
            op: expr::CMP_NEQ,
            data: expr::ifname(via),
        },
        Expr::Counter,
        Expr::Verdict(expr::DROP),
    ]);
    out
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
    if let Some(via) = &fw.via {
        out.push(rule::add(t, CHAIN, &via_exprs(fw.port, fw.vnis, via)));
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

/// The rule set `dump` holds, if it is exactly one vpc writes (with or
/// without the `iifname` rule, first); `None` for anything else (altered,
/// partial, foreign), which `apply` replaces.
pub fn read(table: &str, dump: &TableDump) -> Option<Firewall> {
    if dump.chains != [Some(chain())] || !(2..=3).contains(&dump.rules.len()) {
        return None;
    }
    // The values come from the first rule; then every rule must be exactly
    // ours, the `iifname` one first when there are three.
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
    let via = match dump.rules.len() {
        3 => Some(expr::ifname_of(data(8)?)?.to_owned()),
        _ => None,
    };
    let want = via
        .iter()
        .map(|v| via_exprs(port, vnis, v))
        .chain([false, true].map(|v6| rule_exprs(port, vnis, v6, None)));
    for (rule, want) in dump.rules.iter().zip(want) {
        if rule.chain != CHAIN || rule.exprs.as_ref().ok()? != &want {
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
    let mut fw = Firewall::new(table.to_owned(), port, vnis, allow4, allow6);
    fw.via = via;
    Some(fw)
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

    /// An encrypted VPC's, with IPv4 inner addresses.
    fn via4() -> Firewall {
        let mut fw = Firewall::new(
            "vpc_t1".to_owned(),
            4789,
            [1, 3],
            vec![Ipv4Addr::new(198, 19, 0, 2), Ipv4Addr::new(198, 19, 0, 1)],
            Vec::new(),
        );
        fw.via = Some("vpcwg4096".to_owned());
        fw
    }

    /// An encrypted VPC's, with IPv6 inner addresses.
    fn via6() -> Firewall {
        let mut fw = Firewall::new(
            "vpc_t2".to_owned(),
            4790,
            [100, 199],
            Vec::new(),
            vec![
                "2001:db8:200::2".parse().unwrap(),
                "2001:db8:200::1".parse().unwrap(),
            ],
        );
        fw.via = Some("vpcwg100".to_owned());
        fw
    }

    /// One golden rule set: what `nft -f` was given for it, what it sent,
    /// and what the kernel then answered to `nft list table`.
    struct Golden {
        fw: Firewall,
        text: &'static str,
        sent: &'static [u8],
        dumped: &'static [u8],
    }

    /// The rule sets of `testdata/` (`capture.sh`).
    fn golden() -> [Golden; 3] {
        [
            Golden {
                fw: t1(),
                text: include_str!("testdata/replace.nft"),
                sent: include_bytes!("testdata/replace.bin"),
                dumped: include_bytes!("testdata/replace.dump.bin"),
            },
            Golden {
                fw: via4(),
                text: include_str!("testdata/replace_via4.nft"),
                sent: include_bytes!("testdata/replace_via4.bin"),
                dumped: include_bytes!("testdata/replace_via4.dump.bin"),
            },
            Golden {
                fw: via6(),
                text: include_str!("testdata/replace_via6.nft"),
                sent: include_bytes!("testdata/replace_via6.bin"),
                dumped: include_bytes!("testdata/replace_via6.dump.bin"),
            },
        ]
    }

    /// `nft -f` of the dry run's text for a rule set with the `iifname`
    /// rule (`testdata/replace_via4.nft`, `replace_via6.nft`), as `strace
    /// -e write=3` showed it (`testdata/capture.sh`).
    #[test]
    fn replace_with_via_is_byte_for_byte_what_nft_sends() {
        for Golden { fw, sent, .. } in golden() {
            assert_eq!(super::super::batch(&replace(&fw), 0, false), sent, "{fw:?}");
        }
    }

    /// The dry run shows exactly what `nft -f` was given for the golden
    /// bytes: dry run, `nft` and the codec agree.
    #[test]
    fn dry_run_text_is_what_nft_was_given() {
        for Golden { fw, text, .. } in golden() {
            let mut shown = crate::backend::dryrun::nft_text(&fw).join("\n");
            shown.push('\n');
            assert_eq!(shown, text, "{fw:?}");
        }
    }

    /// Messages (a batch, or the kernel's dumps) read as the dumps of one
    /// table: what follows the last table deletion.
    fn dump_of(bytes: &[u8]) -> Result<TableDump, String> {
        let replies = super::super::replies(bytes)?;
        let from = replies
            .iter()
            .rposition(|r| r.msg_type == super::super::Kind::DelTable.msg_type())
            .map_or(0, |i| i + 1);
        let mut dump = TableDump::default();
        for r in &replies[from..] {
            use super::super::Kind::{NewChain, NewRule, NewSet, NewSetElem};
            let t = r.msg_type;
            if t == NewChain.msg_type() {
                dump.chains.push(chain::read(r.attrs())?.1);
            } else if t == NewSet.msg_type() {
                dump.sets.push((set::read(r.attrs())?.1, Vec::new()));
            } else if t == NewSetElem.msg_type() {
                let (name, keys) = set::read_elements(r.attrs())?;
                if let Some((_, k)) = dump
                    .sets
                    .iter_mut()
                    .find(|(s, _)| s.as_ref().is_some_and(|s| s.name == name))
                {
                    k.extend(keys);
                }
            } else if t == NewRule.msg_type() {
                dump.rules.push(rule::read(r.attrs())?);
            }
        }
        Ok(dump)
    }

    /// What `replace` writes and what `nft` sends, read as dumps, and what
    /// the kernel reports once it is made, are the rule set written.
    #[test]
    fn replace_reads_back_as_itself() {
        for Golden {
            fw, sent, dumped, ..
        } in golden()
        {
            let ours = super::super::batch(&replace(&fw), 0, false);
            for bytes in [&ours[..], sent, dumped] {
                let dump = dump_of(bytes).unwrap();
                assert_eq!(dump.rules.len(), 2 + usize::from(fw.via.is_some()));
                assert_eq!(read(&fw.table, &dump), Some(fw.clone()));
            }
        }
    }

    /// The `iifname` rule is part of the rule set: removed, moved, renamed,
    /// padded otherwise, inverted or doubled, it reads as another rule set
    /// (or none of vpc's), so `plan` replaces it.
    #[test]
    fn an_altered_via_rule_reads_as_changed() {
        let fw = via4();
        let dump = dump_of(&super::super::batch(&replace(&fw), 0, false)).unwrap();
        assert_eq!(read("vpc_t1", &dump), Some(fw.clone()));
        let with = |f: &dyn Fn(&mut TableDump)| {
            let mut d = dump.clone();
            f(&mut d);
            read("vpc_t1", &d)
        };
        let via_cmp = |d: &mut TableDump| -> Vec<u8> {
            match &mut d.rules[0].exprs.as_mut().unwrap()[8] {
                Expr::Cmp { data, .. } => std::mem::take(data),
                other => panic!("{other:?}"),
            }
        };
        let set_via_cmp = |d: &mut TableDump, op: u32, data: Vec<u8>| {
            d.rules[0].exprs.as_mut().unwrap()[8] = Expr::Cmp {
                sreg: expr::REG_1,
                op,
                data,
            };
        };

        // Deleted: the rule set of a plain VPC, not this one.
        let removed = with(&|d| {
            d.rules.remove(0);
        })
        .unwrap();
        assert_eq!(removed.via, None);
        assert_ne!(removed, fw);
        // Last instead of first.
        assert_eq!(with(&|d| d.rules.rotate_left(1)), None);
        // Another interface.
        let mut other = fw.clone();
        other.via = Some("eth0".to_owned());
        assert_eq!(
            with(&|d| set_via_cmp(d, expr::CMP_NEQ, expr::ifname("eth0"))),
            Some(other)
        );
        // The same name, not padded as nft pads it, or with bytes after it.
        assert_eq!(
            with(&|d| set_via_cmp(d, expr::CMP_NEQ, b"vpcwg4096\0".to_vec())),
            None
        );
        assert_eq!(
            with(&|d| {
                let mut v = via_cmp(d);
                v[15] = b'x';
                set_via_cmp(d, expr::CMP_NEQ, v);
            }),
            None
        );
        assert_eq!(
            with(&|d| set_via_cmp(d, expr::CMP_NEQ, b"vpcwg4096".to_vec())),
            None
        );
        // `==` instead of `!=`: it would drop what comes through WireGuard.
        assert_eq!(
            with(&|d| set_via_cmp(d, expr::CMP_EQ, expr::ifname("vpcwg4096"))),
            None
        );
        // Not a drop.
        assert_eq!(
            with(&|d| {
                *d.rules[0].exprs.as_mut().unwrap().last_mut().unwrap() =
                    Expr::Verdict(chain::ACCEPT);
            }),
            None
        );
        // Another port or VNI range than the other rules'.
        assert_eq!(
            with(&|d| {
                d.rules[0].exprs.as_mut().unwrap()[3] = Expr::Cmp {
                    sreg: expr::REG_1,
                    op: expr::CMP_EQ,
                    data: 4790u16.to_be_bytes().to_vec(),
                };
            }),
            None
        );
        // Twice.
        assert_eq!(with(&|d| d.rules.insert(0, d.rules[0].clone())), None);
        // In its place, an address rule (three rules, none `iifname`).
        assert_eq!(with(&|d| d.rules[0] = d.rules[1].clone()), None);
        // Without the rule from the start: a plain VPC's rule set.
        let mut plain = fw.clone();
        plain.via = None;
        let plain_dump = dump_of(&super::super::batch(&replace(&plain), 0, false)).unwrap();
        assert_eq!(read("vpc_t1", &plain_dump), Some(plain));
    }

    /// Malformed dumps (every truncation and many a byte changed of the
    /// golden batches and the kernel's answers) are read without
    /// panicking, and never as a rule set with an `iifname` rule unlike
    /// vpc's.
    #[test]
    fn malformed_dumps_do_not_panic() {
        for Golden {
            fw, sent, dumped, ..
        } in golden()
        {
            for bytes in [sent, dumped] {
                for n in 0..bytes.len() {
                    if let Ok(d) = dump_of(&bytes[..n]) {
                        let _ = read(&fw.table, &d);
                    }
                }
                let mut b = bytes.to_vec();
                for i in 0..b.len() {
                    for flip in [0x01, 0x80, 0xff] {
                        b[i] ^= flip;
                        if let Ok(d) = dump_of(&b)
                            && let Some(got) = read(&fw.table, &d)
                            && let Some(via) = &got.via
                        {
                            let rule = via_exprs(got.port, got.vnis, via);
                            assert_eq!(d.rules[0].exprs.as_ref().ok(), Some(&rule));
                        }
                        b[i] ^= flip;
                    }
                }
            }
        }
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
        for e in rule_exprs(4789, [1, 3], true, None)
            .into_iter()
            .chain(via_exprs(4789, [1, 3], "vpcwg4096"))
        {
            let bytes = e.encode().done();
            assert_eq!(Expr::decode(&bytes), Ok(e));
        }
    }
}
