//! Payzero's request and answer bodies as `payzero-quickpay.md` writes them (field names in
//! camelCase, amounts `Long` in fen, codes as the appendix tables list them), read from the spec
//! by the sandbox on its own, and the order rules of the spec's 是否必填 column and notes.

use crate::money::Fen;
use crate::personal::Personal;
use crate::textenum::text_enum;
use serde::{Deserialize, Serialize};

text_enum! {
    /// A.1 支付状态.
    pub(crate) enum PayStatus {
        InitFeePending = "INIT_FEE_PENDING",
        NotPayed = "NOT_PAYED",
        PayApplied = "PAY_APPLIED",
        PaySmsConfirmed = "PAY_SMS_CONFIRMED",
        PaySucceed = "PAY_SUCCEED",
        PayFailed = "PAY_FAILED",
    }
}

text_enum! {
    /// A.2 申报状态.
    pub(crate) enum DeclareStatus {
        NotDeclared = "NOT_DECLARED",
        PendingDeclare = "PENDING_DECLARE",
        Declaring = "DECLARING",
        Declared = "DECLARED",
        DeclareFailed = "DECLARE_FAILED",
    }
}

text_enum! {
    /// A.3 二维码类型.
    pub(crate) enum QrCodeType {
        Wechatpay = "WECHATPAY",
        Alipay = "ALIPAY",
        Unionpay = "UNIONPAY",
    }
}

text_enum! {
    /// A.4 支付公司代码.
    pub(crate) enum Psp {
        Allinpay = "ALLINPAY",
        Easypay = "EASYPAY",
        Lycheepay = "LYCHEEPAY",
    }
}

text_enum! {
    /// §3.4/§3.5 `msgType`.
    pub(crate) enum MsgType {
        PayStatusNotify = "PAY_STATUS_NOTIFY",
        DeclareStatusNotify = "DECLARE_STATUS_NOTIFY",
    }
}

text_enum! {
    /// A.7 实名认证结果代码.
    pub(crate) enum RealPersonResult {
        Pass = "PASS",
        NotPass = "NOT_PASS",
        NameInvalid = "NAME_INVALID",
        IdnoInvalid = "IDNO_INVALID",
        CannotFindId = "CANNOT_FIND_ID",
    }
}

text_enum! {
    /// A.8 退款状态代码.
    pub(crate) enum RefundStatus {
        RefundInit = "REFUND_INIT",
        RefundRequested = "REFUND_REQUESTED",
        RefundSucceed = "REFUND_SUCCEED",
        RefundFailed = "REFUND_FAILED",
    }
}

text_enum! {
    /// §5.1 `accttype`: "00" 借记卡, "02" 信用卡.
    pub(crate) enum AcctType {
        Debit = "00",
        Credit = "02",
    }
}

text_enum! {
    /// A.5 银行代码.
    pub(crate) enum BankCode {
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
        NetsUnionTest = "999",
    }
}

impl BankCode {
    /// The bank's name as A.5 gives it (`bankname` of the agreement answers).
    pub(crate) fn name_zh(&self) -> Option<&'static str> {
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
}

text_enum! {
    /// A.6 海关及电子口岸代码. A code not in the table cannot be declared to (HG016 is the
    /// table's own answer for an unlisted 总署版 customs).
    pub(crate) enum CustomsCode {
        Zhengzhou = "HG013",
        Ningbo = "HG014",
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

/// The §2.2/§2.6 error codes, with the spec's own messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SpecError {
    NoSupportedCard,
    NoSignedCard,
    NothingToPay,
    InsufficientCardBalance,
}

impl SpecError {
    pub(crate) fn code(self) -> &'static str {
        match self {
            SpecError::NoSupportedCard => "50001",
            SpecError::NoSignedCard => "50010",
            SpecError::NothingToPay => "50054",
            SpecError::InsufficientCardBalance => "50056",
        }
    }

    pub(crate) fn message(self) -> &'static str {
        match self {
            SpecError::NoSupportedCard => "未找到支持的银行卡和协议，可能与垫资模式的设置不正确有关",
            SpecError::NoSignedCard => "未找到已签约的银行卡进行支付",
            SpecError::NothingToPay => "没有需要被分配执行的订单",
            SpecError::InsufficientCardBalance => {
                "系统记录的银行卡当前额度可能无法支持支付本批次订单，请增加系统内银行卡额度并确保实际资金与额度大致匹配"
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// §1 Login

#[derive(Debug, Deserialize)]
pub(crate) struct LoginRequest {
    pub(crate) username: String,
    pub(crate) password: String,
}

// ---------------------------------------------------------------------------------------------
// The order (§2.1, §2.6, §4.1, §5.3, §6.1)

/// An `items` entry: `subject` and `itemLink` required, `articleNum` not.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Item {
    pub(crate) subject: String,
    pub(crate) item_link: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) article_num: Option<String>,
}

/// The `order` object. `qrCodeType` (§4.1), `agreeid` (§5.3) and `needDeclare` (§4.1, §5.3,
/// §6.1) belong to some endpoints only; the endpoint checks the ones it needs.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Order {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) qr_code_type: Option<QrCodeType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) agreeid: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) need_declare: Option<bool>,
    pub(crate) currency: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) customs_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) customs_area_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) customs_jy_org: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) customs_in_type: Option<String>,
    pub(crate) mcht_order_no: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) order_datetime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) payer_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) payer_number: Option<Personal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) payer_phone: Option<Personal>,
    pub(crate) payment_amount: Fen,
    pub(crate) subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) notify_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) items: Option<Vec<Item>>,
}

/// Whether an order is declared once paid, when it does not say (`needDeclare` left out, or an
/// endpoint without it): spec §4.1/§5.3/§6.1 leave it to "商户在入网时的业务形态", which the
/// sandbox keeps as a merchant setting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DeclaresByDefault {
    /// A merchant onboarded for cross-border trade whose orders name their customs: an order
    /// declares when it carries a `customsCode` (the sandbox's default).
    #[default]
    WhenCustomsCode,
    /// Every order declares (and must then carry what a declaration needs).
    Always,
    /// No order declares unless it says `needDeclare: true`.
    Never,
}

impl Order {
    /// Whether the order is declared to customs once paid.
    pub(crate) fn declares(&self, by_default: DeclaresByDefault) -> bool {
        self.need_declare.unwrap_or(match by_default {
            DeclaresByDefault::WhenCustomsCode => self.customs_code.is_some(),
            DeclaresByDefault::Always => true,
            DeclaresByDefault::Never => false,
        })
    }

    /// The spec's rules for an order (是否必填 and the notes), naming the first field at fault
    /// as Payzero's 30001 does.
    pub(crate) fn fault(&self, declares: bool) -> Option<String> {
        let blank = |v: &str| v.trim().is_empty();
        let given = |v: Option<&str>| v.is_some_and(|v| !blank(v));
        if blank(&self.mcht_order_no) {
            return Some("mchtOrderNo".into());
        }
        // "请固定为CNY".
        if self.currency != "CNY" {
            return Some("currency".into());
        }
        // Java's `Long` in fen; an order of nothing is not an order.
        if self.payment_amount == Fen::ZERO || self.payment_amount.0 > i64::MAX as u64 {
            return Some("paymentAmount".into());
        }
        if blank(&self.subject) {
            return Some("subject".into());
        }
        // "支持格式 yyyy-MM-dd HH:mm:ss".
        if self.order_datetime.as_deref().is_some_and(|d| !crate::timefmt::is_dashed_datetime(d)) {
            return Some("orderDatetime".into());
        }
        for (i, item) in self.items.iter().flatten().enumerate() {
            if blank(&item.subject) {
                return Some(format!("items[{i}].subject"));
            }
            if blank(&item.item_link) {
                return Some(format!("items[{i}].itemLink"));
            }
        }
        if self.notify_url.as_deref().is_some_and(|u| !is_http_url(u)) {
            return Some("notifyUrl".into());
        }
        if !declares {
            return None;
        }
        // "若需申报则为必填", with A.6's codes only.
        let customs: Option<CustomsCode> = self.customs_code.as_deref().and_then(|c| c.parse().ok());
        let customs = match customs {
            None | Some(CustomsCode::Unknown(_)) => return Some("customsCode".into()),
            Some(c) => c,
        };
        if !given(self.payer_name.as_deref()) {
            return Some("payerName".into());
        }
        if !given(self.payer_number.as_ref().map(Personal::expose)) {
            return Some("payerNumber".into());
        }
        if !given(self.payer_phone.as_ref().map(Personal::expose)) {
            return Some("payerPhone".into());
        }
        // "若需申报且申报海关为广州海关时必填": A.6's Guangzhou is HG018.
        if customs == CustomsCode::Guangzhou {
            if !given(self.customs_area_code.as_deref()) {
                return Some("customsAreaCode".into());
            }
            if !given(self.customs_jy_org.as_deref()) {
                return Some("customsJyOrg".into());
            }
        }
        // "若需申报且申报天津电子口岸时为必填，1-保税进口，2-直邮进口".
        if customs == CustomsCode::Tianjin && !matches!(self.customs_in_type.as_deref(), Some("1" | "2")) {
            return Some("customsInType".into());
        }
        None
    }
}

/// An absolute `http://` or `https://` URL with a host.
fn is_http_url(url: &str) -> bool {
    let rest = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://"));
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/') && !url.chars().any(char::is_whitespace))
}

// ---------------------------------------------------------------------------------------------
// Answers

/// `orderResultDto` (§2.4): queryOrder, order/feedback, batch feedback rows, and the `msgBody`
/// of both notifications. Every field is written, `null` when it has no value, as the spec's
/// examples show.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderResult {
    pub(crate) mcht_order_no: String,
    pub(crate) payment_amount: Fen,
    pub(crate) payer_name: Option<String>,
    pub(crate) payer_number: Option<String>,
    pub(crate) payer_phone: Option<String>,
    pub(crate) subject: Option<String>,
    pub(crate) pay_status: PayStatus,
    pub(crate) declare_status: Option<DeclareStatus>,
    pub(crate) declare_fail_reason: Option<String>,
    pub(crate) payment_order_no: Option<String>,
    /// 1 银联, 2 网联, 3 其他 (as text, as the example's `payType`).
    pub(crate) ver_dept: Option<String>,
    /// 1 APP, 2 PC, 3 扫码, 4 其他; the spec's example writes it as text ("2").
    pub(crate) pay_type: Option<String>,
    pub(crate) init_request: Option<String>,
    pub(crate) init_response: Option<String>,
    /// `yyyyMMddHHmmss`, as text (§2.4's example; §2.5's shows it as a number too).
    pub(crate) payment_datetime: Option<String>,
    pub(crate) customs_pay_company_name: Option<String>,
    pub(crate) customs_pay_company_code: Option<String>,
}

/// §4.1/§4.2 answer.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QrCodeResponse {
    pub(crate) mcht_order_no: String,
    pub(crate) psp: Psp,
    pub(crate) code_url: String,
    pub(crate) qr_code_type: QrCodeType,
}

/// §2.1 answer.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderBatchResponse {
    pub(crate) order_batch_id: u64,
    pub(crate) merchant_id: u64,
    pub(crate) disp_batch_num: String,
    pub(crate) is_reconed: bool,
    pub(crate) fee_amount: Option<Fen>,
    pub(crate) order_total_amount: Fen,
    pub(crate) object_id: Option<String>,
    pub(crate) feedback_object_id: Option<String>,
    pub(crate) created_time: u64,
    pub(crate) updated_time: u64,
}

/// §2.3 answer.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BatchSummary {
    pub(crate) total: u64,
    pub(crate) pay_success_count: u64,
    pub(crate) pay_failed_count: u64,
    pub(crate) pay_other_count: u64,
    pub(crate) declare_success_count: u64,
    pub(crate) declare_failed_count: u64,
    pub(crate) declare_other_count: u64,
    pub(crate) total_payment_amount: Fen,
}

/// §2.5 answer.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct FeedbackPage {
    pub(crate) rows: Vec<OrderResult>,
    pub(crate) page: u32,
    pub(crate) pagesize: u32,
    pub(crate) total: u64,
}

/// §2.6 answer.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreateAndPayResponse {
    pub(crate) mcht_order_no: String,
}

// ---------------------------------------------------------------------------------------------
// §5 Quick pay

/// §5.1 request. Card, ID and phone numbers are kept as sent, masked in `Debug`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AgreeApplyRequest {
    pub(crate) request_id: String,
    pub(crate) acctname: String,
    pub(crate) acctno: Personal,
    pub(crate) accttype: AcctType,
    pub(crate) bankcode: BankCode,
    pub(crate) idno: Personal,
    pub(crate) mobile: Personal,
    #[serde(default)]
    pub(crate) cvv2: Option<Personal>,
    #[serde(default)]
    pub(crate) validdate: Option<Personal>,
}

/// §5.1/§5.2 answer: the application echoed, plus `bankname`, `agreeid`, `psp`, `message`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AgreementResponse {
    pub(crate) request_id: String,
    pub(crate) accttype: AcctType,
    pub(crate) acctno: Personal,
    pub(crate) idno: Personal,
    pub(crate) acctname: String,
    pub(crate) mobile: Personal,
    pub(crate) validdate: Option<Personal>,
    pub(crate) cvv2: Option<Personal>,
    pub(crate) bankcode: BankCode,
    pub(crate) bankname: Option<String>,
    pub(crate) agreeid: Option<String>,
    pub(crate) psp: Psp,
    pub(crate) message: Option<String>,
}

/// §5.2 request.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AgreeConfirmRequest {
    pub(crate) request_id: String,
    pub(crate) sms_code: String,
}

/// §5.3/§5.4/§5.5 answer.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QuickpayResponse {
    pub(crate) mcht_order_no: String,
    pub(crate) psp: Psp,
    pub(crate) agreeid: Option<String>,
    pub(crate) pay_status: PayStatus,
    pub(crate) message: Option<String>,
}

/// §5.4 request.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConfirmQuickpayRequest {
    pub(crate) mcht_order_no: String,
    pub(crate) agreeid: String,
    pub(crate) sms_code: String,
}

/// §5.5 request.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RedoQuickpayRequest {
    pub(crate) mcht_order_no: String,
    pub(crate) agreeid: String,
}

// ---------------------------------------------------------------------------------------------
// §6 Mock pay, §7 real-name check, §8 declaration, §9 refunds

/// §6.1/§6.2 answer.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MockpayResponse {
    pub(crate) mcht_order_no: String,
    pub(crate) psp: Psp,
    pub(crate) pay_status: PayStatus,
    pub(crate) message: Option<String>,
}

/// §6.2 request.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RedoMockpayRequest {
    pub(crate) mcht_order_no: String,
}

/// §7.1 answer.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RealPersonResponse {
    pub(crate) real_person_validation_order_id: String,
    pub(crate) name: String,
    pub(crate) idno: String,
    pub(crate) birth: Option<String>,
    pub(crate) addr: Option<String>,
    pub(crate) sex: Option<String>,
    pub(crate) result: RealPersonResult,
}

/// §8.1 request: what is left out keeps the order's last value.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeclareRequest {
    pub(crate) mcht_order_no: String,
    #[serde(default)]
    pub(crate) payer_name: Option<String>,
    #[serde(default)]
    pub(crate) payer_number: Option<Personal>,
    #[serde(default)]
    pub(crate) payer_phone: Option<Personal>,
    #[serde(default)]
    pub(crate) customs_code: Option<String>,
    #[serde(default)]
    pub(crate) customs_area_code: Option<String>,
    #[serde(default)]
    pub(crate) customs_jy_org: Option<String>,
    #[serde(default)]
    pub(crate) customs_in_type: Option<String>,
}

/// §9.1 request.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RefundRequest {
    pub(crate) mcht_order_no: String,
    pub(crate) mcht_refund_order_no: String,
    pub(crate) refund_amount: Fen,
}

/// §9.1/§9.2 answer.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RefundResponse {
    pub(crate) mcht_order_no: String,
    pub(crate) mcht_refund_order_no: String,
    pub(crate) refund_amount: Fen,
    pub(crate) refund_status: RefundStatus,
}

// ---------------------------------------------------------------------------------------------
// §3 Notifications

/// §3.1: `timestamp` (the example writes a number), `msgType`, `msgBody` (the `orderResultDto`
/// as a JSON string) and `sign` (§3.2).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Notification {
    pub(crate) timestamp: u64,
    pub(crate) msg_type: MsgType,
    pub(crate) msg_body: String,
    pub(crate) sign: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// payzero-quickpay.md §4.1's request example.
    const EXAMPLE: &str = r#"{
  	"qrCodeType" : "WECHATPAY", "needDeclare" : false, "currency": "CNY", "customsCode": "HG022",
  	"customsAreaCode": "5130", "customsJyOrg": "440009", "customsInType": "2",
  	"items": [
      { "articleNum": "HH00001", "itemLink": "http://www.baidu.com", "subject": "测试商品1" },
      { "articleNum": "HH00002", "itemLink": "http://www.baidu.com", "subject": "测试商品2" } ],
    "mchtOrderNo": "F20190402123", "orderDatetime": "2019-04-02 11:11:46", "payerName": "李白",
    "payerNumber": "310327198009270027", "payerPhone": "13800138000", "paymentAmount": 3352,
    "subject": "测试商品1" }"#;

    fn example() -> Order {
        crate::json::decode(EXAMPLE.as_bytes()).unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn the_specs_example_is_a_good_order_declared_or_not() {
        let o = example();
        assert_eq!(o.qr_code_type, Some(QrCodeType::Wechatpay));
        assert_eq!(o.payment_amount, Fen(3352));
        assert!(!o.declares(DeclaresByDefault::Always), "an explicit false wins");
        assert_eq!(o.fault(false), None);
        assert_eq!(o.fault(true), None, "Shanghai with the payer");
    }

    #[test]
    fn needdeclare_left_out_follows_the_merchant() {
        let mut o = example();
        o.need_declare = None;
        assert!(o.declares(DeclaresByDefault::WhenCustomsCode));
        assert!(!o.declares(DeclaresByDefault::Never));
        o.customs_code = None;
        assert!(!o.declares(DeclaresByDefault::WhenCustomsCode));
        assert!(o.declares(DeclaresByDefault::Always));
        assert_eq!(o.fault(true).as_deref(), Some("customsCode"));
    }

    type Change = Box<dyn Fn(&mut Order)>;

    #[test]
    fn each_rule_names_its_field() {
        let cases: Vec<(&str, Change, bool)> = vec![
            ("mchtOrderNo", Box::new(|o| o.mcht_order_no = " ".into()), false),
            ("currency", Box::new(|o| o.currency = "USD".into()), false),
            ("paymentAmount", Box::new(|o| o.payment_amount = Fen(0)), false),
            ("paymentAmount", Box::new(|o| o.payment_amount = Fen(u64::MAX)), false),
            ("subject", Box::new(|o| o.subject = String::new()), false),
            (
                "orderDatetime",
                Box::new(|o| o.order_datetime = Some("2019-04-02T11:11:46.740Z".into())),
                false,
            ),
            (
                "items[1].itemLink",
                Box::new(|o| o.items.as_mut().unwrap_or(&mut vec![])[1].item_link.clear()),
                false,
            ),
            ("notifyUrl", Box::new(|o| o.notify_url = Some("ftp://x".into())), false),
            ("customsCode", Box::new(|o| o.customs_code = Some("HG999".into())), true),
            ("payerPhone", Box::new(|o| o.payer_phone = None), true),
            (
                "customsAreaCode",
                Box::new(|o| {
                    o.customs_code = Some("HG018".into());
                    o.customs_area_code = None;
                }),
                true,
            ),
            (
                "customsInType",
                Box::new(|o| {
                    o.customs_code = Some("HG026".into());
                    o.customs_in_type = Some("3".into());
                }),
                true,
            ),
        ];
        for (field, change, declares) in cases {
            let mut o = example();
            change(&mut o);
            assert_eq!(o.fault(declares).as_deref(), Some(field), "{field}");
        }
        // An order that does not declare needs none of the customs fields.
        let mut o = example();
        o.customs_code = Some("HG999".into());
        assert_eq!(o.fault(false), None);
    }

    #[test]
    fn a_negative_or_fractional_amount_does_not_decode() {
        for bad in ["-1", "1.5", "\"100\""] {
            let body = EXAMPLE.replace("3352", bad);
            let e = crate::json::decode::<Order>(body.as_bytes()).map(|_| ()).unwrap_err();
            assert_eq!(e.field(), "paymentAmount", "{bad}");
        }
    }
}

#[cfg(test)]
mod answer_shapes {
    //! The `orderResultDto` has exactly §2.4's fields.
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn order_results_have_the_fields_of_the_feedback_example() {
        let result = OrderResult {
            mcht_order_no: "2019041000011".into(),
            payment_amount: Fen(1),
            payer_name: None,
            payer_number: None,
            payer_phone: None,
            subject: None,
            pay_status: PayStatus::PaySucceed,
            declare_status: None,
            declare_fail_reason: None,
            payment_order_no: None,
            ver_dept: None,
            pay_type: Some("2".into()),
            init_request: None,
            init_response: None,
            payment_datetime: Some("20190411213822".into()),
            customs_pay_company_name: None,
            customs_pay_company_code: None,
        };
        let spec = r#"{"mchtOrderNo": "2019041000011", "paymentAmount": 1, "payerName": "周Xx",
            "payerNumber": "610327198509271234", "payerPhone": "13800138000", "subject": "YYYYYYYY-口红",
            "payStatus": "PAY_SUCCEED", "declareStatus": "DECLARE_FAILED", "declareFailReason": "支付人姓名和证件号不匹配",
            "paymentOrderNo": "111906650000561884", "verDept": null, "payType": "2", "initRequest": "…",
            "initResponse": "…", "paymentDatetime": "20190411213822",
            "customsPayCompanyName": "通联支付网络服务股份有限公司", "customsPayCompanyCode": "312228034T"}"#;
        let keys = |v: &serde_json::Value| -> BTreeSet<String> {
            v.as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default()
        };
        let ours = serde_json::to_value(&result).unwrap_or_default();
        let theirs: serde_json::Value = serde_json::from_str(spec).unwrap_or_default();
        assert_eq!(keys(&ours), keys(&theirs));
        assert_eq!(
            (ours["payType"].clone(), ours["paymentDatetime"].clone()),
            (theirs["payType"].clone(), theirs["paymentDatetime"].clone())
        );
    }
}
