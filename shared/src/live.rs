//! What a live edge needs before it takes payments, decided from its settings alone: every
//! secret present, and every URL it checks (`PUBLIC_BASE_URL`, `ALLOWED_ORIGINS`, the gateways',
//! a session's `notify_url`) a public `https` one, read by one WHATWG URL parser (the `url`
//! crate, the same reading a `fetch` makes). The edge passes its settings in; nothing here sees
//! a value it could leak: a [`Problem`] names the setting, never its value.

use crate::session::Method;
use serde::Serialize;
use std::collections::BTreeMap;
use url::{Host, Url};

/// Why a URL is not acceptable where the edge needs a public `https` one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlProblem {
    /// Not an absolute URL a WHATWG parser reads (or too long, or with spaces).
    NotAUrl,
    /// `http:`, or another scheme.
    NotHttps,
    /// `user:password@` before the host.
    Credentials,
    /// An IP address (in any form a parser accepts: `127.1`, `0x7f.0.0.1`, `2130706433`, `[::1]`).
    IpAddress,
    /// `localhost`, a name without a dot, or one that only a private network resolves.
    PrivateName,
    /// A name under `.invalid`: the production configuration's placeholder, not yet replaced.
    Placeholder,
}

impl UrlProblem {
    /// The end of a sentence "… must …", for messages.
    pub fn must(self) -> &'static str {
        match self {
            UrlProblem::NotAUrl => "be an absolute URL",
            UrlProblem::NotHttps => "use https://",
            UrlProblem::Credentials => "not carry credentials",
            UrlProblem::IpAddress => "name a host, not an IP address",
            UrlProblem::PrivateName => "name a public host (not localhost or a private network name)",
            UrlProblem::Placeholder => "name your own host (it is still a *.invalid placeholder)",
        }
    }
}

/// The longest URL any setting or request field may be.
pub const MAX_URL_CHARS: usize = 2048;

/// Names that only a private network resolves, as last labels.
const PRIVATE_SUFFIXES: [&str; 8] =
    ["localhost", "local", "internal", "intranet", "lan", "home.arpa", "corp", "localdomain"];

/// Reads `text` as an absolute `http(s)` URL with a host, the way `fetch` will: the one parser
/// for every URL the edge is given.
pub fn web_url(text: &str) -> Result<Url, UrlProblem> {
    if text.len() > MAX_URL_CHARS || text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(UrlProblem::NotAUrl);
    }
    let url = Url::parse(text).map_err(|_| UrlProblem::NotAUrl)?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(UrlProblem::NotAUrl);
    }
    Ok(url)
}

/// Reads `text` as a public `https` URL: named by DNS (not an IP address), not a private or
/// loopback name, no credentials. The edge cannot see where a name resolves, so a public name
/// pointing inward is the operator's to avoid; redirects are never followed.
pub fn public_https_url(text: &str) -> Result<Url, UrlProblem> {
    let url = web_url(text)?;
    if url.scheme() != "https" {
        return Err(UrlProblem::NotHttps);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlProblem::Credentials);
    }
    match url.host() {
        Some(Host::Domain(name)) => {
            let name = name.trim_end_matches('.');
            if name == "invalid" || name.ends_with(".invalid") {
                return Err(UrlProblem::Placeholder);
            }
            let private = PRIVATE_SUFFIXES.iter().any(|s| name == *s || name.ends_with(&format!(".{s}")));
            if private || !name.contains('.') {
                return Err(UrlProblem::PrivateName);
            }
        }
        Some(Host::Ipv4(_) | Host::Ipv6(_)) => return Err(UrlProblem::IpAddress),
        None => return Err(UrlProblem::NotAUrl),
    }
    Ok(url)
}

/// An origin of `ALLOWED_ORIGINS` as browsers send it (`https://shop.example.com`, with a port
/// when it is not the default), if `text` is one: an `http(s)` URL with nothing after the host
/// but an optional `/`.
pub fn origin(text: &str) -> Option<String> {
    let url = web_url(text.trim()).ok()?;
    let bare = url.path() == "/" && url.query().is_none() && url.fragment().is_none();
    let no_user = url.username().is_empty() && url.password().is_none();
    (bare && no_user).then(|| url.origin().ascii_serialization())
}

/// One thing wrong with a live edge's settings: the setting's name and what is wrong, never its
/// value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub setting: &'static str,
    pub problem: String,
}

/// Where one gateway stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GatewayState {
    /// Every setting present, its URL public `https`.
    Ready,
    /// Some of its credentials are set but not all, or its URL is not public `https`.
    Incomplete,
    /// None of its credentials are set: its methods are not offered.
    NotConfigured,
}

/// What `/health` shows of a live edge and what session creation checks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Readiness {
    /// True when the edge may take payments: no problem, and at least one gateway ready.
    pub ready: bool,
    /// Every problem, the edge's own settings first, then each gateway's.
    pub problems: Vec<Problem>,
    /// `payzero`, `shouqianba`, `ezr`.
    pub gateways: BTreeMap<&'static str, GatewayState>,
}

/// The settings every live edge needs (secrets).
const EDGE_SECRETS: [&str; 3] = ["MERCHANT_SECRET_KEY", "WEBHOOK_SECRET", "PERSONAL_DATA_KEY"];

/// Each gateway: its name, its API URL setting, and the other settings it needs (credentials
/// and ids). It counts as configured once any of the others is set.
const GATEWAYS: [(&str, &str, &[&str]); 3] = [
    ("payzero", "PAYZERO_API_URL", &["PAYZERO_APP_ID", "PAYZERO_APP_KEY", "PAYZERO_SIGN_TOKEN"]),
    (
        "shouqianba",
        "SHOUQIANBA_API_URL",
        &[
            "SHOUQIANBA_DEVICE_ID",
            "SHOUQIANBA_VENDOR_SN",
            "SHOUQIANBA_VENDOR_KEY",
            "SHOUQIANBA_APP_ID",
            "SHOUQIANBA_ACTIVATION_CODE",
        ],
    ),
    ("ezr", "EZR_API_URL", &["EZR_APP_ID", "EZR_SHOP_CODE", "EZR_TOKEN"]),
];

/// Settings that only test mode may have.
const TEST_ONLY: [&str; 1] = ["SANDBOX_ADMIN_URL"];

/// Whether a live edge with these settings may take payments, and if not, what is missing.
/// `get` returns a setting's value (a var or a secret), `None` when unset.
pub fn readiness(get: &dyn Fn(&str) -> Option<String>) -> Readiness {
    let value = |name: &str| get(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let mut problems = Vec::new();
    for name in EDGE_SECRETS {
        match value(name) {
            None => problems.push(Problem { setting: name, problem: "missing".into() }),
            Some(v) if v.ends_with("_change_me") => {
                problems.push(Problem { setting: name, problem: "still the example's placeholder".into() });
            }
            Some(_) => {}
        }
    }
    match value("PUBLIC_BASE_URL").map(|v| public_https_url(&v)) {
        None => problems.push(Problem { setting: "PUBLIC_BASE_URL", problem: "missing".into() }),
        Some(Err(why)) => {
            problems.push(Problem { setting: "PUBLIC_BASE_URL", problem: format!("must {}", why.must()) });
        }
        Some(Ok(_)) => {}
    }
    // Unset is allowed (the hosted page works; no shop page may frame it); each listed origin
    // must be a public https one.
    if let Some(list) = value("ALLOWED_ORIGINS") {
        let bad = list
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .filter(|o| origin(o).is_none() || public_https_url(o).is_err())
            .count();
        if bad > 0 {
            problems.push(Problem {
                setting: "ALLOWED_ORIGINS",
                problem: format!("{bad} listed origin(s) are not public https origins"),
            });
        }
    }
    for name in TEST_ONLY {
        if value(name).is_some() {
            problems.push(Problem {
                setting: name,
                problem: "a test-mode setting: unset it in live mode".into(),
            });
        }
    }
    let mut gateways = BTreeMap::new();
    for (gateway, url_setting, others) in GATEWAYS {
        if others.iter().all(|name| value(name).is_none()) {
            gateways.insert(gateway, GatewayState::NotConfigured);
            continue;
        }
        let before = problems.len();
        match value(url_setting).map(|v| public_https_url(&v)) {
            None => problems.push(Problem { setting: url_setting, problem: "missing".into() }),
            Some(Err(why)) => {
                problems.push(Problem { setting: url_setting, problem: format!("must {}", why.must()) });
            }
            Some(Ok(_)) => {}
        }
        for name in others.iter().copied() {
            if value(name).is_none() {
                problems.push(Problem { setting: name, problem: "missing".into() });
            }
        }
        let state = if problems.len() == before { GatewayState::Ready } else { GatewayState::Incomplete };
        gateways.insert(gateway, state);
    }
    let ready = problems.is_empty() && gateways.values().any(|s| *s == GatewayState::Ready);
    Readiness { ready, problems, gateways }
}

impl Readiness {
    /// Why a live session offering `methods` cannot be made, in one sentence naming the
    /// settings (never their values); `None` when it can.
    pub fn refusal(&self, methods: &[Method]) -> Option<String> {
        if !self.problems.is_empty() {
            let names: Vec<String> =
                self.problems.iter().map(|p| format!("{} ({})", p.setting, p.problem)).collect();
            return Some(format!(
                "this edge is live but not ready to take payments: {} (GET /health lists them)",
                names.join(", ")
            ));
        }
        let unready: Vec<&str> = methods
            .iter()
            .map(|m| gateway_of(*m))
            .filter(|g| self.gateways.get(g) != Some(&GatewayState::Ready))
            .collect();
        match unready.first() {
            Some(gateway) => Some(format!("the {gateway} gateway is not configured on this edge")),
            None if !self.ready => Some("no gateway is configured on this edge".into()),
            None => None,
        }
    }
}

fn gateway_of(method: Method) -> &'static str {
    match method {
        Method::PayzeroQr | Method::PayzeroCard => "payzero",
        Method::ShouqianbaQr | Method::ShouqianbaBarcode => "shouqianba",
        Method::EzrBarcode => "ezr",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn one_parser_reads_every_url_as_fetch_would() {
        for public in [
            "https://shop.example.com/hooks",
            "https://api.shop.cn:8443/h?x=1",
            "https://shop.example.com.",
            "https://xn--fiqs8s.example.com/",
            "https://中国.example.com/",
        ] {
            assert!(public_https_url(public).is_ok(), "{public}");
        }
        for (inward, why) in [
            // A backslash ends the host for https (WHATWG): this is 127.0.0.1, path "/.example.com/".
            ("https://127.0.0.1\\.example.com/", UrlProblem::IpAddress),
            ("https://127.1/", UrlProblem::IpAddress),
            ("https://0177.0.0.1/", UrlProblem::IpAddress),
            ("https://0x7f.0.0.1/hooks", UrlProblem::IpAddress),
            ("https://2130706433/hooks", UrlProblem::IpAddress),
            ("https://[::1]/hooks", UrlProblem::IpAddress),
            ("https://[::ffff:127.0.0.1]/", UrlProblem::IpAddress),
            ("https://10.0.0.8:8443/hooks", UrlProblem::IpAddress),
            ("https://LOCALHOST./hooks", UrlProblem::PrivateName),
            ("https://shop.localhost/hooks", UrlProblem::PrivateName),
            ("https://printer.local/hooks", UrlProblem::PrivateName),
            ("https://intranet/hooks", UrlProblem::PrivateName),
            ("https://pay.your-shop.invalid", UrlProblem::Placeholder),
            ("https://user:pw@shop.example.com/hooks", UrlProblem::Credentials),
            ("https://shop.example.com@127.0.0.1/", UrlProblem::Credentials),
            ("http://shop.example.com/hooks", UrlProblem::NotHttps),
            ("ftp://shop.example.com/", UrlProblem::NotAUrl),
            ("https:// shop.example.com/", UrlProblem::NotAUrl),
            ("//shop.example.com/", UrlProblem::NotAUrl),
        ] {
            assert_eq!(public_https_url(inward).map(|_| ()), Err(why), "{inward}");
        }
    }

    #[test]
    fn origins_are_read_as_browsers_send_them() {
        assert_eq!(origin("https://Shop.Example.com/").as_deref(), Some("https://shop.example.com"));
        assert_eq!(origin("https://shop.example.com:443").as_deref(), Some("https://shop.example.com"));
        assert_eq!(origin("http://127.0.0.1:8788").as_deref(), Some("http://127.0.0.1:8788"));
        assert_eq!(origin("https://shop.example.com/path"), None);
        assert_eq!(origin("https://a@shop.example.com"), None);
        assert_eq!(origin("shop.example.com"), None);
    }

    fn settings(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: BTreeMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |name| map.get(name).cloned()
    }

    const GOOD: [(&str, &str); 8] = [
        ("MERCHANT_SECRET_KEY", "sk_live_1"),
        ("WEBHOOK_SECRET", "whsec_1"),
        ("PERSONAL_DATA_KEY", "pdk_1"),
        ("PUBLIC_BASE_URL", "https://pay.shop.example.com"),
        ("ALLOWED_ORIGINS", "https://shop.example.com, https://www.shop.example.com"),
        ("EZR_API_URL", "https://api.ezr.example.cn/"),
        ("EZR_APP_ID", "EZP"),
        ("EZR_SHOP_CODE", "HQ01S001"),
    ];

    #[test]
    fn a_complete_public_configuration_is_ready() {
        let mut pairs = GOOD.to_vec();
        pairs.push(("EZR_TOKEN", "t"));
        let r = readiness(&settings(&pairs));
        assert!(r.ready, "{r:?}");
        assert_eq!(r.gateways["ezr"], GatewayState::Ready);
        assert_eq!(r.gateways["payzero"], GatewayState::NotConfigured);
        assert_eq!(r.refusal(&[Method::EzrBarcode]), None);
        let refusal = r.refusal(&[Method::EzrBarcode, Method::PayzeroQr]).unwrap();
        assert!(refusal.contains("payzero"), "{refusal}");
    }

    #[test]
    fn loopback_missing_and_test_settings_are_named_never_shown() {
        // What `wrangler deploy` would take from the local [vars] and .dev.vars.
        let local = [
            ("MERCHANT_SECRET_KEY", "sk_test_change_me"),
            ("WEBHOOK_SECRET", "whsec_abc"),
            ("PUBLIC_BASE_URL", "http://127.0.0.1:8787"),
            ("ALLOWED_ORIGINS", "http://127.0.0.1:8788"),
            ("SANDBOX_ADMIN_URL", "http://127.0.0.1:8790/__admin"),
            ("PAYZERO_API_URL", "http://127.0.0.1:8790/payzero"),
            ("PAYZERO_APP_ID", "pz_app_id_1"),
            ("PAYZERO_APP_KEY", "secret-app-key"),
        ];
        let r = readiness(&settings(&local));
        assert!(!r.ready);
        let named: Vec<&str> = r.problems.iter().map(|p| p.setting).collect();
        assert_eq!(
            named,
            [
                "MERCHANT_SECRET_KEY",
                "PERSONAL_DATA_KEY",
                "PUBLIC_BASE_URL",
                "ALLOWED_ORIGINS",
                "SANDBOX_ADMIN_URL",
                "PAYZERO_API_URL",
                "PAYZERO_SIGN_TOKEN"
            ]
        );
        assert_eq!(r.gateways["payzero"], GatewayState::Incomplete);
        let shown = serde_json::to_string(&r).unwrap() + &r.refusal(&[Method::PayzeroQr]).unwrap();
        for (_, value) in local {
            assert!(!shown.contains(value), "{value} shown: {shown}");
        }
        assert!(shown.contains("PUBLIC_BASE_URL (must use https://)"), "{shown}");
        // Nothing configured at all: not ready, and it says so.
        let nothing = readiness(&settings(&[]));
        assert!(!nothing.ready);
        assert_eq!(nothing.problems.len(), 4);
        // Edge settings fine but no gateway: not ready either.
        let r = readiness(&settings(&GOOD[..5]));
        assert!(!r.ready && r.problems.is_empty(), "{r:?}");
        assert_eq!(
            r.refusal(&[Method::PayzeroQr]).unwrap(),
            "the payzero gateway is not configured on this edge"
        );
    }
}
