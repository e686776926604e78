//! `vpc mode=init`: define a VPC.

use vpc_core::ops::run;
use vpc_core::request;
use vpc_core::store::Store;

use super::Outcome;
use super::vpcs::summary_line;
use crate::output::Reply;

pub fn init(store: &Store, req: &request::Init) -> Outcome {
    let r = run::init(store, req)?;
    let outcome = r.outcome.map_or("", |o| o.as_str());
    let text = format!(
        "{}: {outcome}\nnext: vpc mode=init_peers vpc_name={1}   (review the map)\n      \
         vpc mode=apply vpc_name={1} dryrun=1   (review the commands)\n",
        summary_line(&r.summary),
        r.summary.vpc
    );
    Ok(Reply::new(text, &r)?)
}
