//! The one error type of the library. Front ends map [`ErrorKind`] to exit
//! codes, C status codes and Python exception classes with exhaustive matches.

use std::fmt;

/// What went wrong, coarsely: the part a program branches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
// Not `non_exhaustive` on purpose: the C status map and the Python
// exception map match every kind without a wildcard, so a new kind fails
// to compile until both say what it becomes.
pub enum ErrorKind {
    /// A value breaks a rule: a malformed name, address, number or key.
    Invalid,
    /// The peer network or the VNI space cannot hold what is asked.
    Capacity,
    /// The request clashes with something that exists: a VNI range, a
    /// duplicate member, an interface this VPC does not own.
    Conflict,
    /// A VPC, node or member that is not there.
    NotFound,
    /// A received spec is not newer than the one held.
    Stale,
    /// A state file that cannot be read as what it should be.
    Corrupt,
    /// A quota limit would be exceeded.
    Quota,
    /// A kernel operation failed.
    Backend,
    /// Another node failed over SSH: connection, handshake, a host key
    /// other than the pinned one, login, a channel or SFTP step, a
    /// timeout, or the remote `vpc` exiting non-zero or answering nonsense.
    Remote,
    /// The operation is not available on this platform or build.
    Unsupported,
    /// The file system failed (permissions, disk full…).
    Io,
}

impl ErrorKind {
    /// Every kind, for exhaustive tables in the front ends' tests.
    pub const ALL: [ErrorKind; 11] = [
        ErrorKind::Invalid,
        ErrorKind::Capacity,
        ErrorKind::Conflict,
        ErrorKind::NotFound,
        ErrorKind::Stale,
        ErrorKind::Corrupt,
        ErrorKind::Quota,
        ErrorKind::Backend,
        ErrorKind::Remote,
        ErrorKind::Unsupported,
        ErrorKind::Io,
    ];

    /// A short stable name, used in JSON output.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Invalid => "invalid",
            ErrorKind::Capacity => "capacity",
            ErrorKind::Conflict => "conflict",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Stale => "stale",
            ErrorKind::Corrupt => "corrupt",
            ErrorKind::Quota => "quota",
            ErrorKind::Backend => "backend",
            ErrorKind::Remote => "remote",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Io => "io",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An error with its kind and a message that names the offending value and
/// what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

/// The longest message kept whole; a longer one (a huge value quoted in
/// it) keeps its start and its end, which says what was expected.
pub const MESSAGE_MAX: usize = 1024;

/// `message` cut to about [`MESSAGE_MAX`] bytes, on character boundaries.
fn cut(mut message: String) -> String {
    if message.len() <= MESSAGE_MAX {
        return message;
    }
    let floor = |i: usize| {
        (0..=i)
            .rev()
            .find(|&i| message.is_char_boundary(i))
            .unwrap_or(0)
    };
    let head = floor(MESSAGE_MAX * 5 / 8);
    let tail = floor(message.len() - MESSAGE_MAX / 4);
    let gone = tail - head;
    let end = message.split_off(tail);
    message.truncate(head);
    format!("{message} …[{gone} bytes cut]… {end}")
}

impl Error {
    /// An error of `kind` with a complete, human-readable message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: cut(message.into()),
        }
    }

    /// Shorthand for [`ErrorKind::Invalid`].
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Invalid, message)
    }

    /// The kind, for programs.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, for people.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The same error with `context: ` put before the message.
    #[must_use]
    pub fn context(self, context: impl fmt::Display) -> Self {
        Error::new(self.kind, format!("{context}: {}", self.message))
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Reads JSON text as a `T`; a failure's message names the JSON path of the
/// offending value where there is one (`members[1].node.name: …`).
/// Anything after the document but whitespace is refused, as
/// `serde_json::from_str` does: a document followed by a second one (or by
/// a torn write's leftovers) is not read as the first alone.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    let de = &mut serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(located)?;
    de.end().map_err(|e| e.to_string())?;
    Ok(value)
}

/// A deserialization error's message, after the JSON path where there is one.
fn located(e: serde_path_to_error::Error<serde_json::Error>) -> String {
    // Segments the tracker could not name print as '?': drop them.
    let path = e.path().to_string().replace(".?", "");
    let inner = e.into_inner();
    match path.as_str() {
        "." | "?" | "" => inner.to_string(),
        _ => format!("at {path}: {inner}"),
    }
}

/// The `schema_version`s one kind of file may have for this build: it
/// writes `newest` and reads `newest` and the one before, so that two
/// releases side by side in a cluster still sync (see [`oldest_read`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Schema {
    /// The version written, and the newest read.
    pub newest: u32,
    /// The oldest version read, upgraded by the migration on read.
    pub oldest: u32,
}

/// The oldest version a build writing `newest` reads: `newest − 1`, or
/// `newest` itself while it is 1 (there is no version 0).
pub const fn oldest_read(newest: u32) -> u32 {
    if newest > 1 { newest - 1 } else { newest }
}

impl Schema {
    /// Why `found` is refused, when it is: the message names the version
    /// found, those expected, and who should be upgraded. `of` names the
    /// document (" of node a"), or is empty.
    pub(crate) fn refusal(self, found: u32, of: &str) -> Option<String> {
        let expected = if self.oldest == self.newest {
            self.newest.to_string()
        } else {
            format!("{} or {}", self.oldest, self.newest)
        };
        let head = format!("schema_version {found}{of} is not supported: expected {expected}");
        if found > self.newest {
            Some(format!(
                "{head}; it was written by a newer vpc: upgrade vpc on this host"
            ))
        } else if found < self.oldest {
            Some(format!(
                "{head}; it was written by a vpc older than the one before this, \
                 which this vpc does not read: upgrade vpc where it was written"
            ))
        } else {
            None
        }
    }
}

/// Why a versioned document was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Unread {
    /// Its `schema_version` is outside what this build reads.
    Version(String),
    /// It is not the JSON of a `T` (of its version).
    Json(String),
}

impl fmt::Display for Unread {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unread::Version(why) | Unread::Json(why) => f.write_str(why),
        }
    }
}

/// Reads JSON text of a versioned document as a `T`: its `schema_version`
/// is looked at first (so that a newer document's new fields are reported
/// as a newer version, not as unknown fields), refused outside
/// [`Schema::oldest`, `Schema::newest`], and a document older than
/// `newest` is passed through `upgrade` (from its version, with
/// `schema_version` then set to `newest`) before it is read.
pub(crate) fn from_versioned_json<T: serde::de::DeserializeOwned>(
    text: &str,
    schema: Schema,
    upgrade: fn(u32, serde_json::Value) -> serde_json::Value,
) -> Result<T, Unread> {
    #[derive(serde::Deserialize)]
    struct Version {
        schema_version: u32,
    }
    // Without a readable version, the full read says what is wrong. The
    // version is read from the document's start alone, so that bytes after
    // it are refused by the read of its version, which names them.
    let peek = serde::Deserialize::deserialize(&mut serde_json::Deserializer::from_str(text));
    let Ok(Version { schema_version }) = peek else {
        return from_json(text).map_err(Unread::Json);
    };
    if let Some(why) = schema.refusal(schema_version, "") {
        return Err(Unread::Version(why));
    }
    if schema_version == schema.newest {
        return from_json(text).map_err(Unread::Json);
    }
    let upgraded = |why: String| {
        Unread::Json(format!(
            "upgraded from schema_version {schema_version}: {why}"
        ))
    };
    let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| upgraded(e.to_string()))?;
    let mut doc = upgrade(schema_version, doc);
    if let Some(map) = doc.as_object_mut() {
        map.insert("schema_version".to_owned(), schema.newest.into());
    }
    serde_path_to_error::deserialize(doc).map_err(|e| upgraded(located(e)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_huge_value_is_cut_in_messages() {
        let value = "é".repeat(100_000);
        let e = Error::invalid(format!(
            "vpc_name {value:?} is not valid: expected a short name"
        ));
        assert!(
            e.message().len() <= MESSAGE_MAX + 40,
            "{}",
            e.message().len()
        );
        assert!(e.message().starts_with("vpc_name \"éé"));
        assert!(e.message().ends_with("is not valid: expected a short name"));
        assert!(e.message().contains("bytes cut]"));
        let short = Error::invalid("short");
        assert_eq!(short.message(), "short");
    }

    use super::*;

    /// A document kind at version 2 that renamed `colour` (version 1) to
    /// `color`: what a real migration will look like.
    #[derive(Debug, PartialEq, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Paint {
        schema_version: u32,
        color: String,
    }

    const PAINT: Schema = Schema {
        newest: 2,
        oldest: oldest_read(2),
    };

    fn upgrade_paint(from: u32, mut doc: serde_json::Value) -> serde_json::Value {
        if from == 1
            && let Some(map) = doc.as_object_mut()
            && let Some(c) = map.remove("colour")
        {
            map.insert("color".to_owned(), c);
        }
        doc
    }

    fn paint(text: &str) -> Result<Paint, String> {
        from_versioned_json(text, PAINT, upgrade_paint).map_err(|e| match e {
            Unread::Version(why) => format!("version: {why}"),
            Unread::Json(why) => why,
        })
    }

    /// `serde_path_to_error` over a `Deserializer` stops at the document's
    /// end: a second document after it was silently ignored.
    #[test]
    fn bytes_after_the_document_are_refused() {
        let current = r#"{"schema_version": 2, "color": "red"}"#;
        let old = r#"{"schema_version": 1, "colour": "red"}"#;
        assert!(paint(&format!("{current} \n")).is_ok());
        for text in [
            format!("{current} {{}}"),
            format!("{current}x"),
            format!("{old} {{}}"),
            format!("{current}{current}"),
        ] {
            let e = paint(&text).unwrap_err();
            assert!(e.contains("trailing characters"), "{text}: {e}");
        }
    }

    #[test]
    fn the_oldest_read_is_one_back_and_never_zero() {
        assert_eq!(oldest_read(1), 1);
        assert_eq!(oldest_read(2), 1);
        assert_eq!(oldest_read(7), 6);
    }

    #[test]
    fn the_current_and_the_previous_version_are_read_as_the_current() {
        let want = Paint {
            schema_version: 2,
            color: "red".to_owned(),
        };
        assert_eq!(paint(r#"{"schema_version": 2, "color": "red"}"#), Ok(want));
        let want = Paint {
            schema_version: 2,
            color: "red".to_owned(),
        };
        assert_eq!(paint(r#"{"schema_version": 1, "colour": "red"}"#), Ok(want));
        // The previous version is read as it was written, not as the
        // current one: a current field in it is unknown there.
        let e = paint(r#"{"schema_version": 1, "colour": "red", "size": 1}"#).unwrap_err();
        assert!(e.starts_with("upgraded from schema_version 1: "), "{e}");
        assert!(e.contains("unknown field `size`"), "{e}");
    }

    #[test]
    fn versions_outside_the_two_read_are_refused_naming_found_and_expected() {
        // A newer document may have fields this build does not know: the
        // version is what is reported, with who to upgrade.
        let e = paint(r#"{"schema_version": 3, "color": "red", "gloss": true}"#).unwrap_err();
        assert_eq!(
            e,
            "version: schema_version 3 is not supported: expected 1 or 2; \
             it was written by a newer vpc: upgrade vpc on this host"
        );
        let e = paint(r#"{"schema_version": 0, "tint": "red"}"#).unwrap_err();
        assert!(
            e.starts_with("version: schema_version 0 is not supported: expected 1 or 2; "),
            "{e}"
        );
        let only = Schema {
            newest: 1,
            oldest: oldest_read(1),
        };
        let e = only.refusal(7, " of node a").unwrap_or_default();
        assert!(
            e.starts_with("schema_version 7 of node a is not supported: expected 1; "),
            "{e}"
        );
        assert_eq!(only.refusal(1, ""), None);
        assert!(only.refusal(0, "").is_some());
    }

    #[test]
    fn without_a_readable_version_the_full_read_says_what_is_wrong() {
        assert_eq!(paint("{"), from_json::<Paint>("{"));
        let e = paint(r#"{"color": "red"}"#).unwrap_err();
        assert!(e.contains("missing field `schema_version`"), "{e}");
        let e = paint(r#"{"schema_version": "2", "color": "red"}"#).unwrap_err();
        assert!(e.contains("schema_version"), "{e}");
    }

    /// The place of `kind` in [`ErrorKind::ALL`]. No wildcard: a new kind
    /// does not compile until it is given the next place (and so an entry).
    fn place(kind: ErrorKind) -> usize {
        match kind {
            ErrorKind::Invalid => 0,
            ErrorKind::Capacity => 1,
            ErrorKind::Conflict => 2,
            ErrorKind::NotFound => 3,
            ErrorKind::Stale => 4,
            ErrorKind::Corrupt => 5,
            ErrorKind::Quota => 6,
            ErrorKind::Backend => 7,
            ErrorKind::Remote => 8,
            ErrorKind::Unsupported => 9,
            ErrorKind::Io => 10,
        }
    }

    #[test]
    fn all_lists_every_kind_once_with_its_own_name() {
        for (i, kind) in ErrorKind::ALL.into_iter().enumerate() {
            assert_eq!(place(kind), i, "{kind} is out of place in ALL");
        }
        assert_eq!(place(ErrorKind::Io) + 1, ErrorKind::ALL.len());
        let names: std::collections::HashSet<_> =
            ErrorKind::ALL.into_iter().map(ErrorKind::name).collect();
        assert_eq!(names.len(), ErrorKind::ALL.len(), "two kinds share a name");
        assert_eq!(ErrorKind::Remote.name(), "remote");
        let json = serde_json::to_string(&ErrorKind::Remote).ok();
        assert_eq!(json.as_deref(), Some("\"remote\""));
    }
}
