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
    /// The operation is not available on this platform or build.
    Unsupported,
    /// The file system failed (permissions, disk full…).
    Io,
}

impl ErrorKind {
    /// Every kind, for exhaustive tables in the front ends' tests.
    pub const ALL: [ErrorKind; 10] = [
        ErrorKind::Invalid,
        ErrorKind::Capacity,
        ErrorKind::Conflict,
        ErrorKind::NotFound,
        ErrorKind::Stale,
        ErrorKind::Corrupt,
        ErrorKind::Quota,
        ErrorKind::Backend,
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

impl Error {
    /// An error of `kind` with a complete, human-readable message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
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
        Error {
            kind: self.kind,
            message: format!("{context}: {}", self.message),
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Reads JSON text as a `T`; a failure's message names the JSON path of the
/// offending value where there is one (`members[1].node.name: …`).
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        // Segments the tracker could not name print as '?': drop them.
        let path = e.path().to_string().replace(".?", "");
        let inner = e.into_inner();
        match path.as_str() {
            "." | "?" | "" => inner.to_string(),
            _ => format!("at {path}: {inner}"),
        }
    })
}
