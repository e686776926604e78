//! The command line: `vpc`'s `key=value` parser, then every value parser
//! the commands feed its words to (spec options, `node_member=`, names,
//! addresses, sizes, flags).
//!
//! Input: the words after the program name, one per line (a trailing
//! newline ends the last word). Words are UTF-8, as `main` requires.

#![no_main]

use libfuzzer_sys::fuzz_target;
use vpc_cli::args::{self, Parsed};
use vpc_cli::modes;
use vpc_core::model::addr::{IfAddr, Network};
use vpc_core::model::name::{NodeName, VpcName};
use vpc_core::model::quota::parse_size;
use vpc_core::model::spec::{OPTION_KEYS, Options, parse_flag, parse_number};
use vpc_core::model::members::MemberSelection;
use vpc_core::model::platform::Platform;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let words: Vec<String> = text.split_terminator('\n').map(str::to_owned).collect();

    let (json, parsed) = args::parse(&words);
    assert_eq!(json, words.iter().any(|w| w == "--json"));
    match parsed {
        Ok(Parsed::Help(help)) => assert!(!help.is_empty()),
        Ok(Parsed::Run(a)) => {
            for key in a.mode.keys.iter().filter(|k| k.required) {
                assert!(
                    a.pairs().any(|(k, _)| k == key.name),
                    "required {}= missing",
                    key.name
                );
            }
            for (key, _) in a.pairs() {
                assert_ne!(key, "mode");
            }
            // The mode's core request reads the pairs: a value it refuses
            // is a usage error with a message, never a panic.
            if let Err(usage) = modes::read(&a) {
                assert!(!usage.0.is_empty());
            }
        }
        Err(usage) => assert!(!usage.0.is_empty()),
    }

    // Every value against every parser, whatever its key: the parsers see
    // arbitrary text in the field.
    for word in &words {
        let value = word.split_once('=').map_or(word.as_str(), |(_, v)| v);
        for (key, _) in OPTION_KEYS {
            // A listed key is understood: set or refused, never "unknown".
            assert_ne!(Options::default().set(key, value).ok(), Some(false));
        }
        assert_eq!(
            Options::default().set("no_such_key", value).ok(),
            Some(false)
        );
        let _ = MemberSelection::parse(value);
        let _ = VpcName::new(value);
        let _ = NodeName::new(value);
        if let Ok(a) = IfAddr::parse(value, "bridge_ips") {
            assert_eq!(IfAddr::parse(&a.to_string(), "bridge_ips").ok(), Some(a));
        }
        if let Ok(n) = Network::parse(value) {
            assert_eq!(Network::parse(&n.to_string()).ok(), Some(n));
        }
        let _ = parse_size("max_mem", value);
        let _ = parse_flag("dryrun", value);
        let _ = parse_number("timeout", value, 1..=60_000u64);
        let _ = value.parse::<Platform>();
    }
});
