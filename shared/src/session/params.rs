//! What a merchant may ask for in `POST /v1/sessions`, checked field by field: the limits, the
//! payment methods the edge can run, and `SessionParams`, the request with every default resolved.

use super::Refusal;
use crate::api::{CreateSessionRequest, ErrorCode, Locale, PaymentMethod};
use crate::json::decode;
use crate::money::Fen;
use serde::{Deserialize, Serialize};

/// Request bodies larger than this are refused before they are parsed.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// The largest amount a session may ask for: Payzero's `Long` is fine with more, but ten digits of
/// fen (¥100,000,000) is far above any checkout and keeps every gateway's encoding in range.
pub const MAX_AMOUNT: Fen = Fen(9_999_999_999);
pub const DEFAULT_EXPIRES_IN: u64 = 1800;
pub const MIN_EXPIRES_IN: u64 = 60;
pub const MAX_EXPIRES_IN: u64 = 86_400;
pub const MAX_SUBJECT_CHARS: usize = 128;
pub const MAX_ORDER_NO_CHARS: usize = 64;
pub const MAX_URL_CHARS: usize = 2048;

/// A cashier payment not confirmed this long after it was sent is canceled at the gateway
/// (Shouqianba 2.4's `timeout`); the edge's `BARCODE_DEADLINE_SECS` sets it
/// (30–300 s).
pub const DEFAULT_BARCODE_DEADLINE_SECS: u64 = 60;
pub const MIN_BARCODE_DEADLINE_SECS: u64 = 30;
pub const MAX_BARCODE_DEADLINE_SECS: u64 = 300;

fn invalid(message: impl Into<String>) -> Refusal {
    Refusal::new(ErrorCode::InvalidRequest, message)
}

/// A payment method the edge can run. Closed: `PaymentMethod` (the wire name, which may be one
/// this version does not know) is checked into this at the door.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    PayzeroQr,
    ShouqianbaQr,
    ShouqianbaBarcode,
    EzrBarcode,
}

impl Method {
    /// The method of a wire name, if the edge runs it.
    pub fn from_wire(wire: &PaymentMethod) -> Option<Method> {
        match wire {
            PaymentMethod::PayzeroQr => Some(Method::PayzeroQr),
            PaymentMethod::ShouqianbaQr => Some(Method::ShouqianbaQr),
            PaymentMethod::ShouqianbaBarcode => Some(Method::ShouqianbaBarcode),
            PaymentMethod::EzrBarcode => Some(Method::EzrBarcode),
            PaymentMethod::PayzeroCard | PaymentMethod::Unknown(_) => None,
        }
    }

    pub fn wire(self) -> PaymentMethod {
        match self {
            Method::PayzeroQr => PaymentMethod::PayzeroQr,
            Method::ShouqianbaQr => PaymentMethod::ShouqianbaQr,
            Method::ShouqianbaBarcode => PaymentMethod::ShouqianbaBarcode,
            Method::EzrBarcode => PaymentMethod::EzrBarcode,
        }
    }

    pub fn is_barcode(self) -> bool {
        matches!(self, Method::ShouqianbaBarcode | Method::EzrBarcode)
    }
}

/// What a valid `CreateSessionRequest` becomes: every default resolved, nothing left to check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionParams {
    pub amount: Fen,
    pub currency: String,
    pub subject: String,
    pub merchant_order_no: String,
    pub methods: Vec<Method>,
    /// Seconds a cashier payment may stay unconfirmed before it is canceled.
    #[serde(default = "default_barcode_deadline")]
    pub barcode_deadline: u64,
    pub notify_url: Option<String>,
    pub return_url: Option<String>,
    pub expires_in: u64,
    pub locale: Locale,
}

/// Decodes a `POST /v1/sessions` body, naming the field that failed, and validates it.
/// `barcode_deadline` is the edge's configured default (`BARCODE_DEADLINE_SECS`).
pub fn parse_create_request(body: &[u8], barcode_deadline: u64) -> Result<SessionParams, Refusal> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Refusal::new(
            ErrorCode::PayloadTooLarge,
            format!("the body must be at most {MAX_BODY_BYTES} bytes"),
        ));
    }
    let request: CreateSessionRequest =
        decode(body).map_err(|e| Refusal::new(ErrorCode::InvalidJson, e.describe("session request")))?;
    validate(request, barcode_deadline)
}

fn default_barcode_deadline() -> u64 {
    DEFAULT_BARCODE_DEADLINE_SECS
}

/// The barcode deadline from the edge's `BARCODE_DEADLINE_SECS` setting (unset: the default).
pub fn barcode_deadline_setting(value: Option<&str>) -> Result<u64, String> {
    let Some(text) = value.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(DEFAULT_BARCODE_DEADLINE_SECS);
    };
    text.parse::<u64>()
        .ok()
        .filter(|s| (MIN_BARCODE_DEADLINE_SECS..=MAX_BARCODE_DEADLINE_SECS).contains(s))
        .ok_or_else(|| {
            format!("BARCODE_DEADLINE_SECS must be {MIN_BARCODE_DEADLINE_SECS} to {MAX_BARCODE_DEADLINE_SECS} seconds, not \"{text}\"")
        })
}

/// Checks every value of a session request; the message names the field at fault.
pub fn validate(request: CreateSessionRequest, barcode_deadline: u64) -> Result<SessionParams, Refusal> {
    if request.amount == Fen::ZERO {
        return Err(invalid("amount must be at least 1 fen"));
    }
    if request.amount > MAX_AMOUNT {
        return Err(invalid(format!("amount must be at most {} fen", MAX_AMOUNT.0)));
    }
    if request.currency != "CNY" {
        return Err(invalid("currency must be \"CNY\""));
    }
    let subject = check_text("subject", &request.subject, MAX_SUBJECT_CHARS)?;
    let merchant_order_no = check_text("merchant_order_no", &request.merchant_order_no, MAX_ORDER_NO_CHARS)?;
    if request.methods.is_empty() {
        return Err(invalid("methods must list at least one payment method"));
    }
    let mut methods: Vec<Method> = Vec::with_capacity(request.methods.len());
    for (i, wire) in request.methods.iter().enumerate() {
        let method = match Method::from_wire(wire) {
            Some(method) => method,
            None if matches!(wire, PaymentMethod::Unknown(_)) => {
                return Err(invalid(format!("methods[{i}]: unknown payment method \"{wire}\"")));
            }
            None => {
                return Err(Refusal::new(
                    ErrorCode::MethodNotSupported,
                    format!("methods[{i}]: \"{wire}\" is not available yet"),
                ));
            }
        };
        // A repeated method is harmless; keep the first mention so the order stays the merchant's.
        if !methods.contains(&method) {
            methods.push(method);
        }
    }
    let notify_url = request.notify_url.map(|u| check_url("notify_url", u)).transpose()?;
    let return_url = request.return_url.map(|u| check_url("return_url", u)).transpose()?;
    let expires_in = request.expires_in.unwrap_or(DEFAULT_EXPIRES_IN);
    if !(MIN_EXPIRES_IN..=MAX_EXPIRES_IN).contains(&expires_in) {
        return Err(invalid(format!(
            "expires_in must be between {MIN_EXPIRES_IN} and {MAX_EXPIRES_IN} seconds"
        )));
    }
    let locale = match request.locale {
        None => Locale::default(),
        Some(Locale::Unknown(other)) => {
            return Err(invalid(format!("locale must be \"zh-CN\" or \"en\", not \"{other}\"")));
        }
        Some(known) => known,
    };
    Ok(SessionParams {
        barcode_deadline,
        amount: request.amount,
        currency: request.currency,
        subject,
        merchant_order_no,
        methods,
        notify_url,
        return_url,
        expires_in,
        locale,
    })
}

fn check_text(field: &str, value: &str, max_chars: usize) -> Result<String, Refusal> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(invalid(format!("{field} must not be empty")));
    }
    if trimmed.chars().count() > max_chars {
        return Err(invalid(format!("{field} must be at most {max_chars} characters")));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(invalid(format!("{field} must not contain control characters")));
    }
    Ok(trimmed.to_owned())
}

fn check_url(field: &str, url: String) -> Result<String, Refusal> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or(""));
    let well_formed = matches!(host, Some(h) if !h.is_empty() && !h.starts_with(':'))
        && url.len() <= MAX_URL_CHARS
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if well_formed {
        Ok(url)
    } else {
        Err(invalid(format!(
            "{field} must be an absolute http:// or https:// URL of at most {MAX_URL_CHARS} characters"
        )))
    }
}
