//! The one module that talks to the edge, with the browser's own `fetch` (a thin `web_sys` call:
//! a request library would only add weight to the widget). Components never build URLs: they
//! dispatch actions, and the shell calls these functions. Every failure comes back as a
//! `UiError`, with the edge's message text left behind on purpose.

use crate::env::encode_path_segment;
use crate::json::{self, FromJson, Json};
use crate::state::{CardFailure, Command, UiError};
use checkout_shared::api::{
    BarcodeRequest, BarcodeView, CardPayRequest, CardSignupRequest, CardView, Channel, CheckoutView,
    ErrorBody, ErrorCode, PaymentMethod, QrRequest, QrView, SmsCodeRequest, StatusUpdate,
};
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

    /// `{base}/v1/checkout{tail}`. The client secret goes in a header (`send`), never in a URL.
    pub fn url(&self, tail: &str) -> String {
        format!("{}/v1/checkout{}", self.base, tail)
    }

    /// The session, with the session's clock (unix seconds) the view was made at: countdowns
    /// run from it, whatever the device's clock says (and a test can move it).
    pub async fn view(&self) -> Result<(CheckoutView, Option<u64>), UiError> {
        let view: CheckoutView = match self.embedded_view() {
            Some(view) => view,
            None => read(self.get(&self.url("")).await?).await?,
        };
        let server_now = Some(view.now).filter(|now| *now > 0);
        Ok((view, server_now))
    }

    /// The view the edge wrote into the hosted page (`<script type="application/json"
    /// id="ce-view">`), taken once: the first paint needs no round trip, and any later load
    /// asks the edge for live state. Only on the hosted page (same-origin edge): a shop's page
    /// embedding the widget inline has no such element of ours.
    fn embedded_view(&self) -> Option<CheckoutView> {
        if !self.base.is_empty() {
            return None;
        }
        let element = web_sys::window()?.document()?.get_element_by_id("ce-view")?;
        element.remove();
        json::from_str(&element.inner_html()).ok()
    }

    /// Issues (or re-issues) a QR of a QR method's gateway for one wallet. There is no amount:
    /// the session decides it.
    pub async fn request_qr(&self, method: PaymentMethod, channel: Channel) -> Result<QrView, UiError> {
        read(self.post_text(&self.url("/qr"), Some(qr_json(&QrRequest { method, channel }))).await?).await
    }

    /// Cashier mode: sends the shopper's payment code. The edge answers `202` with where the
    /// payment stands; its progress then comes with the status long-poll.
    pub async fn barcode(&self, method: PaymentMethod, code: String) -> Result<BarcodeView, UiError> {
        read(
            self.post_text(&self.url("/barcode"), Some(barcode_json(&BarcodeRequest { method, code })))
                .await?,
        )
        .await
    }

    /// The long-poll: answers when the version exceeds `since`, or after the edge's wait.
    pub async fn status(&self, since: u64) -> Result<StatusUpdate, UiError> {
        read(self.get(&self.url(&format!("/status?since={since}"))).await?).await
    }

    /// A bank-card step (`card_call`'s path and JSON body): the card view it leads to, or
    /// why not.
    pub async fn card(&self, tail: &str, body: String) -> Result<CardView, CardFailure> {
        let response = self.post_text(&self.url(tail), Some(body)).await.map_err(CardFailure::new)?;
        if !response.ok() {
            return Err(card_failure(response).await);
        }
        body_json(response).await.and_then(decode).map_err(CardFailure::new)
    }

    /// Removes a saved card (`204`).
    pub async fn remove_card(&self, card_id: &str) -> Result<(), CardFailure> {
        let init = RequestInit::new();
        init.set_method("DELETE");
        let url = self.url(&format!("/cards/{}", encode_path_segment(card_id)));
        let response = self.send(&url, &init, false).await.map_err(CardFailure::new)?;
        if response.ok() { Ok(()) } else { Err(card_failure(response).await) }
    }

    /// Test mode only: asks the sandbox to pay the QR on screen (either gateway's), as a
    /// shopper's phone would.
    pub async fn simulate(&self) -> Result<(), UiError> {
        let response = self.post_text(&self.url("/simulate"), None).await?;
        if response.ok() { Ok(()) } else { Err(error_of(response).await) }
    }

    /// A `GET` the browser must not answer from its cache: every read is of live state.
    async fn get(&self, url: &str) -> Result<Response, UiError> {
        let init = RequestInit::new();
        init.set_method("GET");
        init.set_cache(RequestCache::NoStore);
        self.send(url, &init, false).await
    }

    /// A `POST` of `body`, JSON text.
    async fn post_text(&self, url: &str, body: Option<String>) -> Result<Response, UiError> {
        let init = RequestInit::new();
        init.set_method("POST");
        let json = body.is_some();
        if let Some(text) = body {
            init.set_body(&JsValue::from_str(&text));
        }
        self.send(url, &init, json).await
    }

    /// Sends a request with the session's client secret as `Authorization: Bearer`: in a header,
    /// it stays out of URLs, the browser's history and any log of paths.
    async fn send(&self, url: &str, init: &RequestInit, json: bool) -> Result<Response, UiError> {
        let headers = Headers::new().map_err(|_| UiError::Protocol)?;
        headers
            .set("Authorization", &format!("Bearer {}", self.client_secret))
            .map_err(|_| UiError::Protocol)?;
        if json {
            headers.set("Content-Type", "application/json").map_err(|_| UiError::Protocol)?;
        }
        init.set_headers(&headers);
        // A request the browser refuses to build (a malformed URL) is ours to fix, not the network's.
        let request = Request::new_with_str_and_init(url, init).map_err(|_| UiError::Protocol)?;
        let window = web_sys::window().ok_or(UiError::Protocol)?;
        let answer =
            JsFuture::from(window.fetch_with_request(&request)).await.map_err(|_| UiError::Network)?;
        answer.dyn_into::<Response>().map_err(|_| UiError::Protocol)
    }
}

/// A flat JSON object of string fields, `None` ones left out. The request bodies are written
/// here rather than by serde_json: its serializer, instantiated for each request type, costs the
/// widget more than these few lines (the size budget). Each body below names every field of its
/// shared type, so a field added to the contract fails to compile until it is written too, and
/// a native test checks each against serde_json's output.
pub fn object(fields: &[(&str, Option<&str>)]) -> String {
    let mut out = String::from("{");
    for (key, value) in fields {
        if let Some(value) = value {
            if out.len() > 1 {
                out.push(',');
            }
            push_string(&mut out, key);
            out.push(':');
            push_string(&mut out, value);
        }
    }
    out.push('}');
    out
}

fn push_string(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if u32::from(c) < 0x20 => {
                out.push_str("\\u00");
                out.push(char::from(HEX[usize::from(c as u8 >> 4)]));
                out.push(char::from(HEX[usize::from(c as u8 & 15)]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn qr_json(r: &QrRequest) -> String {
    let QrRequest { method, channel } = r;
    object(&[("method", Some(method.as_str())), ("channel", Some(channel.as_str()))])
}

fn barcode_json(r: &BarcodeRequest) -> String {
    let BarcodeRequest { method, code } = r;
    object(&[("method", Some(method.as_str())), ("code", Some(code))])
}

fn signup_json(r: &CardSignupRequest) -> String {
    let CardSignupRequest {
        account_name,
        card_number,
        card_type,
        bank_code,
        id_number,
        mobile,
        cvv2,
        expiry,
    } = r;
    object(&[
        ("account_name", Some(account_name)),
        ("card_number", Some(card_number.expose())),
        ("card_type", Some(card_type.as_str())),
        ("bank_code", Some(bank_code)),
        ("id_number", Some(id_number.expose())),
        ("mobile", Some(mobile.expose())),
        ("cvv2", cvv2.as_ref().map(|v| v.expose())),
        ("expiry", expiry.as_ref().map(|v| v.expose())),
    ])
}

fn code_json(r: &SmsCodeRequest) -> String {
    let SmsCodeRequest { code } = r;
    object(&[("code", Some(code))])
}

fn pay_json(r: &CardPayRequest) -> String {
    let CardPayRequest { card_id } = r;
    object(&[("card_id", Some(card_id))])
}

/// The path and JSON body of a card step's request; `None` for other commands (and for a
/// saved card's removal, a `DELETE`).
pub fn card_call(command: &Command) -> Option<(&'static str, String)> {
    let code = |code: &String| code_json(&SmsCodeRequest { code: code.clone() });
    Some(match command {
        Command::CardSignup(form) => ("/card/signup", signup_json(form)),
        Command::CardSignupConfirm(c) => ("/card/signup/confirm", code(c)),
        Command::CardPayConfirm(c) => ("/card/pay/confirm", code(c)),
        Command::CardPay(card_id) => ("/card/pay", pay_json(&CardPayRequest { card_id: card_id.clone() })),
        Command::CardPayResend => ("/card/pay/resend", object(&[])),
        _ => return None,
    })
}

/// The answer as `T`, or the error it stands for.
async fn read<T: FromJson>(response: Response) -> Result<T, UiError> {
    decode(read_json(response).await?)
}

/// A successful answer's JSON, or the error an unsuccessful one stands for. Not generic: the
/// waiting is written once, and each type adds only its synchronous decoding (size budget).
async fn read_json(response: Response) -> Result<Json, UiError> {
    if !response.ok() {
        return Err(error_of(response).await);
    }
    body_json(response).await
}

/// The body parsed as JSON.
async fn body_json(response: Response) -> Result<Json, UiError> {
    // A body cut off mid-way is a network failure; a complete one we cannot read is not.
    let promise = response.text().map_err(|_| UiError::Network)?;
    let text = JsFuture::from(promise).await.map_err(|_| UiError::Network)?;
    let text = text.as_string().ok_or(UiError::Protocol)?;
    json::parse(&text).map_err(|_| UiError::Protocol)
}

fn decode<T: FromJson>(value: Json) -> Result<T, UiError> {
    T::from_json(&value).map_err(|_| UiError::Protocol)
}

/// An error answer's body, when it is our `ErrorBody`.
async fn error_body(response: Response) -> Result<ErrorBody, UiError> {
    decode(body_json(response).await?)
}

/// The stable code of an error answer. A body that is not our `ErrorBody` (a proxy's HTML
/// page, say) is a protocol error.
async fn error_of(response: Response) -> UiError {
    match error_body(response).await {
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
    match error_body(response).await {
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

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_relative_to_the_edge_and_never_hold_the_secret() {
        let same_origin = Edge::new("", "cs_test_123");
        assert_eq!(same_origin.url(""), "/v1/checkout");
        assert_eq!(same_origin.url("/status?since=4"), "/v1/checkout/status?since=4");
        let other = Edge::new("https://pay.example.com/", "a/../b");
        assert_eq!(other.url("/qr"), "https://pay.example.com/v1/checkout/qr");
    }

    #[test]
    fn request_bodies_are_what_serde_json_writes() {
        use checkout_shared::api::CardType;
        use checkout_shared::mask::Redacted;
        let qr = QrRequest { method: PaymentMethod::PayzeroQr, channel: Channel::Alipay };
        assert_eq!(qr_json(&qr), serde_json::to_string(&qr).unwrap());
        let barcode = BarcodeRequest { method: PaymentMethod::EzrBarcode, code: "1234\"\\\n\u{1}é".into() };
        assert_eq!(barcode_json(&barcode), serde_json::to_string(&barcode).unwrap());
        let mut form = CardSignupRequest {
            account_name: "张三".into(),
            card_number: "6217920151050000".into(),
            card_type: CardType::Debit,
            bank_code: "999".into(),
            id_number: "310113198010101232".into(),
            mobile: "13800138000".into(),
            cvv2: None,
            expiry: None,
        };
        assert_eq!(signup_json(&form), serde_json::to_string(&form).unwrap());
        form.card_type = CardType::Credit;
        form.cvv2 = Some(Redacted::new("123"));
        form.expiry = Some(Redacted::new("2812"));
        assert_eq!(signup_json(&form), serde_json::to_string(&form).unwrap());
        let code = SmsCodeRequest { code: "123456".into() };
        assert_eq!(code_json(&code), serde_json::to_string(&code).unwrap());
        let pay = CardPayRequest { card_id: "card_1".into() };
        assert_eq!(pay_json(&pay), serde_json::to_string(&pay).unwrap());
        assert_eq!(card_call(&Command::CardPayResend).map(|c| c.1), Some("{}".into()));
        assert_eq!(card_call(&Command::Load), None);
    }
}
