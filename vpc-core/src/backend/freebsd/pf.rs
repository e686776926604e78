//! pf(4): the FreeBSD side of the members-only underlay. Each VPC's rule
//! set is one anchor, `vpc/<vpc>`, under the `vpc` anchor the admin's
//! `/etc/pf.conf` evaluates with `anchor "vpc/*"`: loading it (`pfctl -a
//! vpc/<vpc> -f -`) replaces that anchor's rules and table in one
//! transaction and touches nothing else; flushing it (`-F all` under
//! `-a`) empties that anchor alone. vpc never enables pf, never loads or
//! flushes the main ruleset and never reorders the admin's rules.
//!
//! Pure: the rule set as pfctl input ([`ruleset`], which the dry run
//! prints and the executor loads), the pfctl runs ([`load`], [`flush`] and
//! the reads), and the parsers of what pfctl prints back, written from
//! `sbin/pfctl/pfctl_parser.c` (`print_rule`, `print_fromto`,
//! `print_port`), `pf_print_state.c` (`print_addr`), `pfctl_table.c`
//! (`print_addrx`) and `pfctl.c` (`pfctl_show_rules`, `pfctl_walk_show`,
//! `print_status`).
//!
//! pf cannot read the VXLAN header, so unlike the Linux rules these judge
//! every packet to the VPC's UDP port, whatever its VNI: the planner
//! refuses a second VXLAN user of the port with other peers (see
//! `plan::diff`). The VNI range still travels in each rule's label, so the
//! anchor read back is the whole [`Firewall`] and a moved range is seen.

use std::net::IpAddr;

use super::program::{Input, Program};
use crate::error::{Error, ErrorKind, Result};
use crate::model::name::VpcName;
use crate::plan::{FIREWALL_PREFIX, Firewall};

/// The anchor vpc's anchors hang under.
pub const PARENT: &str = "vpc";

/// The line the admin's `/etc/pf.conf` needs, before any `pass quick`
/// rule that would let VXLAN through first.
pub const ANCHOR_CALL: &str = "anchor \"vpc/*\"";

/// The table of allowed addresses inside each anchor (tables are the
/// anchor's own; a name no admin's root table is likely to share, which
/// pf would fall back to if the anchor's were ever missing).
pub const TABLE: &str = "vpc_allow";

/// The VPC a rule set (`vpc_<vpc>`) is for.
fn vpc_of(table: &str) -> Result<VpcName> {
    table
        .strip_prefix(FIREWALL_PREFIX)
        .and_then(|v| VpcName::new(v).ok())
        .ok_or_else(|| {
            Error::invalid(format!(
                "rule set {table:?} is not one of vpc's: expected {FIREWALL_PREFIX}<vpc name>"
            ))
        })
}

/// The anchor of rule set `table` (`vpc_vpc1` → `vpc/vpc1`).
pub fn anchor_of(table: &str) -> Result<String> {
    Ok(format!("{PARENT}/{}", vpc_of(table)?))
}

/// The rule set held by child anchor `name` of [`PARENT`], if `name` is a
/// VPC's name (`vpc1` → `vpc_vpc1`).
pub fn table_of(name: &str) -> Option<String> {
    VpcName::new(name)
        .ok()
        .map(|v| crate::plan::Firewall::table_of(&v))
}

/// The label on each rule: which VPC, which VNIs (pf cannot match them;
/// the label keeps them in the rule set read back, and `pfctl -s labels`
/// counts what each rule dropped).
fn label(vpc: &VpcName, vnis: [u32; 2]) -> String {
    format!("{vpc} vnis {}-{}", vnis[0], vnis[1])
}

/// `fw`'s rules, in the form pfctl prints them back (`pfctl -P -s rules`,
/// `print_rule`), which is also valid pf.conf input: so the text loaded
/// and the text read back are compared line for line.
fn rules(fw: &Firewall) -> Result<Vec<String>> {
    let vpc = vpc_of(&fw.table)?;
    let label = label(&vpc, fw.vnis);
    let port = fw.port;
    let mut v = Vec::with_capacity(2);
    if let Some(via) = &fw.via {
        super::codec::IfName::new(via)?;
        // On an encrypted VPC, VXLAN arrives out of its WireGuard
        // interface only.
        v.push(format!(
            "block drop in quick on ! {via} proto udp from any to any port = {port} \
             label \"{label}\""
        ));
    }
    v.push(format!(
        "block drop in quick proto udp from ! <{TABLE}> to any port = {port} label \"{label}\""
    ));
    Ok(v)
}

/// `fw` as pfctl input: the table, then the rules. The dry run prints it
/// and the executor loads it ([`load`]): one text.
pub fn ruleset(fw: &Firewall) -> Result<Vec<String>> {
    let addrs: Vec<String> = fw
        .allow4
        .iter()
        .map(ToString::to_string)
        .chain(fw.allow6.iter().map(ToString::to_string))
        .collect();
    let body = if addrs.is_empty() {
        " ".to_owned()
    } else {
        format!(" {} ", addrs.join(" "))
    };
    let mut v = vec![format!("table <{TABLE}> {{{body}}}")];
    v.extend(rules(fw)?);
    Ok(v)
}

/// Replaces anchor `vpc/<vpc>` with `fw` in one transaction (`-q`: no
/// chatter; `-o none`: pfctl's optimizer would be free to reorder or
/// merge the rules, and the read-back compares them in order).
pub fn load(fw: &Firewall) -> Result<Program> {
    let anchor = anchor_of(&fw.table)?;
    let mut p = Program::new(
        format!(
            "load VPC {}'s rule set into pf anchor {anchor}",
            vpc_of(&fw.table)?
        ),
        "pfctl",
        &["-q", "-a", &anchor, "-o", "none", "-f", "-"],
    );
    p.input = Input::Lines(ruleset(fw)?);
    Ok(p)
}

/// Empties anchor `vpc/<vpc>`: its rules and its table (`-F all` under
/// `-a` flushes that anchor only; the states, statistics and options it
/// flushes without `-a` stay). An emptied anchor goes away by itself.
pub fn flush(table: &str) -> Result<Program> {
    let anchor = anchor_of(table)?;
    Ok(Program::new(
        format!(
            "remove VPC {}'s rule set, pf anchor {anchor}",
            vpc_of(table)?
        ),
        "pfctl",
        &["-q", "-a", &anchor, "-F", "all"],
    ))
}

/// Whether pf is enabled: `pfctl -s info`.
pub fn show_info() -> Program {
    Program::new("read pf's status".to_owned(), "pfctl", &["-s", "info"])
}

/// The main ruleset, to see whether it evaluates vpc's anchors.
pub fn show_main_rules() -> Program {
    Program::new(
        "read pf's main ruleset".to_owned(),
        "pfctl",
        &["-P", "-s", "rules"],
    )
}

/// The anchors under [`PARENT`].
pub fn show_anchors() -> Program {
    Program::new(
        format!("list pf's anchors under {PARENT}"),
        "pfctl",
        &["-a", PARENT, "-s", "Anchors"],
    )
}

/// The filter rules of `anchor` (`-P`: ports as numbers, not
/// `/etc/services` names).
pub fn show_rules(anchor: &str) -> Program {
    Program::new(
        format!("read the rules of pf anchor {anchor}"),
        "pfctl",
        &["-a", anchor, "-P", "-s", "rules"],
    )
}

/// The addresses in `anchor`'s [`TABLE`].
pub fn show_table(anchor: &str) -> Program {
    Program::new(
        format!("read table <{TABLE}> of pf anchor {anchor}"),
        "pfctl",
        &["-a", anchor, "-t", TABLE, "-T", "show"],
    )
}

/// Whether `pfctl -s info` says pf is enabled (`print_status`: the first
/// line is `Status: Enabled for …` or `Status: Disabled …`); `None` when
/// it says neither.
pub fn parse_status(info: &str) -> Option<bool> {
    let first = info.lines().next()?;
    if first.starts_with("Status: Enabled") {
        Some(true)
    } else if first.starts_with("Status: Disabled") {
        Some(false)
    } else {
        None
    }
}

/// Whether the main ruleset (`pfctl -P -s rules`) evaluates vpc's anchors
/// for every incoming packet: a top-level `anchor "vpc/*"` with no
/// condition but a direction or `quick` (`print_rule` prints it as
/// `anchor "vpc/*" all`). One inside another anchor, or limited to an
/// interface, a family or addresses, does not count.
pub fn evaluates_anchors(main_rules: &str) -> bool {
    let call = format!("{ANCHOR_CALL} ");
    main_rules.lines().any(|l| {
        l.strip_prefix(&call)
            .is_some_and(|rest| matches!(rest, "all" | "in all" | "quick all" | "in quick all"))
    })
}

/// The child anchors of [`PARENT`] that are VPCs' (`pfctl -a vpc -s
/// Anchors` prints `  vpc/<name>`, `pfctl_walk_show`), by name; deeper
/// anchors and names no VPC can have are not vpc's.
pub fn parse_anchors(text: &str) -> Vec<String> {
    let prefix = format!("{PARENT}/");
    let mut names: Vec<String> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix(&prefix))
        .filter(|n| table_of(n).is_some())
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Whether an anchor holds nothing: no rule and no address (an anchor
/// flushed, or one pfctl lists between two changes).
pub fn is_empty(rules: &str, addrs: &str) -> bool {
    rules.trim().is_empty() && addrs.trim().is_empty()
}

/// The rule set anchor `name` holds, read back from its rules (`pfctl -P
/// -s rules`) and its table (`pfctl -T show`), when it is exactly one
/// vpc writes; `None` when anything differs (a rule added, removed or
/// edited, an address negated or a network in the table).
pub fn read_back(name: &str, rules_text: &str, addrs_text: &str) -> Option<Firewall> {
    let table = table_of(name)?;
    let lines: Vec<&str> = rules_text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect();
    // The last rule names the port and the label; a first one, the
    // WireGuard interface. Whatever is parsed must render back to exactly
    // these lines.
    let last = lines.last()?;
    let (before_label, label) = last.rsplit_once(" label \"")?;
    let label = label.strip_suffix('"')?;
    let port: u16 = before_label.rsplit_once(" port = ")?.1.parse().ok()?;
    let vnis = label
        .strip_prefix(&format!("{name} vnis "))?
        .split_once('-')?;
    let vnis = [vnis.0.parse().ok()?, vnis.1.parse().ok()?];
    let via = match lines.as_slice() {
        [_] => None,
        [first, _] => Some(
            first
                .strip_prefix("block drop in quick on ! ")?
                .split_once(' ')?
                .0,
        ),
        _ => return None,
    };
    let mut allow4 = Vec::new();
    let mut allow6 = Vec::new();
    for entry in addrs_text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        // `print_addrx`: a host prints bare, a network with its mask, a
        // negated entry with `!`: only bare hosts are vpc's.
        match entry.parse::<IpAddr>().ok()? {
            IpAddr::V4(a) => allow4.push(a),
            IpAddr::V6(a) => allow6.push(a),
        }
    }
    let mut fw = Firewall::new(table, port, vnis, allow4, allow6);
    fw.via = via.map(str::to_owned);
    let again = rules(&fw).ok()?;
    (again == lines).then_some(fw)
}

/// The refusal of a read whose output cannot be parsed.
pub fn unreadable(what: &str, detail: &str) -> Error {
    Error::new(
        ErrorKind::Backend,
        format!("cannot {what}: pfctl answered {detail:?}, which this vpc cannot read"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // What pfctl prints, predicted from its source (see the module's
    // documentation), for the rule sets below.
    const PLAIN_RULES: &str = include_str!("testdata/pfctl-sr-plain.txt");
    const PLAIN_TABLE: &str = include_str!("testdata/pfctl-T-show-plain.txt");
    const VIA_RULES: &str = include_str!("testdata/pfctl-sr-via.txt");
    const VIA_TABLE: &str = include_str!("testdata/pfctl-T-show-via.txt");
    const INFO_ENABLED: &str = include_str!("testdata/pfctl-s-info-enabled.txt");
    const INFO_DISABLED: &str = include_str!("testdata/pfctl-s-info-disabled.txt");
    const MAIN_RULES: &str = include_str!("testdata/pfctl-sr-main.txt");
    const ANCHORS: &str = include_str!("testdata/pfctl-sA-vpc.txt");

    fn plain() -> Firewall {
        Firewall::new(
            "vpc_vpc1".into(),
            4789,
            [1, 3],
            vec!["198.18.0.1".parse().unwrap(), "198.18.0.2".parse().unwrap()],
            vec!["2001:db8::3".parse().unwrap()],
        )
    }

    fn encrypted() -> Firewall {
        let mut fw = Firewall::new(
            "vpc_vpc2".into(),
            4789,
            [4097, 4099],
            vec!["10.99.0.1".parse().unwrap(), "10.99.0.2".parse().unwrap()],
            Vec::new(),
        );
        fw.via = Some("vpcwg4096".into());
        fw
    }

    #[test]
    fn ruleset_is_pfctl_input() {
        assert_eq!(
            ruleset(&plain()).unwrap(),
            [
                "table <vpc_allow> { 198.18.0.1 198.18.0.2 2001:db8::3 }",
                "block drop in quick proto udp from ! <vpc_allow> to any port = 4789 label \
                 \"vpc1 vnis 1-3\"",
            ]
        );
        assert_eq!(
            ruleset(&encrypted()).unwrap(),
            [
                "table <vpc_allow> { 10.99.0.1 10.99.0.2 }",
                "block drop in quick on ! vpcwg4096 proto udp from any to any port = 4789 label \
                 \"vpc2 vnis 4097-4099\"",
                "block drop in quick proto udp from ! <vpc_allow> to any port = 4789 label \
                 \"vpc2 vnis 4097-4099\"",
            ]
        );
        let nobody = Firewall::new("vpc_vpc1".into(), 4789, [1, 1], Vec::new(), Vec::new());
        assert_eq!(ruleset(&nobody).unwrap()[0], "table <vpc_allow> { }");
        let mut bad = plain();
        bad.table = "admins_table".into();
        assert_eq!(ruleset(&bad).unwrap_err().kind(), ErrorKind::Invalid);
        let mut bad = plain();
        bad.via = Some("a name far too long".into());
        assert!(ruleset(&bad).is_err());
    }

    #[test]
    fn programs_name_the_anchor_only() {
        let p = load(&plain()).unwrap();
        assert_eq!(p.command_line(), "pfctl -q -a vpc/vpc1 -o none -f -");
        assert_eq!(p.input, Input::Lines(ruleset(&plain()).unwrap()));
        assert!(p.required);
        assert_eq!(
            flush("vpc_vpc1").unwrap().command_line(),
            "pfctl -q -a vpc/vpc1 -F all"
        );
        assert_eq!(show_info().command_line(), "pfctl -s info");
        assert_eq!(show_main_rules().command_line(), "pfctl -P -s rules");
        assert_eq!(show_anchors().command_line(), "pfctl -a vpc -s Anchors");
        assert_eq!(
            show_rules("vpc/vpc1").command_line(),
            "pfctl -a vpc/vpc1 -P -s rules"
        );
        assert_eq!(
            show_table("vpc/vpc1").command_line(),
            "pfctl -a vpc/vpc1 -t vpc_allow -T show"
        );
        // Every run that changes pf names one of vpc's anchors.
        for p in [load(&plain()).unwrap(), flush("vpc_vpc1").unwrap()] {
            let at = p.args.iter().position(|a| a == "-a").unwrap();
            assert!(p.args[at + 1].starts_with("vpc/"), "{}", p.command_line());
        }
        assert!(flush("vpc_vpc1/../x").is_err());
    }

    #[test]
    fn what_vpc_writes_reads_back_as_itself() {
        assert_eq!(read_back("vpc1", PLAIN_RULES, PLAIN_TABLE), Some(plain()));
        assert_eq!(read_back("vpc2", VIA_RULES, VIA_TABLE), Some(encrypted()));
        // The rules loaded are the rules printed back.
        let loaded = ruleset(&plain()).unwrap();
        assert_eq!(loaded[1..].join("\n"), PLAIN_RULES.trim_end());
        let loaded = ruleset(&encrypted()).unwrap();
        assert_eq!(loaded[1..].join("\n"), VIA_RULES.trim_end());
    }

    #[test]
    fn anything_else_reads_as_changed() {
        let changed = |rules: &str, table: &str| read_back("vpc1", rules, table);
        // A rule removed, edited, added; quick or drop gone.
        assert_eq!(changed("", PLAIN_TABLE), None);
        let edited = PLAIN_RULES.replace("4789", "4790 ");
        assert_eq!(changed(&edited, PLAIN_TABLE), None);
        let added = format!("pass in all\n{PLAIN_RULES}");
        assert_eq!(changed(&added, PLAIN_TABLE), None);
        let added = format!("{PLAIN_RULES}pass in quick all\n");
        assert_eq!(changed(&added, PLAIN_TABLE), None);
        assert_eq!(
            changed(&PLAIN_RULES.replace(" quick", ""), PLAIN_TABLE),
            None
        );
        assert_eq!(
            changed(&PLAIN_RULES.replace("drop", "return"), PLAIN_TABLE),
            None
        );
        assert_eq!(changed(&PLAIN_RULES.replace("! <", "<"), PLAIN_TABLE), None);
        // A service name instead of a number (read without -P).
        assert_eq!(
            changed(&PLAIN_RULES.replace("4789", "vxlan"), PLAIN_TABLE),
            None
        );
        // Another VPC's label, another VNI range.
        assert_eq!(
            changed(&PLAIN_RULES.replace("vpc1 vnis", "vpc9 vnis"), PLAIN_TABLE),
            None
        );
        assert_eq!(
            changed(&PLAIN_RULES.replace("1-3", "1-4"), PLAIN_TABLE).map(|f| f.vnis),
            Some([1, 4])
        );
        // A table entry negated, a network, garbage.
        assert_eq!(
            changed(PLAIN_RULES, &format!("{PLAIN_TABLE}  !192.0.2.9\n")),
            None
        );
        assert_eq!(
            changed(PLAIN_RULES, &format!("{PLAIN_TABLE}   192.0.2.0/24\n")),
            None
        );
        assert_eq!(changed(PLAIN_RULES, "pfctl: Table does not exist.\n"), None);
        // An address more or less is a rule set with other members.
        let fewer = changed(PLAIN_RULES, "   198.18.0.1\n").unwrap();
        assert_eq!(fewer.allow4.len(), 1);
        assert!(fewer.allow6.is_empty());
        // The interface rule alone, or on another interface.
        let via_only = VIA_RULES.lines().next().unwrap();
        assert_eq!(read_back("vpc2", via_only, VIA_TABLE), None);
        let other = VIA_RULES.replace("on ! vpcwg4096", "on ! em0");
        assert_eq!(
            read_back("vpc2", &other, VIA_TABLE).and_then(|f| f.via),
            Some("em0".to_owned())
        );
        assert_eq!(
            read_back("vpc2", &VIA_RULES.replace("on ! ", "on "), VIA_TABLE),
            None
        );
        // Not a VPC's anchor name.
        assert_eq!(read_back("1bad", PLAIN_RULES, PLAIN_TABLE), None);
        assert!(is_empty("\n", ""));
        assert!(!is_empty("", PLAIN_TABLE));
    }

    #[test]
    fn status_and_anchor_call() {
        assert_eq!(parse_status(INFO_ENABLED), Some(true));
        assert_eq!(parse_status(INFO_DISABLED), Some(false));
        assert_eq!(parse_status(""), None);
        assert_eq!(
            parse_status("pfctl: /dev/pf: No such file or directory\n"),
            None
        );
        assert!(evaluates_anchors(MAIN_RULES));
        for conditional in [
            "anchor \"vpc/*\" on em0 all",
            "anchor \"vpc/*\" inet all",
            "anchor \"vpc/*\" out all",
            "  anchor \"vpc/*\" all",
            "anchor \"vpc\" all",
            "anchor \"vpc/vpc1\" all",
            "anchor \"admin/*\" all",
        ] {
            assert!(!evaluates_anchors(conditional), "{conditional}");
        }
        for whole in [
            "anchor \"vpc/*\" in all",
            "anchor \"vpc/*\" quick all",
            "anchor \"vpc/*\" in quick all",
        ] {
            assert!(evaluates_anchors(whole), "{whole}");
        }
        assert!(!evaluates_anchors(
            &MAIN_RULES.replace("anchor \"vpc/*\" all\n", "")
        ));
    }

    #[test]
    fn anchors_are_listed_by_vpc_name() {
        assert_eq!(parse_anchors(ANCHORS), ["vpc1", "vpc2"]);
        assert_eq!(parse_anchors(""), Vec::<String>::new());
        assert_eq!(table_of("vpc1").as_deref(), Some("vpc_vpc1"));
        assert_eq!(anchor_of("vpc_vpc1").unwrap(), "vpc/vpc1");
    }
}
