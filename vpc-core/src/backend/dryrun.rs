//! The dry-run backend: renders changes as the `ifconfig`, `pfctl` and
//! `wg` (FreeBSD) or `ip` / `bridge`, `nft` and `wg` (Linux) command lines
//! that would make them, and changes nothing.

use std::net::IpAddr;
use std::time::Duration;

use crate::backend::{Backend, Probe};
use crate::error::Result;
use crate::model::addr::Family;
use crate::model::platform::Platform;
use crate::plan::{Change, Observed};

/// Renders instead of applying. `observe` answers with the state it was
/// given (an empty node by default); `probe` sends nothing, so nothing
/// answers.
#[derive(Debug, Clone)]
pub struct DryRun {
    platform: Platform,
    observed: Observed,
    lines: Vec<String>,
}

impl DryRun {
    /// A dry run against `observed` under `platform`'s commands.
    pub fn new(platform: Platform, observed: Observed) -> Self {
        DryRun {
            platform,
            observed,
            lines: Vec::new(),
        }
    }

    /// The command lines rendered so far.
    pub fn lines(&self) -> &[String] {
        &self.lines
    }
}

impl Backend for DryRun {
    fn platform(&self) -> Platform {
        self.platform
    }

    fn observe(&mut self) -> Result<Observed> {
        Ok(self.observed.clone())
    }

    fn apply(&mut self, changes: &[Change]) -> Result<()> {
        for c in changes {
            self.lines.extend(render(self.platform, c));
        }
        Ok(())
    }

    /// No answers rather than an error: `status` against a dry run still
    /// reports every difference and every tunnel's state, and a far end it
    /// never reached is not vouched for (so never healthy by accident).
    fn probe(&mut self, targets: &[Probe], _timeout: Duration) -> Result<Vec<Option<Duration>>> {
        Ok(vec![None; targets.len()])
    }
}

/// Quotes `text` for a POSIX shell when it holds anything but safe
/// characters.
fn sh(text: &str) -> String {
    let safe = !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.,:/@%+=".contains(&b));
    if safe {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

fn inet(addr: IpAddr) -> &'static str {
    match Family::of(addr) {
        Family::V4 => "inet",
        Family::V6 => "inet6",
    }
}

/// The command lines for one change.
pub fn render(platform: Platform, change: &Change) -> Vec<String> {
    match platform {
        Platform::FreeBsd => render_freebsd(change),
        Platform::Linux => render_linux(change),
    }
}

fn render_freebsd(change: &Change) -> Vec<String> {
    let line = match change {
        Change::Destroy { name } => format!("ifconfig {name} destroy"),
        Change::CreateBridge {
            name,
            mtu,
            description,
        } => {
            format!(
                "ifconfig bridge create name {name} mtu {mtu} description {}",
                sh(description)
            )
        }
        Change::CreateVxlan {
            name,
            vni,
            local,
            remote,
            port,
            mtu,
            description,
        } => format!(
            "ifconfig {name} create vxlanid {vni} vxlanlocal {local} vxlanremote {remote} \
             vxlanlocalport {port} vxlanremoteport {port} mtu {mtu} description {}",
            sh(description)
        ),
        Change::SetMtu { name, mtu } => format!("ifconfig {name} mtu {mtu}"),
        Change::SetDescription { name, text } => {
            format!("ifconfig {name} description {}", sh(text))
        }
        Change::AddAddr { name, addr } => {
            format!("ifconfig {name} {} {addr} alias", inet(addr.addr))
        }
        Change::DelAddr { name, addr } => {
            format!("ifconfig {name} {} {addr} -alias", inet(addr.addr))
        }
        Change::DelNeighbour { name, ip } => match ip {
            IpAddr::V4(_) => format!("arp -d {ip}"),
            IpAddr::V6(_) => format!("ndp -d {ip}%{name}"),
        },
        Change::AddPort {
            bridge,
            port,
            private: true,
        } => {
            format!("ifconfig {bridge} addm {port} private {port}")
        }
        Change::AddPort {
            bridge,
            port,
            private: false,
        } => format!("ifconfig {bridge} addm {port}"),
        Change::DelPort { bridge, port } => format!("ifconfig {bridge} deletem {port}"),
        Change::SetPrivate { bridge, port } => format!("ifconfig {bridge} private {port}"),
        Change::Up { name } => format!("ifconfig {name} up"),
        Change::SetFirewall { rules } => return pf_load(rules),
        Change::RemoveFirewall { table } => match crate::backend::freebsd::pf::flush(table) {
            Ok(p) => p.command_line(),
            Err(e) => format!("# {e}"),
        },
        Change::CreateWireguard {
            name,
            mtu,
            description,
        } => format!(
            "ifconfig wg create name {name} mtu {mtu} description {}",
            sh(description)
        ),
        Change::SetWireguard { vpc, device } => return wg_setconf(vpc, device),
    };
    vec![line]
}

/// The pfctl run that loads `fw` into its anchor, with the rule set it
/// reads, as the FreeBSD executor runs it.
fn pf_load(fw: &crate::plan::Firewall) -> Vec<String> {
    let p = match crate::backend::freebsd::pf::load(fw) {
        Ok(p) => p,
        Err(e) => return vec![format!("# {e}")],
    };
    let mut v = vec![format!("{} <<'EOF'", p.command_line())];
    if let crate::backend::freebsd::program::Input::Lines(lines) = &p.input {
        v.extend(lines.iter().cloned());
    }
    v.push("EOF".to_owned());
    v
}

/// `device` as `wg setconf` input, which replaces the whole configuration
/// as vpc does. The private key is read from this host's key file, never
/// printed.
pub fn wg_setconf(
    vpc: &crate::model::name::VpcName,
    device: &crate::plan::WgDevice,
) -> Vec<String> {
    let key = format!(
        "$(cat \"${{{}:-{}}}/{}\")",
        crate::store::STATE_DIR_ENV,
        crate::store::default_dir_of_platform(),
        crate::store::wg_key_file_of(vpc)
    );
    let mut v = vec![format!("wg setconf {} /dev/stdin <<EOF", device.name)];
    v.extend(wg_config(device, &key));
    v.push("EOF".to_owned());
    v
}

/// `device`'s configuration in wg(8)'s format, `private_key` its
/// `PrivateKey` value: what the dry run prints (with a command that reads
/// the key file) and what the FreeBSD executor pipes to `wg setconf` (with
/// the key itself). One text for both.
pub fn wg_config(device: &crate::plan::WgDevice, private_key: &str) -> Vec<String> {
    let mut v = vec![
        "[Interface]".to_owned(),
        format!("PrivateKey = {private_key}"),
        format!("ListenPort = {}", device.listen_port),
    ];
    for p in &device.peers {
        v.push("[Peer]".to_owned());
        v.push(format!("PublicKey = {}", p.public_key));
        if let Some(e) = p.endpoint {
            v.push(format!("Endpoint = {e}"));
        }
        let allowed: Vec<String> = p.allowed_ips.iter().map(ToString::to_string).collect();
        v.push(format!("AllowedIPs = {}", allowed.join(", ")));
        if p.keepalive != 0 {
            v.push(format!("PersistentKeepalive = {}", p.keepalive));
        }
    }
    v
}

fn render_linux(change: &Change) -> Vec<String> {
    match change {
        Change::Destroy { name } => vec![format!("ip link del dev {name}")],
        Change::CreateBridge {
            name,
            mtu,
            description,
        } => vec![
            format!("ip link add {name} mtu {mtu} type bridge"),
            format!("ip link set dev {name} alias {}", sh(description)),
        ],
        Change::CreateVxlan {
            name,
            vni,
            local,
            remote,
            port,
            mtu,
            description,
        } => {
            vec![
                format!(
                    "ip link add {name} mtu {mtu} type vxlan id {vni} \
                     local {local} remote {remote} dstport {port}"
                ),
                format!("ip link set dev {name} alias {}", sh(description)),
            ]
        }
        Change::SetMtu { name, mtu } => vec![format!("ip link set dev {name} mtu {mtu}")],
        Change::SetDescription { name, text } => {
            vec![format!("ip link set dev {name} alias {}", sh(text))]
        }
        Change::AddAddr { name, addr } => vec![format!("ip addr add {addr} dev {name}")],
        Change::DelAddr { name, addr } => vec![format!("ip addr del {addr} dev {name}")],
        Change::DelNeighbour { name, ip } => vec![format!("ip neigh del {ip} dev {name}")],
        Change::AddPort {
            bridge,
            port,
            private,
        } => {
            let mut v = vec![format!("ip link set dev {port} master {bridge}")];
            if *private {
                v.push(format!("bridge link set dev {port} isolated on"));
            }
            v
        }
        Change::DelPort { port, .. } => vec![format!("ip link set dev {port} nomaster")],
        Change::SetPrivate { port, .. } => vec![format!("bridge link set dev {port} isolated on")],
        Change::Up { name } => vec![format!("ip link set dev {name} up")],
        Change::SetFirewall { rules } => {
            let mut v = vec!["nft -f - <<'EOF'".to_owned()];
            v.extend(nft_text(rules));
            v.push("EOF".to_owned());
            v
        }
        Change::RemoveFirewall { table } => vec![format!("nft delete table inet {table}")],
        Change::CreateWireguard {
            name,
            mtu,
            description,
        } => vec![
            format!("ip link add {name} mtu {mtu} type wireguard"),
            format!("ip link set dev {name} alias {}", sh(description)),
        ],
        Change::SetWireguard { vpc, device } => wg_setconf(vpc, device),
    }
}

/// `fw` as `nft -f` input that replaces its table whole, in one
/// transaction, as the Linux backend does.
pub fn nft_text(fw: &crate::plan::Firewall) -> Vec<String> {
    let elements = |all: Vec<String>| {
        if all.is_empty() {
            String::new()
        } else {
            format!("; elements = {{ {} }}", all.join(", "))
        }
    };
    let v4 = elements(fw.allow4.iter().map(ToString::to_string).collect());
    let v6 = elements(fw.allow6.iter().map(ToString::to_string).collect());
    let (t, port) = (&fw.table, fw.port);
    let vnis = format!("@th,96,24 {}-{}", fw.vnis[0], fw.vnis[1]);
    // On an encrypted VPC, VXLAN for its VNIs comes only out of its
    // WireGuard interface.
    let via = fw.via.as_ref().map(|i| {
        format!("\t\tmeta l4proto udp udp dport {port} {vnis} iifname != \"{i}\" counter drop")
    });
    [
        format!("add table inet {t}"),
        format!("delete table inet {t}"),
        format!("table inet {t} {{"),
        format!("\tset allow4 {{ type ipv4_addr{v4}; }}"),
        format!("\tset allow6 {{ type ipv6_addr{v6}; }}"),
        "\tchain input {".to_owned(),
        "\t\ttype filter hook input priority filter - 1; policy accept;".to_owned(),
    ]
    .into_iter()
    .chain(via)
    .chain([
        format!("\t\tmeta l4proto udp udp dport {port} {vnis} ip saddr != @allow4 counter drop"),
        format!("\t\tmeta l4proto udp udp dport {port} {vnis} ip6 saddr != @allow6 counter drop"),
        "\t}".to_owned(),
        "}".to_owned(),
    ])
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(sh("tunnel-to-a.b"), "tunnel-to-a.b");
        assert_eq!(sh("a b"), "'a b'");
        assert_eq!(sh("it's"), r"'it'\''s'");
        assert_eq!(sh(""), "''");
    }
}
