//! `vpc mode=init_rc`: the boot file that brings a VPC back.

use std::io::Write;

use vpc_core::ops::run;
use vpc_core::request;
use vpc_core::store::Store;

use super::Outcome;
use crate::output::Reply;

pub fn init_rc(store: &Store, req: &request::InitRc) -> Outcome {
    let r = run::init_rc(store, req)?;
    Ok(Reply::new(r, |r, out| {
        writeln!(
            out,
            "{}: {}\nenable it with: {}",
            r.path.display(),
            r.outcome,
            r.enable
        )
    }))
}
