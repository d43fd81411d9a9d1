//! What a merchant may ask for in `POST /v1/sessions`, checked field by field: the limits, the
//! payment methods the edge can run, and `SessionParams`, the request with every default resolved.

use super::Refusal;
use crate::api::{CreateSessionRequest, CustomsDeclaration, ErrorCode, Locale, PaymentMethod};
use crate::json::decode;
use crate::money::Fen;
use crate::sms::SmsLimits;
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
    PayzeroCard,
    ShouqianbaQr,
    ShouqianbaBarcode,
    EzrBarcode,
}

impl Method {
    /// The method of a wire name, if the edge runs it.
    pub fn from_wire(wire: &PaymentMethod) -> Option<Method> {
        match wire {
            PaymentMethod::PayzeroQr => Some(Method::PayzeroQr),
            PaymentMethod::PayzeroCard => Some(Method::PayzeroCard),
            PaymentMethod::ShouqianbaQr => Some(Method::ShouqianbaQr),
            PaymentMethod::ShouqianbaBarcode => Some(Method::ShouqianbaBarcode),
            PaymentMethod::EzrBarcode => Some(Method::EzrBarcode),
            PaymentMethod::Unknown(_) => None,
        }
    }

    pub fn wire(self) -> PaymentMethod {
        match self {
            Method::PayzeroQr => PaymentMethod::PayzeroQr,
            Method::PayzeroCard => PaymentMethod::PayzeroCard,
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
    /// The merchant's customer: cards signed in the session are saved for them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    /// The SMS limits in force when the session was made.
    #[serde(default)]
    pub sms: SmsLimits,
    /// Declare Payzero payments to customs for this payer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customs: Option<CustomsDeclaration>,
}

/// The edge's settings a session takes at creation, from its `[vars]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    /// `CHECKOUT_MODE` is `live` — or unset, or anything but `test`: a forgotten setting fails
    /// closed. Live sessions send webhooks only to public `https` hosts.
    pub live: bool,
    /// `BARCODE_DEADLINE_SECS`.
    pub barcode_deadline: u64,
    /// `SMS_*`.
    pub sms: SmsLimits,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { live: true, barcode_deadline: DEFAULT_BARCODE_DEADLINE_SECS, sms: SmsLimits::default() }
    }
}

/// Whether `CHECKOUT_MODE` (`None` when unset) means live: everything but exactly `test` does.
pub fn is_live_mode(checkout_mode: Option<&str>) -> bool {
    checkout_mode.map(str::trim) != Some("test")
}

impl Settings {
    /// Every setting from `lookup(name)` (unset: the default); a bad value is a message naming it.
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, String> {
        Ok(Settings {
            live: is_live_mode(lookup("CHECKOUT_MODE").as_deref()),
            barcode_deadline: barcode_deadline_setting(lookup("BARCODE_DEADLINE_SECS").as_deref())?,
            sms: SmsLimits::from_settings(lookup)?,
        })
    }
}

/// Decodes a `POST /v1/sessions` body, naming the field that failed, and validates it with the
/// edge's `settings`.
pub fn parse_create_request(body: &[u8], settings: &Settings) -> Result<SessionParams, Refusal> {
    if body.len() > MAX_BODY_BYTES {
        return Err(Refusal::new(
            ErrorCode::PayloadTooLarge,
            format!("the body must be at most {MAX_BODY_BYTES} bytes"),
        ));
    }
    let request: CreateSessionRequest =
        decode(body).map_err(|e| Refusal::new(ErrorCode::InvalidJson, e.describe("session request")))?;
    validate(request, settings)
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
pub fn validate(request: CreateSessionRequest, settings: &Settings) -> Result<SessionParams, Refusal> {
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
        let Some(method) = Method::from_wire(wire) else {
            return Err(invalid(format!("methods[{i}]: unknown payment method \"{wire}\"")));
        };
        // A repeated method is harmless; keep the first mention so the order stays the merchant's.
        if !methods.contains(&method) {
            methods.push(method);
        }
    }
    let notify_url = request.notify_url.map(|u| check_url("notify_url", u)).transpose()?;
    if settings.live
        && let Some(url) = &notify_url
    {
        check_live_notify_url(url)?;
    }
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
    let customer = match request.customer {
        Some(c) if !crate::customer::is_customer_id(&c) => {
            return Err(invalid(
                "customer must be 1 to 64 characters with no spaces, control characters, '/', '?', '#' or '%'",
            ));
        }
        other => other,
    };
    let customs = request.customs.map(|c| check_customs(c, &methods)).transpose()?;
    Ok(SessionParams {
        customs,
        barcode_deadline: settings.barcode_deadline,
        customer,
        sms: settings.sms,
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

/// The customs fields: an A.6 code with its Guangzhou and Tianjin extras, and a payer with a real
/// ID number and a mainland mobile. Only Payzero declares, and a customs session pays through one
/// Payzero order made under the shop's own `merchant_order_no` (the number the shop declares its
/// order under, so customs can match the two): it offers exactly one Payzero method. A method
/// that cannot declare would leave a payment undeclared and the parcel held: refused.
fn check_customs(mut c: CustomsDeclaration, methods: &[Method]) -> Result<CustomsDeclaration, Refusal> {
    use crate::payzero::CustomsCode;
    if let Some(m) = methods.iter().find(|m| !matches!(m, Method::PayzeroQr | Method::PayzeroCard)) {
        return Err(Refusal::new(
            ErrorCode::MethodNotSupported,
            format!(
                "methods: {} cannot declare payments to customs; a session with customs offers payzero_qr or payzero_card",
                m.wire()
            ),
        ));
    }
    if methods.len() != 1 {
        return Err(Refusal::new(
            ErrorCode::MethodNotSupported,
            "methods: a session with customs makes one Payzero order under merchant_order_no, so it offers payzero_qr or payzero_card, not both",
        ));
    }
    let code = match c.customs_code.trim().parse::<CustomsCode>() {
        Ok(CustomsCode::Unknown(_)) | Err(_) => {
            return Err(invalid("customs.customs_code must be one of the spec's A.6 codes (HG013 … HG055)"));
        }
        Ok(code) => code,
    };
    c.customs_code = code.as_str().to_owned();
    let present = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.trim().is_empty());
    if code == CustomsCode::Guangzhou && !(present(&c.customs_area_code) && present(&c.customs_jy_org)) {
        return Err(invalid(
            "customs.customs_area_code and customs.customs_jy_org are required for Guangzhou (HG018)",
        ));
    }
    if code == CustomsCode::Tianjin && !matches!(c.customs_in_type.as_deref(), Some("1" | "2")) {
        return Err(invalid("customs.customs_in_type must be \"1\" or \"2\" for Tianjin (HG026)"));
    }
    c.payer_name = check_text("customs.payer_name", &c.payer_name, 64)?;
    if crate::card::check_id_number(c.payer_id_number.expose()).is_err() {
        return Err(invalid("customs.payer_id_number is not a valid ID number (GB 11643)"));
    }
    if crate::card::check_mobile(c.payer_phone.expose()).is_err() {
        return Err(invalid("customs.payer_phone is not a mainland mobile number"));
    }
    Ok(c)
}

/// A shop order number as sessions store it (trimmed), if `text` is one: what a look-up by
/// `merchant_order_no` searches for.
pub fn merchant_order_no_of(text: &str) -> Option<String> {
    check_text("merchant_order_no", text, MAX_ORDER_NO_CHARS).ok()
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

/// In live mode a webhook goes only to a public HTTPS host named by DNS: not `http`, not an IP
/// literal (v4, v6, or the decimal and hex forms some resolvers accept), not `localhost` or a
/// name that only a private network resolves (`.local`, `.internal`, …). The edge cannot see
/// where a name resolves, so a public name pointing inward is the merchant's to avoid; a
/// redirect is never followed.
fn check_live_notify_url(url: &str) -> Result<(), Refusal> {
    let refuse = |why: &str| Err(invalid(format!("in live mode notify_url must {why}")));
    let Some(rest) = url.strip_prefix("https://") else {
        return refuse("use https://");
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    // `user:password@host` hides the real host from a quick reading: refused outright.
    if authority.contains('@') {
        return refuse("not carry credentials");
    }
    let host = if authority.starts_with('[') {
        return refuse("name a host, not an IP address");
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    }
    .trim_end_matches('.')
    .to_ascii_lowercase();
    let ip_like = host.split('.').all(|label| {
        !label.is_empty()
            && (label.bytes().all(|b| b.is_ascii_digit())
                || label.strip_prefix("0x").is_some_and(|h| h.bytes().all(|b| b.is_ascii_hexdigit())))
    });
    if host.is_empty() || ip_like {
        return refuse("name a host, not an IP address");
    }
    const PRIVATE_SUFFIXES: [&str; 7] =
        ["localhost", "local", "internal", "intranet", "lan", "home.arpa", "corp"];
    let last_labels_private = PRIVATE_SUFFIXES.iter().any(|s| host == *s || host.ends_with(&format!(".{s}")));
    if last_labels_private || !host.contains('.') {
        return refuse("name a public host (not localhost or a private network name)");
    }
    Ok(())
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
