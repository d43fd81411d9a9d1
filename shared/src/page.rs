//! The hosted checkout page as the edge serves it: `pay.html` with the session's view in it (the
//! widget starts without asking for it) and, when the view holds a QR to scan, that QR drawn
//! into the page itself, so it is on screen at the first paint, before the widget has loaded.
//! The widget replaces it with its own screen (the same QR) when it mounts. The stylesheet comes
//! inside the page too (allowed by its hash in the page's policy), so the first paint waits for
//! no other file, and the widget is loaded from its content-named directory (`/pkg/v/{hash}/`),
//! which browsers keep without asking again.

use crate::api::CheckoutView;
use crate::json::decode;
use crate::qr::{self, escape};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// Where `pay.html` takes the session's view.
pub const VIEW_SLOT: &str = "<!--ce-view-->";
/// Where `pay.html`'s placeholder starts and ends: the first paint replaces it.
pub const FIRST_PAINT_START: &str = "<!--ce-first-paint-->";
pub const FIRST_PAINT_END: &str = "<!--/ce-first-paint-->";

/// `pay.html`'s link to the stylesheet, which `fill` replaces with the stylesheet itself.
pub const STYLESHEET_LINK: &str = r#"<link rel="stylesheet" href="/pkg/checkout.css">"#;

/// Where `cargo xtask build` puts the widget's files named by their content, one directory per
/// version: browsers may keep what is under it for good.
pub const VERSIONED_DIR: &str = "/pkg/v/";

/// The widget's files as `pay.html` names them; `fill` points them at the built version's
/// directory.
const WIDGET_FILES: [&str; 2] = ["/pkg/widget.js", "/pkg/widget_bg.wasm"];

/// What the edge read beside `pay.html`: the minified stylesheet and the widget's version (the
/// hash `cargo xtask build` names its directory by), each `None` if the assets did not answer it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Assets<'a> {
    pub css: Option<&'a str>,
    pub version: Option<&'a str>,
}

/// A version as `cargo xtask build` writes it: 16 lowercase hex digits.
pub fn is_version(text: &str) -> bool {
    text.len() == 16 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The page to send, and the `style-src` source its policy must allow for the stylesheet it
/// carries (`'sha256-…'`), if it carries one.
#[derive(Debug, PartialEq)]
pub struct Filled {
    pub html: String,
    pub style_source: Option<String>,
}

/// `page` (`pay.html`) with the stylesheet in place of its link, the widget's files named by
/// their version, and filled with `view` (the session's checkout view as JSON); without a view
/// the widget asks for it itself and shows what that gets, without the stylesheet's text the page
/// links it, without a version it loads the widget's unversioned files.
pub fn fill(page: &str, view: Option<&str>, assets: Assets<'_>) -> Filled {
    let mut out = page.to_owned();
    if let Some(version) = assets.version.filter(|v| is_version(v)) {
        for file in WIDGET_FILES {
            let versioned = file.replacen("/pkg/", &format!("{VERSIONED_DIR}{version}/"), 1);
            out = out.replace(&format!("\"{file}\""), &format!("\"{versioned}\""));
        }
    }
    let css = assets.css;
    let mut style_source = None;
    // `</` cannot occur in our stylesheet; were it to, the link stays rather than a broken page.
    if let Some(css) = css.filter(|css| !css.contains("</"))
        && out.contains(STYLESHEET_LINK)
    {
        out = out.replacen(STYLESHEET_LINK, &format!("<style>{css}</style>"), 1);
        let digest = Sha256::digest(css.as_bytes());
        style_source = Some(format!("'sha256-{}'", STANDARD.encode(digest)));
    }
    let Some(view) = view else { return Filled { html: out, style_source } };
    out = out.replacen(VIEW_SLOT, &view_script(view), 1);
    let first_paint = decode::<CheckoutView>(view.as_bytes()).ok().and_then(|view| first_paint(&view));
    if let Some(first_paint) = first_paint
        && let Some(start) = out.find(FIRST_PAINT_START)
        && let Some(length) = out[start..].find(FIRST_PAINT_END)
    {
        out.replace_range(start..start + length + FIRST_PAINT_END.len(), &first_paint);
    }
    Filled { html: out, style_source }
}

/// The view as a data block the browser never runs (`type="application/json"`, so the page's
/// `script-src` does not apply). `<` is written as `\u003c`, the same JSON, so no text inside the
/// view (a subject, say) can close the element.
fn view_script(view: &str) -> String {
    format!(r#"<script type="application/json" id="ce-view">{}</script>"#, view.replace('<', "\\u003c"))
}

/// The QR screen's first paint, laid out as the widget's QR screen lays it out (the test-mode
/// banner, amount and subject, a heading line, the code) so nothing moves when the widget takes over: only for an
/// open session with a code still valid. Hidden from assistive technology: the widget's screen,
/// a moment later, is the one with words and controls. Inside WeChat or Alipay the widget then
/// shows how to pay from there instead (it reads the user agent; the page does not).
fn first_paint(view: &CheckoutView) -> Option<String> {
    let code = view.qr.as_ref().filter(|qr| !view.status.is_final() && qr.expires_at > view.now)?;
    let svg = qr::encode(&code.qr_content)?;
    // The widget's test-mode banner, without its words, keeps the code where it will stay.
    let banner = if view.test_mode { r#"<p class="ce-testmode">&nbsp;</p>"# } else { "" };
    Some(format!(
        r#"<section class="ce" data-testid="qr-first-paint" aria-hidden="true">{banner}<div class="ce-panel"><div class="ce-summary"><p class="ce-amount"><span>{amount}</span></p><p class="ce-subject">{subject}</p></div><h2 class="ce-title">&nbsp;</h2><div class="ce-qr">{svg}</div></div></section>"#,
        amount = view.amount,
        subject = escape(&view.subject),
        svg = svg.markup("付款二维码 Payment QR code"),
    ))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::api::{Channel, PaymentMethod, QrView, SessionStatus};

    const PAGE: &str = "<head><link rel=\"stylesheet\" href=\"/pkg/checkout.css\"></head><body><!--ce-view--><main id=\"checkout\"><!--ce-first-paint--><p class=\"ce-boot\">Loading…</p><!--/ce-first-paint--></main></body>";

    #[test]
    fn the_widget_is_loaded_from_its_versioned_directory() {
        let page = r#"<link rel="modulepreload" href="/pkg/widget.js"><link rel="preload" href="/pkg/widget_bg.wasm">"#;
        let filled = fill(page, None, Assets { css: None, version: Some("0123456789abcdef") });
        assert_eq!(
            filled.html,
            r#"<link rel="modulepreload" href="/pkg/v/0123456789abcdef/widget.js"><link rel="preload" href="/pkg/v/0123456789abcdef/widget_bg.wasm">"#
        );
        for odd in ["0123456789ABCDEF", "0123456789abcde", "../../etc/passwd", "0123456789abcdef\n"] {
            assert_eq!(fill(page, None, Assets { css: None, version: Some(odd) }).html, page, "{odd:?}");
        }
    }

    fn view(qr: Option<QrView>, status: SessionStatus) -> CheckoutView {
        let mut view: CheckoutView = decode(
            br#"{"amount":1234,"currency":"CNY","subject":"Tea <b>&</b>","methods":["payzero_qr"],"status":"open","locale":"zh-CN","expires_at":2000,"test_mode":true,"version":2,"now":1000}"#,
        )
        .unwrap();
        view.qr = qr;
        view.status = status;
        view
    }

    fn wechat(expires_at: u64) -> QrView {
        QrView {
            method: PaymentMethod::PayzeroQr,
            channel: Channel::WechatPay,
            qr_content: "weixin://wxpay/bizpayurl?pr=AbCdEf123".into(),
            expires_at,
            provider: None,
        }
    }

    fn filled(view: &CheckoutView) -> String {
        fill(PAGE, Some(&serde_json::to_string(view).unwrap()), Assets::default()).html
    }

    #[test]
    fn a_page_with_a_valid_qr_draws_it_in_place_of_the_placeholder() {
        let page = filled(&view(Some(wechat(1500)), SessionStatus::Open));
        let svg = qr::encode("weixin://wxpay/bizpayurl?pr=AbCdEf123").unwrap();
        assert!(page.contains(&svg.markup("付款二维码 Payment QR code")), "{page}");
        assert!(page.contains(r#"<span>¥12.34</span>"#));
        assert!(page.contains("Tea &lt;b&gt;&amp;&lt;/b&gt;"), "the subject is escaped: {page}");
        assert!(!page.contains("ce-boot") && !page.contains("ce-first-paint-->"), "{page}");
        assert!(page.contains(r#"<script type="application/json" id="ce-view">{"amount":1234"#));
        assert!(
            page.contains(r#""subject":"Tea \u003cb>&\u003c/b>""#),
            "no text of the view closes its element"
        );
    }

    #[test]
    fn without_a_payable_qr_the_placeholder_stays() {
        for view in [
            view(None, SessionStatus::Open),
            view(Some(wechat(1000)), SessionStatus::Open),
            view(Some(wechat(1500)), SessionStatus::Paid),
        ] {
            let page = filled(&view);
            assert!(page.contains("<p class=\"ce-boot\">Loading…</p>") && !page.contains("<svg"), "{page}");
            assert!(page.contains("id=\"ce-view\""));
        }
        assert_eq!(fill(PAGE, None, Assets::default()), Filled { html: PAGE.into(), style_source: None });
    }

    #[test]
    fn the_stylesheet_comes_inside_the_page_with_its_hash_for_the_policy() {
        let filled = fill(PAGE, None, Assets { css: Some(".ce{color:red}"), version: None });
        assert!(filled.html.starts_with("<head><style>.ce{color:red}</style></head>"), "{}", filled.html);
        // echo -n '.ce{color:red}' | openssl dgst -sha256 -binary | base64
        assert_eq!(
            filled.style_source.as_deref(),
            Some("'sha256-DbKtC0txgAJWOenmWmy0ObAoRuMqhlq8CmGwYOKqRCc='")
        );
        let closing = fill(PAGE, None, Assets { css: Some("a{}</style><script>"), version: None });
        assert_eq!((closing.html.as_str(), closing.style_source), (PAGE, None));
    }
}
