//! The commands that reach other hosts over SSH: `node mode=add` (online),
//! `sync`, `deploy`, `destroy`.

use std::io::Write;

use vpc_core::ops::run;
use vpc_core::report::{self, NodeResult};
use vpc_core::request;
use vpc_core::store::Store;
use vpc_core::{Error, ErrorKind};

use super::Outcome;
use crate::output::{self, Reply};

/// The password: `VPC_SSH_PASSWORD`, else asked on the terminal (never
/// taken from the command line).
fn password(req: &request::NodeAddOnline) -> Result<Option<String>, Error> {
    if req.identity.is_some() {
        return Ok(None);
    }
    if let Ok(p) = std::env::var("VPC_SSH_PASSWORD") {
        return Ok(Some(p));
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        // No terminal to ask on: try this host's key, which works once the
        // exchange has been done.
        return Ok(None);
    }
    rpassword::prompt_password(format!("password of {} on {}: ", req.user, req.address))
        .map(Some)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot read the password: {e}")))
}

/// `vpc node mode=add node=ADDR` (without offline=1).
pub fn add(store: &Store, req: &request::NodeAddOnline) -> Outcome {
    let r = run::node_add(store, req, password(req)?)?;
    let address = req.address;
    Ok(Reply::new(r, move |r, out| {
        let added = &r.added;
        writeln!(
            out,
            "node {}: {} ({address}, port {})",
            added.record.name, added.outcome, added.record.port
        )?;
        if added.first_contact {
            writeln!(
                out,
                "host key fingerprint: {} (recorded)",
                added.fingerprint
            )?;
        }
        if let Some(old) = &added.replaced {
            writeln!(out, "replaced: {}", old.describe())?;
        }
        if added.key_installed {
            writeln!(
                out,
                "this host's key was installed: from now on no password is needed"
            )?;
        }
        Ok(())
    }))
}

/// A node's result on one line; a dry run's plan follows it, one command
/// a line, indented.
fn line(r: &NodeResult) -> String {
    let status = if r.ok { "ok" } else { "FAILED" };
    let mut text = format!(
        "{:<6} {:<32} {:<6} {} ({:.2} s)",
        r.step,
        r.node.as_str(),
        status,
        r.message,
        r.seconds
    );
    let commands = r.plan.as_ref().and_then(|p| p["commands"].as_array());
    for c in commands.into_iter().flatten() {
        text.push_str("\n    ");
        text.push_str(c.as_str().unwrap_or_default());
    }
    text
}

/// The reply of a multi-node command: a summary, and every result.
fn summary(what: &'static str, r: report::Cluster) -> Outcome {
    let exit = u8::from(r.failed > 0);
    let mut reply = Reply::new(r, move |r, out| {
        writeln!(
            out,
            "{what} {}: {} ok, {} failed",
            r.vpc,
            r.results.len() - r.failed,
            r.failed
        )
    });
    reply.exit = exit;
    Ok(reply)
}

pub fn sync(store: &Store, req: &request::Sync, json: bool) -> Outcome {
    let r = run::sync(store, req, &mut |n| output::progress(&line(n), json))?;
    summary("sync", r)
}

pub fn deploy(store: &Store, req: &request::Deploy, json: bool) -> Outcome {
    let r = run::deploy(store, req, &mut |n| output::progress(&line(n), json))?;
    summary("deploy", r)
}

pub fn destroy(store: &Store, req: &request::Destroy, json: bool) -> Outcome {
    let r = run::destroy(store, req, &mut |n| output::progress(&line(n), json))?;
    summary("destroy", r)
}
