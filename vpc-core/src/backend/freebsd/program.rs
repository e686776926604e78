//! The programs the FreeBSD executor runs beside its ioctls, described
//! without running them: pf(4) has no ioctl vpc speaks (its rules travel
//! as version-dependent nvlists), wg(4) takes its configuration as a packed
//! nvlist that wg(8) builds, and a kernel module is loaded by kldload(8).
//! Pure, so that the dry run prints exactly what the executor runs and
//! tests read every argument.

use std::fmt;

/// Where each program may be: the first that exists is run. Absolute
/// paths, so that `PATH` (an rc.d script's lacks `/usr/local`) decides
/// nothing; the bare name last, for a system that keeps it elsewhere.
pub fn candidates(program: &str) -> Vec<String> {
    let dirs: &[&str] = match program {
        "pfctl" | "kldload" => &["/sbin"],
        // wireguard-tools from packages or ports; some systems ship it in
        // the base system.
        "wg" => &["/usr/local/bin", "/usr/bin", "/usr/sbin"],
        _ => &[],
    };
    dirs.iter()
        .map(|d| format!("{d}/{program}"))
        .chain(std::iter::once(program.to_owned()))
        .collect()
}

/// What a program reads on its standard input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Nothing (`/dev/null`).
    Nothing,
    /// These lines: a pf rule set, shown whole by the dry run.
    Lines(Vec<String>),
    /// These lines, which hold a secret (a WireGuard private key): never
    /// shown, never put in an error.
    Secret(Secret),
}

/// Lines holding a secret, and the secret itself (to scrub it from what
/// the program says back). Its `Debug` shows neither; both are wiped when
/// it is dropped (best effort: copies the allocator made are beyond
/// reach).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    lines: Vec<String>,
    secret: String,
}

impl Secret {
    /// `lines`, which hold `secret`.
    pub fn new(lines: Vec<String>, secret: String) -> Secret {
        Secret { lines, secret }
    }

    /// The text to write to the program, a newline after every line.
    pub fn text(&self) -> String {
        lines_text(&self.lines)
    }

    /// `said` (a program's error output) with every line that holds the
    /// secret replaced: wg(8) quotes a line it cannot parse.
    pub fn scrub(&self, said: &str) -> String {
        said.lines()
            .map(|l| {
                if !self.secret.is_empty() && l.contains(&self.secret) {
                    "(a line holding the private key, left out)"
                } else {
                    l
                }
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The lines, for tests of what is written.
    #[cfg(test)]
    pub(crate) fn lines(&self) -> &[String] {
        &self.lines
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({} lines)", self.lines.len())
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        for s in self
            .lines
            .iter_mut()
            .chain(std::iter::once(&mut self.secret))
        {
            wipe(s);
        }
    }
}

/// Overwrites `s`'s bytes with zeros, then empties it.
pub(crate) fn wipe(s: &mut String) {
    let mut bytes = std::mem::take(s).into_bytes();
    bytes.fill(0);
    std::hint::black_box(&bytes);
}

/// `lines` as one text, a newline after each.
pub fn lines_text(lines: &[String]) -> String {
    lines.iter().fold(String::new(), |mut s, l| {
        s.push_str(l);
        s.push('\n');
        s
    })
}

/// One run of a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// What it does, for messages ("load VPC vpc1's rule set into pf
    /// anchor vpc/vpc1").
    pub what: String,
    /// The program's name (`pfctl`, `wg`, `kldload`); see [`candidates`].
    pub name: &'static str,
    /// Its arguments: never a secret.
    pub args: Vec<String>,
    /// Its standard input.
    pub input: Input,
    /// Whether a failure fails the change. `kldload -n if_wg` may fail on
    /// a kernel with wg(4) built in; the create that follows tells.
    pub required: bool,
}

impl Program {
    /// A required run of `name` with `args` and no input.
    pub fn new(what: String, name: &'static str, args: &[&str]) -> Program {
        Program {
            what,
            name,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            input: Input::Nothing,
            required: true,
        }
    }

    /// The command line, as the dry run shows it (arguments are vpc's
    /// names and fixed words: nothing to quote).
    pub fn command_line(&self) -> String {
        std::iter::once(self.name)
            .chain(self.args.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_are_found_by_absolute_path_first() {
        assert_eq!(candidates("pfctl"), ["/sbin/pfctl", "pfctl"]);
        assert_eq!(
            candidates("wg"),
            ["/usr/local/bin/wg", "/usr/bin/wg", "/usr/sbin/wg", "wg"]
        );
    }

    #[test]
    fn a_secret_never_shows() {
        let key = "yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=";
        let s = Secret::new(
            vec!["[Interface]".into(), format!("PrivateKey = {key}")],
            key.into(),
        );
        let shown = format!("{:?}", Input::Secret(s.clone()));
        assert!(!shown.contains(key), "{shown}");
        assert_eq!(s.text(), format!("[Interface]\nPrivateKey = {key}\n"));
        let said = format!("Line unrecognized: `PrivateKey={key}'\nConfiguration parsing error");
        let scrubbed = s.scrub(&said);
        assert!(!scrubbed.contains(key), "{scrubbed}");
        assert!(
            scrubbed.ends_with("Configuration parsing error"),
            "{scrubbed}"
        );
        let mut t = key.to_owned();
        wipe(&mut t);
        assert!(t.is_empty());
    }
}
