//! The commands that reach other hosts over SSH: `node mode=add` (online),
//! `sync`, `deploy`, `destroy`; and `leave`, their remote end.

use std::time::Duration;

use serde_json::json;
use vpc_cli::args::{Args, Usage};
use vpc_core::cluster::{self, AddNode, NodeResult, keys, ssh::Timeouts};
use vpc_core::model::platform::Platform;
use vpc_core::model::spec::parse_number;
use vpc_core::store::Store;
use vpc_core::{Error, ErrorKind};

use super::{Outcome, node_addr, vpc_name};
use crate::output::{self, Reply};

/// `connect_timeout=` and `command_timeout=`, seconds.
fn timeouts(args: &Args) -> Result<Timeouts, Usage> {
    let mut t = Timeouts::default();
    if let Some(s) = args.parse_with("connect_timeout", |v| {
        parse_number("connect_timeout", v, 1..=600)
    })? {
        t.connect = Duration::from_secs(s);
    }
    if let Some(s) = args.parse_with("command_timeout", |v| {
        parse_number("command_timeout", v, 1..=3600)
    })? {
        t.command = Duration::from_secs(s);
    }
    Ok(t)
}

/// The password: `VPC_SSH_PASSWORD`, else asked on the terminal (never
/// taken from the command line).
fn password(args: &Args) -> Result<Option<String>, Error> {
    if args.get("identity").is_some() {
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
    let user = args.get("user").unwrap_or("root");
    let node = args.get("node").unwrap_or("");
    rpassword::prompt_password(format!("password of {user} on {node}: "))
        .map(Some)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot read the password: {e}")))
}

/// `vpc node mode=add node=ADDR` (without offline=1).
pub fn add(store: &Store, args: &Args) -> Outcome {
    let address = node_addr(args)?;
    if args.get("name").is_some() {
        return Err(Usage(
            "name= goes with offline=1: over SSH the node tells its own name".into(),
        )
        .into());
    }
    let fingerprint = args.parse_with("fingerprint", keys::parse_fingerprint)?;
    let identity = args.parse_with("identity", keys::identity_path)?;
    let port = args
        .parse_with("port", |v| parse_number("port", v, 1..=65535))?
        .unwrap_or(22);
    let user = args.get("user").unwrap_or("root").to_owned();
    let command = args.get("command").unwrap_or("vpc").to_owned();
    let timeouts = timeouts(args)?;
    let password = password(args)?;
    let req = AddNode {
        address,
        port,
        user,
        command,
        identity,
        fingerprint,
        password,
    };
    let added = cluster::add_node(store, req, &timeouts)?;
    let r = &added.record;
    let mut text = format!(
        "node {}: {} ({address}, port {})\n",
        r.name, added.outcome, r.port
    );
    if added.first_contact {
        text.push_str(&format!(
            "host key fingerprint: {} (recorded)\n",
            added.fingerprint
        ));
    }
    if added.key_installed {
        text.push_str("this host's key was installed: from now on no password is needed\n");
    }
    Ok(Reply::new(
        text,
        serde_json::to_value(&added).unwrap_or_default(),
    ))
}

fn line(r: &NodeResult) -> String {
    let status = if r.ok { "ok" } else { "FAILED" };
    format!(
        "{:<6} {:<32} {:<6} {} ({:.2} s)",
        r.step,
        r.node.as_str(),
        status,
        r.message,
        r.seconds
    )
}

/// The reply of a multi-node command: a summary, and every result.
fn summary(what: &str, vpc: &str, results: &[NodeResult]) -> Reply {
    let failed = results.iter().filter(|r| !r.ok).count();
    let text = format!(
        "{what} {vpc}: {} ok, {failed} failed\n",
        results.len() - failed
    );
    let mut reply = Reply::new(
        text,
        json!({ "vpc": vpc, "ok": failed == 0, "failed": failed, "results": results }),
    );
    reply.exit = u8::from(failed > 0);
    reply
}

fn multi(
    store: &Store,
    args: &Args,
    json: bool,
    what: &str,
    run: impl FnOnce(
        &Store,
        &vpc_core::model::name::VpcName,
        &Timeouts,
        &mut dyn FnMut(&NodeResult),
    ) -> vpc_core::Result<Vec<NodeResult>>,
) -> Outcome {
    let vpc = vpc_name(args)?;
    let timeouts = timeouts(args)?;
    let mut on = |r: &NodeResult| output::progress(&line(r), json);
    let results = run(store, &vpc, &timeouts, &mut on)?;
    Ok(summary(what, vpc.as_str(), &results))
}

pub fn sync(store: &Store, args: &Args, json: bool) -> Outcome {
    multi(store, args, json, "sync", cluster::sync)
}

pub fn deploy(store: &Store, args: &Args, json: bool) -> Outcome {
    multi(store, args, json, "deploy", cluster::deploy)
}

pub fn destroy(store: &Store, args: &Args, json: bool) -> Outcome {
    let force = args.flag("force")?;
    let boot = vpc_core::boot::dir(None, Platform::host());
    multi(store, args, json, "destroy", |s, v, t, on| {
        cluster::destroy(s, v, t, force, &boot, on)
    })
}
