//! `vpc mode=export` and `vpc mode=receive`: a spec out as JSON, and in.

use std::io::{Read, Write};

use vpc_core::ops::run;
use vpc_core::store::Store;
use vpc_core::{Error, ErrorKind};
use vpc_core::{report, request};

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
/// dryrun=1` prints it; nothing is stored. With `apply=1`: what receiving
/// did, printed before the apply starts (`deploy` reads that line as the
/// member having taken the spec), then what applying did; an apply that
/// fails is told on stderr and exits 1, the report (with `--json`)
/// saying both.
pub fn receive(store: &Store, req: &request::Receive, json: bool) -> Outcome {
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
    if req.apply {
        let r = run::receive_apply(store, &text, &mut |received| {
            output::progress(&received_line(received), json);
        })
        .map_err(Failure::Document)?;
        let warnings = r
            .applied
            .as_ref()
            .map(|c| c.warnings.clone())
            .unwrap_or_default();
        let failed = r.apply_error.clone();
        let applied = r.applied.is_some();
        let mut reply = Reply::new(r, |r, out| match &r.applied {
            Some(changes) => super::converge::text(changes, out),
            None => Ok(()),
        })
        .warn(warnings);
        if !applied {
            let message = failed
                .as_ref()
                .map_or("apply failed", |f| f.message.as_str());
            let kind = failed.as_ref().map_or("backend", |f| f.kind.name());
            // Only the message, on stderr: stdout carries the report.
            output::error(kind, message, None, false);
            reply.exit = 1;
        }
        return Ok(reply);
    }
    let r = run::receive(store, &text).map_err(Failure::Document)?;
    Ok(Reply::new(r, |r, out| {
        writeln!(out, "{}", received_line(r))
    }))
}

/// What receiving did, on one line.
fn received_line(r: &report::Received) -> String {
    format!("VPC {} generation {}: {}", r.vpc, r.generation, r.outcome)
}
