//! `vpc mode=init_rc`: the boot file that brings a VPC back.

use std::path::PathBuf;

use serde_json::json;
use vpc_cli::args::Args;
use vpc_core::model::platform::Platform;
use vpc_core::store::Store;
use vpc_core::{Error, ErrorKind, boot, ops};

use super::{Outcome, vpc_name};
use crate::output::Reply;

pub fn init_rc(store: &Store, args: &Args) -> Outcome {
    let vpc = vpc_name(args)?;
    let platform = args
        .parse_with("os", Platform::parse)?
        .unwrap_or_else(Platform::host);
    let dir = boot::dir(args.get("rc_dir").map(std::path::Path::new), platform);
    let program = match args.get("program") {
        Some(p) => PathBuf::from(p),
        None => std::env::current_exe().map_err(|e| {
            Error::new(
                ErrorKind::Io,
                format!("cannot tell where this vpc binary is: {e}"),
            )
        })?,
    };
    let (outcome, path) = ops::init_rc(store, &vpc, platform, &dir, &program)?;
    let name = boot::file_name(platform, &vpc);
    let enable = match platform {
        Platform::FreeBsd => format!("sysrc {name}_enable=YES"),
        Platform::Linux => format!("systemctl enable {name}"),
    };
    Ok(Reply::new(
        format!("{}: {outcome}\nenable it with: {enable}\n", path.display()),
        json!({ "outcome": outcome, "path": path, "enable": enable, "os": platform }),
    ))
}
