//! One module per command family; [`run`] dispatches on the mode.

mod boot;
#[cfg(feature = "ssh")]
mod cluster;
mod converge;
mod define;
mod members;
mod node;
mod peers;
mod transfer;
mod vpcs;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use vpc_cli::args::{Args, Group, Usage};
use vpc_core::Error;
use vpc_core::model::name::{NodeName, VpcName};
use vpc_core::plan::Scope;
use vpc_core::store::Store;

use crate::output::Reply;

/// Why a command did not succeed.
#[derive(Debug)]
pub enum Failure {
    /// Bad arguments: exit 2.
    Usage(Usage),
    /// The operation failed: exit 1.
    Error(Error),
}

impl From<Usage> for Failure {
    fn from(u: Usage) -> Self {
        Failure::Usage(u)
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Error(e)
    }
}

/// What a command returns.
pub type Outcome = Result<Reply, Failure>;

/// Runs the mode `args` names against the state directory; `json` says
/// whether progress lines are wanted.
#[cfg_attr(
    not(feature = "ssh"),
    allow(unused_variables, reason = "only the SSH commands print progress")
)]
pub fn run(args: &Args, json: bool) -> Outcome {
    let store = Store::from_env();
    match (args.mode.group, args.mode.name) {
        (Group::Node, "init") => node::init(&store, args),
        (Group::Node, "add") if args.flag("offline")? => node::add(&store, args),
        #[cfg(feature = "ssh")]
        (Group::Node, "add") => cluster::add(&store, args),
        #[cfg(feature = "ssh")]
        (Group::Vpc, "sync") => cluster::sync(&store, args, json),
        #[cfg(feature = "ssh")]
        (Group::Vpc, "deploy") => cluster::deploy(&store, args, json),
        #[cfg(feature = "ssh")]
        (Group::Vpc, "destroy") => cluster::destroy(&store, args, json),
        #[cfg(not(feature = "ssh"))]
        (Group::Node, "add") | (Group::Vpc, "sync" | "deploy" | "destroy") => Err(Error::new(
            vpc_core::ErrorKind::Unsupported,
            "this build has no SSH (built without the ssh feature): record nodes with offline=1",
        )
        .into()),
        (Group::Vpc, "leave") => converge::leave(&store, args),
        (Group::Node, "remove") => node::remove(&store, args),
        (Group::Node, "list") => node::list(&store),
        (Group::Vpc, "init") => define::init(&store, args),
        (Group::Vpc, "init_peers") => peers::init_peers(&store, args),
        (Group::Vpc, "list") => vpcs::list(&store, args),
        (Group::Vpc, "remove") => vpcs::remove(&store, args),
        (Group::Vpc, "add_member") => members::add(&store, args),
        (Group::Vpc, "remove_member") => members::remove(&store, args),
        (Group::Vpc, "export") => transfer::export(&store, args),
        (Group::Vpc, "receive") => transfer::receive(&store),
        (Group::Vpc, "apply") => converge::converge(&store, args, Scope::All),
        (Group::Vpc, "init_vxlan") => converge::converge(&store, args, Scope::Tunnels),
        (Group::Vpc, "init_bridge") => converge::converge(&store, args, Scope::Bridge),
        (Group::Vpc, "teardown") => converge::teardown(&store, args, Scope::All),
        (Group::Vpc, "destroy_vxlan") => converge::teardown(&store, args, Scope::Tunnels),
        (Group::Vpc, "destroy_bridge") => converge::teardown(&store, args, Scope::Bridge),
        (Group::Vpc, "attach") => converge::attach(&store, args),
        (Group::Vpc, "detach") => converge::detach(&store, args),
        (Group::Vpc, "status") => converge::status(&store, args),
        (Group::Vpc, "init_rc") => boot::init_rc(&store, args),
        (_, mode) => Err(Usage(format!("mode {mode} has no implementation")).into()),
    }
}

/// `vpc_name=` as a validated name.
fn vpc_name(args: &Args) -> Result<VpcName, Usage> {
    let text = args.required("vpc_name")?;
    VpcName::new(text).map_err(|e| Usage(e.message().to_owned()))
}

/// A node name from `key=`.
fn node_name(args: &Args, key: &str) -> Result<Option<NodeName>, Usage> {
    args.parse_with(key, |v| {
        NodeName::new(v).map_err(|e| e.context(format!("{key}=")))
    })
}

fn parse_ip<T: std::str::FromStr>(key: &str, text: &str, family: &str) -> vpc_core::Result<T> {
    text.parse().map_err(|_| {
        Error::invalid(format!(
            "{key} {text:?} is not valid: expected an {family} address"
        ))
    })
}

/// `ip4=` and `ip6=`.
fn underlay(args: &Args) -> Result<(Option<Ipv4Addr>, Option<Ipv6Addr>), Usage> {
    Ok((
        args.parse_with("ip4", |v| parse_ip("ip4", v, "IPv4"))?,
        args.parse_with("ip6", |v| parse_ip("ip6", v, "IPv6"))?,
    ))
}

/// An address `node=ADDR`.
fn node_addr(args: &Args) -> Result<IpAddr, Usage> {
    let text = args.required("node")?;
    parse_ip("node", text, "IPv4 or IPv6").map_err(|e| Usage(e.message().to_owned()))
}
