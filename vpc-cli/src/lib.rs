//! The argument parser and the table of modes, as a library for the
//! fuzzer (`fuzz/`); the `vpc` binary uses them from here too.

pub mod args;
pub mod modes;
