//! Sandbox configuration from environment variables, with local defaults so it runs with no
//! setup. Secrets are wrapped in `Secret` the moment they are read.

use crate::secret::Secret;

/// Everything the sandbox needs to play the three gateways. `Default` is the local set-up the
/// edge's `.dev.vars.example` matches.
#[derive(Clone, Debug)]
pub struct Config {
    pub payzero_app_id: String,
    pub payzero_app_key: Secret,
    /// The merchant's `signToken` that signs notifications (spec 3.1).
    pub payzero_sign_token: Secret,
    /// The merchant-level notification URL (spec 3.1); an order's own `notifyUrl` wins.
    pub payzero_notify_url: Option<String>,
    pub sqb_vendor_sn: String,
    pub sqb_vendor_key: Secret,
    pub sqb_activation_code: String,
    pub ezr_app_id: String,
    pub ezr_token: Secret,
    /// `SANDBOX_ADMIN=1`: serve the admin API even when bound to a non-loopback address.
    pub admin_forced: bool,
    /// Seeds the random generator so identifiers repeat from run to run (`SANDBOX_SEED`).
    pub seed: Option<u64>,
    /// Where the gateways' state is kept between runs (`--state-dir`); `None` keeps it in memory.
    pub state_dir: Option<std::path::PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            payzero_app_id: "sandbox-app".into(),
            payzero_app_key: Secret::new("sandbox-app-key"),
            payzero_sign_token: Secret::new("sandbox-sign-token"),
            payzero_notify_url: None,
            sqb_vendor_sn: "sandbox-vendor".into(),
            sqb_vendor_key: Secret::new("sandbox-vendor-key"),
            sqb_activation_code: "12345678".into(),
            ezr_app_id: "EZP".into(),
            ezr_token: Secret::new("sandbox-ezr-token"),
            admin_forced: false,
            seed: None,
            state_dir: None,
        }
    }
}

impl Config {
    /// Reads `SANDBOX_*` variables from the process environment.
    pub fn from_env() -> Self {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads `SANDBOX_*` variables through `lookup`; unset or empty ones keep their defaults.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let d = Config::default();
        Config {
            payzero_app_id: get("SANDBOX_PAYZERO_APP_ID").unwrap_or(d.payzero_app_id),
            payzero_app_key: get("SANDBOX_PAYZERO_APP_KEY").map(Secret::new).unwrap_or(d.payzero_app_key),
            payzero_sign_token: get("SANDBOX_PAYZERO_SIGN_TOKEN")
                .map(Secret::new)
                .unwrap_or(d.payzero_sign_token),
            payzero_notify_url: get("SANDBOX_PAYZERO_NOTIFY_URL"),
            sqb_vendor_sn: get("SANDBOX_SQB_VENDOR_SN").unwrap_or(d.sqb_vendor_sn),
            sqb_vendor_key: get("SANDBOX_SQB_VENDOR_KEY").map(Secret::new).unwrap_or(d.sqb_vendor_key),
            sqb_activation_code: get("SANDBOX_SQB_ACTIVATION_CODE").unwrap_or(d.sqb_activation_code),
            ezr_app_id: get("SANDBOX_EZR_APP_ID").unwrap_or(d.ezr_app_id),
            ezr_token: get("SANDBOX_EZR_TOKEN").map(Secret::new).unwrap_or(d.ezr_token),
            admin_forced: get("SANDBOX_ADMIN").as_deref() == Some("1"),
            seed: get("SANDBOX_SEED").and_then(|s| s.parse().ok()),
            state_dir: None,
        }
    }

    /// Sets the merchant-level Payzero notification URL.
    pub fn with_payzero_notify_url(mut self, url: impl Into<String>) -> Self {
        self.payzero_notify_url = Some(url.into());
        self
    }

    /// Keeps the state in `dir` (read at start, written as it changes).
    pub fn with_state_dir(mut self, dir: impl Into<std::path::PathBuf>) -> Self {
        self.state_dir = Some(dir.into());
        self
    }

    /// Seeds the random generator.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_defaults_and_secrets_stay_hidden() {
        let c = Config::from_lookup(|k| match k {
            "SANDBOX_PAYZERO_APP_KEY" => Some("k2".into()),
            "SANDBOX_ADMIN" => Some("1".into()),
            "SANDBOX_EZR_APP_ID" => Some(String::new()),
            _ => None,
        });
        assert_eq!(c.payzero_app_key.expose(), "k2");
        assert_eq!(c.ezr_app_id, "EZP");
        assert!(c.admin_forced);
        assert!(!format!("{c:?}").contains("k2"));
        assert!(!format!("{:?}", Config::default()).contains("sandbox-app-key"));
    }
}
