//! The only module that writes to stdout and stderr. A command produces a
//! [`Reply`] (its text and its JSON); this module prints one of them.

use std::io::Write;

use serde_json::{Value, json};

/// What a command has to say, in both forms.
#[derive(Debug)]
pub struct Reply {
    /// Human text, printed as is (ends with a newline when not empty).
    pub text: String,
    /// The same as one JSON document.
    pub json: Value,
    /// Notes for the user, on stderr in both modes.
    pub warnings: Vec<String>,
    /// Exit status: 0, or 1 for a report of trouble (such as `status`
    /// finding differences) that is still printed in full.
    pub exit: u8,
}

impl Reply {
    /// A reply with no warnings.
    pub fn new(text: String, json: Value) -> Reply {
        Reply {
            text,
            json,
            warnings: Vec::new(),
            exit: 0,
        }
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
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&reply.json).unwrap_or_default()
        )
    } else {
        out.write_all(reply.text.as_bytes())
    };
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
        let doc = json!({ "error": { "kind": kind, "message": message } });
        let _ = writeln!(
            std::io::stdout().lock(),
            "{}",
            serde_json::to_string_pretty(&doc).unwrap_or_default()
        );
    }
}

/// Prints help text.
pub fn help(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

#[cfg(feature = "ssh")]
/// Prints one line as soon as it is known (a node's result in a multi-node
/// command); nothing in JSON mode, where the final document has it all.
pub fn progress(line: &str, json: bool) {
    if !json {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}
