//! The `key=value` argument parser (CBSD's style) and the table of modes,
//! which also drives `--help`: a key a mode does not list is refused.

use std::collections::BTreeMap;
use std::fmt;

use vpc_core::model::spec::OPTION_KEYS;

/// A usage error: exit code 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage(pub String);

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The command family: `vpc node mode=…` or `vpc mode=…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// `vpc mode=…`.
    Vpc,
    /// `vpc node mode=…`.
    Node,
}

impl Group {
    fn prefix(self) -> &'static str {
        match self {
            Group::Vpc => "vpc",
            Group::Node => "vpc node",
        }
    }
}

/// One key a mode accepts.
#[derive(Debug)]
pub struct Key {
    /// The key.
    pub name: &'static str,
    /// Whether the mode needs it.
    pub required: bool,
    /// One line of help.
    pub help: &'static str,
}

const fn req(name: &'static str, help: &'static str) -> Key {
    Key {
        name,
        required: true,
        help,
    }
}

const fn opt(name: &'static str, help: &'static str) -> Key {
    Key {
        name,
        required: false,
        help,
    }
}

/// One mode: its keys, a summary and an example.
#[derive(Debug)]
pub struct Mode {
    /// Command family.
    pub group: Group,
    /// `mode=` value.
    pub name: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Keys besides `mode`.
    pub keys: &'static [Key],
    /// Whether the spec options ([`OPTION_KEYS`]) are accepted too.
    pub spec_options: bool,
    /// A complete example command line.
    pub example: &'static str,
}

const VPC_NAME: Key = req(
    "vpc_name",
    "the VPC's name: a letter, then letters, digits or '_'; at most 15 bytes",
);
const DRYRUN: Key = opt(
    "dryrun",
    "1 = print the commands (ifconfig / ip) instead of changing the kernel",
);
const OS: Key = opt(
    "os",
    "with dryrun=1: render for freebsd or linux; default this host's",
);
const CONNECT_TIMEOUT: Key = opt("connect_timeout", "seconds to connect to a node; default 5");
const COMMAND_TIMEOUT: Key = opt(
    "command_timeout",
    "seconds a node's command may take; default 120",
);
const FOR_NODE: Key = opt(
    "node",
    "with dryrun=1: plan for this member instead of this host",
);

/// Every mode, in help order.
pub const MODES: &[Mode] = &[
    Mode {
        group: Group::Node,
        name: "init",
        summary: "set this host's identity: its name and underlay addresses",
        keys: &[
            req("name", "this host's name (a host name)"),
            opt("ip4", "this host's IPv4 underlay address"),
            opt("ip6", "this host's IPv6 underlay address"),
        ],
        spec_options: false,
        example: "vpc node mode=init name=jhoster1.olevole.ru ip6=2a05:3580:d800:20f7::1",
    },
    Mode {
        group: Group::Node,
        name: "add",
        summary: "add a remote host over SSH: pin its host key, install this host's key (offline=1: record only)",
        keys: &[
            req("node", "the host's underlay address (IPv4 or IPv6)"),
            opt("name", "the host's name (required with offline=1)"),
            opt("offline", "1 = record without contacting the host"),
            opt("ip4", "its IPv4 underlay address, when node= is IPv6"),
            opt("ip6", "its IPv6 underlay address, when node= is IPv4"),
            opt("port", "SSH port; default 22"),
            opt("user", "SSH user; default root"),
            opt("command", "the vpc command on that host; default vpc"),
            opt(
                "identity",
                "log in with this private key instead of a password",
            ),
            opt(
                "fingerprint",
                "the host key's SHA256:… fingerprint, pinned in advance",
            ),
            CONNECT_TIMEOUT,
            COMMAND_TIMEOUT,
        ],
        spec_options: false,
        example: "vpc node mode=add node=2a01:4f8:241:500b::1   (password from VPC_SSH_PASSWORD or the terminal)",
    },
    Mode {
        group: Group::Node,
        name: "remove",
        summary: "forget a remote host",
        keys: &[req("node", "the host's name")],
        spec_options: false,
        example: "vpc node mode=remove node=gold-hoster-02.hz.fbs.dev",
    },
    Mode {
        group: Group::Node,
        name: "list",
        summary: "list this host and the remote hosts it knows",
        keys: &[],
        spec_options: false,
        example: "vpc node mode=list --json",
    },
    Mode {
        group: Group::Vpc,
        name: "init",
        summary: "define a VPC with this host as initiator",
        keys: &[
            VPC_NAME,
            req(
                "node_member",
                "all (every known host, by name) or a comma-separated list of names",
            ),
        ],
        spec_options: true,
        example: "vpc mode=init vpc_name=vpc1 node_member=all peer_network=10.100.0.0/24",
    },
    Mode {
        group: Group::Vpc,
        name: "init_peers",
        summary: "print the peer map: tunnels, VNIs and link addresses",
        keys: &[VPC_NAME],
        spec_options: false,
        example: "vpc mode=init_peers vpc_name=vpc1",
    },
    Mode {
        group: Group::Vpc,
        name: "list",
        summary: "list the VPCs held here, or one in detail",
        keys: &[opt("vpc_name", "show this VPC in detail")],
        spec_options: false,
        example: "vpc mode=list",
    },
    Mode {
        group: Group::Vpc,
        name: "remove",
        summary: "forget a VPC's definition and boot file on this host (interfaces are not touched)",
        keys: &[VPC_NAME],
        spec_options: false,
        example: "vpc mode=remove vpc_name=vpc1",
    },
    Mode {
        group: Group::Vpc,
        name: "add_member",
        summary: "add a known host to a VPC; other links keep their VNIs and addresses",
        keys: &[VPC_NAME, req("node", "the host's name")],
        spec_options: false,
        example: "vpc mode=add_member vpc_name=vpc1 node=gold-hoster-03",
    },
    Mode {
        group: Group::Vpc,
        name: "remove_member",
        summary: "remove a host from a VPC; its slot stays vacant",
        keys: &[VPC_NAME, req("node", "the host's name")],
        spec_options: false,
        example: "vpc mode=remove_member vpc_name=vpc1 node=gold-hoster-03",
    },
    Mode {
        group: Group::Vpc,
        name: "export",
        summary: "print a VPC's spec as JSON",
        keys: &[VPC_NAME],
        spec_options: false,
        example: "vpc mode=export vpc_name=vpc1 > vpc1.json",
    },
    Mode {
        group: Group::Vpc,
        name: "receive",
        summary: "store a spec read as JSON from stdin, if newer than the one held",
        keys: &[],
        spec_options: false,
        example: "vpc mode=receive < vpc1.json",
    },
    Mode {
        group: Group::Vpc,
        name: "apply",
        summary: "converge this host: tunnels, then the bridge (needs root)",
        keys: &[VPC_NAME, DRYRUN, OS, FOR_NODE],
        spec_options: false,
        example: "vpc mode=apply vpc_name=vpc1 dryrun=1",
    },
    Mode {
        group: Group::Vpc,
        name: "init_vxlan",
        summary: "create this host's tunnels (they join the bridge if it exists)",
        keys: &[VPC_NAME, DRYRUN, OS, FOR_NODE],
        spec_options: false,
        example: "vpc mode=init_vxlan vpc_name=vpc1 dryrun=1 os=freebsd",
    },
    Mode {
        group: Group::Vpc,
        name: "init_bridge",
        summary: "create this host's VPC bridge and join the tunnels to it",
        keys: &[
            VPC_NAME,
            opt(
                "bridge_ips",
                "this host's addresses on the bridge, A/P[,A/P…]; 0 = none",
            ),
            DRYRUN,
            OS,
            FOR_NODE,
        ],
        spec_options: false,
        example: "vpc mode=init_bridge vpc_name=vpc1 bridge_ips=10.10.11.1/24 dryrun=1",
    },
    Mode {
        group: Group::Vpc,
        name: "teardown",
        summary: "remove this host's interfaces of a VPC: the bridge, then the tunnels",
        keys: &[VPC_NAME, DRYRUN, OS, FOR_NODE],
        spec_options: false,
        example: "vpc mode=teardown vpc_name=vpc1",
    },
    Mode {
        group: Group::Vpc,
        name: "destroy_vxlan",
        summary: "remove this host's tunnels of a VPC",
        keys: &[VPC_NAME, DRYRUN, OS, FOR_NODE],
        spec_options: false,
        example: "vpc mode=destroy_vxlan vpc_name=vpc1",
    },
    Mode {
        group: Group::Vpc,
        name: "destroy_bridge",
        summary: "remove this host's VPC bridge (guest ports are released, not removed)",
        keys: &[VPC_NAME, DRYRUN, OS, FOR_NODE],
        spec_options: false,
        example: "vpc mode=destroy_bridge vpc_name=vpc1",
    },
    Mode {
        group: Group::Vpc,
        name: "attach",
        summary: "join a guest port (epair, tap, veth) to the VPC bridge, MTU set first",
        keys: &[
            VPC_NAME,
            req("iface", "the guest port on this host"),
            opt(
                "cpus",
                "virtual CPUs the guest uses, counted against max_cpus",
            ),
            opt(
                "mem",
                "memory the guest uses, e.g. 4g, counted against max_mem",
            ),
            opt(
                "disk",
                "disk the guest uses, e.g. 40g, counted against max_disk",
            ),
        ],
        spec_options: false,
        example: "vpc mode=attach vpc_name=vpc1 iface=epair1a cpus=2 mem=4g",
    },
    Mode {
        group: Group::Vpc,
        name: "detach",
        summary: "take a guest port out of the VPC bridge",
        keys: &[VPC_NAME, req("iface", "the guest port on this host")],
        spec_options: false,
        example: "vpc mode=detach vpc_name=vpc1 iface=epair1a",
    },
    Mode {
        group: Group::Vpc,
        name: "status",
        summary: "compare this host's interfaces with the spec and probe every tunnel; exit 1 if unhealthy",
        keys: &[
            VPC_NAME,
            opt(
                "timeout",
                "how long to wait for probe answers, ms; default 1000",
            ),
        ],
        spec_options: false,
        example: "vpc mode=status vpc_name=vpc1 --json",
    },
    Mode {
        group: Group::Vpc,
        name: "init_rc",
        summary: "write the boot file (rc.d script / systemd unit) that applies the VPC at boot",
        keys: &[
            VPC_NAME,
            opt(
                "rc_dir",
                "where to write it; default $VPC_RC_DIR, else /usr/local/etc/rc.d or /etc/systemd/system",
            ),
            opt(
                "os",
                "freebsd (rc.d script) or linux (systemd unit); default this host's",
            ),
            opt(
                "program",
                "the vpc binary the boot file runs; default this one",
            ),
        ],
        spec_options: false,
        example: "vpc mode=init_rc vpc_name=vpc1",
    },
    Mode {
        group: Group::Vpc,
        name: "sync",
        summary: "push the spec to every member over SSH, in parallel",
        keys: &[VPC_NAME, CONNECT_TIMEOUT, COMMAND_TIMEOUT],
        spec_options: false,
        example: "vpc mode=sync vpc_name=vpc1",
    },
    Mode {
        group: Group::Vpc,
        name: "deploy",
        summary: "sync, then apply on every member (and leave on removed ones), in parallel",
        keys: &[VPC_NAME, CONNECT_TIMEOUT, COMMAND_TIMEOUT],
        spec_options: false,
        example: "vpc mode=deploy vpc_name=vpc1",
    },
    Mode {
        group: Group::Vpc,
        name: "destroy",
        summary: "leave on every member: interfaces, spec and boot files removed everywhere",
        keys: &[
            VPC_NAME,
            opt(
                "force",
                "1 = remove this host's copy even when a member failed",
            ),
            CONNECT_TIMEOUT,
            COMMAND_TIMEOUT,
        ],
        spec_options: false,
        example: "vpc mode=destroy vpc_name=vpc1",
    },
    Mode {
        group: Group::Vpc,
        name: "leave",
        summary: "tear down this host's side and forget the VPC (no-op if not held)",
        keys: &[VPC_NAME],
        spec_options: false,
        example: "vpc mode=leave vpc_name=vpc1",
    },
];

/// Parsed arguments of one invocation.
#[derive(Debug, Clone)]
pub struct Args {
    /// The mode's table entry.
    pub mode: &'static Mode,
    /// The `key=value` words, `mode` excluded.
    pairs: BTreeMap<String, String>,
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Parsed {
    /// Print this help text.
    Help(String),
    /// Run a mode.
    Run(Args),
}

fn find_mode(group: Group, name: &str) -> Option<&'static Mode> {
    MODES.iter().find(|m| m.group == group && m.name == name)
}

fn mode_names(group: Group) -> String {
    MODES
        .iter()
        .filter(|m| m.group == group)
        .map(|m| m.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses the words after the program name. Whether `--json` was asked
/// for is known even when parsing fails, so errors can be JSON too.
pub fn parse(words: &[String]) -> (bool, Result<Parsed, Usage>) {
    let json = words.iter().any(|w| w == "--json");
    (json, parse_words(words))
}

fn parse_words(words: &[String]) -> Result<Parsed, Usage> {
    let mut group = Group::Vpc;
    let mut help = false;
    let mut pairs = BTreeMap::new();
    for (i, word) in words.iter().enumerate() {
        match word.as_str() {
            "--json" => {}
            "--help" | "-h" | "help" => help = true,
            "node" if i == 0 => group = Group::Node,
            w => {
                let Some((key, value)) = w.split_once('=') else {
                    return Err(Usage(format!(
                        "{w:?} is not a key=value word: expected e.g. mode=init (see vpc --help)"
                    )));
                };
                if key.is_empty() {
                    return Err(Usage(format!(
                        "{w:?} has no key before '=': expected key=value"
                    )));
                }
                if pairs.insert(key.to_owned(), value.to_owned()).is_some() {
                    return Err(Usage(format!(
                        "key {key}= is given twice: expected it once"
                    )));
                }
            }
        }
    }
    let mode_name = pairs.remove("mode");
    let mode = match mode_name.as_deref() {
        None if help => return Ok(Parsed::Help(general_help(group))),
        None => {
            return Err(Usage(format!(
                "missing key mode=: expected one of {} (see {} --help)",
                mode_names(group),
                group.prefix()
            )));
        }
        Some(name) => find_mode(group, name).ok_or_else(|| {
            Usage(format!(
                "mode {name:?} is not known to {}: expected one of {}",
                group.prefix(),
                mode_names(group)
            ))
        })?,
    };
    if help {
        return Ok(Parsed::Help(mode_help(mode)));
    }
    for key in pairs.keys() {
        let known = mode.keys.iter().any(|k| k.name == key)
            || (mode.spec_options && OPTION_KEYS.iter().any(|(k, _)| k == key));
        if !known {
            return Err(Usage(format!(
                "unknown key {key}= for {} mode={}: expected one of {}",
                mode.group.prefix(),
                mode.name,
                key_list(mode)
            )));
        }
    }
    for key in mode.keys.iter().filter(|k| k.required) {
        if !pairs.contains_key(key.name) {
            return Err(Usage(format!(
                "missing key {}= for {} mode={}: {}",
                key.name,
                mode.group.prefix(),
                mode.name,
                key.help
            )));
        }
    }
    Ok(Parsed::Run(Args { mode, pairs }))
}

fn key_list(mode: &Mode) -> String {
    let mut keys: Vec<&str> = mode.keys.iter().map(|k| k.name).collect();
    if mode.spec_options {
        keys.extend(OPTION_KEYS.iter().map(|(k, _)| *k));
    }
    if keys.is_empty() {
        "no keys".to_owned()
    } else {
        keys.join(", ")
    }
}

impl Args {
    /// The value of `key`, if given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs.get(key).map(String::as_str)
    }

    /// The value of a required key (the parser checked it is there).
    pub fn required(&self, key: &str) -> Result<&str, Usage> {
        self.get(key)
            .ok_or_else(|| Usage(format!("missing key {key}=")))
    }

    /// Every `key=value` pair, in key order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Parses `key`'s value with `parse`, whose error names key and value.
    pub fn parse_with<T>(
        &self,
        key: &str,
        parse: impl FnOnce(&str) -> vpc_core::Result<T>,
    ) -> Result<Option<T>, Usage> {
        self.get(key)
            .map(parse)
            .transpose()
            .map_err(|e| Usage(e.message().to_owned()))
    }

    /// `key` is `1`.
    pub fn flag(&self, key: &str) -> Result<bool, Usage> {
        Ok(self
            .parse_with(key, |v| vpc_core::model::spec::parse_flag(key, v))?
            .unwrap_or(false))
    }
}

/// `vpc --help` / `vpc node --help`.
pub fn general_help(group: Group) -> String {
    let mut s = String::new();
    match group {
        Group::Vpc => s.push_str(
            "vpc: stretched layer-2 VPCs over VXLAN, between hosts anywhere\n\n\
             usage: vpc mode=MODE [key=value …] [--json] [--help]\n       \
             vpc node mode=MODE [key=value …] [--json] [--help]\n\n",
        ),
        Group::Node => s.push_str(
            "vpc node: this host's identity and the hosts it knows\n\n\
             usage: vpc node mode=MODE [key=value …] [--json] [--help]\n\n",
        ),
    }
    for g in [Group::Node, Group::Vpc] {
        if group == Group::Node && g == Group::Vpc {
            continue;
        }
        s.push_str(&format!("{} modes:\n", g.prefix()));
        for m in MODES.iter().filter(|m| m.group == g) {
            s.push_str(&format!("  mode={:<14} {}\n", m.name, m.summary));
        }
        s.push('\n');
    }
    s.push_str(
        "Every mode takes --json (one JSON document on stdout) and --help.\n\
         Exit status: 0 success, 1 failure, 2 usage error.\n\
         State directory: $VPC_STATE_DIR, else /var/db/vpc (FreeBSD) or /var/lib/vpc (Linux).\n",
    );
    s
}

/// `vpc mode=MODE --help`.
pub fn mode_help(mode: &Mode) -> String {
    let mut s = format!(
        "{} mode={}: {}\n\nkeys:\n",
        mode.group.prefix(),
        mode.name,
        mode.summary
    );
    let mut rows: Vec<(&str, bool, &str)> = mode
        .keys
        .iter()
        .map(|k| (k.name, k.required, k.help))
        .collect();
    if mode.spec_options {
        rows.extend(
            OPTION_KEYS
                .iter()
                .map(|(k, h)| (*k, *k == "peer_network", *h)),
        );
    }
    if rows.is_empty() {
        s.push_str("  (none)\n");
    }
    for (name, required, help) in rows {
        let tag = if required { " (required)" } else { "" };
        s.push_str(&format!("  {name}=  {help}{tag}\n"));
    }
    s.push_str(&format!(
        "  --json  print one JSON document\n\nexample:\n  {}\n",
        mode.example
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    fn usage(s: &str) -> String {
        match parse(&words(s)).1 {
            Err(Usage(m)) => m,
            Ok(p) => panic!("{s}: expected a usage error, got {p:?}"),
        }
    }

    #[test]
    fn errors_name_the_key() {
        assert!(usage("vpc_name=a").contains("missing key mode="));
        assert!(usage("mode=frobnicate").contains("\"frobnicate\""));
        assert!(usage("mode=init_peers vpc_name=a colour=red").contains("unknown key colour="));
        assert!(usage("mode=init_peers").contains("missing key vpc_name="));
        assert!(usage("mode=list vpc_name=a vpc_name=b").contains("vpc_name= is given twice"));
        assert!(usage("mode=list stray").contains("\"stray\""));
        assert!(usage("mode=list =x").contains("no key"));
        assert!(usage("node mode=add name=x").contains("missing key node="));
    }

    #[test]
    fn spec_options_only_where_listed() {
        assert!(matches!(
            parse(&words(
                "mode=init vpc_name=a node_member=all peer_network=10.0.0.0/24 mtu=1400"
            ))
            .1,
            Ok(Parsed::Run(_))
        ));
        assert!(usage("mode=init_peers vpc_name=a mtu=1400").contains("unknown key mtu="));
    }

    #[test]
    fn every_mode_has_help_naming_its_keys() {
        for m in MODES {
            let h = mode_help(m);
            assert!(h.contains(m.summary), "{h}");
            for k in m.keys {
                assert!(h.contains(&format!("{}=", k.name)), "{h}");
            }
            assert!(h.contains(m.example));
            let prefix = if m.group == Group::Node { "node " } else { "" };
            let (_, p) = parse(&words(&format!("{prefix}mode={} --help", m.name)));
            assert!(matches!(p, Ok(Parsed::Help(t)) if t == h));
        }
    }
}
