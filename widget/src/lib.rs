//! The shopper-facing checkout widget: a yew app compiled to WebAssembly.
//!
//! # Mounting
//!
//! The page loads the wasm-bindgen output as an ES module and calls, after `init()`:
//!
//! ```js
//! import init, { mount } from "/pkg/widget.js";
//! await init();
//! mount("checkout", clientSecret);                    // same-origin edge (the hosted page)
//! mount("checkout", clientSecret, "https://edge.example"); // inline mode, edge elsewhere
//! ```
//!
//! `mount(element_id, client_secret, edge_origin?)` renders into the element with that id and
//! reads the rest from the page URL: `?lang=en|zh` overrides the session's locale, `?origin=`
//! is the host page's origin when framed by the `checkout.js` loader (the only target of
//! `postMessage`), and `?accent=`, `?bg=`, `?fg=`, `?radius=`, `?font=` set the theme's CSS
//! custom properties. `www/pay-start.js` is the hosted page's caller (`www/pay.js` loads it
//! where the browser can run the widget).
//!
//! # DOM contract (the end-to-end tests rely on it)
//!
//! - the picker: `[data-testid="group-qr"]` ("scan to pay") holds
//!   `button[data-method=…][data-channel="WECHATPAY"|"ALIPAY"|"UNIONPAY"]`, one per QR method and
//!   wallet in the session's order (`button[data-channel="WECHATPAY"]` is the first WeChat Pay
//!   button, Payzero's in a Payzero-only session); `[data-testid="group-barcode"]` ("show a
//!   payment code to the cashier") holds `button[data-method="shouqianba_barcode"|"ezr_barcode"]`;
//!   `[data-testid="group-card"]` holds `button[data-method="payzero_card"]` (bank-card quick
//!   pay); `data-method` is the API's method name;
//! - `[data-testid="qr-panel"][data-method][data-channel]`: the QR screen;
//!   `[data-testid="qr"]`: the QR container, holding one inline `<svg>` (black on white, a
//!   4-module quiet zone, ≥ 200 px, whole pixels per module, `shape-rendering="crispEdges"`);
//!   when the code has expired it holds a notice instead of the SVG;
//! - `[data-testid="countdown"]`: exactly `mm:ss` (a QR's expiry, or a cashier payment's
//!   deadline); `button[data-testid="refresh"]` once a QR has expired;
//! - `[data-testid="status"]`: the `aria-live="polite"` status line, always present;
//! - `button[data-testid="simulate"]`: test mode only, QR screens only (either gateway);
//!   `button[data-testid="switch"]`: back to the picker;
//! - cashier mode: `[data-testid="barcode"][data-method]` the screen,
//!   `input[data-testid="barcode-input"]` the field (Enter submits),
//!   `button[data-testid="barcode-submit"]`, `[data-testid="barcode-message"]` what became of the
//!   last code or why the input is not one (`role="alert"`), `[data-testid="barcode-progress"]`
//!   while a payment is being decided;
//! - bank cards: `[data-testid="card"][data-step]` the screen, `data-step` being `choose` (saved
//!   cards), `form` (sign-up) or the edge's `CardStep` (`signup_code_sent`, `signed`,
//!   `pay_code_sent`, `processing`, `failed`); `[data-testid="saved-card"][data-card-id]` one saved
//!   card, holding `button[data-testid="card-pay"]` (pay with it) and
//!   `button[data-testid="card-remove"]`, which asks first: `button[data-testid="card-remove-confirm"]`
//!   / `button[data-testid="card-remove-cancel"]`; `button[data-testid="card-new"]` the sign-up
//!   form; every form field is `[data-field=<CardField wire name>]` with the id
//!   `ce-card-<wire name>` and a `<label for>` (`account_name`, `card_number`, `bank_code` — a
//!   `<select>`, narrowed by `input[data-testid="bank-filter"]` —, `id_number`, `mobile`, `cvv2`
//!   and `expiry` for credit cards only; `card_type` is two radios `input[name="card_type"]` with
//!   `value="debit"|"credit"`); a field's problem is `[data-testid="field-error"][data-field]`
//!   (id `ce-card-<name>-msg`, named by the field's `aria-describedby`, the field
//!   `aria-invalid="true"`), the card number's Luhn warning `[data-testid="field-warning"]`;
//!   `button[data-testid="card-submit"]` sends the form; the SMS step has
//!   `input#ce-card-code[data-field="code"]` (6 digits,
//!   `autocomplete="one-time-code"`), `button[data-testid="code-submit"]`,
//!   `button[data-testid="code-resend"]` (disabled until the cooldown ends, showing
//!   `[data-testid="resend-countdown"]` `mm:ss`), `[data-testid="code-phone"]` the masked phone,
//!   `[data-testid="code-expiry"]` the code's remaining lifetime, `[data-testid="tries-left"]`
//!   after a wrong code; a signed card waiting for its payment code, or a failed try, has
//!   `button[data-testid="card-pay"]`; `[data-testid="card-message"]` (`role="alert"`) what the
//!   last request came to; `[data-testid="retry-countdown"]` a rate limit's `mm:ss`;
//!   `[data-testid="card-progress"]` while the bank decides; `button[data-testid="card-back"]`;
//! - `[data-testid="paid"]`: the paid screen; `[data-testid="closed"][data-status=…]`: expired,
//!   canceled or `requires_attention`; `[data-testid="error"]`: any error message
//!   (`role="alert"`);
//! - on a phone (`(pointer: coarse)` and a screen no wider than a tablet's, `state::phone`), the QR
//!   screen also hands the code to the wallet on this device: `a[data-testid="open-wallet"]`
//!   (Alipay: `alipays://platformapi/startapp?saId=10000007&qrcode=<code>`, or the code itself
//!   inside Alipay; UnionPay: the code's link), or the code as a PNG
//!   `img[data-testid="qr-image"]` (inside WeChat, to long-press) with, elsewhere,
//!   `a[data-testid="save-qr"][download]` and `[data-testid="save-steps"]`; the picker then lists
//!   the wallets that work on this device first (`?method_order=session` keeps the session's order);
//! - `[data-testid="amount"]`, `[data-testid="psp"]` (who collects the money),
//!   `[data-testid="inapp"]` (an in-app browser that cannot reach the wallet: Alipay in WeChat);
//! - `performance.mark("checkout:ready")` when the first screen other than "loading" is on the page;
//!   `performance.mark("checkout:qr-visible")` when the first QR is drawn; on the way there
//!   `checkout:mounted`, `checkout:view` (the view read), `checkout:qr-request` and
//!   `checkout:qr-answer` (each QR call);
//! - framed by `checkout.js`: `postMessage({source: "checkout-edge", type: "ready" | "resize"
//!   (height) | "status" (status)}, <?origin=>)`.
//!
//! # Layout
//!
//! `state` (pure reducer, with one sub-reducer per attempt kind: `state::qr`, `state::barcode`,
//! `state::card`),
//! `i18n`, `qr` and `env` are plain Rust and tested natively; `api` is the only module that talks
//! to the edge; `app` is the yew shell (provider, `use_checkout()`); `components` are the
//! screens; `host` is the browser glue. The widget holds no secret and signs nothing: the
//! `client_secret` only names one session, and the edge decides every amount.

pub mod api;
pub mod app;
pub mod components;
pub mod env;
pub mod host;
pub mod i18n;
pub mod json;
pub mod state;

use wasm_bindgen::prelude::*;

/// Renders the checkout for `client_secret` into the element `element_id`. `edge_origin` is
/// for inline mode only: the hosted page leaves it out and talks to its own origin.
#[wasm_bindgen]
pub fn mount(element_id: &str, client_secret: &str, edge_origin: Option<String>) -> Result<(), JsValue> {
    let document = web_sys::window().and_then(|w| w.document()).ok_or("checkout: no document")?;
    let root = document
        .get_element_by_id(element_id)
        .ok_or_else(|| JsValue::from_str(&format!("checkout: no element #{element_id}")))?;
    if client_secret.is_empty() {
        return Err("checkout: client_secret is empty".into());
    }
    let edge_base = match edge_origin.as_deref() {
        None | Some("") => String::new(),
        Some(origin) => env::parse_origin(origin).ok_or("checkout: edge_origin must be an http(s) origin")?,
    };
    let page = env::Page::read();
    host::apply_theme(&root, &page.theme);
    // Replace the page's fallback content (the `<noscript>` sibling stays outside).
    root.set_inner_html("");
    let props =
        app::AppProps { client_secret: client_secret.to_owned().into(), edge_base: edge_base.into(), page };
    host::mark("checkout:mounted");
    yew::Renderer::<app::App>::with_root_and_props(root, props).render();
    Ok(())
}
