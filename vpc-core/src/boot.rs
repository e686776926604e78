//! Boot persistence: the FreeBSD rc.d script and the Linux systemd unit
//! that bring a VPC back at boot. Both call `vpc mode=apply` to start and
//! `vpc mode=teardown` to stop, so no interface name is frozen into them.
//! The text is pure; [`crate::ops::init_rc`] writes the files, into
//! [`dir`].

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::model::name::VpcName;
use crate::model::platform::Platform;

/// Where boot files go unless told otherwise.
pub fn default_dir(platform: Platform) -> PathBuf {
    match platform {
        Platform::FreeBsd => PathBuf::from("/usr/local/etc/rc.d"),
        Platform::Linux => PathBuf::from("/etc/systemd/system"),
    }
}

/// Where boot files go: `explicit` (`rc_dir=`), else `$VPC_RC_DIR`, else
/// the system's directory for `platform`.
pub fn dir(explicit: Option<&Path>, platform: Platform) -> PathBuf {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| {
            std::env::var_os("VPC_RC_DIR")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| default_dir(platform))
}

/// This host's boot directory under each system's file names, as
/// (platform, directory) pairs: removal looks for both names there, so a
/// file made with `os=` for the other system is found too.
pub fn dirs() -> Vec<(Platform, PathBuf)> {
    let dir = dir(None, Platform::host());
    vec![(Platform::FreeBsd, dir.clone()), (Platform::Linux, dir)]
}

/// The boot file's name for `vpc` on `platform`.
pub fn file_name(platform: Platform, vpc: &VpcName) -> String {
    match platform {
        // The rc.d name is also the rcorder PROVIDE and the rc.conf prefix.
        Platform::FreeBsd => format!("vpc_{vpc}"),
        Platform::Linux => format!("vpc-{vpc}.service"),
    }
}

/// A path that can stand unquoted in an rc script and a systemd unit:
/// absolute, and only characters neither shell nor systemd treat specially.
fn plain_path<'a>(key: &str, path: &'a Path) -> Result<&'a str> {
    let text = path.to_str().unwrap_or("");
    let ok = text.starts_with('/')
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+@:,".contains(&b));
    if ok {
        Ok(text)
    } else {
        Err(Error::invalid(format!(
            "{key} {:?} cannot go into a boot file: expected an absolute path of letters, \
             digits and / . _ - + @ : , only",
            path.display()
        )))
    }
}

/// The FreeBSD rc.d script: rc.subr conventions, `PROVIDE: vpc_<name>`,
/// `REQUIRE: NETWORKING`, `BEFORE: cbsdd` (so CBSD starts guests after the
/// VPC is up), an `_enable` knob defaulting to NO.
pub fn rc_script(vpc: &VpcName, program: &Path, state_dir: &Path) -> Result<String> {
    let program = plain_path("program", program)?;
    let state_dir = plain_path("state directory", state_dir)?;
    let name = file_name(Platform::FreeBsd, vpc);
    Ok(format!(
        "#!/bin/sh
#
# PROVIDE: {name}
# REQUIRE: NETWORKING
# BEFORE: cbsdd
# KEYWORD: shutdown
#
# VPC {vpc}: its VXLAN tunnels and bridge, brought up at boot.
# Written by `vpc mode=init_rc vpc_name={vpc}`; removed by `vpc mode=remove`.
# Enable with: sysrc {name}_enable=YES

. /etc/rc.subr

name=\"{name}\"
rcvar=\"{name}_enable\"
desc=\"VPC {vpc}: VXLAN tunnels and bridge\"

load_rc_config \"$name\"

: \"${{{name}_enable:=NO}}\"
: \"${{{name}_program:={program}}}\"
: \"${{{name}_state_dir:={state_dir}}}\"

start_cmd=\"{name}_start\"
stop_cmd=\"{name}_stop\"

{name}_start()
{{
\tVPC_STATE_DIR=\"${{{name}_state_dir}}\" \"${{{name}_program}}\" mode=apply vpc_name={vpc}
}}

{name}_stop()
{{
\tVPC_STATE_DIR=\"${{{name}_state_dir}}\" \"${{{name}_program}}\" mode=teardown vpc_name={vpc}
}}

run_rc_command \"$1\"
"
    ))
}

/// The Linux systemd unit: a oneshot that stays active, started after the
/// network is online.
pub fn systemd_unit(vpc: &VpcName, program: &Path, state_dir: &Path) -> Result<String> {
    let program = plain_path("program", program)?;
    let state_dir = plain_path("state directory", state_dir)?;
    Ok(format!(
        "# VPC {vpc}: its VXLAN tunnels and bridge, brought up at boot.
# Written by `vpc mode=init_rc vpc_name={vpc}`; removed by `vpc mode=remove`.
# Enable with: systemctl enable vpc-{vpc}.service

[Unit]
Description=VPC {vpc}: VXLAN tunnels and bridge
Wants=network-online.target
After=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
Environment=VPC_STATE_DIR={state_dir}
ExecStart={program} mode=apply vpc_name={vpc}
ExecStop={program} mode=teardown vpc_name={vpc}

[Install]
WantedBy=multi-user.target
"
    ))
}

/// The boot file for `platform`.
pub fn render(
    platform: Platform,
    vpc: &VpcName,
    program: &Path,
    state_dir: &Path,
) -> Result<String> {
    match platform {
        Platform::FreeBsd => rc_script(vpc, program, state_dir),
        Platform::Linux => systemd_unit(vpc, program, state_dir),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_would_need_quoting_are_refused() {
        let vpc = VpcName::new("vpc1").unwrap_or_else(|e| unreachable!("{e}"));
        let ok = rc_script(
            &vpc,
            Path::new("/usr/local/bin/vpc"),
            Path::new("/var/db/vpc"),
        );
        assert!(ok.is_ok());
        for bad in [
            "relative/vpc",
            "/a b/vpc",
            "/a$HOME",
            "/a%i",
            "/a\"b",
            "/a\nb",
        ] {
            let e = systemd_unit(&vpc, Path::new(bad), Path::new("/var/lib/vpc")).unwrap_err();
            assert!(e.message().starts_with("program "), "{e}");
        }
    }
}
