//! Checkout Edge's worker: the only holder of gateway credentials. It routes the merchant API,
//! the checkout API, gateway callbacks and static assets; each checkout session lives in its own
//! Durable Object (`CheckoutSession`), the Payzero token in another (`PayzeroAuth`), each
//! Shouqianba terminal in one (`ShouqianbaTerminal`), each SMS limit key in one (`SmsLimiter`)
//! each customer's saved cards in one (`CustomerCards`), each merchant idempotency key in one
//! (`IdempotencyKeys`), the sessions of each shop order number in one (`OrderIndex`) and the
//! events given up across all sessions in one (`UndeliveredEvents`).

mod body;
mod config;
mod customer_do;
mod error;
mod idempotency_do;
mod objects;
mod order_index_do;
mod payzero_auth;
mod routes;
mod session_do;
mod sms_limiter_do;
mod terminal_do;
mod undelivered_do;
mod upstream;

pub use customer_do::CustomerCards;
pub use idempotency_do::IdempotencyKeys;
pub use order_index_do::OrderIndex;
pub use payzero_auth::PayzeroAuth;
pub use session_do::CheckoutSession;
pub use sms_limiter_do::SmsLimiter;
pub use terminal_do::ShouqianbaTerminal;
pub use undelivered_do::UndeliveredEvents;

use error::EdgeError;
use routes::{assets, cards, checkout, notify, payzero, refunds, sessions, terminals};
use worker::{Context, Env, Method, Request, Response, Router, event};

const CHECKOUT_PREFIX: &str = "/v1/checkout";

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    let path = req.path();
    // worker-rs reads a method it does not know (`QUERY`, `PROPFIND`, …) as `GET`, which
    // would run a GET handler for it (found by Schemathesis): only the methods it names exactly
    // go on to the router.
    if !KNOWN_METHODS.contains(&req.inner().method().as_str()) {
        return Ok(method_not_allowed(&path));
    }
    let cors = if path.starts_with(CHECKOUT_PREFIX) { Some(allowed_origin(&req, &env)) } else { None };
    if req.method() == Method::Options {
        return Ok(match cors {
            Some(origin) => preflight(origin),
            None => method_not_allowed(&path),
        });
    }
    let mut response = match router().run(req, env).await {
        Ok(r) => r,
        Err(e) => error::respond(EdgeError::Worker(e)),
    };
    if response.status_code() == 405 {
        // The router answers a known path with another method by itself, in plain text; the API
        // answers it as JSON. Either way the answer names the methods the path takes.
        if path.starts_with("/v1/") {
            response = error::respond(EdgeError::MethodNotAllowed);
        }
        let _ = response.headers_mut().set("Allow", &allowed_methods(&path));
    }
    if path.starts_with("/v1/") {
        let headers = response.headers_mut();
        let _ = headers.set("Cache-Control", "no-store");
        if let Some(origin) = cors {
            let _ = headers.set("Vary", "Origin");
            if let Some(origin) = origin {
                let _ = headers.set("Access-Control-Allow-Origin", &origin);
            }
        }
    }
    Ok(response)
}

/// Builds the router from the list of routes, and keeps the list (`ROUTES`) to name the methods
/// a path takes in a `405`'s `Allow` header: one list, two uses.
macro_rules! routes {
    ($($kind:ident $path:literal => $handler:path;)+) => {
        fn router() -> Router<'static, ()> {
            Router::new()
                $(.$kind($path, $handler))+
                .or_else_any_method_async("/", assets::fallback)
                .or_else_any_method_async("/*path", assets::fallback)
        }

        /// `(router method, path pattern)` of every route.
        const ROUTES: &[(&str, &str)] = &[$((stringify!($kind), $path)),+];
    };
}

routes! {
    get_async "/health" => assets::health;
    post_async "/v1/sessions" => sessions::create;
    get_async "/v1/sessions" => sessions::find;
    get_async "/v1/sessions/:id" => sessions::get;
    post_async "/v1/sessions/:id/cancel" => sessions::cancel;
    get_async "/v1/sessions/:id/events" => sessions::events;
    get_async "/v1/events" => sessions::undelivered_events;
    post_async "/v1/sessions/:id/events/:event_id/resend" => sessions::resend_event;
    post_async "/v1/sessions/:id/refunds" => refunds::create;
    get_async "/v1/sessions/:id/refunds/:refund_id" => refunds::get;
    post_async "/v1/shouqianba/terminal/checkin" => terminals::checkin;
    post_async "/v1/payzero/real-name-checks" => payzero::real_name;
    post_async "/v1/payzero/batches" => payzero::upload_batch;
    post_async "/v1/payzero/batches/:id/pay" => payzero::pay_batch;
    get_async "/v1/payzero/batches/:id" => payzero::batch_summary;
    get_async "/v1/payzero/batches/:id/feedback" => payzero::batch_feedback;
    post_async "/v1/payzero/orders" => payzero::create_and_pay;
    post_async "/v1/payzero/orders/:order_no/arrange-pay" => payzero::arrange_pay;
    get_async "/v1/payzero/orders/:order_no" => payzero::order;
    post_async "/v1/payzero/orders/:order_no/qr" => payzero::order_qr;
    post_async "/v1/payzero/mock-orders" => payzero::create_mockpay;
    post_async "/v1/payzero/mock-orders/:order_no/redo" => payzero::redo_mockpay;
    post_async "/v1/payzero/declarations" => payzero::declare;
    get_async "/v1/customers/:customer/cards" => cards::list;
    delete_async "/v1/customers/:customer/cards/:card_id" => cards::forget;
    get_async "/v1/checkout" => checkout::view;
    post_async "/v1/checkout/qr" => checkout::qr;
    post_async "/v1/checkout/barcode" => checkout::barcode;
    get_async "/v1/checkout/status" => checkout::status;
    post_async "/v1/checkout/simulate" => checkout::simulate;
    post_async "/v1/checkout/test/clock" => checkout::clock;
    post_async "/v1/checkout/card/signup" => cards::signup;
    post_async "/v1/checkout/card/signup/confirm" => cards::signup_confirm;
    post_async "/v1/checkout/card/pay" => cards::pay;
    post_async "/v1/checkout/card/pay/confirm" => cards::pay_confirm;
    post_async "/v1/checkout/card/pay/resend" => cards::resend;
    delete_async "/v1/checkout/cards/:card_id" => cards::remove;
    post_async "/v1/notify/payzero" => notify::payzero;
    get_async "/pay/:secret" => assets::pay_page;
}

/// The methods worker-rs tells apart; any other reaches handlers as `GET`.
const KNOWN_METHODS: &[&str] =
    &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE", "REPORT"];

/// `405 method_not_allowed`, naming the methods the path takes.
fn method_not_allowed(path: &str) -> Response {
    let mut refused = error::respond(EdgeError::MethodNotAllowed);
    let _ = refused.headers_mut().set("Allow", &allowed_methods(path));
    refused
}

/// The methods `path` is routed for, as an `Allow` header lists them (a checkout path also
/// answers CORS preflights).
fn allowed_methods(path: &str) -> String {
    let segments: Vec<&str> = path.split('/').collect();
    let matches = |pattern: &str| {
        let parts: Vec<&str> = pattern.split('/').collect();
        parts.len() == segments.len()
            && parts.iter().zip(&segments).all(|(p, s)| (p.starts_with(':') && !s.is_empty()) || p == s)
    };
    let mut methods: Vec<&str> = ROUTES
        .iter()
        .filter(|(_, pattern)| matches(pattern))
        .map(|(kind, _)| match *kind {
            "post_async" => "POST",
            "delete_async" => "DELETE",
            _ => "GET",
        })
        .collect();
    if path.starts_with(CHECKOUT_PREFIX) {
        methods.push("OPTIONS");
    }
    methods.dedup();
    methods.join(", ")
}

/// The request's `Origin` if the checkout API may answer it: one of `ALLOWED_ORIGINS`
/// (comma-separated) or the edge's own origin.
fn allowed_origin(req: &Request, env: &Env) -> Option<String> {
    let origin = req.headers().get("Origin").ok().flatten()?;
    let own = req.url().ok().map(|u| u.origin().ascii_serialization());
    let allowed = own.as_deref() == Some(origin.as_str()) || config::allowed_origins(env).contains(&origin);
    allowed.then_some(origin)
}

/// The answer to a CORS preflight of the checkout API. A disallowed origin gets no
/// `Access-Control-Allow-*` headers, which the browser treats as a refusal.
fn preflight(origin: Option<String>) -> Response {
    let mut response = Response::builder().with_status(204).empty();
    let headers = response.headers_mut();
    let _ = headers.set("Vary", "Origin");
    if let Some(origin) = origin {
        let _ = headers.set("Access-Control-Allow-Origin", &origin);
        let _ = headers.set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
        let _ = headers.set("Access-Control-Allow-Headers", "Authorization, Content-Type");
        let _ = headers.set("Access-Control-Max-Age", "600");
    }
    response
}
