//! `vpc`: parse, run, print, exit (0 success, 1 failure, 2 usage error).

#![allow(
    unreachable_pub,
    reason = "a binary crate: its pub items are crate-wide, not exported"
)]

mod commands;
mod output;

use std::process::ExitCode;

use commands::Failure;
use vpc_cli::args::{self, Parsed};

fn main() -> ExitCode {
    let raw: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let Ok(words) = raw
        .iter()
        .map(|w| w.clone().into_string())
        .collect::<Result<Vec<_>, _>>()
    else {
        // `--json` is honoured even beside a word that is not text.
        let json = raw.iter().any(|w| w == "--json");
        output::error(
            "usage",
            "an argument is not valid UTF-8: expected key=value text",
            None,
            json,
        );
        return ExitCode::from(2);
    };
    let (json, parsed) = args::parse(&words);
    let result = match parsed {
        Ok(Parsed::Help(text)) => {
            output::help(&text, json);
            return ExitCode::SUCCESS;
        }
        Ok(Parsed::Run(args)) => commands::run(&args, json),
        Err(usage) => Err(Failure::Usage(usage)),
    };
    match result {
        Ok(reply) => ExitCode::from(output::print(reply, json)),
        Err(failure) => {
            let exit = failure.exit();
            match failure {
                Failure::Usage(u) => output::error(
                    "usage",
                    &u.0,
                    Some("(see vpc --help, or vpc mode=MODE --help)"),
                    json,
                ),
                Failure::Error(e) | Failure::Document(e) => {
                    output::error(e.kind().name(), e.message(), None, json);
                }
            }
            ExitCode::from(exit)
        }
    }
}
