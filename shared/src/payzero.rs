//! Payzero QuickPay wire types (specs/payzero-quickpay.md): the `{success, errorCode, errorMsg,
//! data}` envelope, every request and response body, and the signed notification.
//! Amounts are JSON integers in fen (`Long`). Field names follow the spec's camelCase exactly.

use crate::flex::NumOrStr;
/// Re-exported because it is the type of `Envelope::data`: users of this module can name it here.
pub use crate::flex::ObjectOrText;
use crate::json::{DecodeError, decode};
use crate::mask::{CardNumber, IdNumber, PhoneNumber, Redacted, id_opt};
use crate::money::Fen;
use serde::{Deserialize, Serialize};
use std::fmt;

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
        Envelope {
            success: true,
            error_msg: None,
            error_code: None,
            data: Some(ObjectOrText::Text(text.into())),
        }
    }

    pub fn fail(code: impl Into<String>, msg: impl Into<String>) -> Self {
        Envelope { success: false, error_msg: Some(msg.into()), error_code: Some(code.into()), data: None }
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Login

/// `POST /auth/login`. `Debug` hides the password (the AppKey).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginRequest {
    /// The AppId.
    pub username: String,
    /// The AppKey. Never logged: the edge builds this body from a `Secret` at the last moment.
    pub password: String,
}

/// The login answer. `Debug` hides the token: it is a bearer credential for four hours.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
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

/// An item of an order (`items`). A request type only (the merchant's back-office bodies are
/// read into it): a field it does not know is refused, never dropped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Item {
    pub subject: String,
    pub item_link: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub article_num: Option<String>,
}

/// The `order` object shared by batch upload, createAndPay, createAndQrCode, createAndQuickpay
/// and createAndMockpay; the endpoint-specific fields (`qrCodeType`, `agreeid`, `needDeclare`)
/// are optional here and required by the endpoint that uses them.
///
/// `Debug` masks `payerNumber` (an ID number). A request type only: a field it does not know is
/// refused, never dropped (the merchant's back-office bodies are read into it).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct QrCodeResponse {
    pub mcht_order_no: String,
    pub psp: Psp,
    pub code_url: String,
    pub qr_code_type: QrCodeType,
}

/// `orderResultDto` (2.4): the answer of `order/feedback`, `queryOrder`, the rows of batch
/// feedback, and the `msgBody` of both notifications.
///
/// Response fields are `Option` without `skip_serializing_if`: Payzero writes absent values as
/// `null`, and writing them back the same way keeps a decoded body re-encodable byte-for-value.
/// `Debug` masks `payerNumber` (an ID number).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
///
/// `Debug` shows only the length of `msgBody`: the body holds the payer's name, ID and phone.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
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

impl fmt::Debug for Notification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notification")
            .field("timestamp", &self.timestamp)
            .field("msg_type", &self.msg_type)
            .field("msg_body", &format_args!("<{} bytes>", self.msg_body.len()))
            .field("sign", &self.sign)
            .finish()
    }
}

impl fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginRequest")
            .field("username", &self.username)
            .field("password", &format_args!("[REDACTED]"))
            .finish()
    }
}

impl fmt::Debug for LoginResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginResponse")
            .field("username", &self.username)
            .field("token", &format_args!("[REDACTED]"))
            .finish()
    }
}

impl fmt::Debug for Order {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Order")
            .field("qr_code_type", &self.qr_code_type)
            .field("agreeid", &self.agreeid)
            .field("need_declare", &self.need_declare)
            .field("currency", &self.currency)
            .field("customs_code", &self.customs_code)
            .field("customs_area_code", &self.customs_area_code)
            .field("customs_jy_org", &self.customs_jy_org)
            .field("customs_in_type", &self.customs_in_type)
            .field("items", &self.items)
            .field("mcht_order_no", &self.mcht_order_no)
            .field("order_datetime", &self.order_datetime)
            .field("payer_name", &self.payer_name)
            .field("payer_number", &id_opt(&self.payer_number))
            .field("payer_phone", &self.payer_phone)
            .field("payment_amount", &self.payment_amount)
            .field("subject", &self.subject)
            .field("notify_url", &self.notify_url)
            .finish()
    }
}

impl fmt::Debug for OrderResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OrderResult")
            .field("mcht_order_no", &self.mcht_order_no)
            .field("payment_amount", &self.payment_amount)
            .field("payer_name", &self.payer_name)
            .field("payer_number", &id_opt(&self.payer_number))
            .field("payer_phone", &self.payer_phone)
            .field("subject", &self.subject)
            .field("pay_status", &self.pay_status)
            .field("declare_status", &self.declare_status)
            .field("declare_fail_reason", &self.declare_fail_reason)
            .field("payment_order_no", &self.payment_order_no)
            .field("ver_dept", &self.ver_dept)
            .field("pay_type", &self.pay_type)
            // The raw PSP exchanges can hold card data; their size is all a log needs.
            .field("init_request", &self.init_request.as_ref().map(|s| format!("<{} bytes>", s.len())))
            .field("init_response", &self.init_response.as_ref().map(|s| format!("<{} bytes>", s.len())))
            .field("payment_datetime", &self.payment_datetime)
            .field("customs_pay_company_name", &self.customs_pay_company_name)
            .field("customs_pay_company_code", &self.customs_pay_company_code)
            .finish()
    }
}

// ---------------------------------------------------------------------------------------------
// The envelope: text data and error codes

/// The `T` of endpoints whose `data` is a bare string (`orderBatch/{id}/pay`, `arrangePay`,
/// `declare`): it has no values, so `ObjectOrText<NoObject>` can only be `Text` (or the envelope's
/// `data` is `null`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum NoObject {}

/// An envelope whose `data` is a string such as `"订单进入支付队列成功"`.
pub type TextEnvelope = Envelope<NoObject>;

impl<T> Envelope<T> {
    /// The `data` object, when the call succeeded with one.
    pub fn data_object(&self) -> Option<&T> {
        self.data.as_ref().and_then(ObjectOrText::object)
    }

    /// The `data` string, when the call answered with text.
    pub fn data_text(&self) -> Option<&str> {
        match &self.data {
            Some(ObjectOrText::Text(t)) => Some(t),
            _ => None,
        }
    }

    /// `errorCode` as a known code (or `Unknown`); `None` when there is none.
    pub fn error(&self) -> Option<ErrorCode> {
        self.error_code.as_deref().and_then(|c| c.parse().ok())
    }
}

crate::wire_enum! {
    /// `errorCode` values the spec documents (2.2, 2.6, and the envelope example). Other codes
    /// exist (the spec says they are "for reference when reporting to Payzero") and arrive as
    /// `Unknown`.
    pub enum ErrorCode {
        /// The envelope example's "参数 xxxx 未正确设置": a request parameter is missing or wrong.
        InvalidParameter = "30001",
        /// 50001: no supported bank card and agreement; the prepayment (垫资) mode may be set up
        /// wrongly. Bind a card in the merchant back office.
        NoSupportedCard = "50001",
        /// 50010: no signed bank card to pay with. Bind a card in the merchant back office.
        NoSignedCard = "50010",
        /// 50054: the batch has no order left to assign for payment.
        NothingToPay = "50054",
        /// 50056: the cards' recorded balance cannot cover the batch.
        InsufficientCardBalance = "50056",
    }
}

impl ErrorCode {
    /// The spec's own message for a documented code, for logs and operator screens.
    pub fn spec_message(&self) -> Option<&'static str> {
        Some(match self {
            ErrorCode::InvalidParameter => "参数未正确设置",
            ErrorCode::NoSupportedCard => "未找到支持的银行卡和协议，可能与垫资模式的设置不正确有关",
            ErrorCode::NoSignedCard => "未找到已签约的银行卡进行支付",
            ErrorCode::NothingToPay => "没有需要被分配执行的订单",
            ErrorCode::InsufficientCardBalance => {
                "系统记录的银行卡当前额度可能无法支持支付本批次订单，请增加系统内银行卡额度并确保实际资金与额度大致匹配"
            }
            ErrorCode::Unknown(_) => return None,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// More enumerations (appendix A)

crate::wire_enum! {
    /// A.5 银行代码 (`bankcode`).
    pub enum BankCode {
        Icbc = "0102",
        Abc = "0103",
        Boc = "0104",
        Ccb = "0105",
        Bocom = "0301",
        Citic = "0302",
        Ceb = "0303",
        Hxb = "0304",
        Cmbc = "0305",
        Cgb = "0306",
        PingAn = "0307",
        Cmb = "0308",
        Cib = "0309",
        Spdb = "0310",
        BankOfShanghai = "04012900",
        /// 网联测试专用银行: the test environment's bank, used with any real card number.
        NetsUnionTest = "999",
    }
}

impl BankCode {
    /// The bank's name as A.5 gives it, for the widget's bank list.
    pub fn name_zh(&self) -> Option<&'static str> {
        Some(match self {
            BankCode::Icbc => "中国工商银行",
            BankCode::Abc => "中国农业银行",
            BankCode::Boc => "中国银行",
            BankCode::Ccb => "中国建设银行",
            BankCode::Bocom => "交通银行",
            BankCode::Citic => "中信银行",
            BankCode::Ceb => "中国光大银行",
            BankCode::Hxb => "华夏银行",
            BankCode::Cmbc => "中国民生银行",
            BankCode::Cgb => "广东发展银行",
            BankCode::PingAn => "平安银行",
            BankCode::Cmb => "招商银行",
            BankCode::Cib => "兴业银行",
            BankCode::Spdb => "上海浦东发展银行",
            BankCode::BankOfShanghai => "上海银行",
            BankCode::NetsUnionTest => "网联测试专用银行",
            BankCode::Unknown(_) => return None,
        })
    }

    /// The bank's usual English name, for the widget in English.
    pub fn name_en(&self) -> Option<&'static str> {
        Some(match self {
            BankCode::Icbc => "ICBC",
            BankCode::Abc => "Agricultural Bank of China",
            BankCode::Boc => "Bank of China",
            BankCode::Ccb => "China Construction Bank",
            BankCode::Bocom => "Bank of Communications",
            BankCode::Citic => "China CITIC Bank",
            BankCode::Ceb => "China Everbright Bank",
            BankCode::Hxb => "Hua Xia Bank",
            BankCode::Cmbc => "China Minsheng Bank",
            BankCode::Cgb => "China Guangfa Bank",
            BankCode::PingAn => "Ping An Bank",
            BankCode::Cmb => "China Merchants Bank",
            BankCode::Cib => "Industrial Bank",
            BankCode::Spdb => "SPD Bank",
            BankCode::BankOfShanghai => "Bank of Shanghai",
            BankCode::NetsUnionTest => "NetsUnion test bank",
            BankCode::Unknown(_) => return None,
        })
    }
}

crate::wire_enum! {
    /// 5.1 `accttype`: debit or credit card. Credit cards also need `cvv2` and `validdate`.
    pub enum AcctType {
        Debit = "00",
        Credit = "02",
    }
}

crate::wire_enum! {
    /// A.6 海关及电子口岸代码 (`customsCode`).
    pub enum CustomsCode {
        Zhengzhou = "HG013",
        Ningbo = "HG014",
        /// 重庆电子口岸（总署版）; also usable for any unlisted 总署版 customs.
        Chongqing = "HG016",
        Guangzhou = "HG018",
        Shenzhen = "HG019",
        Hangzhou = "HG021",
        Shanghai = "HG022",
        Tianjin = "HG026",
        Shandong = "HG044",
        Fuzhou = "HG055",
    }
}

crate::wire_enum! {
    /// A.7 实名认证结果代码 (`result` of `realPerson/val`).
    pub enum RealPersonResult {
        Pass = "PASS",
        NotPass = "NOT_PASS",
        NameInvalid = "NAME_INVALID",
        IdnoInvalid = "IDNO_INVALID",
        CannotFindId = "CANNOT_FIND_ID",
    }
}

crate::wire_enum! {
    /// A.8 退款状态代码 (`refundStatus`).
    pub enum RefundStatus {
        RefundInit = "REFUND_INIT",
        RefundRequested = "REFUND_REQUESTED",
        RefundSucceed = "REFUND_SUCCEED",
        RefundFailed = "REFUND_FAILED",
    }
}

impl Order {
    /// `customsCode` as an A.6 code. The field stays a `String` for the code already written
    /// against it.
    pub fn customs(&self) -> Option<CustomsCode> {
        self.customs_code.as_deref().and_then(|c| c.parse().ok())
    }

    pub fn with_customs_code(mut self, code: CustomsCode) -> Self {
        self.customs_code = Some(code.as_str().to_owned());
        self
    }

    /// The payer as declared to customs (name, ID number, phone).
    pub fn with_payer(
        mut self,
        name: impl Into<String>,
        id_number: impl Into<String>,
        phone: impl Into<String>,
    ) -> Self {
        self.payer_name = Some(name.into());
        self.payer_number = Some(id_number.into());
        self.payer_phone = Some(phone.into());
        self
    }

    /// `yyyy-MM-dd HH:mm:ss`; the caller formats it (this crate reads no clock).
    pub fn with_order_datetime(mut self, datetime: impl Into<String>) -> Self {
        self.order_datetime = Some(datetime.into());
        self
    }

    pub fn with_items(mut self, items: Vec<Item>) -> Self {
        self.items = Some(items);
        self
    }
    /// Whether the order is declared to customs once paid: `needDeclare` when given, otherwise
    /// (the spec leaves it to the merchant's business form) when a customs code is given.
    pub fn needs_declare(&self) -> bool {
        self.need_declare.unwrap_or(self.customs_code.is_some())
    }

    /// The checks every create endpoint shares (the spec's 是否必填 column and its notes): `Err`
    /// names the first field at fault, as Payzero spells it.
    pub fn check(&self) -> Result<(), String> {
        let non_empty = |v: Option<&str>| v.is_some_and(|v| !v.trim().is_empty());
        if !is_order_no(&self.mcht_order_no) {
            return Err("mchtOrderNo".into());
        }
        if self.currency != "CNY" {
            return Err("currency".into());
        }
        // Java's `Long`, the spec's type for amounts.
        if self.payment_amount == Fen::ZERO || self.payment_amount.0 > i64::MAX as u64 {
            return Err("paymentAmount".into());
        }
        if self.subject.trim().is_empty() {
            return Err("subject".into());
        }
        if let Some(dt) = &self.order_datetime
            && !crate::china_time::is_dashed_datetime(dt)
        {
            return Err("orderDatetime".into());
        }
        for (i, item) in self.items.iter().flatten().enumerate() {
            if item.subject.trim().is_empty() {
                return Err(format!("items[{i}].subject"));
            }
            if item.item_link.trim().is_empty() {
                return Err(format!("items[{i}].itemLink"));
            }
        }
        if let Some(url) = &self.notify_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err("notifyUrl".into());
        }
        if !self.needs_declare() {
            return Ok(());
        }
        // What a declaration needs: "若需申报则必填", and the Guangzhou and Tianjin extras.
        let customs = match self.customs() {
            Some(CustomsCode::Unknown(_)) | None => return Err("customsCode".into()),
            Some(c) => c,
        };
        for (field, value) in [
            ("payerName", self.payer_name.as_deref()),
            ("payerNumber", self.payer_number.as_deref()),
            ("payerPhone", self.payer_phone.as_deref()),
        ] {
            if !non_empty(value) {
                return Err(field.into());
            }
        }
        if customs == CustomsCode::Guangzhou {
            if !non_empty(self.customs_area_code.as_deref()) {
                return Err("customsAreaCode".into());
            }
            if !non_empty(self.customs_jy_org.as_deref()) {
                return Err("customsJyOrg".into());
            }
        }
        if customs == CustomsCode::Tianjin && !matches!(self.customs_in_type.as_deref(), Some("1" | "2")) {
            return Err("customsInType".into());
        }
        Ok(())
    }
}

impl Item {
    pub fn new(subject: impl Into<String>, item_link: impl Into<String>) -> Self {
        Item { subject: subject.into(), item_link: item_link.into(), article_num: None }
    }

    pub fn with_article_num(mut self, article_num: impl Into<String>) -> Self {
        self.article_num = Some(article_num.into());
        self
    }
}

/// The one rule for a merchant order number (`mchtOrderNo`) everywhere the edge takes one — a
/// back-office order, a path, a declaration, a customs session's `merchant_order_no`: 1 to 64
/// characters (the spec's String, 64 as its examples and the sandbox keep it), no control
/// characters, no blank at either end. Anything else in it (a `/`, `&`, Chinese) is
/// percent-encoded wherever it travels in a URL.
pub fn is_order_no(text: &str) -> bool {
    !text.is_empty()
        && text.trim() == text
        && text.chars().count() <= 64
        && !text.chars().any(char::is_control)
}

// ---------------------------------------------------------------------------------------------
// Query strings

/// Decodes a percent-encoded path segment (`%XX` over UTF-8 bytes); `None` for a broken escape
/// or bytes that are not UTF-8.
pub fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-encodes one query component: everything but RFC 3986's unreserved characters
/// (`A-Z a-z 0-9 - . _ ~`) becomes `%XX` over the UTF-8 bytes, so a Chinese name or a `&` in an
/// order number cannot break the query.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(char::from(byte)),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(char::from(HEX[usize::from(byte >> 4)]));
                out.push(char::from(HEX[usize::from(byte & 0x0f)]));
            }
        }
    }
    out
}

/// `k=v&k=v` with each key and value percent-encoded, in the order given.
pub fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Declares a GET request whose only parameter is `mchtOrderNo`, with its path.
macro_rules! order_no_query {
    ($(#[$meta:meta])* $name:ident, $path:literal) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            pub mcht_order_no: String,
        }

        impl $name {
            pub fn new(mcht_order_no: impl Into<String>) -> Self {
                $name { mcht_order_no: mcht_order_no.into() }
            }

            /// `mchtOrderNo=…`, percent-encoded.
            pub fn to_query(&self) -> String {
                query_string([("mchtOrderNo", self.mcht_order_no.as_str())])
            }

            /// The path and query to append to the API base URL.
            pub fn path_and_query(&self) -> String {
                format!("{}?{}", $path, self.to_query())
            }
        }
    };
}

order_no_query!(
    /// `GET /order/queryOrder` (4.3, 5.6, 6.3); answers an `OrderResult`.
    QueryOrderRequest,
    "/order/queryOrder"
);
order_no_query!(
    /// `GET /order/feedback` (2.4); answers an `OrderResult`.
    OrderFeedbackRequest,
    "/order/feedback"
);
order_no_query!(
    /// `GET /order/arrangePay` (2.7); answers a `TextEnvelope` ("订单进入支付队列成功").
    ArrangePayRequest,
    "/order/arrangePay"
);

/// `GET /order/qrCode` (4.2): a new or refreshed QR code for an order already in the system;
/// answers a `QrCodeResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QrCodeRequest {
    pub mcht_order_no: String,
    pub qr_code_type: QrCodeType,
}

impl QrCodeRequest {
    pub fn new(mcht_order_no: impl Into<String>, qr_code_type: QrCodeType) -> Self {
        QrCodeRequest { mcht_order_no: mcht_order_no.into(), qr_code_type }
    }

    pub fn to_query(&self) -> String {
        query_string([
            ("mchtOrderNo", self.mcht_order_no.as_str()),
            ("qrCodeType", self.qr_code_type.as_str()),
        ])
    }

    pub fn path_and_query(&self) -> String {
        format!("/order/qrCode?{}", self.to_query())
    }
}

/// The path of `GET /orderBatch/{orderBatchId}/pay` (2.2); answers a `TextEnvelope`.
pub fn batch_pay_path(order_batch_id: &str) -> String {
    format!("/orderBatch/{}/pay", percent_encode(order_batch_id))
}

/// The path of `GET /orderBatch/{orderBatchId}/summary` (2.3); answers a `BatchSummary`.
pub fn batch_summary_path(order_batch_id: &str) -> String {
    format!("/orderBatch/{}/summary", percent_encode(order_batch_id))
}

/// `GET /orderBatch/{orderBatchId}/feedback?pagesize=&page=` (2.5); answers a `FeedbackPage`.
/// Pages start at 1; at most 100 rows per page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchFeedbackRequest {
    /// A path parameter, not part of the query.
    #[serde(rename = "orderBatchId")]
    pub order_batch_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagesize: Option<u32>,
}

impl BatchFeedbackRequest {
    /// The most rows Payzero returns per page.
    pub const MAX_PAGESIZE: u32 = 100;

    pub fn new(order_batch_id: impl Into<String>) -> Self {
        BatchFeedbackRequest { order_batch_id: order_batch_id.into(), page: None, pagesize: None }
    }

    /// Page `page` (from 1) of `pagesize` rows, the size capped at 100 as the spec requires.
    pub fn with_page(mut self, page: u32, pagesize: u32) -> Self {
        self.page = Some(page.max(1));
        self.pagesize = Some(pagesize.clamp(1, Self::MAX_PAGESIZE));
        self
    }

    pub fn to_query(&self) -> String {
        let page = self.page.map(|p| p.to_string());
        let size = self.pagesize.map(|p| p.to_string());
        let pairs = [("page", page.as_deref()), ("pagesize", size.as_deref())];
        query_string(pairs.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))))
    }

    pub fn path_and_query(&self) -> String {
        let path = format!("/orderBatch/{}/feedback", percent_encode(&self.order_batch_id));
        let query = self.to_query();
        if query.is_empty() { path } else { format!("{path}?{query}") }
    }
}

/// `GET /realPerson/val?idno=&name=` (7.1): the two-factor ID check. `Debug` masks `idno`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RealPersonRequest {
    pub idno: IdNumber,
    pub name: String,
}

impl RealPersonRequest {
    pub fn new(idno: impl Into<IdNumber>, name: impl Into<String>) -> Self {
        RealPersonRequest { idno: idno.into(), name: name.into() }
    }

    pub fn to_query(&self) -> String {
        query_string([("idno", self.idno.expose()), ("name", self.name.as_str())])
    }

    pub fn path_and_query(&self) -> String {
        format!("/realPerson/val?{}", self.to_query())
    }
}

/// `GET /order/refund?mchtRefundOrderNo=` (9.2); answers a `RefundResponse`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundQueryRequest {
    pub mcht_refund_order_no: String,
}

impl RefundQueryRequest {
    pub fn new(mcht_refund_order_no: impl Into<String>) -> Self {
        RefundQueryRequest { mcht_refund_order_no: mcht_refund_order_no.into() }
    }

    pub fn to_query(&self) -> String {
        query_string([("mchtRefundOrderNo", self.mcht_refund_order_no.as_str())])
    }

    pub fn path_and_query(&self) -> String {
        format!("/order/refund?{}", self.to_query())
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Order batches and automatic payment

/// `POST /orderBatch` (2.1): the body is a JSON array of orders.
pub type OrderBatchRequest = Vec<Order>;

/// The answer of `POST /orderBatch` (2.1). Ids are `NumOrStr` because the spec shows
/// `orderBatchId` as `59` in one example and `"11"` in the envelope example.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct OrderBatchResponse {
    pub order_batch_id: NumOrStr,
    #[serde(default)]
    pub merchant_id: Option<NumOrStr>,
    pub disp_batch_num: String,
    #[serde(default)]
    pub is_reconed: Option<bool>,
    #[serde(default)]
    pub fee_amount: Option<Fen>,
    pub order_total_amount: Fen,
    #[serde(default)]
    pub object_id: Option<NumOrStr>,
    #[serde(default)]
    pub feedback_object_id: Option<NumOrStr>,
    /// Unix milliseconds.
    #[serde(default)]
    pub created_time: Option<NumOrStr>,
    /// Unix milliseconds.
    #[serde(default)]
    pub updated_time: Option<NumOrStr>,
}

/// `GET /orderBatch/{id}/summary` (2.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct BatchSummary {
    pub total: u64,
    pub pay_success_count: u64,
    pub pay_failed_count: u64,
    pub pay_other_count: u64,
    pub declare_success_count: u64,
    pub declare_failed_count: u64,
    pub declare_other_count: u64,
    pub total_payment_amount: Fen,
}

/// One page of `GET /orderBatch/{id}/feedback` (2.5), newest orders first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FeedbackPage {
    pub rows: Vec<OrderResult>,
    pub page: u32,
    pub pagesize: u32,
    pub total: u64,
}

/// The answer of `POST /order/createAndPay` (2.6): the order is queued, the outcome comes by
/// notification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct CreateAndPayResponse {
    pub mcht_order_no: String,
}

// ---------------------------------------------------------------------------------------------
// 5. Bank-card quick pay

/// `POST /sdbc/agreeApply` (5.1): start signing a quick-pay agreement; an SMS code goes to
/// `mobile`. Credit cards (`accttype` "02") also need `cvv2` and `validdate` (yyMM).
/// `Debug` masks the card and ID numbers and hides `cvv2`/`validdate`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgreeApplyRequest {
    /// Ours, reused in `agreeConfirm`.
    pub request_id: String,
    pub acctname: String,
    pub acctno: CardNumber,
    pub accttype: AcctType,
    pub bankcode: BankCode,
    pub idno: IdNumber,
    pub mobile: PhoneNumber,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvv2: Option<Redacted>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validdate: Option<Redacted>,
}

impl AgreeApplyRequest {
    /// A debit-card application; use `with_credit_card` for a credit card.
    pub fn debit(
        request_id: impl Into<String>,
        acctname: impl Into<String>,
        acctno: impl Into<CardNumber>,
        bankcode: BankCode,
        idno: impl Into<IdNumber>,
        mobile: impl Into<PhoneNumber>,
    ) -> Self {
        AgreeApplyRequest {
            request_id: request_id.into(),
            acctname: acctname.into(),
            acctno: acctno.into(),
            accttype: AcctType::Debit,
            bankcode,
            idno: idno.into(),
            mobile: mobile.into(),
            cvv2: None,
            validdate: None,
        }
    }

    /// Makes this a credit-card application with its CVV2 and expiry (`yyMM`).
    pub fn with_credit_card(mut self, cvv2: impl Into<String>, validdate_yymm: impl Into<String>) -> Self {
        self.accttype = AcctType::Credit;
        self.cvv2 = Some(Redacted::new(cvv2));
        self.validdate = Some(Redacted::new(validdate_yymm));
        self
    }
}

/// `POST /sdbc/agreeConfirm` (5.2): the SMS code for an `agreeApply`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgreeConfirmRequest {
    pub request_id: String,
    pub sms_code: String,
}

impl AgreeConfirmRequest {
    pub fn new(request_id: impl Into<String>, sms_code: impl Into<String>) -> Self {
        AgreeConfirmRequest { request_id: request_id.into(), sms_code: sms_code.into() }
    }
}

/// The answer of both `agreeApply` (5.1, `agreeid` still `null`) and `agreeConfirm` (5.2, with
/// the `agreeid` to keep). `Debug` masks the card and ID numbers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgreementResponse {
    pub request_id: String,
    pub accttype: AcctType,
    pub acctno: CardNumber,
    pub idno: IdNumber,
    pub acctname: String,
    pub mobile: PhoneNumber,
    #[serde(default)]
    pub validdate: Option<Redacted>,
    #[serde(default)]
    pub cvv2: Option<Redacted>,
    pub bankcode: BankCode,
    #[serde(default)]
    pub bankname: Option<String>,
    /// `null` after `agreeApply`; the reusable agreement after `agreeConfirm`.
    #[serde(default)]
    pub agreeid: Option<String>,
    pub psp: Psp,
    #[serde(default)]
    pub message: Option<String>,
}

/// The answer of `agreeApply` (5.1).
pub type AgreeApplyResponse = AgreementResponse;
/// The answer of `agreeConfirm` (5.2).
pub type AgreeConfirmResponse = AgreementResponse;

/// `POST /order/confirmQuickpay` (5.4): the payment SMS code. A wrong code cannot be retried:
/// call `redoQuickpay` for a new one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfirmQuickpayRequest {
    pub mcht_order_no: String,
    pub agreeid: String,
    pub sms_code: String,
}

impl ConfirmQuickpayRequest {
    pub fn new(
        mcht_order_no: impl Into<String>,
        agreeid: impl Into<String>,
        sms_code: impl Into<String>,
    ) -> Self {
        ConfirmQuickpayRequest {
            mcht_order_no: mcht_order_no.into(),
            agreeid: agreeid.into(),
            sms_code: sms_code.into(),
        }
    }
}

/// `POST /order/redoQuickpay` (5.5): pay again (new SMS, or another agreement).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedoQuickpayRequest {
    pub mcht_order_no: String,
    pub agreeid: String,
}

impl RedoQuickpayRequest {
    pub fn new(mcht_order_no: impl Into<String>, agreeid: impl Into<String>) -> Self {
        RedoQuickpayRequest { mcht_order_no: mcht_order_no.into(), agreeid: agreeid.into() }
    }
}

/// The answer of `createAndQuickpay` (5.3, request: an `Order` with `agreeid`),
/// `confirmQuickpay` (5.4) and `redoQuickpay` (5.5). `PAY_APPLIED` means an SMS code is
/// expected; `PAY_SMS_CONFIRMED` means wait for the notification or query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QuickpayResponse {
    pub mcht_order_no: String,
    pub psp: Psp,
    #[serde(default)]
    pub agreeid: Option<String>,
    pub pay_status: PayStatus,
    #[serde(default)]
    pub message: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// 6. Mock pay (push an order to customs with no payment)

/// `POST /order/redoMockpay` (6.2). `createAndMockpay` (6.1) takes an `Order`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedoMockpayRequest {
    pub mcht_order_no: String,
}

impl RedoMockpayRequest {
    pub fn new(mcht_order_no: impl Into<String>) -> Self {
        RedoMockpayRequest { mcht_order_no: mcht_order_no.into() }
    }
}

/// The answer of `createAndMockpay` (6.1) and `redoMockpay` (6.2): like `QuickpayResponse`
/// without `agreeid`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct MockpayResponse {
    pub mcht_order_no: String,
    pub psp: Psp,
    pub pay_status: PayStatus,
    #[serde(default)]
    pub message: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// 7. Real-name check

/// The answer of `realPerson/val` (7.1). `Debug` masks `idno`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct RealPersonResponse {
    pub real_person_validation_order_id: String,
    pub name: String,
    pub idno: IdNumber,
    /// `yyyyMMdd`.
    #[serde(default)]
    pub birth: Option<String>,
    #[serde(default)]
    pub addr: Option<String>,
    #[serde(default)]
    pub sex: Option<String>,
    pub result: RealPersonResult,
}

// ---------------------------------------------------------------------------------------------
// 8. Customs declaration

/// `POST /order/declare` (8.1): (re)declare a paid order's payment to customs. Fields left out
/// keep the order's last values. Answers a `TextEnvelope` ("申报信息已提交"). `Debug` masks
/// `payerNumber`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeclareRequest {
    pub mcht_order_no: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_number: Option<IdNumber>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customs_code: Option<CustomsCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customs_area_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customs_jy_org: Option<String>,
    /// "1" bonded import, "2" direct mail (Tianjin only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customs_in_type: Option<String>,
}

impl DeclareRequest {
    pub fn new(mcht_order_no: impl Into<String>) -> Self {
        DeclareRequest {
            mcht_order_no: mcht_order_no.into(),
            payer_name: None,
            payer_number: None,
            payer_phone: None,
            customs_code: None,
            customs_area_code: None,
            customs_jy_org: None,
            customs_in_type: None,
        }
    }

    pub fn with_customs_code(mut self, code: CustomsCode) -> Self {
        self.customs_code = Some(code);
        self
    }

    pub fn with_payer(
        mut self,
        name: impl Into<String>,
        id_number: impl Into<IdNumber>,
        phone: impl Into<String>,
    ) -> Self {
        self.payer_name = Some(name.into());
        self.payer_number = Some(id_number.into());
        self.payer_phone = Some(phone.into());
        self
    }
}

// ---------------------------------------------------------------------------------------------
// 9. Refunds

/// `POST /order/refund` (9.1). Not possible for orders from batches or mock pay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundRequest {
    pub mcht_order_no: String,
    /// Ours, unique per refund.
    pub mcht_refund_order_no: String,
    pub refund_amount: Fen,
}

impl RefundRequest {
    pub fn new(
        mcht_order_no: impl Into<String>,
        mcht_refund_order_no: impl Into<String>,
        refund_amount: Fen,
    ) -> Self {
        RefundRequest {
            mcht_order_no: mcht_order_no.into(),
            mcht_refund_order_no: mcht_refund_order_no.into(),
            refund_amount,
        }
    }
}

/// The answer of `POST /order/refund` (9.1, normally `REFUND_REQUESTED`) and of the refund query
/// (9.2). `REFUND_SUCCEED` means the channel accepted it, not that the payer has the money yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefundResponse {
    pub mcht_order_no: String,
    pub mcht_refund_order_no: String,
    pub refund_amount: Fen,
    pub refund_status: RefundStatus,
}

// Tests fail by panicking, so `unwrap` is the point there; the workspace lint is for library code.
#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn data_may_be_an_object_or_a_string() {
        let obj: Envelope<CreateAndPayResponse> =
            decode(br#"{"success":true,"errorMsg":null,"errorCode":null,"data":{"mchtOrderNo":"A1"}}"#)
                .unwrap();
        assert_eq!(obj.data_object().map(|d| d.mcht_order_no.as_str()), Some("A1"));
        assert_eq!(obj.data_text(), None);
        let text: TextEnvelope = decode(
            r#"{"success":true,"errorMsg":null,"errorCode":null,"data":"订单进入支付队列成功"}"#.as_bytes(),
        )
        .unwrap();
        assert_eq!(text.data_text(), Some("订单进入支付队列成功"));
        // A string where an object type is expected is still accepted, as text.
        let odd: Envelope<CreateAndPayResponse> =
            decode(br#"{"success":true,"errorMsg":null,"errorCode":null,"data":"queued"}"#).unwrap();
        assert_eq!(odd.data_text(), Some("queued"));
        // A TextEnvelope refuses an object: there is no object type to hold it.
        assert!(
            decode::<TextEnvelope>(br#"{"success":true,"errorMsg":null,"errorCode":null,"data":{}}"#)
                .is_err()
        );
    }

    #[test]
    fn error_codes_are_typed_and_unknown_ones_kept() {
        let env: Envelope<NoObject> = Envelope::fail("50056", "额度不足");
        assert_eq!(env.error(), Some(ErrorCode::InsufficientCardBalance));
        assert!(ErrorCode::InsufficientCardBalance.spec_message().is_some());
        let env: Envelope<NoObject> = Envelope::fail("99999", "?");
        assert_eq!(env.error(), Some(ErrorCode::Unknown("99999".into())));
        assert_eq!(ErrorCode::Unknown("99999".into()).spec_message(), None);
    }

    #[test]
    fn unknown_enum_values_round_trip() {
        for (text, known) in [("\"0310\"", true), ("\"0999\"", false)] {
            let code: BankCode = serde_json::from_str(text).unwrap();
            assert_eq!(!matches!(code, BankCode::Unknown(_)), known);
            assert_eq!(serde_json::to_string(&code).unwrap(), text);
        }
        let s: RefundStatus = serde_json::from_str("\"REFUND_PARTIAL\"").unwrap();
        assert_eq!(s, RefundStatus::Unknown("REFUND_PARTIAL".into()));
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"REFUND_PARTIAL\"");
        assert_eq!(BankCode::Spdb.name_zh(), Some("上海浦东发展银行"));
        assert_eq!("HG099".parse::<CustomsCode>().ok(), Some(CustomsCode::Unknown("HG099".into())));
    }

    #[test]
    fn numbers_may_be_json_numbers_or_strings() {
        let a: OrderResult = decode(br#"{"mchtOrderNo":"A","paymentAmount":1,"payStatus":"PAY_SUCCEED","paymentDatetime":20190313124233,"payType":2}"#).unwrap();
        let b: OrderResult = decode(br#"{"mchtOrderNo":"A","paymentAmount":1,"payStatus":"PAY_SUCCEED","paymentDatetime":"20190313124233","payType":"2"}"#).unwrap();
        assert_eq!(a.payment_datetime.as_ref().map(NumOrStr::as_str), Some("20190313124233"));
        assert_eq!(
            a.payment_datetime.as_ref().map(NumOrStr::as_str),
            b.payment_datetime.as_ref().map(NumOrStr::as_str)
        );
        assert_eq!(
            serde_json::to_value(&a).unwrap()["paymentDatetime"],
            serde_json::json!(20190313124233u64)
        );
        assert_eq!(serde_json::to_value(&b).unwrap()["paymentDatetime"], serde_json::json!("20190313124233"));
        // Amounts are integers in fen: a string or a decimal is refused, naming the field.
        let err =
            decode::<OrderResult>(br#"{"mchtOrderNo":"A","paymentAmount":"1","payStatus":"PAY_SUCCEED"}"#)
                .unwrap_err();
        assert_eq!(err.path, "paymentAmount");
    }

    #[test]
    fn queries_are_percent_encoded() {
        assert_eq!(percent_encode("a-Z_0.~"), "a-Z_0.~");
        assert_eq!(percent_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        let q = RealPersonRequest::new("110113198010101234", "李白");
        assert_eq!(q.path_and_query(), "/realPerson/val?idno=110113198010101234&name=%E6%9D%8E%E7%99%BD");
        assert!(!format!("{q:?}").contains("110113198010101234"));
        assert_eq!(
            QrCodeRequest::new("A&B", QrCodeType::Alipay).path_and_query(),
            "/order/qrCode?mchtOrderNo=A%26B&qrCodeType=ALIPAY"
        );
        assert_eq!(
            QueryOrderRequest::new("1904052344").path_and_query(),
            "/order/queryOrder?mchtOrderNo=1904052344"
        );
        assert_eq!(OrderFeedbackRequest::new("X1").path_and_query(), "/order/feedback?mchtOrderNo=X1");
        assert_eq!(ArrangePayRequest::new("X1").to_query(), "mchtOrderNo=X1");
        assert_eq!(
            RefundQueryRequest::new("REFUND_S1").path_and_query(),
            "/order/refund?mchtRefundOrderNo=REFUND_S1"
        );
        assert_eq!(BatchFeedbackRequest::new("53").path_and_query(), "/orderBatch/53/feedback");
        assert_eq!(
            BatchFeedbackRequest::new("53").with_page(2, 500).path_and_query(),
            "/orderBatch/53/feedback?page=2&pagesize=100"
        );
        assert_eq!(batch_pay_path("59"), "/orderBatch/59/pay");
        assert_eq!(batch_summary_path("a/b"), "/orderBatch/a%2Fb/summary");
    }

    #[test]
    fn card_and_id_numbers_are_masked_in_debug() {
        let apply = AgreeApplyRequest::debit(
            "R1",
            "张三",
            "6217920151050000",
            BankCode::NetsUnionTest,
            "310113198010101234",
            "13800138000",
        )
        .with_credit_card("123", "2904");
        let shown = format!("{apply:?}");
        assert!(shown.contains("6217 **** **** 0000"), "{shown}");
        assert!(shown.contains("3101**********1234"), "{shown}");
        assert!(shown.contains("138****8000"), "{shown}");
        for secret in ["6217920151050000", "310113198010101234", "13800138000", "\"123\"", "2904"] {
            assert!(!shown.contains(secret), "{secret} leaked: {shown}");
        }
        // On the wire everything is in clear, as the gateway needs.
        let wire = serde_json::to_value(&apply).unwrap();
        assert_eq!(wire["acctno"], "6217920151050000");
        assert_eq!(wire["accttype"], "02");
        assert_eq!(wire["cvv2"], "123");

        let order = Order::new("A1", Fen(100), "s").with_payer("李白", "310327198009270027", "13800138000");
        assert!(!format!("{order:?}").contains("310327198009270027"));
        let result: OrderResult = decode(br#"{"mchtOrderNo":"A","paymentAmount":1,"payStatus":"PAY_SUCCEED","payerNumber":"610327198509271234","initRequest":"cardno=6217920151050000"}"#).unwrap();
        let shown = format!("{result:?}");
        assert!(!shown.contains("610327198509271234") && !shown.contains("6217920151050000"), "{shown}");
        let login = LoginRequest { username: "app".into(), password: "p@ssw0rd".into() };
        assert!(!format!("{login:?}").contains("p@ssw0rd"));
    }
}
