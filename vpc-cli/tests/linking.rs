//! What the `vpc` binary loads when it starts: OpenSSL, libssh2 and zlib
//! are linked into it statically (`.cargo/config.toml`), so the dynamic
//! loader resolves none of their symbols for a command that never
//! connects anywhere — most of them.

#![cfg(all(
    target_os = "linux",
    target_arch = "x86_64",
    target_env = "gnu",
    feature = "ssh"
))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_macros,
    reason = "a test fails by panicking, and says why it skips"
)]

use std::process::Command;

/// The shared libraries `path` names as needed (its ELF `DT_NEEDED`
/// entries), as `readelf -d` lists them.
fn needed(path: &str) -> Vec<String> {
    let out = Command::new("readelf")
        .args(["-d", "-W", path])
        .output()
        .unwrap_or_else(|e| panic!("cannot run readelf (binutils): {e}"));
    assert!(out.status.success(), "readelf -d {path}: {out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("(NEEDED)"))
        .filter_map(|l| {
            let start = l.find('[')? + 1;
            let end = l.rfind(']')?;
            Some(l[start..end].to_owned())
        })
        .collect()
}

#[test]
fn vpc_does_not_load_openssl_libssh2_or_zlib_dynamically() {
    // Linking OpenSSL dynamically is what the environment chooses when it
    // overrides the setting (e.g. on a system without libssl.a): then
    // there is nothing to check.
    if option_env!("X86_64_UNKNOWN_LINUX_GNU_OPENSSL_STATIC") != Some("1") {
        eprintln!(
            "skipping: X86_64_UNKNOWN_LINUX_GNU_OPENSSL_STATIC is not 1 in this build \
             (overridden in the environment)"
        );
        return;
    }
    let bin = env!("CARGO_BIN_EXE_vpc");
    let libs = needed(bin);
    // The list was read at all: every binary here needs the C library.
    assert!(libs.iter().any(|l| l.starts_with("libc.so")), "{libs:?}");
    let unwanted: Vec<&String> = libs
        .iter()
        .filter(|l| {
            ["libssl", "libcrypto", "libssh2", "libz."]
                .iter()
                .any(|u| l.starts_with(u))
        })
        .collect();
    assert!(
        unwanted.is_empty(),
        "{bin} links {unwanted:?} dynamically (all it needs: {libs:?}); \
         see .cargo/config.toml"
    );
}
