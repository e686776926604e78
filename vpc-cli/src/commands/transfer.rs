//! `vpc mode=export` and `vpc mode=receive`: a spec out as JSON, and in.

use std::io::{Read, Write};

use vpc_core::ops::run;
use vpc_core::request;
use vpc_core::store::Store;
use vpc_core::{Error, ErrorKind};

use super::{Failure, Outcome};
use crate::output::{self, Reply};

/// The most a spec may weigh on stdin; a larger input is refused unread.
const MAX_SPEC_BYTES: u64 = 16 << 20;

/// The document is the spec itself (its version is `schema_version`).
pub fn export(store: &Store, req: &request::Export) -> Outcome {
    let spec = run::spec(store, &req.vpc)?;
    // Both forms are the document (`Spec::to_json`'s bytes) and a newline.
    Ok(Reply::writing(move |out, _| output::document(out, &spec)))
}

/// With `dryrun=1`: the plan of applying the spec here, as `apply
/// dryrun=1` prints it; nothing is stored.
pub fn receive(store: &Store, req: &request::Receive) -> Outcome {
    let mut text = String::new();
    std::io::stdin()
        .take(MAX_SPEC_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| {
            Failure::Document(Error::invalid(format!(
                "spec on stdin is not readable as UTF-8 text: {e}"
            )))
        })?;
    if text.len() as u64 > MAX_SPEC_BYTES {
        return Err(Failure::Document(Error::new(
            ErrorKind::Invalid,
            format!("spec on stdin is larger than {MAX_SPEC_BYTES} bytes: expected one VPC spec"),
        )));
    }
    if req.dry_run {
        let r = run::receive_dry_run(store, &text).map_err(Failure::Document)?;
        return Ok(super::converge::reply(r));
    }
    let r = run::receive(store, &text).map_err(Failure::Document)?;
    Ok(Reply::new(r, |r, out| {
        writeln!(
            out,
            "VPC {} generation {}: {}",
            r.vpc, r.generation, r.outcome
        )
    }))
}
