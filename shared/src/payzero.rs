//! Payzero QuickPay wire types (specs/payzero-quickpay.md): the `{success, errorCode, errorMsg,
//! data}` envelope, every request and response body, and the signed notification.
//! Amounts are JSON integers in fen (`Long`). Field names follow the spec's camelCase exactly.

use crate::flex::{NumOrStr, ObjectOrText};
use crate::money::Fen;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Decodes JSON, naming the field that failed (`data.payStatus: invalid type…`).
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| DecodeError {
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })
}

/// A JSON body that did not match the expected type, with the path of the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct DecodeError {
    pub path: String,
    pub message: String,
}

/// Every response body: `data` is an object for most calls, a bare string for a few, `null` on
/// failure.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope<T> {
    pub success: bool,
    pub error_msg: Option<String>,
    pub error_code: Option<String>,
    pub data: Option<ObjectOrText<T>>,
}

impl<T> Envelope<T> {
    pub fn ok(data: T) -> Self {
        Envelope { success: true, error_msg: None, error_code: None, data: Some(ObjectOrText::Object(data)) }
    }

    pub fn ok_text(text: impl Into<String>) -> Self {
        Envelope { success: true, error_msg: None, error_code: None, data: Some(ObjectOrText::Text(text.into())) }
    }

    pub fn fail(code: impl Into<String>, msg: impl Into<String>) -> Self {
        Envelope { success: false, error_msg: Some(msg.into()), error_code: Some(code.into()), data: None }
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Login

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoginRequest {
    /// The AppId.
    pub username: String,
    /// The AppKey. Never logged: the edge builds this body from a `Secret` at the last moment.
    pub password: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LoginResponse {
    pub username: String,
    pub token: String,
}

// ---------------------------------------------------------------------------------------------
// Enumerations (appendix A)

crate::wire_enum! {
    /// A.1 支付状态.
    pub enum PayStatus {
        InitFeePending = "INIT_FEE_PENDING",
        NotPayed = "NOT_PAYED",
        PayApplied = "PAY_APPLIED",
        PaySmsConfirmed = "PAY_SMS_CONFIRMED",
        PaySucceed = "PAY_SUCCEED",
        PayFailed = "PAY_FAILED",
        /// Not in A.1, but the spec's own feedback example (2.5) carries it.
        PayCancelled = "PAY_CANCELLED",
    }
}

crate::wire_enum! {
    /// A.2 申报状态.
    pub enum DeclareStatus {
        NotDeclared = "NOT_DECLARED",
        PendingDeclare = "PENDING_DECLARE",
        Declaring = "DECLARING",
        Declared = "DECLARED",
        DeclareFailed = "DECLARE_FAILED",
    }
}

crate::wire_enum! {
    /// A.3 二维码类型.
    pub enum QrCodeType {
        Wechatpay = "WECHATPAY",
        Alipay = "ALIPAY",
        Unionpay = "UNIONPAY",
    }
}

crate::wire_enum! {
    /// A.4 支付公司代码.
    pub enum Psp {
        Allinpay = "ALLINPAY",
        Easypay = "EASYPAY",
        Lycheepay = "LYCHEEPAY",
    }
}

crate::wire_enum! {
    /// 3.1 notification message types.
    pub enum MsgType {
        PayStatusNotify = "PAY_STATUS_NOTIFY",
        DeclareStatusNotify = "DECLARE_STATUS_NOTIFY",
    }
}

// ---------------------------------------------------------------------------------------------
// Orders

/// An item of an order (`items`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Item {
    pub subject: String,
    pub item_link: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article_num: Option<String>,
}

/// The `order` object shared by batch upload, createAndPay, createAndQrCode, createAndQuickpay
/// and createAndMockpay; the endpoint-specific fields (`qrCodeType`, `agreeid`, `needDeclare`)
/// are optional here and required by the endpoint that uses them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_code_type: Option<QrCodeType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agreeid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub need_declare: Option<bool>,
    pub currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customs_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customs_area_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customs_jy_org: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customs_in_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<Item>>,
    pub mcht_order_no: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_datetime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_phone: Option<String>,
    pub payment_amount: Fen,
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_url: Option<String>,
}

impl Order {
    /// A CNY order with the required fields; set the others with the `with_*` setters.
    pub fn new(mcht_order_no: impl Into<String>, payment_amount: Fen, subject: impl Into<String>) -> Self {
        Order {
            qr_code_type: None,
            agreeid: None,
            need_declare: None,
            currency: "CNY".into(),
            customs_code: None,
            customs_area_code: None,
            customs_jy_org: None,
            customs_in_type: None,
            items: None,
            mcht_order_no: mcht_order_no.into(),
            order_datetime: None,
            payer_name: None,
            payer_number: None,
            payer_phone: None,
            payment_amount,
            subject: subject.into(),
            notify_url: None,
        }
    }

    pub fn with_qr_code_type(mut self, t: QrCodeType) -> Self {
        self.qr_code_type = Some(t);
        self
    }

    pub fn with_agreeid(mut self, agreeid: impl Into<String>) -> Self {
        self.agreeid = Some(agreeid.into());
        self
    }

    pub fn with_need_declare(mut self, need: bool) -> Self {
        self.need_declare = Some(need);
        self
    }

    pub fn with_notify_url(mut self, url: impl Into<String>) -> Self {
        self.notify_url = Some(url.into());
        self
    }
}

// ---------------------------------------------------------------------------------------------
// 4. QR orders

/// Response of `createAndQrCode` and `qrCode`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QrCodeResponse {
    pub mcht_order_no: String,
    pub psp: Psp,
    pub code_url: String,
    pub qr_code_type: QrCodeType,
}

/// `orderResultDto` (2.4): the answer of `order/feedback`, `queryOrder`, the rows of batch
/// feedback, and the `msgBody` of both notifications.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderResult {
    pub mcht_order_no: String,
    pub payment_amount: Fen,
    #[serde(default)]
    pub payer_name: Option<String>,
    #[serde(default)]
    pub payer_number: Option<String>,
    #[serde(default)]
    pub payer_phone: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
    pub pay_status: PayStatus,
    #[serde(default)]
    pub declare_status: Option<DeclareStatus>,
    #[serde(default)]
    pub declare_fail_reason: Option<String>,
    #[serde(default)]
    pub payment_order_no: Option<String>,
    #[serde(default)]
    pub ver_dept: Option<String>,
    #[serde(default)]
    pub pay_type: Option<NumOrStr>,
    #[serde(default)]
    pub init_request: Option<String>,
    #[serde(default)]
    pub init_response: Option<String>,
    /// `yyyyMMddHHmmss`; the spec shows it both as a number and as a string.
    #[serde(default)]
    pub payment_datetime: Option<NumOrStr>,
    #[serde(default)]
    pub customs_pay_company_name: Option<String>,
    #[serde(default)]
    pub customs_pay_company_code: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// 3. Notifications

/// A notification as posted: `msgBody` is a JSON *string* holding an `OrderResult`; it is kept
/// exactly as received because the signature covers those bytes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Notification {
    pub timestamp: NumOrStr,
    pub msg_type: MsgType,
    pub msg_body: String,
    #[serde(default)]
    pub sign: Option<String>,
}

impl Notification {
    /// Decodes the `msgBody` string as the order result it carries.
    pub fn order_result(&self) -> Result<OrderResult, DecodeError> {
        decode(self.msg_body.as_bytes())
    }
}
