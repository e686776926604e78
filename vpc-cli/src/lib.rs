//! The argument parser, as a library for the fuzzer (`fuzz/`); the `vpc`
//! binary uses it from here too.

pub mod args;
