//! The one module that talks to the edge, with the browser's own `fetch` (a thin `web_sys` call:
//! a request library would only add weight to the widget). Components never build URLs: they
//! dispatch actions, and the shell calls these functions. Every failure comes back as a
//! `UiError`, with the edge's message text left behind on purpose.

use crate::env::encode_path_segment;
use crate::json;
use crate::state::{CardFailure, Command, UiError};
use checkout_shared::api::{
    BarcodeRequest, BarcodeView, CardPayRequest, CardView, Channel, CheckoutView, ErrorBody, ErrorCode,
    PaymentMethod, QrRequest, QrView, SmsCodeRequest, StatusUpdate,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, RequestCache, RequestInit, Response};

/// The checkout API of one session.
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    /// The edge's origin (`https://pay.example.com`), or empty for the page's own origin.
    base: String,
    client_secret: String,
}

impl Edge {
    pub fn new(base: &str, client_secret: &str) -> Edge {
        Edge { base: base.trim_end_matches('/').to_owned(), client_secret: client_secret.to_owned() }
    }

    /// `{base}/v1/checkout/{client_secret}{tail}`, the secret escaped so it cannot reach
    /// another path.
    pub fn url(&self, tail: &str) -> String {
        format!("{}/v1/checkout/{}{}", self.base, encode_path_segment(&self.client_secret), tail)
    }

    /// The session, with the edge's clock from the `Date` header (unix seconds) when readable.
    pub async fn view(&self) -> Result<(CheckoutView, Option<u64>), UiError> {
        let response = get(&self.url("")).await?;
        let server_now = server_time(&response);
        Ok((read(response).await?, server_now))
    }

    /// Issues (or re-issues) a QR of a QR method's gateway for one wallet. There is no amount:
    /// the session decides it.
    pub async fn request_qr(&self, method: PaymentMethod, channel: Channel) -> Result<QrView, UiError> {
        read(post(&self.url("/qr"), Some(&QrRequest { method, channel })).await?).await
    }

    /// Cashier mode: sends the shopper's payment code. The edge answers `202` with where the
    /// payment stands; its progress then comes with the status long-poll.
    pub async fn barcode(&self, method: PaymentMethod, code: String) -> Result<BarcodeView, UiError> {
        read(post(&self.url("/barcode"), Some(&BarcodeRequest { method, code })).await?).await
    }

    /// The long-poll: answers when the version exceeds `since`, or after the edge's wait.
    pub async fn status(&self, since: u64) -> Result<StatusUpdate, UiError> {
        read(get(&self.url(&format!("/status?since={since}"))).await?).await
    }

    /// A bank-card step (`card_call`'s path and JSON body): the card view it leads to, or
    /// why not.
    pub async fn card(&self, tail: &str, body: String) -> Result<CardView, CardFailure> {
        let response = post_text(&self.url(tail), Some(body)).await.map_err(CardFailure::new)?;
        if !response.ok() {
            return Err(card_failure(response).await);
        }
        decode(response).await.map_err(CardFailure::new)
    }

    /// Removes a saved card (`204`).
    pub async fn remove_card(&self, card_id: &str) -> Result<(), CardFailure> {
        let init = RequestInit::new();
        init.set_method("DELETE");
        let url = self.url(&format!("/cards/{}", encode_path_segment(card_id)));
        let response = send(&url, &init).await.map_err(CardFailure::new)?;
        if response.ok() { Ok(()) } else { Err(card_failure(response).await) }
    }

    /// Test mode only: asks the sandbox to pay the QR on screen (either gateway's), as a
    /// shopper's phone would.
    pub async fn simulate(&self) -> Result<(), UiError> {
        let response = post::<()>(&self.url("/simulate"), None).await?;
        if response.ok() { Ok(()) } else { Err(error_of(response).await) }
    }
}

/// A `GET` the browser must not answer from its cache: every read is of live state.
async fn get(url: &str) -> Result<Response, UiError> {
    let init = RequestInit::new();
    init.set_method("GET");
    init.set_cache(RequestCache::NoStore);
    send(url, &init).await
}

/// A `POST` of `body` as JSON.
async fn post<T: Serialize>(url: &str, body: Option<&T>) -> Result<Response, UiError> {
    post_text(url, body.map(to_json).transpose()?).await
}

/// Our own plain structs as JSON. Serialising them cannot fail; if it ever did, it is not the
/// network.
fn to_json<T: Serialize>(body: &T) -> Result<String, UiError> {
    serde_json::to_string(body).map_err(|_| UiError::Protocol)
}

/// The path and JSON body of a card step's request; `None` for other commands (and for a
/// saved card's removal, a `DELETE`).
pub fn card_call(command: &Command) -> Option<(&'static str, String)> {
    let code = |code: &String| SmsCodeRequest { code: code.clone() };
    let body = match command {
        Command::CardSignup(form) => ("/card/signup", to_json(form)),
        Command::CardSignupConfirm(c) => ("/card/signup/confirm", to_json(&code(c))),
        Command::CardPayConfirm(c) => ("/card/pay/confirm", to_json(&code(c))),
        Command::CardPay(card_id) => ("/card/pay", to_json(&CardPayRequest { card_id: card_id.clone() })),
        Command::CardPayResend => ("/card/pay/resend", Ok("{}".to_owned())),
        _ => return None,
    };
    Some((body.0, body.1.ok()?))
}

/// A `POST` of `body`, JSON text.
async fn post_text(url: &str, body: Option<String>) -> Result<Response, UiError> {
    let init = RequestInit::new();
    init.set_method("POST");
    if let Some(text) = body {
        let headers = Headers::new().map_err(|_| UiError::Protocol)?;
        headers.set("Content-Type", "application/json").map_err(|_| UiError::Protocol)?;
        init.set_headers(&headers);
        init.set_body(&JsValue::from_str(&text));
    }
    send(url, &init).await
}

async fn send(url: &str, init: &RequestInit) -> Result<Response, UiError> {
    // A request the browser refuses to build (a malformed URL) is ours to fix, not the network's.
    let request = Request::new_with_str_and_init(url, init).map_err(|_| UiError::Protocol)?;
    let window = web_sys::window().ok_or(UiError::Protocol)?;
    let answer = JsFuture::from(window.fetch_with_request(&request)).await.map_err(|_| UiError::Network)?;
    answer.dyn_into::<Response>().map_err(|_| UiError::Protocol)
}

async fn read<T: DeserializeOwned>(response: Response) -> Result<T, UiError> {
    if !response.ok() {
        return Err(error_of(response).await);
    }
    decode(response).await
}

async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, UiError> {
    // A body cut off mid-way is a network failure; a complete one we cannot read is not.
    let promise = response.text().map_err(|_| UiError::Network)?;
    let text = JsFuture::from(promise).await.map_err(|_| UiError::Network)?;
    let text = text.as_string().ok_or(UiError::Protocol)?;
    json::from_str(&text).map_err(|_| UiError::Protocol)
}

/// The stable code of an error answer. A body that is not our `ErrorBody` (a proxy's HTML
/// page, say) is a protocol error.
async fn error_of(response: Response) -> UiError {
    match decode::<ErrorBody>(response).await {
        Ok(body) => UiError::Api(body.error.code),
        Err(UiError::Network) => UiError::Network,
        Err(_) => UiError::Protocol,
    }
}

/// An error answer with its detail: the field and problem of a `400`, the gateway's code of a
/// `502`, and a `429`'s `Retry-After` (seconds).
async fn card_failure(response: Response) -> CardFailure {
    let retry_after =
        response.headers().get("retry-after").ok().flatten().and_then(|s| s.trim().parse().ok());
    let status = response.status();
    match decode::<ErrorBody>(response).await {
        Ok(ErrorBody { error }) => CardFailure {
            error: UiError::Api(error.code),
            field: error.field.map(|f| f.parse().unwrap_or_else(|never| match never {})),
            problem: error.problem.map(|p| p.parse().unwrap_or_else(|never| match never {})),
            gateway_code: error.gateway_code,
            retry_after,
        },
        // A `429` from something in front of the edge still says to wait.
        Err(_) if status == 429 => {
            CardFailure { retry_after, ..CardFailure::new(UiError::Api(ErrorCode::RateLimited)) }
        }
        Err(error) => CardFailure::new(error),
    }
}

fn server_time(response: &Response) -> Option<u64> {
    let date = response.headers().get("date").ok()??;
    let millis = js_sys::Date::parse(&date);
    (millis.is_finite() && millis > 0.0).then(|| (millis / 1000.0) as u64)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_relative_to_the_edge_and_escape_the_secret() {
        let same_origin = Edge::new("", "cs_test_123");
        assert_eq!(same_origin.url(""), "/v1/checkout/cs_test_123");
        assert_eq!(same_origin.url("/status?since=4"), "/v1/checkout/cs_test_123/status?since=4");
        let other = Edge::new("https://pay.example.com/", "a/../b");
        assert_eq!(other.url("/qr"), "https://pay.example.com/v1/checkout/a%2F..%2Fb/qr");
    }
}
