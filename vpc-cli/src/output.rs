//! The only module that writes to stdout and stderr. A command produces a
//! [`Reply`]: its report and how to write it as text; this module writes
//! the one form asked for (text, or with `--json` the report's JSON
//! document), as it is made, through one buffer in front of stdout. A
//! peer map of 1000 members is half a gigabyte of text and JSON together:
//! neither form is made unless asked for, and the one asked for is never
//! held whole.

#![allow(
    clippy::disallowed_macros,
    reason = "the one module that prints; the lint keeps print macros out of the others"
)]

use std::cell::Cell;
use std::io::{self, BufWriter, Write};

use serde::Serialize;

/// How much of a reply is gathered before it goes to stdout: large
/// enough that half a million links cost a few thousand writes.
pub const BUFFER: usize = 64 << 10;

/// Where a reply is written: a buffer in front of stdout (in tests, any
/// sink). A concrete type, so that the many small writes a document is
/// made of are copies into the buffer, not calls through a pointer.
pub type Out<'a> = BufWriter<Box<dyn Write + 'a>>;

/// Writes one form of a reply: text, or JSON when the flag is set.
type Render = Box<dyn FnOnce(&mut Out<'_>, bool) -> io::Result<()>>;

/// What a command has to say: written, in the form asked for, only when
/// it is printed.
pub struct Reply {
    render: Render,
    /// Notes for the user, on stderr in both modes.
    pub warnings: Vec<String>,
    /// Exit status: 0, or 1 for a report of trouble (such as `status`
    /// finding differences) that is still printed in full.
    pub exit: u8,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply")
            .field("warnings", &self.warnings)
            .field("exit", &self.exit)
            .finish_non_exhaustive()
    }
}

impl Reply {
    /// `report`, as `text` writes it (human text, ending with a newline
    /// when not empty), or as its JSON document (`report::to_json`'s
    /// bytes) and a newline. No warnings.
    pub fn new<R: Serialize + 'static>(
        report: R,
        text: impl FnOnce(&R, &mut Out<'_>) -> io::Result<()> + 'static,
    ) -> Reply {
        Reply::writing(move |out, json| {
            if json {
                document(out, &report)
            } else {
                text(&report, out)
            }
        })
    }

    /// A reply that writes either form itself: `render(out, json)`.
    pub fn writing(render: impl FnOnce(&mut Out<'_>, bool) -> io::Result<()> + 'static) -> Reply {
        Reply {
            render: Box::new(render),
            warnings: Vec::new(),
            exit: 0,
        }
    }

    /// The same reply, with `warnings`.
    pub fn warn(mut self, warnings: Vec<String>) -> Reply {
        self.warnings = warnings;
        self
    }

    /// Writes the form asked for to `out` (not flushed).
    pub fn write(self, out: &mut Out<'_>, json: bool) -> io::Result<()> {
        (self.render)(out, json)
    }
}

/// `report`'s JSON document, as `report::to_json` makes it, and a newline.
pub fn document(out: &mut Out<'_>, report: &impl Serialize) -> io::Result<()> {
    vpc_core::report::write_json(&mut *out, report)?;
    out.write_all(b"\n")
}

/// Stdout, noting whether it refused a write: a closed stdout (`| head`)
/// ends the reply quietly, a reply that could not be made is an error.
struct Stdout<'a> {
    lock: io::StdoutLock<'static>,
    refused: &'a Cell<bool>,
}

impl Write for Stdout<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let r = self.lock.write(buf);
        self.refused.set(self.refused.get() || r.is_err());
        r
    }

    fn flush(&mut self) -> io::Result<()> {
        let r = self.lock.flush();
        self.refused.set(self.refused.get() || r.is_err());
        r
    }
}

/// Prints `reply`: its JSON when `json`, else its text. Returns the exit
/// status: the reply's, or 1 when it could not be made.
pub fn print(reply: Reply, json: bool) -> u8 {
    let mut err = io::stderr().lock();
    for w in &reply.warnings {
        let _ = writeln!(err, "vpc: warning: {w}");
    }
    drop(err);
    let exit = reply.exit;
    let refused = Cell::new(false);
    let stdout = Stdout {
        lock: io::stdout().lock(),
        refused: &refused,
    };
    let mut out: Out<'_> = BufWriter::with_capacity(BUFFER, Box::new(stdout));
    let made = reply.write(&mut out, json).and_then(|()| out.flush());
    match made {
        Ok(()) => exit,
        // A closed stdout (e.g. `| head`) is not worth a second error.
        Err(_) if refused.get() => exit,
        Err(e) => {
            // Part of the document may be out already: no JSON error
            // after it, the message on stderr alone.
            drop(out);
            let _ = writeln!(io::stderr().lock(), "vpc: cannot write the report: {e}");
            1
        }
    }
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
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "vpc: {message}");
    if let Some(hint) = hint {
        let _ = writeln!(err, "{hint}");
    }
    if json {
        let doc = ErrorDoc {
            error: ErrorBody { kind, message },
        };
        let _ = writeln!(
            io::stdout().lock(),
            "{}",
            vpc_core::report::to_json(&doc).unwrap_or_default()
        );
    }
}

/// Prints a notice on stderr as soon as it is known (such as waiting for
/// the store's lock), in both modes: stdout stays the report's.
pub fn notice(line: &str) {
    let _ = writeln!(io::stderr().lock(), "vpc: {line}");
}

/// Help as JSON: `{"version": 1, "help": TEXT}`.
#[derive(Serialize)]
struct HelpDoc<'a> {
    version: u32,
    help: &'a str,
}

/// Prints help text, or with `json` the same text in a JSON document.
pub fn help(text: &str, json: bool) {
    let mut out = io::stdout().lock();
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
        let mut out = io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufWriter, Write};

    use serde::Serialize;

    use super::{Out, Reply};

    /// A report whose JSON must not be made.
    struct TextOnly;

    impl Serialize for TextOnly {
        fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
            panic!("the JSON was made for a text reply");
        }
    }

    fn sink() -> Out<'static> {
        BufWriter::new(Box::new(std::io::sink()))
    }

    #[test]
    fn a_reply_makes_only_the_form_asked_for() {
        let text = Reply::new(TextOnly, |_, out| out.write_all(b"text\n"));
        text.write(&mut sink(), false).unwrap();
        let json = Reply::new(1u32, |_, _| panic!("the text was made for a JSON reply"));
        json.write(&mut sink(), true).unwrap();
    }
}
