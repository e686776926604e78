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
    let words: Result<Vec<String>, _> = std::env::args_os()
        .skip(1)
        .map(|w| w.into_string())
        .collect();
    let Ok(words) = words else {
        output::error(
            "usage",
            "an argument is not valid UTF-8: expected key=value text",
            None,
            false,
        );
        return ExitCode::from(2);
    };
    let (json, parsed) = args::parse(&words);
    let result = match parsed {
        Ok(Parsed::Help(text)) => {
            output::help(&text);
            return ExitCode::SUCCESS;
        }
        Ok(Parsed::Run(args)) => commands::run(&args, json),
        Err(usage) => Err(Failure::Usage(usage)),
    };
    match result {
        Ok(reply) => {
            output::print(&reply, json);
            ExitCode::from(reply.exit)
        }
        Err(Failure::Usage(u)) => {
            output::error(
                "usage",
                &u.0,
                Some("(see vpc --help, or vpc mode=MODE --help)"),
                json,
            );
            ExitCode::from(2)
        }
        Err(Failure::Error(e)) => {
            output::error(e.kind().name(), e.message(), None, json);
            ExitCode::from(1)
        }
    }
}
