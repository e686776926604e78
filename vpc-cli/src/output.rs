//! The only module that writes to stdout and stderr. A command produces a
//! [`Reply`] (its text and its JSON document); this module prints one of
//! them.

#![allow(
    clippy::disallowed_macros,
    reason = "the one module that prints; the lint keeps print macros out of the others"
)]

use std::io::Write;

use serde::Serialize;

/// What a command has to say, in both forms.
#[derive(Debug)]
pub struct Reply {
    /// Human text, printed as is (ends with a newline when not empty).
    pub text: String,
    /// The same as one JSON document (a core report, as `report::to_json`
    /// writes it).
    pub json: String,
    /// Notes for the user, on stderr in both modes.
    pub warnings: Vec<String>,
    /// Exit status: 0, or 1 for a report of trouble (such as `status`
    /// finding differences) that is still printed in full.
    pub exit: u8,
}

impl Reply {
    /// A reply with no warnings: `text`, and `report` as JSON.
    pub fn new(text: String, report: &impl Serialize) -> vpc_core::Result<Reply> {
        Ok(Reply {
            text,
            json: vpc_core::report::to_json(report)?,
            warnings: Vec::new(),
            exit: 0,
        })
    }
}

/// Prints `reply`: its JSON when `json`, else its text.
pub fn print(reply: &Reply, json: bool) {
    let mut err = std::io::stderr().lock();
    for w in &reply.warnings {
        let _ = writeln!(err, "vpc: warning: {w}");
    }
    let mut out = std::io::stdout().lock();
    // A closed stdout (e.g. `| head`) is not worth a second error.
    let _ = if json {
        writeln!(out, "{}", reply.json)
    } else {
        out.write_all(reply.text.as_bytes())
    };
}

/// An error as JSON: `{"error": {"kind", "message"}}`.
#[derive(Serialize)]
struct ErrorDoc<'a> {
    error: ErrorBody<'a>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    kind: &'a str,
    message: &'a str,
}

/// Prints an error: the message on stderr, and with `json` also
/// `{"error": {"kind", "message"}}` on stdout.
pub fn error(kind: &str, message: &str, hint: Option<&str>, json: bool) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "vpc: {message}");
    if let Some(hint) = hint {
        let _ = writeln!(err, "{hint}");
    }
    if json {
        let doc = ErrorDoc {
            error: ErrorBody { kind, message },
        };
        let _ = writeln!(
            std::io::stdout().lock(),
            "{}",
            vpc_core::report::to_json(&doc).unwrap_or_default()
        );
    }
}

/// Prints a notice on stderr as soon as it is known (such as waiting for
/// the store's lock), in both modes: stdout stays the report's.
pub fn notice(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "vpc: {line}");
}

/// Help as JSON: `{"version": 1, "help": TEXT}`.
#[derive(Serialize)]
struct HelpDoc<'a> {
    version: u32,
    help: &'a str,
}

/// Prints help text, or with `json` the same text in a JSON document.
pub fn help(text: &str, json: bool) {
    let mut out = std::io::stdout().lock();
    let _ = if json {
        let doc = HelpDoc {
            version: vpc_core::report::REPORT_VERSION,
            help: text,
        };
        writeln!(
            out,
            "{}",
            vpc_core::report::to_json(&doc).unwrap_or_default()
        )
    } else {
        out.write_all(text.as_bytes())
    };
}

/// Prints one line as soon as it is known (a node's result in a multi-node
/// command; the spec `receive apply=1` stored, before it applies);
/// nothing in JSON mode, where the final document has it all.
pub fn progress(line: &str, json: bool) {
    if !json {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}
