//! Harness for the end-to-end tests and the benchmark: starts the real stack on free loopback
//! ports – the gateway sandbox, the edge under `wrangler dev` (workerd), the demo shop – and a
//! headless Chromium driven over WebDriver. Every process runs in its own process group and is
//! stopped with it when the handle drops.

use anyhow::{Context, Result, bail};
use std::collections::VecDeque;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

pub mod contract;
pub mod cpu;
mod recorder;
mod tap;
pub use recorder::{take_every_browser_answer, take_recorders_started};

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// A child process in its own process group; its output goes to a log file and a ring of recent
/// lines (shown when something fails).
pub struct Process {
    name: String,
    child: Child,
    recent: Arc<Mutex<VecDeque<String>>>,
    lines: mpsc::Receiver<String>,
}

impl Process {
    pub fn spawn(name: &str, cmd: &mut Command, log_dir: &Path) -> Result<Process> {
        cmd.process_group(0).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().with_context(|| format!("starting {name}: {cmd:?}"))?;
        let recent = Arc::new(Mutex::new(VecDeque::new()));
        let (tx, rx) = mpsc::channel();
        let log = Arc::new(Mutex::new(fs::File::create(log_dir.join(format!("{name}.log")))?));
        let streams: Vec<Box<dyn std::io::Read + Send>> = [
            child.stdout.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child.stderr.take().map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        .collect();
        for stream in streams {
            let (tx, recent, log) = (tx.clone(), recent.clone(), log.clone());
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Ok(mut f) = log.lock() {
                        let _ = writeln!(f, "{line}");
                    }
                    if let Ok(mut r) = recent.lock() {
                        if r.len() == 60 {
                            r.pop_front();
                        }
                        r.push_back(line.clone());
                    }
                    let _ = tx.send(line);
                }
            });
        }
        Ok(Process { name: name.to_owned(), child, recent, lines: rx })
    }

    /// Waits (bounded) for an output line containing `needle` and returns it.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> Result<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return Ok(line),
                Ok(_) => {}
                Err(_) => bail!(
                    "{} did not print {needle:?} within {timeout:?}; its last lines:\n{}",
                    self.name,
                    self.recent_output()
                ),
            }
        }
    }

    /// The process id, which is also its process group's.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    pub fn recent_output(&self) -> String {
        self.recent.lock().map(|r| r.iter().cloned().collect::<Vec<_>>().join("\n")).unwrap_or_default()
    }
}

impl Process {
    /// Stops the process and its whole group (idempotent: `Drop` does it again, harmlessly).
    pub fn stop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).stderr(Stdio::null()).status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Whatever is left of the group (workerd outlives wrangler otherwise).
        let _ = Command::new("kill").args(["-KILL", "--", &group]).stderr(Stdio::null()).status();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A loopback port that was free a moment ago, picked at random *below* the kernel's ephemeral
/// range: a port the kernel hands out for port 0 (as workerd does for its own sockets, many at
/// a time) could be taken again before the service it was picked for binds it.
pub fn free_port() -> Result<u16> {
    let ephemeral_low = fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next().and_then(|p| p.parse::<u16>().ok()))
        .unwrap_or(32768);
    let (low, high) = (10_000u16, ephemeral_low.max(10_001));
    // Bounded: a hundred random picks, then whatever the kernel gives.
    for _ in 0..100 {
        let random = u16::from_str_radix(&random_hex(2)?, 16)?;
        let port = low + random % (high - low);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    Ok(std::net::TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

fn random_hex(bytes: usize) -> Result<String> {
    use std::io::Read;
    let mut buf = vec![0u8; bytes];
    fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

/// The credentials of one run: fresh random values, so a scan for them cannot match by chance.
#[derive(Clone, Debug)]
pub struct Credentials {
    pub merchant_key: String,
    pub webhook_secret: String,
    pub payzero_app_id: String,
    pub payzero_app_key: String,
    pub payzero_sign_token: String,
    pub sqb_vendor_sn: String,
    pub sqb_vendor_key: String,
    pub sqb_app_id: String,
    pub sqb_activation_code: String,
    pub ezr_token: String,
    pub personal_data_key: String,
}

impl Credentials {
    fn random() -> Result<Self> {
        Ok(Credentials {
            merchant_key: format!("sk_test_{}", random_hex(16)?),
            webhook_secret: format!("whsec_{}", random_hex(16)?),
            payzero_app_id: format!("app-{}", random_hex(6)?),
            payzero_app_key: format!("appkey-{}", random_hex(16)?),
            payzero_sign_token: format!("signtoken-{}", random_hex(16)?),
            sqb_vendor_sn: format!("vendor-{}", random_hex(6)?),
            sqb_vendor_key: format!("vendorkey-{}", random_hex(16)?),
            sqb_app_id: format!("sqbapp-{}", random_hex(6)?),
            sqb_activation_code: random_hex(8)?,
            ezr_token: format!("ezrtoken-{}", random_hex(16)?),
            personal_data_key: format!("pdk-{}", random_hex(16)?),
        })
    }

    /// Every value that must never reach a browser.
    pub fn secrets(&self) -> Vec<&str> {
        vec![
            &self.merchant_key,
            &self.webhook_secret,
            &self.payzero_app_key,
            &self.payzero_sign_token,
            &self.sqb_vendor_key,
            &self.sqb_activation_code,
            &self.ezr_token,
            &self.personal_data_key,
        ]
    }
}

/// How a stack differs from the usual one (test mode, one merchant key, one webhook secret).
#[derive(Clone, Debug, Default)]
pub struct Setup {
    /// Leave `CHECKOUT_MODE` unset, as a deployment that forgot it would: the edge is live.
    pub live: bool,
    /// Merchant keys valid beside `creds.merchant_key`, as while keys are rotated.
    pub extra_merchant_keys: Vec<String>,
    /// Webhook secrets that sign beside `creds.webhook_secret`, as while the secret is rotated.
    pub extra_webhook_secrets: Vec<String>,
    /// More edge `[vars]`, by name (e.g. `EZR_REFUND_APPROVAL`).
    pub vars: Vec<(String, String)>,
}

/// The running stack. Dropping it stops everything and removes its state directory.
pub struct Stack {
    pub sandbox_url: String,
    pub edge_url: String,
    pub demo_url: String,
    pub creds: Credentials,
    pub state_dir: PathBuf,
    // Declared in stop order: the demo first, the sandbox last.
    pub demo: Process,
    pub edge: Process,
    pub sandbox: Process,
    /// How `edge` was started: the same command starts it again on the same port and state.
    edge_command: Command,
    /// How `sandbox` was started, now on the port it got: the same command starts it again on
    /// the same port and state directory.
    sandbox_command: Command,
    /// What every client of the edge goes through (`edge_url` is its address): the contract
    /// check reads the edge's answers from it.
    tap: tap::Tap,
}

impl Stack {
    /// Starts sandbox → edge → demo shop. The widget and worker must be built
    /// (`cargo xtask build`), and the sandbox and demo binaries (`cargo build -p …`).
    pub fn start() -> Result<Stack> {
        Stack::start_with(&Setup::default())
    }

    /// Starts the stack as `setup` says.
    pub fn start_with(setup: &Setup) -> Result<Stack> {
        let root = root();
        for needed in ["www/pkg/widget_bg.wasm", "edge/build/index.js", "tools/node_modules/.bin/wrangler"] {
            if !root.join(needed).exists() {
                bail!("{needed} is missing: run `cargo xtask test` (it builds everything first)");
            }
        }
        let sandbox_bin = native_binary("checkout-sandbox")?;
        let demo_bin = native_binary("checkout-demo")?;
        let state_dir =
            std::env::temp_dir().join(format!("checkout-e2e-{}-{}", std::process::id(), random_hex(4)?));
        fs::create_dir_all(&state_dir)?;
        let creds = Credentials::random()?;

        // The sandbox keeps its state beside the edge's, as under `cargo xtask dev`.
        let sandbox_command = |port: &str| {
            let mut cmd = Command::new(&sandbox_bin);
            cmd.args(["--port", port, "--state-dir"])
                .arg(state_dir.join("sandbox"))
                .env("SANDBOX_PAYZERO_APP_ID", &creds.payzero_app_id)
                .env("SANDBOX_PAYZERO_APP_KEY", &creds.payzero_app_key)
                .env("SANDBOX_PAYZERO_SIGN_TOKEN", &creds.payzero_sign_token)
                .env("SANDBOX_SQB_VENDOR_SN", &creds.sqb_vendor_sn)
                .env("SANDBOX_SQB_VENDOR_KEY", &creds.sqb_vendor_key)
                .env("SANDBOX_SQB_ACTIVATION_CODE", &creds.sqb_activation_code)
                .env("SANDBOX_EZR_TOKEN", &creds.ezr_token);
            cmd
        };
        let sandbox = Process::spawn("sandbox", &mut sandbox_command("0"), &state_dir)?;
        let line = sandbox.wait_for("sandbox listening on", Duration::from_secs(30))?;
        let sandbox_url = url_in(&line).context("sandbox address")?;
        let sandbox_port = sandbox_url.rsplit(':').next().context("sandbox port")?.to_owned();
        let sandbox_command = sandbox_command(&sandbox_port);

        // Clients reach the edge through the tap on `edge_port`; wrangler listens behind it.
        let edge_port = free_port()?;
        let edge_url = format!("http://127.0.0.1:{edge_port}");
        let wrangler_port = free_port()?;
        // The demo shop embeds the checkout, so its origin is the one merchant origin the edge
        // lets frame its hosted page (and call the checkout API): known before the edge starts.
        let demo_port = free_port()?;
        let demo_origin = format!("http://127.0.0.1:{demo_port}");
        // An env file replaces edge/.dev.vars entirely, so a developer's local keys play no part.
        let env_file = state_dir.join("edge.env");
        fs::write(
            &env_file,
            format!(
                "MERCHANT_SECRET_KEY={}\nWEBHOOK_SECRET={}\nPAYZERO_APP_ID={}\nPAYZERO_APP_KEY={}\nPAYZERO_SIGN_TOKEN={}\n\
                 SHOUQIANBA_VENDOR_SN={}\nSHOUQIANBA_VENDOR_KEY={}\nSHOUQIANBA_APP_ID={}\nSHOUQIANBA_ACTIVATION_CODE={}\n\
                 EZR_TOKEN={}\nPERSONAL_DATA_KEY={}\n",
                [&creds.merchant_key]
                    .into_iter()
                    .chain(&setup.extra_merchant_keys)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(","),
                [&creds.webhook_secret]
                    .into_iter()
                    .chain(&setup.extra_webhook_secrets)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(","),
                creds.payzero_app_id,
                creds.payzero_app_key,
                creds.payzero_sign_token,
                creds.sqb_vendor_sn,
                creds.sqb_vendor_key,
                creds.sqb_app_id,
                creds.sqb_activation_code,
                creds.ezr_token,
                creds.personal_data_key
            ),
        )?;
        // Node 22 for wrangler: the one `cargo xtask setup` put in tools/node, if the machine's
        // was too old; then the npm tools.
        let tools = root.join("tools/node_modules");
        let path = format!(
            "{}:{}:{}",
            root.join("tools/node/node_modules/.bin").display(),
            tools.join(".bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut wrangler = Command::new(tools.join(".bin/wrangler"));
        wrangler
            .args(["dev", "--ip", "127.0.0.1", "--port", &wrangler_port.to_string(), "--inspector-port"])
            .arg(free_port()?.to_string())
            .arg("--persist-to")
            .arg(state_dir.join("wrangler"))
            .arg("--env-file")
            .arg(&env_file)
            .args(if setup.live { vec![] } else { vec!["--var", "CHECKOUT_MODE:test"] })
            .arg("--var")
            .arg(format!("PAYZERO_API_URL:{sandbox_url}/payzero"))
            .arg("--var")
            .arg(format!("SHOUQIANBA_API_URL:{sandbox_url}/shouqianba"))
            .arg("--var")
            .arg(format!("EZR_API_URL:{sandbox_url}/ezr"))
            // The shortest deadline allowed, so a cashier payment left unconfirmed is canceled
            // within a test's patience.
            .args(["--var", "BARCODE_DEADLINE_SECS:30"])
            // Every test's browser is the same loopback client: its per-address SMS caps are
            // raised so tests do not share one budget; the per-phone caps stay the defaults.
            .args(["--var", "SMS_PER_CLIENT_HOUR:1000", "--var", "SMS_PER_CLIENT_DAY:5000"])
            .arg("--var")
            .arg(format!("SANDBOX_ADMIN_URL:{sandbox_url}/__admin"))
            .arg("--var")
            .arg(format!("PUBLIC_BASE_URL:{edge_url}"))
            .arg("--var")
            .arg(format!("ALLOWED_ORIGINS:{demo_origin}"))
            .args(["--show-interactive-dev-session=false", "--log-level", "info"])
            .current_dir(root.join("edge"))
            .env("PATH", path)
            .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
            .env("WRANGLER_SEND_METRICS", "false")
            .env("WRANGLER_SEND_ERROR_REPORTS", "false")
            .env("DO_NOT_TRACK", "1")
            .env("WRANGLER_HIDE_BANNER", "true")
            .env("NO_COLOR", "1")
            .env("CI", "true");
        for (name, value) in &setup.vars {
            wrangler.arg("--var").arg(format!("{name}:{value}"));
        }
        let edge = Process::spawn("edge", &mut wrangler, &state_dir)?;
        edge.wait_for("Ready on", Duration::from_secs(90))?;
        let tap = tap::Tap::start(edge_port, wrangler_port)?;

        let demo = Process::spawn(
            "demo",
            Command::new(&demo_bin)
                .args(["--port", &demo_port.to_string()])
                .env("EDGE_URL", &edge_url)
                .env("MERCHANT_SECRET_KEY", &creds.merchant_key)
                .env("WEBHOOK_SECRET", &creds.webhook_secret),
            &state_dir,
        )?;
        let line = demo.wait_for("demo shop listening on", Duration::from_secs(30))?;
        let demo_url = url_in(&line).context("demo address")?;
        if demo_url != demo_origin {
            bail!("the demo shop listens on {demo_url}, the edge lets {demo_origin} frame the checkout");
        }
        Ok(Stack {
            sandbox_url,
            edge_url,
            demo_url,
            creds,
            state_dir,
            demo,
            edge,
            sandbox,
            edge_command: wrangler,
            sandbox_command,
            tap,
        })
    }

    /// Stops the sandbox and starts it again on the same port with the same state directory,
    /// as a developer's restart of `cargo xtask dev` does: it remembers its terminals, orders
    /// and tokens.
    pub fn restart_sandbox(&mut self) -> Result<()> {
        self.sandbox.stop();
        let sandbox = Process::spawn("sandbox-restarted", &mut self.sandbox_command, &self.state_dir)?;
        sandbox.wait_for("sandbox listening on", Duration::from_secs(30))?;
        self.sandbox = sandbox;
        Ok(())
    }

    /// Stops `wrangler dev` (workerd and all) and starts it again on the same port with the same
    /// persisted state, as an operator's restart or a crash would: Durable Objects come back
    /// from storage, with nothing held in memory.
    pub fn restart_edge(&mut self) -> Result<()> {
        self.edge.stop();
        let edge = Process::spawn("edge-restarted", &mut self.edge_command, &self.state_dir)?;
        edge.wait_for("Ready on", Duration::from_secs(90))?;
        self.edge = edge;
        Ok(())
    }

    /// Every answer the edge gave since the last call (to anyone: tests, client, demo shop,
    /// browsers), with its request, for the contract check.
    pub fn edge_answers(&self) -> Vec<contract::Answer> {
        self.tap.answers()
    }

    /// The merchant API client with this stack's merchant key, as a shop server holds it.
    pub fn client(&self) -> Result<checkout_client::Client> {
        Ok(checkout_client::Client::new(&self.edge_url, &self.creds.merchant_key)?)
    }

    /// Recent output of every service, for failure messages.
    /// Everything the edge (before and after a restart) and the demo shop printed, in full,
    /// from their log files: the sandbox, which plays the gateways, is left out.
    pub fn our_full_logs(&self) -> Vec<(String, String)> {
        ["edge", "edge-restarted", "demo"]
            .iter()
            .filter_map(|name| {
                let text = fs::read_to_string(self.state_dir.join(format!("{name}.log"))).ok()?;
                Some(((*name).to_owned(), text))
            })
            .collect()
    }

    pub fn logs(&self) -> String {
        format!(
            "--- sandbox ---\n{}\n--- edge ---\n{}\n--- demo ---\n{}",
            self.sandbox.recent_output(),
            self.edge.recent_output(),
            self.demo.recent_output()
        )
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // Processes stop in their own Drop (field order); the state goes afterwards.
        let dir = self.state_dir.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(6));
            let _ = fs::remove_dir_all(dir);
        });
    }
}

fn url_in(line: &str) -> Option<String> {
    line.split_whitespace().find(|w| w.starts_with("http://")).map(|u| u.trim_end_matches('/').to_owned())
}

/// A native binary of the workspace, built first if missing.
pub fn native_binary(name: &str) -> Result<PathBuf> {
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"));
    let path = target.join("debug").join(name);
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--quiet", "-p", name])
        .current_dir(root())
        .status()?;
    if !status.success() || !path.exists() {
        bail!("could not build {name}");
    }
    Ok(path)
}

/// Headless Chromium behind chromedriver, driven with fantoccini. Unless started `direct`, it
/// reaches every address (loopback included) through a recording proxy, so the whole run's leak
/// scan sees every answer it received (`take_every_browser_answer`).
pub struct Browser {
    pub client: fantoccini::Client,
    pub driver_url: String,
    _driver: Process,
    _profile: PathBuf,
}

/// User agents of the phones the tests and the mobile benchmark play (as each browser sends it).
pub mod user_agent {
    pub const ANDROID_CHROME: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.135 Mobile Safari/537.36";
    pub const IOS_SAFARI: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
    /// WeChat's built-in browser on Android (XWEB, its Chromium).
    pub const WECHAT: &str = "Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UQ1A.240205.004; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/130.0.6723.103 Mobile Safari/537.36 XWEB/1300333 MMWEBSDK/20241103 MMWEBID/2514 MicroMessenger/8.0.55.2780(0x28003737) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64";
    /// Alipay's built-in browser on Android.
    pub const ALIPAY: &str = "Mozilla/5.0 (Linux; U; Android 14; zh-CN; Pixel 8 Build/UQ1A.240205.004) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/118.0.5993.80 Mobile Safari/537.36 UCBS/3.22.2.68 Nebula AlipayDefined(nt:WIFI,ws:412|892|2.625) AliApp(AP/10.6.50.8000) AlipayClient/10.6.50.8000 Language/zh-Hans";
}

/// The phone Chromium's device emulation plays: 390 × 844 CSS pixels at 3 device pixels each,
/// touch (so `(pointer: coarse)` matches), a mobile viewport, and `user_agent`.
pub const PHONE_WIDTH: u32 = 390;
pub const PHONE_HEIGHT: u32 = 844;

impl Browser {
    pub async fn start(log_dir: &Path, width: u32, height: u32) -> Result<Browser> {
        let proxy = recorder::start().await?;
        Browser::launch(log_dir, width, height, Some(proxy), None, &[]).await
    }

    /// Without the recording proxy: the benchmark times what a shopper's browser gets.
    pub async fn direct(log_dir: &Path, width: u32, height: u32) -> Result<Browser> {
        Browser::launch(log_dir, width, height, None, None, &[]).await
    }

    /// A phone with this user agent (see `PHONE_WIDTH`), through the recording proxy; `args` are
    /// further Chromium switches.
    pub async fn phone(log_dir: &Path, user_agent: &str, args: &[&str]) -> Result<Browser> {
        let proxy = recorder::start().await?;
        Browser::launch(log_dir, PHONE_WIDTH, PHONE_HEIGHT, Some(proxy), Some(user_agent), args).await
    }

    /// A phone without the recording proxy, for the benchmark.
    pub async fn phone_direct(log_dir: &Path, user_agent: &str) -> Result<Browser> {
        Browser::launch(log_dir, PHONE_WIDTH, PHONE_HEIGHT, None, Some(user_agent), &[]).await
    }

    /// Sends one DevTools protocol command to the page (chromedriver's `goog/cdp/execute`) and
    /// returns its result.
    pub async fn cdp(&self, command: &str, params: serde_json::Value) -> Result<serde_json::Value> {
        let id = self.client.session_id().await?.context("no WebDriver session")?;
        let answer: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/session/{id}/goog/cdp/execute", self.driver_url))
            .json(&serde_json::json!({"cmd": command, "params": params}))
            .send()
            .await?
            .json()
            .await?;
        if let Some(error) = answer["value"].get("error") {
            bail!("{command}: {error} {}", answer["value"]["message"]);
        }
        Ok(answer["value"].clone())
    }

    async fn launch(
        log_dir: &Path,
        width: u32,
        height: u32,
        proxy: Option<String>,
        phone: Option<&str>,
        extra: &[&str],
    ) -> Result<Browser> {
        let (chromium, chromedriver) = browser_binaries();
        for bin in [&chromium, &chromedriver] {
            if !Path::new(bin).exists() {
                bail!("{bin} is missing: `cargo xtask setup --browser` installs it");
            }
        }
        let port = free_port()?;
        let driver = Process::spawn(
            "chromedriver",
            Command::new(&chromedriver).arg(format!("--port={port}")),
            log_dir,
        )?;
        driver.wait_for("started successfully", Duration::from_secs(20))?;
        let profile = std::env::temp_dir().join(format!("checkout-chromium-{}", random_hex(6)?));
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ]
        .map(String::from)
        .into();
        args.push(format!("--window-size={width},{height}"));
        args.push(format!("--user-data-dir={}", profile.display()));
        if let Some(proxy) = proxy {
            // `<-loopback>` removes Chromium's implicit bypass for loopback addresses.
            args.push(format!("--proxy-server=http://{proxy}"));
            args.push("--proxy-bypass-list=<-loopback>".into());
        }
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        let mut options = serde_json::json!({
            "binary": chromium,
            "args": args,
        });
        if let Some(user_agent) = phone {
            options["mobileEmulation"] = serde_json::json!({
                "deviceMetrics": {"width": width, "height": height, "pixelRatio": 3.0, "touch": true, "mobile": true},
                "userAgent": user_agent,
            });
        }
        let caps = serde_json::json!({
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": options,
        });
        let serde_json::Value::Object(caps) = caps else { bail!("capabilities") };
        let driver_url = format!("http://127.0.0.1:{port}");
        let client =
            fantoccini::ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps)
                .connect(&driver_url)
                .await
                .context("connecting to chromedriver")?;
        Ok(Browser { client, driver_url, _driver: driver, _profile: profile })
    }

    /// The browser console's entries at warning level or above since the last call.
    pub async fn console_problems(&self) -> Result<Vec<String>> {
        let id = self.client.session_id().await?.context("no WebDriver session")?;
        let http = reqwest::Client::new();
        let answer: serde_json::Value = http
            .post(format!("{}/session/{id}/se/log", self.driver_url))
            .json(&serde_json::json!({"type": "browser"}))
            .send()
            .await?
            .json()
            .await?;
        Ok(answer["value"]
            .as_array()
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| matches!(e["level"].as_str(), Some("SEVERE" | "WARNING")))
                    .map(|e| e["message"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default())
    }

    pub async fn close(self) -> Result<()> {
        self.client.close().await?;
        let _ = fs::remove_dir_all(&self._profile);
        Ok(())
    }
}

/// Decodes the QR code(s) in a PNG screenshot.
pub fn decode_qr(png: &[u8]) -> Result<Vec<String>> {
    let img = image::load_from_memory(png).context("reading the screenshot")?.to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    Ok(prepared.detect_grids().into_iter().filter_map(|g| g.decode().ok().map(|(_, text)| text)).collect())
}

/// gzip -9 size of some bytes, as a browser would receive them compressed.
pub fn gzip_len(bytes: &[u8]) -> usize {
    use flate2::Compression;
    use flate2::write::GzEncoder;
    let mut enc = GzEncoder::new(Vec::new(), Compression::best());
    let _ = enc.write_all(bytes);
    enc.finish().map(|v| v.len()).unwrap_or(0)
}

/// Chromium and chromedriver: Debian's (`/usr/bin`) unless `CHROMIUM` and `CHROMEDRIVER` name
/// others (macOS: `brew install --cask chromium` and `brew install chromedriver`).
pub fn browser_binaries() -> (String, String) {
    let pick = |var: &str, default: &str| std::env::var(var).unwrap_or_else(|_| default.to_owned());
    (pick("CHROMIUM", "/usr/bin/chromium"), pick("CHROMEDRIVER", "/usr/bin/chromedriver"))
}

/// A merchant's webhook endpoint on a free loopback port: it answers `200` (or the status a test
/// sets, to play an endpoint that is down) and keeps each request's `Checkout-Signature` header
/// and body, so a test can read what the edge sent.
pub struct WebhookSink {
    pub url: String,
    received: Received,
    status: std::sync::Arc<std::sync::atomic::AtomicU16>,
}

/// Each request's `Checkout-Signature` header and raw body, shared with the accepting task.
type Received = std::sync::Arc<std::sync::Mutex<Vec<(String, Vec<u8>)>>>;

/// Every webhook body any `WebhookSink` of this process received since the last
/// `take_every_webhook`: the whole run's scan reads them.
static EVERY_WEBHOOK: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

/// The webhook bodies received by every endpoint since the last `take_every_webhook`, left in
/// place for it.
pub fn every_webhook_so_far() -> Vec<Vec<u8>> {
    EVERY_WEBHOOK.lock().map(|all| all.clone()).unwrap_or_default()
}

/// The webhook bodies received by every endpoint since the last call, oldest first.
pub fn take_every_webhook() -> Vec<Vec<u8>> {
    EVERY_WEBHOOK.lock().map(|mut all| std::mem::take(&mut *all)).unwrap_or_default()
}

impl WebhookSink {
    /// Starts accepting on the current tokio runtime.
    pub async fn start() -> Result<WebhookSink> {
        WebhookSink::start_on(0).await
    }

    /// Starts accepting on loopback port `port` (0: any free one): a test can give the edge a
    /// merchant endpoint that is down, and bring it up later on the same address.
    pub async fn start_on(port: u16) -> Result<WebhookSink> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let url = format!("http://{}/webhook", listener.local_addr()?);
        let received: Received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let store = received.clone();
        let status = std::sync::Arc::new(std::sync::atomic::AtomicU16::new(200));
        let answer = status.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let store = store.clone();
                let answer = answer.clone();
                tokio::spawn(async move {
                    let mut data = Vec::new();
                    let mut buf = [0u8; 4096];
                    // Bounded: a webhook is a few kilobytes.
                    while data.len() < 1 << 20 {
                        let Ok(n) = socket.read(&mut buf).await else { return };
                        if n == 0 {
                            break;
                        }
                        data.extend_from_slice(&buf[..n]);
                        if let Some((headers, body)) = split_request(&data)
                            && body.len() >= content_length(&headers)
                        {
                            let signature = header(&headers, "checkout-signature").unwrap_or_default();
                            if let Ok(mut all) = store.lock() {
                                all.push((signature, body.to_vec()));
                            }
                            if let Ok(mut every) = EVERY_WEBHOOK.lock() {
                                every.push(body.to_vec());
                            }
                            let code = answer.load(std::sync::atomic::Ordering::SeqCst);
                            let head = format!(
                                "HTTP/1.1 {code} Status\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                            );
                            let _ = socket.write_all(head.as_bytes()).await;
                            return;
                        }
                    }
                });
            }
        });
        Ok(WebhookSink { url, received, status })
    }

    /// Answers every later request with `status` (e.g. `503` while the endpoint is "down").
    pub fn answer_with(&self, status: u16) {
        self.status.store(status, std::sync::atomic::Ordering::SeqCst);
    }

    /// The events received so far, as JSON, oldest first.
    pub fn events(&self) -> Vec<serde_json::Value> {
        let all = self.received.lock().map(|all| all.clone()).unwrap_or_default();
        all.iter().filter_map(|(_, body)| serde_json::from_slice(body).ok()).collect()
    }

    /// Every request received: the signature header and the raw body.
    pub fn requests(&self) -> Vec<(String, Vec<u8>)> {
        self.received.lock().map(|all| all.clone()).unwrap_or_default()
    }
}

fn split_request(data: &[u8]) -> Option<(String, &[u8])> {
    let at = data.windows(4).position(|w| w == b"\r\n\r\n")?;
    Some((String::from_utf8_lossy(&data[..at]).into_owned(), &data[at + 4..]))
}

fn header(headers: &str, name: &str) -> Option<String> {
    headers.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim().to_owned())
    })
}

fn content_length(headers: &str) -> usize {
    header(headers, "content-length").and_then(|v| v.parse().ok()).unwrap_or(0)
}
