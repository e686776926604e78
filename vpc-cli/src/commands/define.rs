//! `vpc mode=init`: define a VPC.

use std::io::Write;

use vpc_core::ops::run;
use vpc_core::request;
use vpc_core::store::Store;

use super::Outcome;
use super::vpcs::summary_line;
use crate::output::Reply;

pub fn init(store: &Store, req: &request::Init) -> Outcome {
    let r = run::init(store, req)?;
    Ok(Reply::new(r, |r, out| {
        let outcome = r.outcome.map_or("", |o| o.as_str());
        write!(
            out,
            "{}: {outcome}\nnext: vpc mode=init_peers vpc_name={1}   (review the map)\n      \
             vpc mode=apply vpc_name={1} dryrun=1   (review the commands)\n",
            summary_line(&r.summary),
            r.summary.vpc
        )
    }))
}
