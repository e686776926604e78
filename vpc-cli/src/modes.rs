//! The table of modes: each mode's id, keys (the core request's), help
//! and example. The parser refuses a key a mode does not list, and
//! `--help` is printed from here.

use vpc_core::model::spec::OPTION_KEYS;
use vpc_core::request::{self, FromPairs, Key};

use crate::args::{Args, Usage};

/// The command family: `vpc node mode=…` or `vpc mode=…`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// `vpc mode=…`.
    Vpc,
    /// `vpc node mode=…`.
    Node,
}

impl Group {
    /// How the family's commands start.
    pub fn prefix(self) -> &'static str {
        match self {
            Group::Vpc => "vpc",
            Group::Node => "vpc node",
        }
    }
}

/// Which mode: matched without a wildcard, so a mode in the table that
/// nothing runs does not compile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModeId {
    /// `vpc node mode=init`.
    NodeInit,
    /// `vpc node mode=add`.
    NodeAdd,
    /// `vpc node mode=remove`.
    NodeRemove,
    /// `vpc node mode=list`.
    NodeList,
    /// `vpc mode=init`.
    Init,
    /// `vpc mode=init_peers`.
    InitPeers,
    /// `vpc mode=list`.
    List,
    /// `vpc mode=remove`.
    Remove,
    /// `vpc mode=add_member`.
    AddMember,
    /// `vpc mode=remove_member`.
    RemoveMember,
    /// `vpc mode=set_member`.
    SetMember,
    /// `vpc mode=export`.
    Export,
    /// `vpc mode=receive`.
    Receive,
    /// `vpc mode=apply`.
    Apply,
    /// `vpc mode=init_vxlan`.
    InitVxlan,
    /// `vpc mode=init_bridge`.
    InitBridge,
    /// `vpc mode=teardown`.
    Teardown,
    /// `vpc mode=destroy_vxlan`.
    DestroyVxlan,
    /// `vpc mode=destroy_bridge`.
    DestroyBridge,
    /// `vpc mode=attach`.
    Attach,
    /// `vpc mode=detach`.
    Detach,
    /// `vpc mode=status`.
    Status,
    /// `vpc mode=init_rc`.
    InitRc,
    /// `vpc mode=sync`.
    Sync,
    /// `vpc mode=deploy`.
    Deploy,
    /// `vpc mode=destroy`.
    Destroy,
    /// `vpc mode=leave`.
    Leave,
    /// `vpc mode=wg_key`.
    WgKey,
    /// `vpc mode=rotate_keys`.
    RotateKeys,
}

/// One mode: its keys, a summary and an example.
#[derive(Debug)]
pub struct Mode {
    /// Which mode.
    pub id: ModeId,
    /// Command family.
    pub group: Group,
    /// `mode=` value.
    pub name: &'static str,
    /// One line.
    pub summary: &'static str,
    /// Keys besides `mode`: the core request's.
    pub keys: &'static [Key],
    /// Whether the spec options ([`OPTION_KEYS`]) are accepted too.
    pub spec_options: bool,
    /// A complete example command line.
    pub example: &'static str,
    /// Reads the mode's request from the arguments, to check them.
    pub check: fn(&Args) -> Result<(), Usage>,
}

/// Whether `args` make a request `R`.
fn check<R: FromPairs>(args: &Args) -> Result<(), Usage> {
    args.request::<R>().map(drop)
}

/// Reads the request of `args`' mode: a usage error when a value is bad.
pub fn read(args: &Args) -> Result<(), Usage> {
    (args.mode.check)(args)
}

/// Every mode, in help order.
pub const MODES: &[Mode] = &[
    Mode {
        id: ModeId::NodeInit,
        group: Group::Node,
        name: "init",
        summary: "set this host's identity: its name and underlay addresses",
        keys: request::NodeInit::KEYS,
        spec_options: request::NodeInit::SPEC_OPTIONS,
        check: check::<request::NodeInit>,
        example: "vpc node mode=init name=jhoster1.olevole.ru ip6=2a05:3580:d800:20f7::1",
    },
    Mode {
        id: ModeId::NodeAdd,
        group: Group::Node,
        name: "add",
        summary: "add a remote host over SSH: pin its host key, install this host's key (offline=1: record only)",
        keys: request::NodeAdd::KEYS,
        spec_options: request::NodeAdd::SPEC_OPTIONS,
        check: check::<request::NodeAdd>,
        example: "vpc node mode=add node=2a01:4f8:241:500b::1   (password from VPC_SSH_PASSWORD or the terminal)",
    },
    Mode {
        id: ModeId::NodeRemove,
        group: Group::Node,
        name: "remove",
        summary: "forget a remote host",
        keys: request::NodeRemove::KEYS,
        spec_options: request::NodeRemove::SPEC_OPTIONS,
        check: check::<request::NodeRemove>,
        example: "vpc node mode=remove node=gold-hoster-02.hz.fbs.dev",
    },
    Mode {
        id: ModeId::NodeList,
        group: Group::Node,
        name: "list",
        summary: "list this host and the remote hosts it knows",
        keys: request::NodeList::KEYS,
        spec_options: request::NodeList::SPEC_OPTIONS,
        check: check::<request::NodeList>,
        example: "vpc node mode=list --json",
    },
    Mode {
        id: ModeId::Init,
        group: Group::Vpc,
        name: "init",
        summary: "define a VPC with this host as initiator",
        keys: request::Init::KEYS,
        spec_options: request::Init::SPEC_OPTIONS,
        check: check::<request::Init>,
        example: "vpc mode=init vpc_name=vpc1 node_member=all peer_network=10.100.0.0/24",
    },
    Mode {
        id: ModeId::InitPeers,
        group: Group::Vpc,
        name: "init_peers",
        summary: "print the peer map: tunnels, VNIs and link addresses",
        keys: request::InitPeers::KEYS,
        spec_options: request::InitPeers::SPEC_OPTIONS,
        check: check::<request::InitPeers>,
        example: "vpc mode=init_peers vpc_name=vpc1",
    },
    Mode {
        id: ModeId::List,
        group: Group::Vpc,
        name: "list",
        summary: "list the VPCs held here, or one in detail",
        keys: request::List::KEYS,
        spec_options: request::List::SPEC_OPTIONS,
        check: check::<request::List>,
        example: "vpc mode=list",
    },
    Mode {
        id: ModeId::Remove,
        group: Group::Vpc,
        name: "remove",
        summary: "forget a VPC's definition and boot file on this host (refused while it holds interfaces or guest ports here, unless force=1)",
        keys: request::Remove::KEYS,
        spec_options: request::Remove::SPEC_OPTIONS,
        check: check::<request::Remove>,
        example: "vpc mode=remove vpc_name=vpc1",
    },
    Mode {
        id: ModeId::AddMember,
        group: Group::Vpc,
        name: "add_member",
        summary: "add a known host to a VPC; other links keep their VNIs and addresses",
        keys: request::AddMember::KEYS,
        spec_options: request::AddMember::SPEC_OPTIONS,
        check: check::<request::AddMember>,
        example: "vpc mode=add_member vpc_name=vpc1 node=gold-hoster-03",
    },
    Mode {
        id: ModeId::RemoveMember,
        group: Group::Vpc,
        name: "remove_member",
        summary: "remove a host from a VPC; its slot stays vacant",
        keys: request::RemoveMember::KEYS,
        spec_options: request::RemoveMember::SPEC_OPTIONS,
        check: check::<request::RemoveMember>,
        example: "vpc mode=remove_member vpc_name=vpc1 node=gold-hoster-03",
    },
    Mode {
        id: ModeId::SetMember,
        group: Group::Vpc,
        name: "set_member",
        summary: "set a member's own settings (its bridge addresses) in the spec; on the initiator only",
        keys: request::SetMember::KEYS,
        spec_options: request::SetMember::SPEC_OPTIONS,
        check: check::<request::SetMember>,
        example: "vpc mode=set_member vpc_name=vpc1 node=gold-hoster-01 bridge_ips=10.10.11.2/24",
    },
    Mode {
        id: ModeId::Export,
        group: Group::Vpc,
        name: "export",
        summary: "print a VPC's spec as JSON",
        keys: request::Export::KEYS,
        spec_options: request::Export::SPEC_OPTIONS,
        check: check::<request::Export>,
        example: "vpc mode=export vpc_name=vpc1 > vpc1.json",
    },
    Mode {
        id: ModeId::Receive,
        group: Group::Vpc,
        name: "receive",
        summary: "store a spec read as JSON from stdin, if newer than the one held (apply=1: then apply it here)",
        keys: request::Receive::KEYS,
        spec_options: request::Receive::SPEC_OPTIONS,
        check: check::<request::Receive>,
        example: "vpc mode=receive < vpc1.json",
    },
    Mode {
        id: ModeId::Apply,
        group: Group::Vpc,
        name: "apply",
        summary: "converge this host: tunnels, then the bridge (needs root)",
        keys: request::Apply::KEYS,
        spec_options: request::Apply::SPEC_OPTIONS,
        check: check::<request::Apply>,
        example: "vpc mode=apply vpc_name=vpc1 dryrun=1",
    },
    Mode {
        id: ModeId::InitVxlan,
        group: Group::Vpc,
        name: "init_vxlan",
        summary: "create this host's tunnels (they join the bridge if it exists)",
        keys: request::InitVxlan::KEYS,
        spec_options: request::InitVxlan::SPEC_OPTIONS,
        check: check::<request::InitVxlan>,
        example: "vpc mode=init_vxlan vpc_name=vpc1 dryrun=1 os=freebsd",
    },
    Mode {
        id: ModeId::InitBridge,
        group: Group::Vpc,
        name: "init_bridge",
        summary: "create this host's VPC bridge and join the tunnels to it",
        keys: request::InitBridge::KEYS,
        spec_options: request::InitBridge::SPEC_OPTIONS,
        check: check::<request::InitBridge>,
        example: "vpc mode=init_bridge vpc_name=vpc1 bridge_ips=10.10.11.1/24 dryrun=1",
    },
    Mode {
        id: ModeId::Teardown,
        group: Group::Vpc,
        name: "teardown",
        summary: "remove this host's interfaces of a VPC: the bridge, then the tunnels",
        keys: request::TeardownAll::KEYS,
        spec_options: request::TeardownAll::SPEC_OPTIONS,
        check: check::<request::TeardownAll>,
        example: "vpc mode=teardown vpc_name=vpc1",
    },
    Mode {
        id: ModeId::DestroyVxlan,
        group: Group::Vpc,
        name: "destroy_vxlan",
        summary: "remove this host's tunnels of a VPC",
        keys: request::DestroyVxlan::KEYS,
        spec_options: request::DestroyVxlan::SPEC_OPTIONS,
        check: check::<request::DestroyVxlan>,
        example: "vpc mode=destroy_vxlan vpc_name=vpc1",
    },
    Mode {
        id: ModeId::DestroyBridge,
        group: Group::Vpc,
        name: "destroy_bridge",
        summary: "remove this host's VPC bridge (guest ports are released, not removed)",
        keys: request::DestroyBridge::KEYS,
        spec_options: request::DestroyBridge::SPEC_OPTIONS,
        check: check::<request::DestroyBridge>,
        example: "vpc mode=destroy_bridge vpc_name=vpc1",
    },
    Mode {
        id: ModeId::Attach,
        group: Group::Vpc,
        name: "attach",
        summary: "join a guest port (epair, tap, veth) to the VPC bridge, MTU set first",
        keys: request::Attach::KEYS,
        spec_options: request::Attach::SPEC_OPTIONS,
        check: check::<request::Attach>,
        example: "vpc mode=attach vpc_name=vpc1 iface=epair1a cpus=2 mem=4g",
    },
    Mode {
        id: ModeId::Detach,
        group: Group::Vpc,
        name: "detach",
        summary: "take a guest port out of the VPC bridge",
        keys: request::Detach::KEYS,
        spec_options: request::Detach::SPEC_OPTIONS,
        check: check::<request::Detach>,
        example: "vpc mode=detach vpc_name=vpc1 iface=epair1a",
    },
    Mode {
        id: ModeId::Status,
        group: Group::Vpc,
        name: "status",
        summary: "compare this host's interfaces with the spec and probe every tunnel; exit 1 if unhealthy",
        keys: request::Status::KEYS,
        spec_options: request::Status::SPEC_OPTIONS,
        check: check::<request::Status>,
        example: "vpc mode=status vpc_name=vpc1 --json",
    },
    Mode {
        id: ModeId::InitRc,
        group: Group::Vpc,
        name: "init_rc",
        summary: "write the boot file (rc.d script / systemd unit) that applies the VPC at boot",
        keys: request::InitRc::KEYS,
        spec_options: request::InitRc::SPEC_OPTIONS,
        check: check::<request::InitRc>,
        example: "vpc mode=init_rc vpc_name=vpc1",
    },
    Mode {
        id: ModeId::Sync,
        group: Group::Vpc,
        name: "sync",
        summary: "push the spec to every member over SSH, in parallel",
        keys: request::Sync::KEYS,
        spec_options: request::Sync::SPEC_OPTIONS,
        check: check::<request::Sync>,
        example: "vpc mode=sync vpc_name=vpc1",
    },
    Mode {
        id: ModeId::Deploy,
        group: Group::Vpc,
        name: "deploy",
        summary: "on every member, one SSH command each: receive the spec and apply it (leave on removed ones), in parallel",
        keys: request::Deploy::KEYS,
        spec_options: request::Deploy::SPEC_OPTIONS,
        check: check::<request::Deploy>,
        example: "vpc mode=deploy vpc_name=vpc1",
    },
    Mode {
        id: ModeId::Destroy,
        group: Group::Vpc,
        name: "destroy",
        summary: "leave on every member: interfaces, spec and boot files removed everywhere",
        keys: request::Destroy::KEYS,
        spec_options: request::Destroy::SPEC_OPTIONS,
        check: check::<request::Destroy>,
        example: "vpc mode=destroy vpc_name=vpc1",
    },
    Mode {
        id: ModeId::Leave,
        group: Group::Vpc,
        name: "leave",
        summary: "tear down this host's side and forget the VPC (no-op if not held)",
        keys: request::Leave::KEYS,
        spec_options: request::Leave::SPEC_OPTIONS,
        check: check::<request::Leave>,
        example: "vpc mode=leave vpc_name=vpc1",
    },
    Mode {
        id: ModeId::WgKey,
        group: Group::Vpc,
        name: "wg_key",
        summary: "print this host's WireGuard public key for an encrypted VPC, made here if it has none (deploy asks for it; the private key stays here)",
        keys: request::WgKey::KEYS,
        spec_options: request::WgKey::SPEC_OPTIONS,
        check: check::<request::WgKey>,
        example: "vpc mode=wg_key vpc_name=vpc1",
    },
    Mode {
        id: ModeId::RotateKeys,
        group: Group::Vpc,
        name: "rotate_keys",
        summary: "new WireGuard keys for every member of an encrypted VPC; the next deploy fetches and pushes them (on the initiator only)",
        keys: request::RotateKeys::KEYS,
        spec_options: request::RotateKeys::SPEC_OPTIONS,
        check: check::<request::RotateKeys>,
        example: "vpc mode=rotate_keys vpc_name=vpc1 && vpc mode=deploy vpc_name=vpc1",
    },
];

/// The mode `name` of `group`.
pub fn find(group: Group, name: &str) -> Option<&'static Mode> {
    MODES.iter().find(|m| m.group == group && m.name == name)
}

/// The names of `group`'s modes, comma-separated.
pub fn names(group: Group) -> String {
    MODES
        .iter()
        .filter(|m| m.group == group)
        .map(|m| m.name)
        .collect::<Vec<_>>()
        .join(", ")
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
        "Every mode takes --json (one JSON document on stdout) and --help, and\n\
         lock_timeout=SECONDS (0 to 3600, default 30): how long a change waits for\n\
         another vpc's lock on the state directory before failing.\n\
         Exit status: 0 success, 1 failure, 2 usage error (a bad key or value).\n\
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
