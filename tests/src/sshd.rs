//! A real OpenSSH server per simulated host, for the cluster tests: it
//! listens on the host's underlay addresses only, inside the host's
//! namespace, with a host key of its own and a test user created for it.
//!
//! The test user has uid 0 (an alias of root, as `vpc` must change the
//! host's interfaces), a password, and a home in the host's directory;
//! it is removed with `userdel` when the server is dropped, and a killed
//! run's users go with the next run's stale cleanup. Its `vpc` is a small
//! wrapper in the host's directory that runs the binary under test with the
//! host's state directory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Host;
use crate::cmd::{check, fail, in_netns, output};

/// An sshd running in one host's namespace.
#[derive(Debug)]
pub struct Sshd {
    child: Option<Child>,
    netns: String,
    dir: PathBuf,
    user: String,
    password: String,
    listen: Vec<String>,
}

fn run_ok(cmd: &mut Command) {
    check(cmd, None);
}

impl Sshd {
    /// Starts an sshd on `host` (port 22 on its underlay addresses) with a
    /// fresh ed25519 host key and a test user named after the host's
    /// namespace.
    #[track_caller]
    pub fn start(host: &Host) -> Sshd {
        let dir = host.state_dir().join("sshd");
        std::fs::create_dir_all(dir.join("home")).unwrap_or_else(|e| fail(format!("{e}")));
        // sshd wants its privilege-separation directory.
        std::fs::create_dir_all("/run/sshd").unwrap_or_else(|e| fail(format!("/run/sshd: {e}")));
        let user = format!("{}u", host.netns());
        let password = format!("pw-{}", std::process::id());
        let home = dir.join("home");
        run_ok(
            Command::new("useradd")
                .args(["-o", "-u", "0", "-g", "0", "-M", "-s", "/bin/sh", "-d"])
                .arg(&home)
                .arg(&user),
        );
        let mut chpasswd = Command::new("chpasswd");
        check(
            &mut chpasswd,
            Some(format!("{user}:{password}\n").as_bytes()),
        );
        let wrapper = dir.join("vpc");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nexport VPC_STATE_DIR={state}\nexport VPC_RC_DIR={state}/rc\nexec {bin} \"$@\"\n",
                state = host.state_dir().display(),
                bin = crate::vpc_bin().display()
            ),
        )
        .unwrap_or_else(|e| fail(format!("{e}")));
        set_mode(&wrapper, 0o755);
        let listen = vec![host.ip4().to_string(), format!("[{}]", host.ip6())];
        let mut sshd = Sshd {
            child: None,
            netns: host.netns().to_owned(),
            dir,
            user,
            password,
            listen,
        };
        sshd.new_host_key();
        sshd.launch();
        sshd
    }

    /// The test user.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The test user's password.
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The `vpc` command on this host (the wrapper).
    pub fn command(&self) -> PathBuf {
        self.dir.join("vpc")
    }

    /// The test user's home (where `.ssh/authorized_keys` is).
    pub fn home(&self) -> PathBuf {
        self.dir.join("home")
    }

    /// How many logins the server accepted so far (its log's "Accepted
    /// METHOD for USER" lines: one per SSH connection; not the "Accepted
    /// key …" lines that `LogLevel VERBOSE` adds).
    pub fn accepted(&self) -> usize {
        std::fs::read_to_string(self.dir.join("sshd.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| {
                l.split_once("Accepted ")
                    .is_some_and(|(_, rest)| rest.split_whitespace().nth(1) == Some("for"))
            })
            .count()
    }

    /// How many commands the server ran so far (its log's "Starting
    /// session: command" lines, logged at `LogLevel VERBOSE`: one per
    /// command a client had it run, whatever the connection).
    pub fn commands(&self) -> usize {
        std::fs::read_to_string(self.dir.join("sshd.log"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.contains("Starting session: command "))
            .count()
    }

    /// Writes an executable `name` beside the wrapper: `node …` goes to
    /// the real `vpc` (so `node mode=add` learns the node's identity),
    /// anything else runs `body` (sh) instead. Returns its path, for a
    /// node record's `command=`.
    pub fn script(&self, name: &str, body: &str) -> PathBuf {
        let path = self.dir.join(name);
        std::fs::write(
            &path,
            format!(
                "#!/bin/sh\nif [ \"$1\" = node ]; then exec {vpc} \"$@\"; fi\n{body}\n",
                vpc = self.command().display()
            ),
        )
        .unwrap_or_else(|e| fail(format!("{e}")));
        set_mode(&path, 0o755);
        path
    }

    /// The host key's fingerprint, `SHA256:…`, as `ssh-keygen -lf` prints it.
    pub fn fingerprint(&self) -> String {
        let out = check(
            Command::new("ssh-keygen")
                .arg("-lf")
                .arg(self.dir.join("host_key.pub")),
            None,
        );
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_owned()
    }

    /// Replaces the host key (as a reinstalled host would have) and
    /// restarts the server.
    pub fn regenerate_host_key(&mut self) {
        self.stop();
        self.new_host_key();
        self.launch();
    }

    fn new_host_key(&self) {
        let key = self.dir.join("host_key");
        let _ = std::fs::remove_file(&key);
        let _ = std::fs::remove_file(self.dir.join("host_key.pub"));
        run_ok(
            Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(&key),
        );
    }

    fn launch(&mut self) {
        let config = self.dir.join("sshd_config");
        let mut text = String::new();
        for l in &self.listen {
            text.push_str(&format!("ListenAddress {l}:22\n"));
        }
        text.push_str(&format!(
            "HostKey {key}\nPidFile {pid}\nPermitRootLogin yes\nPasswordAuthentication yes\n\
             KbdInteractiveAuthentication no\nPubkeyAuthentication yes\nUsePAM no\n\
             AuthorizedKeysFile .ssh/authorized_keys\nSubsystem sftp internal-sftp\n\
             PrintMotd no\nLogLevel VERBOSE\n",
            key = self.dir.join("host_key").display(),
            pid = self.dir.join("sshd.pid").display(),
        ));
        std::fs::write(&config, text).unwrap_or_else(|e| fail(format!("{e}")));
        // Its sessions run as the host's other commands do, with the host's
        // own WireGuard socket directory.
        let run_dir = self.dir.parent().unwrap_or(&self.dir).join("wireguard");
        let _ = std::fs::create_dir_all(&run_dir);
        let child = crate::cmd::in_host(&self.netns, &run_dir, "/usr/sbin/sshd")
            .arg("-D")
            .arg("-f")
            .arg(&config)
            .arg("-E")
            .arg(self.dir.join("sshd.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| fail(format!("cannot start sshd: {e}")));
        self.child = Some(child);
        let addr = self.listen[0].clone();
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let probe = output(
                in_netns(&self.netns, "bash").args(["-c", &format!("exec 3<>/dev/tcp/{addr}/22")]),
                None,
            );
            if probe.status.success() {
                return;
            }
            if Instant::now() > deadline {
                let log = std::fs::read_to_string(self.dir.join("sshd.log")).unwrap_or_default();
                fail(format!(
                    "sshd in {} did not start listening: {log}",
                    self.netns
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        // `timeout` ran sshd as its child: make sure the server is gone.
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("sshd.pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
        let _ = std::fs::remove_file(self.dir.join("sshd.pid"));
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.stop();
        let _ = Command::new("userdel")
            .arg("-f")
            .arg(&self.user)
            .stderr(Stdio::null())
            .status();
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
}

/// Removes test users whose run is gone (see the crate docs on names).
pub(crate) fn cleanup_stale_users() -> usize {
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let mut removed = 0;
    for name in passwd.lines().filter_map(|l| l.split(':').next()) {
        if crate::names::stale(name.trim_end_matches('u'))
            && Command::new("userdel")
                .arg("-f")
                .arg(name)
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        {
            removed += 1;
        }
    }
    removed
}
