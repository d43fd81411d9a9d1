//! Static content: `/health`, the hosted checkout page `/pay/{client_secret}` (`pay.html` with
//! the session's view already in it; the widget reads the secret from the path) and everything
//! else from `www/` through the `ASSETS` binding.

use crate::error::{self, EdgeError};
use crate::session_do::{self, SessionCall};
use checkout_shared::api::{Channel, PaymentMethod};
use checkout_shared::{page, session};
use worker::{Env, Request, Response, RouteContext};

const ASSETS: &str = "ASSETS";

/// `GET /health`.
pub(crate) async fn health(_req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    if crate::config::test_mode(&ctx.env) {
        return error::handle(error::json(&serde_json::json!({"status": "ok", "mode": "test"}), 200));
    }
    // Live: what is missing or wrong, by setting name (never a value); 503 until it takes payments.
    let readiness = crate::config::readiness(&ctx.env);
    let status = if readiness.ready { "ok" } else { "not_ready" };
    let body = serde_json::json!({"status": status, "mode": "live", "ready": readiness.ready,
        "problems": readiness.problems, "gateways": readiness.gateways});
    error::handle(error::json(&body, if readiness.ready { 200 } else { 503 }))
}

/// `GET /pay/{client_secret}`: `pay.html` with the session's view in it (the widget reads it from
/// there instead of asking for it) and any QR of it drawn, never cached and never
/// leaking its URL (which holds the secret) as a referrer.
pub(crate) async fn pay_page(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(
        async {
            let base = req.url()?;
            // The page and the view are fetched side by side: neither waits for the other.
            let secret = ctx.param("secret").map(|s| s.to_owned()).unwrap_or_default();
            let wallet = wanted_qr(&base);
            let (page, css, version, view) = futures_util::join!(
                page_html(&ctx.env, &base),
                asset_text(&ctx.env, &base, "/pkg/checkout.css"),
                asset_text(&ctx.env, &base, "/pkg/version"),
                view_json(&ctx.env, secret, wallet)
            );
            let page =
                String::from_utf8(page?).map_err(|_| EdgeError::Internal("pay.html is not UTF-8".into()))?;
            let assets = page::Assets { css: css.as_deref(), version: version.as_deref().map(str::trim) };
            let filled = page::fill(&page, view.as_deref(), assets);
            let mut response = Response::from_bytes(filled.html.into_bytes())?;
            let headers = response.headers_mut();
            headers.set("Content-Type", "text/html; charset=utf-8")?;
            headers.set("Cache-Control", "no-store")?;
            headers.set("Referrer-Policy", "no-referrer")?;
            headers
                .set("Content-Security-Policy", &pay_page_csp(&ctx.env, filled.style_source.as_deref()))?;
            headers.set("X-Content-Type-Options", "nosniff")?;
            Ok(response)
        }
        .await,
    )
}

/// `pay.html` as the assets hold it.
async fn page_html(env: &Env, base: &worker::Url) -> Result<Vec<u8>, EdgeError> {
    let assets = env.assets(ASSETS)?;
    let page_url = base.join("/pay.html").map_err(|e| EdgeError::Internal(e.to_string()))?;
    let mut page = assets.fetch(page_url.to_string(), None).await?;
    // With the default `html_handling`, `/pay.html` redirects to `/pay`: follow it once.
    if (300..400).contains(&page.status_code()) {
        let pretty = base.join("/pay").map_err(|e| EdgeError::Internal(e.to_string()))?;
        page = assets.fetch(pretty.to_string(), None).await?;
    }
    if page.status_code() != 200 {
        return Err(EdgeError::Internal(format!("pay.html answered HTTP {}", page.status_code())));
    }
    Ok(page.bytes().await?)
}

/// A built file's text for the page: the minified stylesheet, which the page carries instead of
/// linking it (one file less before the first paint), or the widget's version; `None` (the page
/// then links the stylesheet, loads the unversioned widget) if the assets do not answer it.
async fn asset_text(env: &Env, base: &worker::Url, path: &str) -> Option<String> {
    let url = base.join(path).ok()?;
    let mut answer = env.assets(ASSETS).ok()?.fetch(url.to_string(), None).await.ok()?;
    if answer.status_code() != 200 {
        return None;
    }
    answer.text().await.ok()
}

/// `?channel=` (and `?method=`) of a page opened for one wallet.
fn wanted_qr(url: &worker::Url) -> Option<(Option<PaymentMethod>, Channel)> {
    let param = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
    let channel = param("channel")?.parse().unwrap_or_else(|never| match never {});
    let method = param("method").map(|m| m.parse().unwrap_or_else(|never| match never {}));
    Some((method, channel))
}

/// The session's checkout view as JSON text, when the secret names a session and the session
/// object answers it; for a page opened for one wallet, with that wallet's QR issued first (one
/// call: the object decides with `CheckoutView::qr_to_issue`), so the page arrives with the code
/// in it. Anything else leaves the page without a view (the widget then asks for it itself and
/// shows whatever error that gets, exactly as without this shortcut), and a QR that could not be
/// issued leaves the view as it was (the picker).
async fn view_json(
    env: &Env,
    secret: String,
    wallet: Option<(Option<PaymentMethod>, Channel)>,
) -> Option<String> {
    let id = session::session_id_of_secret(&secret)?.to_owned();
    let mut answer = session_do::call(env, &id, &SessionCall::PageView { secret, wallet }).await.ok()?;
    if answer.status_code() != 200 {
        return None;
    }
    answer.text().await.ok()
}

/// The hosted page's policy: only our own scripts, styles (and the stylesheet the page carries,
/// by its hash) and API, wasm allowed to compile, and framing only by us and the merchant
/// origins in `ALLOWED_ORIGINS` (the loader's iframe).
fn pay_page_csp(env: &worker::Env, style_source: Option<&str>) -> String {
    let framers: String = crate::config::allowed_origins(env).iter().map(|o| format!(" {o}")).collect();
    let inline_style = style_source.map(|s| format!(" {s}")).unwrap_or_default();
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'{inline_style}; connect-src 'self'; \
         img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'{framers}"
    )
}

/// Anything not routed: JSON 404 under `/v1/`, otherwise the static file; a file of a versioned
/// widget directory is kept by browsers for a year without asking again (a new build is a new
/// directory), everything else is revalidated as the assets answer it.
pub(crate) async fn fallback(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let path = req.path();
    if path.starts_with("/v1/") {
        return Ok(error::respond(EdgeError::NoRoute));
    }
    let answer = match ctx.env.assets(ASSETS) {
        Ok(assets) => assets.fetch_request(req).await,
        Err(e) => Err(e),
    };
    match answer {
        Ok(answer) if path.starts_with(page::VERSIONED_DIR) && answer.status_code() == 200 => {
            // A fetched answer's headers cannot be changed: the answer is sent with a copy.
            let headers = answer.headers().clone();
            headers.set("Cache-Control", "public, max-age=31536000, immutable")?;
            Ok(answer.with_headers(headers))
        }
        Ok(answer) => Ok(answer),
        Err(e) => Ok(error::respond(EdgeError::Worker(e))),
    }
}
