//! Running commands: checked runs for build steps, and background services started in their own
//! process group so stopping one also stops what it spawned (wrangler leaves workerd otherwise).

use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Runs a command to completion, failing with its name when it fails.
pub(crate) fn check(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd.status().with_context(|| format!("could not start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

/// Runs a command and returns its stdout, or `None` when it cannot start or fails.
pub(crate) fn output(cmd: &mut Command) -> Option<String> {
    let out = cmd.stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A background service; stopping it (or dropping it) ends its whole process group.
pub(crate) struct Service {
    name: String,
    child: Child,
    own_group: bool,
}

impl Service {
    /// Starts `cmd` in a new process group and waits until a line of its output contains
    /// `ready` (bounded by `timeout`). Its output is copied to ours with a `[name]` prefix.
    /// With `own_group`, the service gets a process group of its own and dropping it stops the
    /// group; without, it shares ours, so a Ctrl-C in the terminal reaches it directly.
    pub(crate) fn start(
        name: &str,
        cmd: &mut Command,
        ready: &str,
        timeout: Duration,
        own_group: bool,
    ) -> Result<Service> {
        if own_group {
            cmd.process_group(0);
        }
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).stdin(Stdio::null());
        let mut child = cmd.spawn().with_context(|| format!("could not start {name}"))?;
        let (tx, rx) = mpsc::channel::<String>();
        for stream in [
            child.stdout.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child.stderr.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let tx = tx.clone();
            let prefix = name.to_owned();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    eprintln!("[{prefix}] {line}");
                    let _ = tx.send(line);
                }
            });
        }
        drop(tx);
        let service = Service { name: name.to_owned(), child, own_group };
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                bail!("{name} did not become ready within {timeout:?}");
            }
            match rx.recv_timeout(left) {
                Ok(line) if line.contains(ready) => return Ok(service),
                Ok(_) => {}
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    bail!("{name} did not become ready within {timeout:?}")
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => bail!("{name} exited before it was ready"),
            }
        }
    }

    /// Whether the service has exited.
    pub(crate) fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    pub(crate) fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        // Our own group: signal it whole. Shared group: only the child (never ourselves).
        let group =
            if self.own_group { format!("-{}", self.child.id()) } else { self.child.id().to_string() };
        let _ = Command::new("kill").args(["-TERM", "--", &group]).stderr(Stdio::null()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.wait();
    }
}

/// The directories of the project's tools, in the order they are searched, before the
/// machine's PATH: the project's Node 22 when setup installed one (`tools/node`, only when the
/// machine's Node is older than wrangler needs), the npm tools, the cargo tools setup installed
/// into the project (`.tools/bin`), then the developer's own `~/.cargo/bin` (a tool there is used
/// only when it is the exact version pinned, which setup checks).
pub(crate) fn tool_dirs(root: &Path) -> Vec<PathBuf> {
    vec![
        root.join("tools/node/node_modules/.bin"),
        root.join("tools/node_modules/.bin"),
        root.join(".tools/bin"),
        PathBuf::from(home_cargo_bin()),
    ]
}

/// PATH with the project's tools first (wrangler needs Node ≥ 22.12).
pub(crate) fn tools_path(root: &Path) -> String {
    let mut dirs: Vec<String> = tool_dirs(root).iter().map(|d| d.display().to_string()).collect();
    dirs.push(std::env::var("PATH").unwrap_or_default());
    dirs.join(":")
}

/// The first `binary` among the project's tool directories, else its bare name (found on PATH).
pub(crate) fn tool(root: &Path, binary: &str) -> PathBuf {
    tool_dirs(root).into_iter().map(|d| d.join(binary)).find(|p| p.is_file()).unwrap_or_else(|| binary.into())
}

pub(crate) fn home_cargo_bin() -> String {
    let home = std::env::var("CARGO_HOME")
        .ok()
        .unwrap_or_else(|| format!("{}/.cargo", std::env::var("HOME").unwrap_or_else(|_| "/root".into())));
    format!("{home}/bin")
}

/// The environment wrangler needs to run offline and quietly.
pub(crate) fn wrangler_env(cmd: &mut Command, root: &Path) {
    cmd.env("PATH", tools_path(root))
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("WRANGLER_SEND_METRICS", "false")
        .env("WRANGLER_SEND_ERROR_REPORTS", "false")
        .env("DO_NOT_TRACK", "1")
        .env("WRANGLER_HIDE_BANNER", "true")
        .env("NO_COLOR", "1")
        .env("CI", "true");
}
