//! The sandbox's state on disk (`--state-dir DIR` → `DIR/state.json`), so the gateways remember
//! their orders, terminals, refunds, tokens, pending notifications and clock offset across a
//! restart, as the edge's Durable Objects do. Written whole to a temporary file and renamed over
//! the old one, so a crash mid-write leaves the previous state; read once at start.

use crate::state::State;
use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Bumped when the file's shape changes; an older file is refused with a clear message.
const VERSION: u32 = 1;
/// How many orders each gateway keeps (the oldest go first): the file stays bounded.
pub(crate) const MAX_ORDERS: usize = 10_000;
/// The most a state file may weigh when read back.
const MAX_FILE_BYTES: u64 = 256 << 20;
const FILE: &str = "state.json";

/// What is kept. Faults and the request log are test instruments and stay in memory.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Saved {
    version: u32,
    clock_offset_ms: u64,
    payzero: crate::payzero::Payzero,
    /// Hex: the key that signs Payzero tokens, so tokens issued before a restart stay valid.
    payzero_jwt_key: String,
    payzero_notify_url: Option<String>,
    shouqianba: crate::shouqianba::Shouqianba,
    /// Terminal → current key (the admin view leaves keys out; the file must not).
    shouqianba_terminal_keys: BTreeMap<String, String>,
    ezr: crate::ezr::Ezr,
    notifications: crate::notify::Queue,
}

/// Where the state lives.
#[derive(Clone, Debug)]
pub(crate) struct Store {
    dir: PathBuf,
}

impl Store {
    /// Creates `dir` if needed.
    pub(crate) fn open(dir: &Path) -> anyhow::Result<Store> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the state directory {}", dir.display()))?;
        Ok(Store { dir: dir.to_path_buf() })
    }

    fn path(&self) -> PathBuf {
        self.dir.join(FILE)
    }

    /// Puts the saved state (if there is one) into `st`. A file that cannot be read is an
    /// error, never silently replaced: the developer decides (`cargo xtask dev --fresh`).
    pub(crate) fn load_into(&self, st: &mut State) -> anyhow::Result<bool> {
        let path = self.path();
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        if meta.len() > MAX_FILE_BYTES {
            bail!("{} is larger than {MAX_FILE_BYTES} bytes; remove it to start clean", path.display());
        }
        let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let saved: Saved = serde_json::from_slice(&bytes).with_context(|| {
            format!(
                "{} is not a sandbox state file this version reads; remove it to start clean",
                path.display()
            )
        })?;
        if saved.version != VERSION {
            bail!(
                "{} has version {}, this sandbox writes version {VERSION}; remove it to start clean",
                path.display(),
                saved.version
            );
        }
        st.clock.set_offset_ms(saved.clock_offset_ms);
        let jwt_key = hex_decode(&saved.payzero_jwt_key).context("payzeroJwtKey is not hex")?;
        st.payzero = saved.payzero;
        st.payzero.restore_jwt_key(jwt_key);
        st.payzero_notify_url = saved.payzero_notify_url;
        st.sqb = saved.shouqianba;
        st.sqb.restore_terminal_keys(&saved.shouqianba_terminal_keys);
        st.ezr = saved.ezr;
        st.notifications = saved.notifications;
        st.notifications.resume();
        Ok(true)
    }

    /// The state as the file holds it (after bounding what grows), or `None` if it cannot be
    /// encoded (never expected: every part is plain data).
    pub(crate) fn encode(st: &mut State) -> Option<Vec<u8>> {
        st.payzero.bound(MAX_ORDERS);
        st.sqb.bound(MAX_ORDERS);
        st.ezr.bound(MAX_ORDERS);
        let value = serde_json::json!({
            "version": VERSION,
            "clockOffsetMs": st.clock.offset_ms(),
            "payzero": &st.payzero,
            "payzeroJwtKey": hex_encode(st.payzero.jwt_key()),
            "payzeroNotifyUrl": &st.payzero_notify_url,
            "shouqianba": &st.sqb,
            "shouqianbaTerminalKeys": st.sqb.terminal_keys(),
            "ezr": &st.ezr,
            "notifications": &st.notifications,
        });
        serde_json::to_vec(&value).ok()
    }

    /// Writes `bytes` as the new state: a temporary file beside it, synced, then renamed over.
    pub(crate) fn write(&self, bytes: &[u8]) -> std::io::Result<()> {
        use std::io::Write;
        let tmp = self.dir.join(format!("{FILE}.tmp"));
        {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, self.path())
    }
}

fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hex_decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| text.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips_and_refuses_junk() {
        assert_eq!(hex_decode(&hex_encode(&[0, 15, 255])), Some(vec![0, 15, 255]));
        assert_eq!(hex_decode("abc"), None);
        assert_eq!(hex_decode("zz"), None);
        assert_eq!(hex_decode("é1"), None);
    }
}
