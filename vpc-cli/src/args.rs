//! The `key=value` argument parser (CBSD's style): words in, the mode
//! and its pairs out, checked against the mode's keys in [`crate::modes`].
//! Values are read by the core's requests ([`Args::request`]).

use std::fmt;
use std::time::Duration;

use vpc_core::model::spec::OPTION_KEYS;
use vpc_core::request::{self, FromPairs, key_list};

use crate::modes::{self, Group, Mode};

/// A usage error: exit code 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage(pub String);

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parsed arguments of one invocation.
#[derive(Debug, Clone)]
pub struct Args {
    /// The mode's table entry.
    pub mode: &'static Mode,
    /// The `key=value` words, `mode` and `lock_timeout` excluded, in the
    /// order given.
    pairs: Vec<(String, String)>,
    /// `lock_timeout=`, which every mode takes: how long a change waits
    /// for the store's lock (a setting of the store, not of the request).
    pub lock_timeout: Option<Duration>,
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Parsed {
    /// Print this help text.
    Help(String),
    /// Run a mode.
    Run(Args),
}

/// Parses the words after the program name. Whether `--json` was asked
/// for is known even when parsing fails, so errors can be JSON too.
pub fn parse(words: &[String]) -> (bool, Result<Parsed, Usage>) {
    let json = words.iter().any(|w| w == "--json");
    (json, parse_words(words))
}

fn parse_words(words: &[String]) -> Result<Parsed, Usage> {
    let mut group = Group::Vpc;
    let mut help = false;
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut mode_name = None;
    // `node` is the first word that is not a flag: `vpc --json node …` too.
    let first = words
        .iter()
        .position(|w| !matches!(w.as_str(), "--json" | "--help" | "-h"));
    let mut lock_timeout = None;
    for (i, word) in words.iter().enumerate() {
        match word.as_str() {
            "--json" => {}
            "--help" | "-h" | "help" => help = true,
            "node" if Some(i) == first => group = Group::Node,
            w => {
                let Some((key, value)) = w.split_once('=') else {
                    return Err(Usage(format!(
                        "{w:?} is not a key=value word: expected e.g. mode=init (see vpc --help)"
                    )));
                };
                if key.is_empty() {
                    return Err(Usage(format!(
                        "{w:?} has no key before '=': expected key=value"
                    )));
                }
                if key == "mode" && mode_name.is_none() {
                    mode_name = Some(value.to_owned());
                    continue;
                }
                if key == request::LOCK_TIMEOUT_KEY && lock_timeout.is_none() {
                    lock_timeout = Some(
                        request::lock_timeout(value).map_err(|e| Usage(e.message().to_owned()))?,
                    );
                    continue;
                }
                if key == "mode"
                    || key == request::LOCK_TIMEOUT_KEY
                    || pairs.iter().any(|(k, _)| k == key)
                {
                    return Err(Usage(format!(
                        "key {key}= is given twice: expected it once"
                    )));
                }
                pairs.push((key.to_owned(), value.to_owned()));
            }
        }
    }
    let mode = match mode_name.as_deref() {
        None if help => return Ok(Parsed::Help(modes::general_help(group))),
        None => {
            return Err(Usage(format!(
                "missing key mode=: expected one of {} (see {} --help)",
                modes::names(group),
                group.prefix()
            )));
        }
        Some(name) => modes::find(group, name).ok_or_else(|| {
            Usage(format!(
                "mode {name:?} is not known to {}: expected one of {}",
                group.prefix(),
                modes::names(group)
            ))
        })?,
    };
    if help {
        return Ok(Parsed::Help(modes::mode_help(mode)));
    }
    for (key, _) in &pairs {
        let known = mode.keys.iter().any(|k| k.name == key)
            || (mode.spec_options && OPTION_KEYS.iter().any(|(k, _)| k == key));
        if !known {
            return Err(Usage(format!(
                "unknown key {key}= for {} mode={}: expected one of {}",
                mode.group.prefix(),
                mode.name,
                key_list(mode.keys, mode.spec_options)
            )));
        }
    }
    for key in mode.keys.iter().filter(|k| k.required) {
        if !pairs.iter().any(|(k, _)| k == key.name) {
            return Err(Usage(format!(
                "missing key {}= for {} mode={}: {}",
                key.name,
                mode.group.prefix(),
                mode.name,
                key.help
            )));
        }
    }
    Ok(Parsed::Run(Args {
        mode,
        pairs,
        lock_timeout,
    }))
}

impl Args {
    /// Every `key=value` pair, in the order given.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The core request these arguments make; a bad value is a usage
    /// error naming the key.
    pub fn request<R: FromPairs>(&self) -> Result<R, Usage> {
        R::from_pairs(self.pairs()).map_err(|e| Usage(e.message().to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modes::{Group, MODES, mode_help};

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    fn usage(s: &str) -> String {
        match parse(&words(s)).1 {
            Err(Usage(m)) => m,
            Ok(p) => panic!("{s}: expected a usage error, got {p:?}"),
        }
    }

    #[test]
    fn errors_name_the_key() {
        assert!(usage("vpc_name=a").contains("missing key mode="));
        assert!(usage("mode=frobnicate").contains("\"frobnicate\""));
        assert!(usage("mode=init_peers vpc_name=a colour=red").contains("unknown key colour="));
        assert!(usage("mode=init_peers").contains("missing key vpc_name="));
        assert!(usage("mode=list vpc_name=a vpc_name=b").contains("vpc_name= is given twice"));
        assert!(usage("mode=list stray").contains("\"stray\""));
        assert!(usage("mode=list =x").contains("no key"));
        assert!(usage("node mode=add name=x").contains("missing key node="));
        assert!(
            usage("mode=list lock_timeout=x").contains(
                "lock_timeout \"x\" is not valid: expected a whole number from 0 to 3600"
            )
        );
        assert!(usage("mode=list lock_timeout=3601").contains("from 0 to 3600"));
        assert!(
            usage("mode=list lock_timeout=1 lock_timeout=2")
                .contains("lock_timeout= is given twice")
        );
    }

    #[test]
    fn every_mode_takes_lock_timeout() {
        for m in MODES {
            let prefix = if m.group == Group::Node { "node " } else { "" };
            let required: Vec<String> = m
                .keys
                .iter()
                .filter(|k| k.required)
                .map(|k| format!("{}=x", k.name))
                .collect();
            let line = format!(
                "{prefix}mode={} {} lock_timeout=7",
                m.name,
                required.join(" ")
            );
            match parse(&words(&line)).1 {
                Ok(Parsed::Run(a)) => {
                    assert_eq!(a.lock_timeout, Some(Duration::from_secs(7)), "{line}");
                    assert!(a.pairs().all(|(k, _)| k != "lock_timeout"), "{line}");
                }
                other => panic!("{line}: {other:?}"),
            }
        }
        assert!(modes::general_help(Group::Vpc).contains("lock_timeout="));
        assert!(modes::general_help(Group::Node).contains("lock_timeout="));
    }

    #[test]
    fn spec_options_only_where_listed() {
        assert!(matches!(
            parse(&words(
                "mode=init vpc_name=a node_member=all peer_network=10.0.0.0/24 mtu=1400"
            ))
            .1,
            Ok(Parsed::Run(_))
        ));
        assert!(usage("mode=init_peers vpc_name=a mtu=1400").contains("unknown key mtu="));
    }

    #[test]
    fn every_mode_has_help_naming_its_keys() {
        for m in MODES {
            let h = mode_help(m);
            assert!(h.contains(m.summary), "{h}");
            for k in m.keys {
                assert!(h.contains(&format!("{}=", k.name)), "{h}");
            }
            assert!(h.contains(m.example));
            let prefix = if m.group == Group::Node { "node " } else { "" };
            let (_, p) = parse(&words(&format!("{prefix}mode={} --help", m.name)));
            assert!(matches!(p, Ok(Parsed::Help(t)) if t == h));
        }
    }
}
