//! What a merchant may ask for in `POST /v1/sessions`, checked field by field: the limits, the
//! payment methods the edge can run, and `SessionParams`, the request with every default resolved.

use super::Refusal;
use crate::api::{CreateSessionRequest, CustomsDeclaration, ErrorCode, Locale, PaymentMethod};
use crate::json::decode;
use crate::money::Fen;
use crate::sms::SmsLimits;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
pub use crate::live::MAX_URL_CHARS;
/// Metadata bounds, Stripe's: enough for a shop's own ids and notes, small enough to ride on every
/// webhook.
pub const MAX_METADATA_KEYS: usize = 20;
pub const MAX_METADATA_KEY_CHARS: usize = 40;
pub const MAX_METADATA_VALUE_CHARS: usize = 500;

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
    /// The shop's own key–value pairs, returned in the merchant view and every webhook.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
    /// The merchant's EZR account needs each refund approved in the EZR back office
    /// (`EZR_REFUND_APPROVAL` when the session was made): refunds go by §4 `refund/apply`
    /// instead of §5 `refund`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ezr_refund_approval: bool,
    /// Who takes the payment, for Shouqianba's `operator` (`DEFAULT_OPERATOR` when not given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// Shouqianba's `description`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Shouqianba's `reflect`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reflect: Option<String>,
}

/// Shouqianba's `operator` when the session names none: the checkout acts for the merchant.
pub const DEFAULT_OPERATOR: &str = "checkout-edge";
/// The longest `operator`: Shouqianba's pay and precreate take `String(32)`.
pub const MAX_OPERATOR_CHARS: usize = 32;
/// The longest `description`: Shouqianba's `String(256)`.
pub const MAX_DESCRIPTION_CHARS: usize = 256;
/// The longest `reflect`, in bytes: Shouqianba's `String(64)`, refused rather than cut, since it
/// is meant to come back unchanged.
pub const MAX_REFLECT_BYTES: usize = 64;

impl SessionParams {
    /// Shouqianba's free-text fields for this session's calls.
    pub fn sqb_text(&self) -> crate::gateway::SqbText {
        crate::gateway::SqbText {
            operator: self.operator.clone(),
            description: self.description.clone(),
            reflect: self.reflect.clone(),
        }
    }
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
    /// `EZR_REFUND_APPROVAL` (`true`/`false`, default `false`).
    pub ezr_refund_approval: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            live: true,
            barcode_deadline: DEFAULT_BARCODE_DEADLINE_SECS,
            sms: SmsLimits::default(),
            ezr_refund_approval: false,
        }
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
            ezr_refund_approval: flag_setting(
                "EZR_REFUND_APPROVAL",
                lookup("EZR_REFUND_APPROVAL").as_deref(),
            )?,
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

/// A yes/no setting: `true` or `false` (unset or empty: `false`); anything else names it.
fn flag_setting(name: &str, value: Option<&str>) -> Result<bool, String> {
    match value.map(str::trim) {
        None | Some("" | "false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(format!("{name} must be \"true\" or \"false\", not \"{other}\"")),
    }
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
    let metadata = check_metadata(request.metadata)?;
    let operator = request.operator.map(|o| check_text("operator", &o, MAX_OPERATOR_CHARS)).transpose()?;
    let description =
        request.description.map(|d| check_text("description", &d, MAX_DESCRIPTION_CHARS)).transpose()?;
    let reflect = match request.reflect {
        Some(r) if r.len() > MAX_REFLECT_BYTES || r.chars().any(char::is_control) => {
            return Err(invalid(format!(
                "reflect must be at most {MAX_REFLECT_BYTES} bytes (UTF-8), without control characters"
            )));
        }
        other => other.filter(|r| !r.is_empty()),
    };
    Ok(SessionParams {
        metadata,
        ezr_refund_approval: settings.ezr_refund_approval,
        operator,
        description,
        reflect,
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

/// Metadata within its bounds: keys of 1–40 characters without control characters, values of at
/// most 500 characters, at most 20 pairs. Values are the shop's and kept as given.
fn check_metadata(metadata: BTreeMap<String, String>) -> Result<BTreeMap<String, String>, Refusal> {
    if metadata.len() > MAX_METADATA_KEYS {
        return Err(invalid(format!("metadata may hold at most {MAX_METADATA_KEYS} keys")));
    }
    for (key, value) in &metadata {
        let chars = key.chars().count();
        if chars == 0 || chars > MAX_METADATA_KEY_CHARS || key.chars().any(char::is_control) {
            return Err(invalid(format!(
                "metadata keys must be 1 to {MAX_METADATA_KEY_CHARS} characters with no control characters"
            )));
        }
        if value.chars().count() > MAX_METADATA_VALUE_CHARS {
            return Err(invalid(format!(
                "metadata[\"{key}\"] must be at most {MAX_METADATA_VALUE_CHARS} characters"
            )));
        }
    }
    Ok(metadata)
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

/// In live mode a webhook goes only to a public HTTPS host named by DNS
/// (`live::public_https_url`, the one URL reading of the edge): not `http`, not an IP address in
/// any form a parser accepts, not `localhost` or a name only a private network resolves, no
/// credentials. A redirect is never followed.
fn check_live_notify_url(url: &str) -> Result<(), Refusal> {
    crate::live::public_https_url(url)
        .map(|_| ())
        .map_err(|why| invalid(format!("in live mode notify_url must {}", why.must())))
}

/// An absolute `http(s)` URL, read by the WHATWG parser and kept as it serialises it, so the
/// URL checked is the URL fetched.
fn check_url(field: &str, url: String) -> Result<String, Refusal> {
    crate::live::web_url(&url).map(|u| u.to_string()).map_err(|_| {
        invalid(format!(
            "{field} must be an absolute http:// or https:// URL of at most {MAX_URL_CHARS} characters"
        ))
    })
}
