//! One module per command family; [`run`] dispatches on the mode's id.
//! Each command reads its core request, calls the core's operation and
//! answers with a [`Reply`]: the report, and how to write it as text (the
//! JSON is the report itself). Neither form is made until it is printed,
//! and only the one asked for.

mod boot;
#[cfg(feature = "ssh")]
mod cluster;
mod converge;
mod define;
mod node;
mod peers;
mod transfer;
mod vpcs;

use vpc_cli::args::{Args, Usage};
use vpc_cli::modes::ModeId;
use vpc_core::Error;
use vpc_core::store::Store;

use crate::output::Reply;

/// Why a command did not succeed.
#[derive(Debug)]
pub enum Failure {
    /// Bad arguments: exit 2.
    Usage(Usage),
    /// The operation failed: exit 1, or 2 for a malformed value (an
    /// argument found bad after parsing is still a usage error).
    Error(Error),
    /// A document read from stdin was refused: exit 1 whatever the kind
    /// (the value is not an argument).
    Document(Error),
}

impl Failure {
    /// The exit status.
    pub fn exit(&self) -> u8 {
        match self {
            Failure::Usage(_) => 2,
            Failure::Error(e) if e.kind() == vpc_core::ErrorKind::Invalid => 2,
            Failure::Error(_) | Failure::Document(_) => 1,
        }
    }
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

/// This build has no SSH.
#[cfg(not(feature = "ssh"))]
fn no_ssh() -> Outcome {
    Err(Error::new(
        vpc_core::ErrorKind::Unsupported,
        "this build has no SSH (built without the ssh feature): record nodes with offline=1",
    )
    .into())
}

/// Runs the mode `args` names against the state directory; `json` says
/// whether progress lines are wanted.
pub fn run(args: &Args, json: bool) -> Outcome {
    let mut store = Store::from_env().on_lock_wait(crate::output::notice);
    if let Some(timeout) = args.lock_timeout {
        store = store.with_lock_timeout(timeout);
    }
    match args.mode.id {
        ModeId::NodeInit => node::init(&store, &args.request()?),
        ModeId::NodeAdd => match args.request()? {
            vpc_core::request::NodeAdd::Offline(req) => node::add(&store, &req),
            #[cfg(feature = "ssh")]
            vpc_core::request::NodeAdd::Online(req) => cluster::add(&store, &req),
            #[cfg(not(feature = "ssh"))]
            vpc_core::request::NodeAdd::Online(_) => no_ssh(),
        },
        ModeId::NodeRemove => node::remove(&store, &args.request()?),
        ModeId::NodeList => node::list(&store, &args.request()?),
        ModeId::Init => define::init(&store, &args.request()?),
        ModeId::InitPeers => peers::init_peers(&store, &args.request()?),
        ModeId::List => vpcs::list(&store, &args.request()?),
        ModeId::Remove => vpcs::remove(&store, &args.request()?),
        ModeId::AddMember => {
            let req: vpc_core::request::AddMember = args.request()?;
            vpcs::add_member(&store, &req)
        }
        ModeId::RemoveMember => {
            let req: vpc_core::request::RemoveMember = args.request()?;
            vpcs::remove_member(&store, &req)
        }
        ModeId::SetMember => vpcs::set_member(&store, &args.request()?),
        ModeId::Export => transfer::export(&store, &args.request()?),
        ModeId::Receive => transfer::receive(&store, &args.request()?, json),
        ModeId::Apply => {
            let req: vpc_core::request::Apply = args.request()?;
            converge::converge(&store, &req.0)
        }
        ModeId::InitVxlan => {
            let req: vpc_core::request::InitVxlan = args.request()?;
            converge::converge(&store, &req.0)
        }
        ModeId::InitBridge => {
            let req: vpc_core::request::InitBridge = args.request()?;
            converge::converge(&store, &req.0)
        }
        ModeId::Teardown => {
            let req: vpc_core::request::TeardownAll = args.request()?;
            converge::teardown(&store, &req.0)
        }
        ModeId::DestroyVxlan => {
            let req: vpc_core::request::DestroyVxlan = args.request()?;
            converge::teardown(&store, &req.0)
        }
        ModeId::DestroyBridge => {
            let req: vpc_core::request::DestroyBridge = args.request()?;
            converge::teardown(&store, &req.0)
        }
        ModeId::Attach => converge::attach(&store, &args.request()?),
        ModeId::Detach => converge::detach(&store, &args.request()?),
        ModeId::Status => converge::status(&store, &args.request()?),
        ModeId::Leave => converge::leave(&store, &args.request()?),
        ModeId::InitRc => boot::init_rc(&store, &args.request()?),
        ModeId::WgKey => vpcs::wg_key(&store, &args.request()?),
        ModeId::RotateKeys => vpcs::rotate_keys(&store, &args.request()?),
        #[cfg(feature = "ssh")]
        ModeId::Sync => cluster::sync(&store, &args.request()?, json),
        #[cfg(feature = "ssh")]
        ModeId::Deploy => cluster::deploy(&store, &args.request()?, json),
        #[cfg(feature = "ssh")]
        ModeId::Destroy => cluster::destroy(&store, &args.request()?, json),
        #[cfg(not(feature = "ssh"))]
        ModeId::Sync | ModeId::Deploy | ModeId::Destroy => no_ssh(),
    }
}
