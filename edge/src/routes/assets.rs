//! Static content: `/health`, the hosted checkout page `/pay/{client_secret}` (the same
//! `pay.html` for every session; the widget reads the secret from the path) and everything else
//! from `www/` through the `ASSETS` binding.

use crate::error::{self, EdgeError};
use worker::{Request, Response, RouteContext};

const ASSETS: &str = "ASSETS";

/// `GET /health`.
pub(crate) async fn health(_req: Request, _ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(error::json(&serde_json::json!({"status": "ok"}), 200))
}

/// `GET /pay/{client_secret}`: `pay.html`, never cached and never leaking its URL (which holds
/// the secret) as a referrer.
pub(crate) async fn pay_page(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(
        async {
            let assets = ctx.env.assets(ASSETS)?;
            let base = req.url()?;
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
            let body = page.bytes().await?;
            let mut response = Response::from_bytes(body)?;
            let headers = response.headers_mut();
            headers.set("Content-Type", "text/html; charset=utf-8")?;
            headers.set("Cache-Control", "no-store")?;
            headers.set("Referrer-Policy", "no-referrer")?;
            headers.set("Content-Security-Policy", &pay_page_csp(&ctx.env))?;
            headers.set("X-Content-Type-Options", "nosniff")?;
            Ok(response)
        }
        .await,
    )
}

/// The hosted page's policy: only our own scripts, styles and API, wasm allowed to compile, and
/// framing only by us and the merchant origins in `ALLOWED_ORIGINS` (the loader's iframe).
fn pay_page_csp(env: &worker::Env) -> String {
    let framers: String = crate::config::allowed_origins(env).iter().map(|o| format!(" {o}")).collect();
    format!(
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; connect-src 'self'; \
         img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'{framers}"
    )
}

/// Anything not routed: JSON 404 under `/v1/`, otherwise the static file.
pub(crate) async fn fallback(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    if req.path().starts_with("/v1/") {
        return Ok(error::respond(EdgeError::NoRoute));
    }
    match ctx.env.assets(ASSETS) {
        Ok(assets) => match assets.fetch_request(req).await {
            Ok(answer) => Ok(answer),
            Err(e) => Ok(error::respond(EdgeError::Worker(e))),
        },
        Err(e) => Ok(error::respond(EdgeError::Worker(e))),
    }
}
