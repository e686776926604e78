//! `vpc mode=add_member` and `vpc mode=remove_member`.

use serde_json::json;
use vpc_cli::args::{Args, Usage};
use vpc_core::model::mesh::Numbering;
use vpc_core::model::spec::Spec;
use vpc_core::ops;
use vpc_core::store::Store;

use super::{Outcome, node_name, vpc_name};
use crate::output::Reply;

fn reply(spec: &Spec, what: &str) -> Outcome {
    let (line, mut doc) = super::vpcs::summary(spec)?;
    doc["outcome"] = json!("updated");
    let mut reply = Reply::new(
        format!(
            "{what}\n{line}\nnext: vpc mode=sync vpc_name={} (or export / receive)\n",
            spec.name
        ),
        doc,
    );
    if spec.numbering == Numbering::Cbsd {
        reply.warnings.push(format!(
            "VPC {} uses numbering=cbsd: links after the change are renumbered \
             (VNIs, interface names and link addresses move)",
            spec.name
        ));
    }
    Ok(reply)
}

pub fn add(store: &Store, args: &Args) -> Outcome {
    let vpc = vpc_name(args)?;
    let node = node_name(args, "node")?.ok_or_else(|| Usage("missing key node=".into()))?;
    let spec = ops::add_member(store, &vpc, &node)?;
    reply(&spec, &format!("node {node} added to VPC {vpc}"))
}

pub fn remove(store: &Store, args: &Args) -> Outcome {
    let vpc = vpc_name(args)?;
    let node = node_name(args, "node")?.ok_or_else(|| Usage("missing key node=".into()))?;
    let spec = ops::remove_member(store, &vpc, &node)?;
    reply(&spec, &format!("node {node} removed from VPC {vpc}"))
}
