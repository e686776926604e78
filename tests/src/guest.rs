//! A guest (a jail, VM or container stand-in): a namespace of its own
//! behind a veth pair whose other end sits, unattached, in a host.

use std::process::Output;
use std::time::Duration;

use crate::Lab;
use crate::cmd::{self, ip, ip_batch};

/// A guest made by [`Lab::guest`]; lives as long as its lab.
///
/// Its namespace holds `lo` and `eth0` (up, addresses as the test adds
/// them, `accept_ra` off). The other end of `eth0` is
/// [`host_if`](Self::host_if) in its host's namespace: down, no address,
/// in no bridge — for `vpc mode=attach` to take.
#[derive(Debug)]
pub struct Guest<'lab> {
    pub(crate) lab: &'lab Lab,
    pub(crate) name: String,
    pub(crate) host: usize,
    pub(crate) netns: String,
    pub(crate) host_if: String,
}

impl Guest<'_> {
    /// The label the test gave.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The index of the host it hangs off.
    pub fn host(&self) -> usize {
        self.host
    }

    /// The guest namespace's name.
    pub fn netns(&self) -> &str {
        &self.netns
    }

    /// The host end of the guest's veth pair, in the host's namespace:
    /// `g{host}n{n}` (`n` counts the lab's guests), at most 15 bytes.
    pub fn host_if(&self) -> &str {
        &self.host_if
    }

    /// Adds an IPv4 address to the guest's `eth0`, e.g. `10.10.11.1/24`.
    #[track_caller]
    pub fn addr(&self, cidr: &str) -> &Self {
        ip_batch(Some(&self.netns), &[format!("addr add {cidr} dev eth0")]);
        self
    }

    /// Adds an IPv6 address to the guest's `eth0`, e.g.
    /// `2001:db8:11::1/64`, without duplicate detection (`nodad`): usable
    /// at once.
    #[track_caller]
    pub fn addr6(&self, cidr: &str) -> &Self {
        ip_batch(
            Some(&self.netns),
            &[format!("addr add {cidr} dev eth0 nodad")],
        );
        self
    }

    /// Sets the MTU of the guest's `eth0` (the host end is the backend's
    /// to set).
    #[track_caller]
    pub fn set_mtu(&self, mtu: u32) -> &Self {
        ip_batch(Some(&self.netns), &[format!("link set dev eth0 mtu {mtu}")]);
        self
    }

    /// The MAC address of the guest's `eth0`.
    pub fn mac(&self) -> String {
        cmd::link(&self.netns, "eth0")
            .and_then(|l| l["address"].as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    /// Runs `cmd[0] cmd[1..]` inside the guest namespace.
    pub fn sh(&self, cmd: &[&str]) -> Output {
        cmd::sh(&self.netns, cmd)
    }

    /// Like [`sh`](Self::sh), failing the test unless the command exits 0;
    /// its stdout.
    #[track_caller]
    pub fn sh_ok(&self, cmd: &[&str]) -> String {
        cmd::sh_ok(&self.netns, cmd)
    }

    /// Pings `addr` from the guest: `ping -n -c COUNT -i 0.2 -W 1
    /// EXTRA…` (e.g. `&["-M", "do", "-s", "1372"]`). True when a reply
    /// came back; otherwise ping's output goes to stderr.
    pub fn ping(&self, addr: &str, count: u32, extra_args: &[&str]) -> bool {
        cmd::ping(&self.netns, addr, count, extra_args)
    }

    /// Waits up to 5 s until the guest's `eth0` is operationally up (its
    /// host end is up too); false if it is not.
    pub fn wait_up(&self) -> bool {
        cmd::wait_up(&self.netns, "eth0", Duration::from_secs(5))
    }

    /// Whether the host end still exists in the host's namespace.
    pub fn host_if_exists(&self) -> bool {
        let host = self.lab.host(self.host);
        let mut c = ip(Some(host.netns()), &["link", "show", "dev", &self.host_if]);
        cmd::output(&mut c, None).status.success()
    }
}
