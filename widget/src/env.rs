//! What the widget learns from the page around it: the in-app browser it runs in, whether it is
//! a phone, the `?lang=`, `?origin=`, `?method_order=` and theme parameters, and which URLs are
//! safe to link to. The parsing is pure (and tested natively); only `Page::read` touches the
//! browser.

use crate::i18n::Lang;
use crate::state::phone::Place;

/// The wallets whose built-in browsers cannot scan a QR shown on their own screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InApp {
    Wechat,
    Alipay,
}

/// Recognises WeChat's and Alipay's webviews by the markers they put in the user agent.
pub fn detect_in_app(user_agent: &str) -> Option<InApp> {
    if user_agent.contains("MicroMessenger") {
        Some(InApp::Wechat)
    } else if user_agent.contains("AlipayClient") {
        Some(InApp::Alipay)
    } else {
        None
    }
}

/// The first value of `name` in a query string (`?a=1&b=2`, with or without the `?`),
/// percent-decoded.
pub fn query_param(search: &str, name: &str) -> Option<String> {
    search.trim_start_matches('?').split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (percent_decode(key) == name).then(|| percent_decode(value))
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h << 4 | l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-encodes one URL path segment (everything but RFC 3986 unreserved characters), so a
/// client secret can never change which path is requested.
pub fn encode_path_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for b in segment.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Accepts `?origin=` only when it is exactly an http(s) origin (`scheme://host[:port]`, no
/// path, user or query): it becomes the `targetOrigin` of `postMessage`, which must never be
/// `*` or something an attacker could bend.
pub fn parse_origin(text: &str) -> Option<String> {
    let text = text.trim();
    let lower = text.to_ascii_lowercase();
    let rest = lower.strip_prefix("https://").or_else(|| lower.strip_prefix("http://"))?;
    let host = rest.strip_suffix('/').unwrap_or(rest);
    let valid = !host.is_empty()
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'))
        && !host.starts_with(':');
    valid.then(|| lower[..lower.len() - (rest.len() - host.len())].to_owned())
}

/// The merchant's return URL, if it is a plain http(s) link: a `javascript:` URL in an `href`
/// would run script on our origin.
pub fn safe_link(url: &str) -> Option<&str> {
    let lower = url.trim_start().get(..8).unwrap_or("").to_ascii_lowercase();
    let web = lower.starts_with("https://") || lower.starts_with("http://");
    let clean = !url.chars().any(|c| c.is_control() || c.is_whitespace());
    (web && clean).then_some(url)
}

/// A CSS custom property the host may set through the iframe URL (`?accent=`…), with the
/// property it sets. Only these, so a URL cannot restyle anything else.
pub const THEME_PARAMS: &[(&str, &str)] = &[
    ("accent", "--checkout-accent"),
    ("bg", "--checkout-bg"),
    ("fg", "--checkout-fg"),
    ("radius", "--checkout-radius"),
    ("font", "--checkout-font"),
];

/// Accepts a theme value made only of characters colours, lengths and font names need. No
/// `url(`, no `;`, no braces: nothing that loads a resource or escapes the declaration.
pub fn safe_css_value(value: &str) -> Option<&str> {
    let ok = !value.is_empty()
        && value.len() <= 100
        && value.chars().all(|c| c.is_ascii_alphanumeric() || " #%.,-()'\"".contains(c))
        && !value.to_ascii_lowercase().contains("url");
    ok.then_some(value)
}

/// Everything read from the page at mount time.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Page {
    pub lang: Option<Lang>,
    pub in_app: Option<InApp>,
    /// The host page's origin when the widget runs in its iframe.
    pub parent_origin: Option<String>,
    /// Theme custom properties from the URL, already checked.
    pub theme: Vec<(&'static str, String)>,
    /// A phone, a wallet's browser on a phone, or a desktop (`Page::read` tells them apart).
    pub place: Place,
    /// The merchant's setting (`?method_order=session`, the loader's `data-method-order`) to show
    /// the wallets in the session's order on phones too.
    pub keep_order: bool,
}

impl Page {
    /// Parses a page's query string and user agent.
    pub fn parse(search: &str, user_agent: &str) -> Page {
        let theme = THEME_PARAMS
            .iter()
            .filter_map(|(param, property)| {
                let value = query_param(search, param)?;
                safe_css_value(&value).map(|v| (*property, v.to_owned()))
            })
            .collect();
        Page {
            lang: query_param(search, "lang").and_then(|l| Lang::from_tag(&l)),
            in_app: detect_in_app(user_agent),
            parent_origin: query_param(search, "origin").and_then(|o| parse_origin(&o)),
            theme,
            place: Place::Desktop,
            keep_order: query_param(search, "method_order").as_deref() == Some("session"),
        }
    }

    /// Reads the current window's URL, user agent, primary pointer and screen.
    pub fn read() -> Page {
        let Some(window) = web_sys::window() else {
            return Page::default();
        };
        let search = window.location().search().unwrap_or_default();
        let user_agent = window.navigator().user_agent().unwrap_or_default();
        let mut page = Page::parse(&search, &user_agent);
        let coarse =
            window.match_media("(pointer: coarse)").ok().flatten().is_some_and(|query| query.matches());
        let short_side = window
            .screen()
            .ok()
            .and_then(|s| Some(s.width().ok()?.min(s.height().ok()?)))
            .and_then(|side| u32::try_from(side).ok())
            .unwrap_or(0);
        page.place = Place::of(coarse, short_side, page.in_app);
        page
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn wechat_and_alipay_webviews_are_recognised() {
        let wechat = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.43(0x18002b2c) NetType/WIFI Language/zh_CN";
        let alipay = "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 Chrome/108.0 Mobile Safari/537.36 AlipayClient/10.5.36.8000 Language/zh-Hans";
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0 Safari/537.36";
        assert_eq!(detect_in_app(wechat), Some(InApp::Wechat));
        assert_eq!(detect_in_app(alipay), Some(InApp::Alipay));
        assert_eq!(detect_in_app(chrome), None);
    }

    #[test]
    fn query_params_are_found_and_decoded() {
        let search = "?origin=http%3A%2F%2F127.0.0.1%3A8788&lang=en&font=Noto+Sans";
        assert_eq!(query_param(search, "origin").as_deref(), Some("http://127.0.0.1:8788"));
        assert_eq!(query_param(search, "lang").as_deref(), Some("en"));
        assert_eq!(query_param(search, "font").as_deref(), Some("Noto Sans"));
        assert_eq!(query_param(search, "missing"), None);
        assert_eq!(query_param("?a=%zz%4", "a").as_deref(), Some("%zz%4"));
        assert_eq!(query_param("", "a"), None);
        assert_eq!(query_param("?a", "a").as_deref(), Some(""));
    }

    #[test]
    fn only_exact_http_origins_are_accepted() {
        assert_eq!(parse_origin("https://shop.example.com").as_deref(), Some("https://shop.example.com"));
        assert_eq!(parse_origin("http://127.0.0.1:8788/").as_deref(), Some("http://127.0.0.1:8788"));
        assert_eq!(parse_origin("HTTPS://Shop.Example.com").as_deref(), Some("https://shop.example.com"));
        for bad in [
            "*",
            "null",
            "",
            "https://",
            "javascript:alert(1)",
            "https://a.com/path",
            "https://u@a.com",
            "https://a.com?x",
            "ftp://a.com",
            "https://:80",
        ] {
            assert_eq!(parse_origin(bad), None, "{bad}");
        }
    }

    #[test]
    fn only_web_links_are_offered_as_return_links() {
        assert_eq!(safe_link("https://shop.example.com/orders/1"), Some("https://shop.example.com/orders/1"));
        assert_eq!(safe_link("http://127.0.0.1:8788/return?o=1"), Some("http://127.0.0.1:8788/return?o=1"));
        assert_eq!(safe_link("javascript:alert(1)"), None);
        assert_eq!(safe_link("JaVaScRiPt:alert(1)"), None);
        assert_eq!(safe_link("data:text/html,x"), None);
        assert_eq!(safe_link("https://a.com/\nx"), None);
    }

    #[test]
    fn path_segments_are_escaped() {
        assert_eq!(encode_path_segment("cs_test_AbC-1.2~x"), "cs_test_AbC-1.2~x");
        assert_eq!(encode_path_segment("../v1/sessions?x=1"), "..%2Fv1%2Fsessions%3Fx%3D1");
    }

    #[test]
    fn theme_values_cannot_inject_css() {
        assert_eq!(safe_css_value("#0a7"), Some("#0a7"));
        assert_eq!(safe_css_value("rgb(10, 20, 30)"), Some("rgb(10, 20, 30)"));
        assert_eq!(safe_css_value("'Noto Sans', sans-serif"), Some("'Noto Sans', sans-serif"));
        assert_eq!(safe_css_value("red; background: url(x)"), None);
        assert_eq!(safe_css_value("url(https://evil)"), None);
        assert_eq!(safe_css_value("red}body{"), None);
    }

    #[test]
    fn a_page_url_gives_lang_origin_and_theme() {
        let page = Page::parse(
            "?origin=http%3A%2F%2F127.0.0.1%3A8788&lang=en&accent=%23c00&bg=red;x",
            "MicroMessenger/8",
        );
        assert_eq!(page.lang, Some(Lang::En));
        assert_eq!(page.parent_origin.as_deref(), Some("http://127.0.0.1:8788"));
        assert_eq!(page.in_app, Some(InApp::Wechat));
        assert_eq!(page.theme, vec![("--checkout-accent", "#c00".to_owned())]);
        assert!(!page.keep_order);
        assert!(Page::parse("?method_order=session", "").keep_order);
        assert!(!Page::parse("?method_order=phone", "").keep_order);
    }
}
