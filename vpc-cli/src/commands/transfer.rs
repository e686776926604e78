//! `vpc mode=export` and `vpc mode=receive`: a spec out as JSON, and in.

use std::io::Read;

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
    let text = spec.to_json();
    Ok(Reply {
        text: format!("{text}\n"),
        json: text,
        warnings: Vec::new(),
        exit: 0,
    })
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
        return super::converge::reply(super::converge::text(&r), &r);
    }
    if req.apply {
        let r = run::receive_apply(store, &text, &mut |received| {
            output::progress(&received_line(received), json);
        })
        .map_err(Failure::Document)?;
        let mut reply = Reply::new(String::new(), &r)?;
        match (&r.applied, &r.apply_error) {
            (Some(changes), _) => {
                reply.text = super::converge::text(changes);
                reply.warnings.clone_from(&changes.warnings);
            }
            (None, failed) => {
                let message = failed
                    .as_ref()
                    .map_or("apply failed", |f| f.message.as_str());
                let kind = failed.as_ref().map_or("backend", |f| f.kind.name());
                // Only the message, on stderr: stdout carries the report.
                output::error(kind, message, None, false);
                reply.exit = 1;
            }
        }
        return Ok(reply);
    }
    let r = run::receive(store, &text).map_err(Failure::Document)?;
    Ok(Reply::new(format!("{}\n", received_line(&r)), &r)?)
}

/// What receiving did, on one line.
fn received_line(r: &report::Received) -> String {
    format!("VPC {} generation {}: {}", r.vpc, r.generation, r.outcome)
}
