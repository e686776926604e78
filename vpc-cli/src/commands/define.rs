//! `vpc mode=init`: define a VPC.

use serde_json::json;
use vpc_cli::args::{Args, Usage};
use vpc_core::model::members::MemberSelection;
use vpc_core::model::spec::Options;
use vpc_core::ops::{self};
use vpc_core::store::Store;

use super::{Outcome, vpc_name};
use crate::output::Reply;

pub fn init(store: &Store, args: &Args) -> Outcome {
    let name = vpc_name(args)?;
    let members = args
        .parse_with("node_member", MemberSelection::parse)?
        .ok_or_else(|| Usage("missing key node_member=".into()))?;
    let mut options = Options::default();
    for (key, value) in args.pairs() {
        options
            .set(key, value)
            .map_err(|e| Usage(e.message().to_owned()))?;
    }
    if options.peer_network.is_none() {
        return Err(Usage(
            "missing key peer_network= for vpc mode=init: a CIDR such as 10.100.0.0/24".into(),
        )
        .into());
    }
    let (outcome, spec) = ops::vpc_init(store, name, &members, &options)?;
    let (line, mut doc) = super::vpcs::summary(&spec)?;
    doc["outcome"] = json!(outcome);
    let text = format!(
        "{line}: {outcome}\nnext: vpc mode=init_peers vpc_name={0}   (review the map)\n      \
         vpc mode=apply vpc_name={0} dryrun=1   (review the commands)\n",
        spec.name
    );
    Ok(Reply::new(text, doc))
}
