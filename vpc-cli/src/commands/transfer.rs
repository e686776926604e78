//! `vpc mode=export` and `vpc mode=receive`: a spec out as JSON, and in.

use std::io::Read;

use serde_json::json;
use vpc_cli::args::Args;
use vpc_core::store::Store;
use vpc_core::{Error, ErrorKind, ops};

use super::{Outcome, vpc_name};
use crate::output::Reply;

/// The most a spec may weigh on stdin; a larger input is refused unread.
const MAX_SPEC_BYTES: u64 = 16 << 20;

pub fn export(store: &Store, args: &Args) -> Outcome {
    let spec = store.require_vpc(&vpc_name(args)?)?;
    let json = serde_json::to_value(&spec).unwrap_or_default();
    Ok(Reply::new(format!("{}\n", spec.to_json()), json))
}

pub fn receive(store: &Store) -> Outcome {
    let mut text = String::new();
    std::io::stdin()
        .take(MAX_SPEC_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| Error::invalid(format!("spec on stdin is not readable as UTF-8 text: {e}")))?;
    if text.len() as u64 > MAX_SPEC_BYTES {
        return Err(Error::new(
            ErrorKind::Invalid,
            format!("spec on stdin is larger than {MAX_SPEC_BYTES} bytes: expected one VPC spec"),
        )
        .into());
    }
    let (outcome, spec) = ops::receive(store, &text)?;
    Ok(Reply::new(
        format!(
            "VPC {} generation {}: {outcome}\n",
            spec.name, spec.generation
        ),
        json!({ "outcome": outcome, "vpc": spec.name, "generation": spec.generation }),
    ))
}
