//! The Payzero back-office calls of the merchant API (spec §2 order batches, createAndPay and
//! arrangePay, §6 orders paid elsewhere pushed for declaration, §7.1 the real-name check, §8.1
//! customs declaration): what a merchant's server may ask, checked field by field as the spec
//! constrains it, turned into the Payzero request, and Payzero's answer read into a typed result.
//! The merchant sends Payzero's own field names (`mchtOrderNo`, `paymentAmount`, …). Never
//! reachable from a browser: the edge routes these only under the merchant key.

use crate::api::ErrorCode;
use crate::card;
use crate::flex::ObjectOrText;
use crate::gateway::{UpstreamRequest, join};
use crate::json::decode;
use crate::mask::IdNumber;
use crate::payzero::{
    self as wire, BatchFeedbackRequest, BatchSummary, CreateAndPayResponse, DeclareRequest, Envelope,
    FeedbackPage, MockpayResponse, Order, OrderBatchResponse, RealPersonRequest, RealPersonResponse,
    RedoMockpayRequest,
};
use crate::session::Refusal;
use crate::sign::Secret;
use serde::{Deserialize, Serialize};

/// The most orders one batch upload takes (the edge reads at most `MAX_BATCH_BODY` bytes).
pub const MAX_BATCH_ORDERS: usize = 2000;
/// A batch upload's body cap: about 500 bytes an order.
pub const MAX_BATCH_BODY: usize = 1 << 20;

/// `POST /v1/payzero/real-name-checks`: the two-factor ID check (§7.1). `Debug` masks the ID.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct RealNameCheck {
    pub name: String,
    pub id_number: IdNumber,
}

/// One back-office call.
#[derive(Clone, Debug, PartialEq)]
pub enum Call {
    RealName(RealNameCheck),
    UploadBatch(Vec<Order>),
    PayBatch {
        batch_id: String,
    },
    BatchSummary {
        batch_id: String,
    },
    BatchFeedback(BatchFeedbackRequest),
    CreateAndPay(Box<Order>),
    ArrangePay {
        order_no: String,
    },
    CreateAndMockpay(Box<Order>),
    RedoMockpay {
        order_no: String,
    },
    Declare(Box<DeclareRequest>),
    /// §4.3 queryOrder of a back-office order.
    QueryOrder {
        order_no: String,
    },
    /// §2.4 the order's feedback (its payment's original data, for the merchant's declaration).
    OrderFeedback {
        order_no: String,
    },
    /// §4.2 a QR code for an order already in the system (a batch order, say).
    QrCode {
        order_no: String,
        qr_code_type: wire::QrCodeType,
    },
}

/// `POST /v1/payzero/orders/{mchtOrderNo}/qr`: which wallet's code (§4.2, A.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrderQrRequest {
    pub qr_code_type: wire::QrCodeType,
}

fn invalid(field: &str, why: &str) -> Refusal {
    Refusal::new(ErrorCode::InvalidRequest, format!("{field}: {why}"))
}

/// The payer's fields where given: a real ID number (GB 11643) and a mainland mobile, beyond
/// Payzero's "required when declared".
fn check_payer(prefix: &str, number: Option<&str>, phone: Option<&str>) -> Result<(), Refusal> {
    if let Some(number) = number
        && card::check_id_number(number).is_err()
    {
        return Err(invalid(&format!("{prefix}payerNumber"), "not a valid ID number (GB 11643)"));
    }
    if let Some(phone) = phone
        && card::check_mobile(phone).is_err()
    {
        return Err(invalid(&format!("{prefix}payerPhone"), "not a mainland mobile number"));
    }
    Ok(())
}

fn check_order(prefix: &str, order: &Order) -> Result<(), Refusal> {
    order.check().map_err(|field| {
        invalid(&format!("{prefix}{field}"), "missing or not as the Payzero spec requires")
    })?;
    check_payer(prefix, order.payer_number.as_deref(), order.payer_phone.as_deref())
}

/// A batch id in a path (Payzero's numbers): nothing that could reach another path or query.
/// Order numbers follow `payzero::is_order_no`, the one rule for them.
pub fn is_reference(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

impl Call {
    /// Checks every field the spec constrains; the refusal names the field as Payzero spells it.
    pub fn check(&self) -> Result<(), Refusal> {
        match self {
            Call::RealName(check) => {
                let name = check.name.trim();
                if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
                    return Err(invalid("name", "1 to 64 characters"));
                }
                check_payer("", Some(check.id_number.expose()), None)
                    .map_err(|_| invalid("id_number", "not a valid ID number (GB 11643)"))
            }
            Call::UploadBatch(orders) => {
                if orders.is_empty() || orders.len() > MAX_BATCH_ORDERS {
                    return Err(invalid("orders", &format!("1 to {MAX_BATCH_ORDERS} orders")));
                }
                let mut seen = std::collections::HashSet::new();
                for (i, order) in orders.iter().enumerate() {
                    check_order(&format!("[{i}]."), order)?;
                    if !seen.insert(order.mcht_order_no.as_str()) {
                        return Err(invalid(&format!("[{i}].mchtOrderNo"), "repeated in the batch"));
                    }
                }
                Ok(())
            }
            Call::CreateAndPay(order) | Call::CreateAndMockpay(order) => check_order("", order),
            Call::PayBatch { batch_id } | Call::BatchSummary { batch_id } => {
                if is_reference(batch_id) {
                    Ok(())
                } else {
                    Err(invalid("orderBatchId", "not a batch id"))
                }
            }
            Call::BatchFeedback(page) => {
                if !is_reference(&page.order_batch_id) {
                    return Err(invalid("orderBatchId", "not a batch id"));
                }
                if page.pagesize.is_some_and(|s| s == 0 || s > BatchFeedbackRequest::MAX_PAGESIZE) {
                    return Err(invalid("pagesize", "1 to 100"));
                }
                if page.page == Some(0) {
                    return Err(invalid("page", "pages start at 1"));
                }
                Ok(())
            }
            Call::QrCode { qr_code_type: wire::QrCodeType::Unknown(_), .. } => {
                Err(invalid("qrCodeType", "WECHATPAY, ALIPAY or UNIONPAY (A.3)"))
            }
            Call::ArrangePay { order_no }
            | Call::RedoMockpay { order_no }
            | Call::QueryOrder { order_no }
            | Call::OrderFeedback { order_no }
            | Call::QrCode { order_no, .. } => {
                if wire::is_order_no(order_no) {
                    Ok(())
                } else {
                    Err(invalid("mchtOrderNo", "not an order number"))
                }
            }
            Call::Declare(declare) => {
                if !wire::is_order_no(&declare.mcht_order_no) {
                    return Err(invalid("mchtOrderNo", "not an order number"));
                }
                if matches!(declare.customs_code, Some(wire::CustomsCode::Unknown(_))) {
                    return Err(invalid("customsCode", "not an A.6 customs code"));
                }
                if declare.customs_in_type.as_deref().is_some_and(|t| !matches!(t, "1" | "2")) {
                    return Err(invalid("customsInType", "1 (bonded import) or 2 (direct mail)"));
                }
                check_payer(
                    "",
                    declare.payer_number.as_ref().map(IdNumber::expose),
                    declare.payer_phone.as_deref(),
                )
            }
        }
    }

    /// The Payzero request, with the token.
    pub fn request(&self, api_url: &str) -> UpstreamRequest {
        let get = |path: String| UpstreamRequest::get(join(api_url, &path));
        match self {
            Call::RealName(check) => {
                get(RealPersonRequest::new(check.id_number.clone(), check.name.trim()).path_and_query())
            }
            Call::UploadBatch(orders) => UpstreamRequest::post_json(join(api_url, "/orderBatch"), orders),
            Call::PayBatch { batch_id } => get(wire::batch_pay_path(batch_id)),
            Call::BatchSummary { batch_id } => get(wire::batch_summary_path(batch_id)),
            Call::BatchFeedback(page) => get(page.path_and_query()),
            Call::CreateAndPay(order) => {
                UpstreamRequest::post_json(join(api_url, "/order/createAndPay"), order)
            }
            Call::ArrangePay { order_no } => {
                get(format!("/order/arrangePay?{}", wire::query_string([("mchtOrderNo", order_no.as_str())])))
            }
            Call::CreateAndMockpay(order) => {
                UpstreamRequest::post_json(join(api_url, "/order/createAndMockpay"), order)
            }
            Call::RedoMockpay { order_no } => UpstreamRequest::post_json(
                join(api_url, "/order/redoMockpay"),
                &RedoMockpayRequest::new(order_no.as_str()),
            ),
            Call::Declare(declare) => UpstreamRequest::post_json(join(api_url, "/order/declare"), declare),
            Call::QueryOrder { order_no } => {
                get(wire::QueryOrderRequest::new(order_no.as_str()).path_and_query())
            }
            Call::OrderFeedback { order_no } => {
                get(wire::OrderFeedbackRequest::new(order_no.as_str()).path_and_query())
            }
            Call::QrCode { order_no, qr_code_type } => {
                get(wire::QrCodeRequest::new(order_no.as_str(), qr_code_type.clone()).path_and_query())
            }
        }
    }

    /// Payzero's answer as the merchant API's result (typed, then JSON), or why not.
    pub fn answer(&self, status: u16, body: &[u8]) -> Result<serde_json::Value, Answered> {
        match self {
            // The ID number comes back masked: the merchant has it, and an answer may be logged.
            Call::RealName(_) => read::<RealPersonResponse>(status, body).map(|mut result| {
                if let Some(idno) = result.get("idno").and_then(|v| v.as_str()).map(crate::mask::mask_id) {
                    result["idno"] = serde_json::Value::String(idno);
                }
                result
            }),
            Call::UploadBatch(_) => read::<OrderBatchResponse>(status, body),
            Call::BatchSummary { .. } => read::<BatchSummary>(status, body),
            Call::BatchFeedback(_) => read::<FeedbackPage>(status, body),
            Call::CreateAndPay(_) => read::<CreateAndPayResponse>(status, body),
            Call::CreateAndMockpay(_) | Call::RedoMockpay { .. } => read::<MockpayResponse>(status, body),
            // The payer's ID number and phone come back masked, as every answer of the edge.
            Call::QueryOrder { .. } | Call::OrderFeedback { .. } => read::<wire::OrderResult>(status, body)
                .map(|mut result| {
                    let mask = |key: &str, f: fn(&str) -> String, result: &mut serde_json::Value| {
                        if let Some(masked) = result.get(key).and_then(|v| v.as_str()).map(f) {
                            result[key] = serde_json::Value::String(masked);
                        }
                    };
                    mask("payerNumber", crate::mask::mask_id, &mut result);
                    mask("payerPhone", crate::mask::mask_phone, &mut result);
                    result
                }),
            Call::QrCode { .. } => read::<wire::QrCodeResponse>(status, body),
            // These answer a sentence ("分配任务完成", "申报信息已提交"): passed on as `message`.
            Call::PayBatch { .. } | Call::ArrangePay { .. } | Call::Declare(_) => read_text(status, body),
        }
    }
}

/// Why a back-office call has no result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answered {
    /// The token was refused: log in again and send once more.
    Unauthorized,
    /// Payzero refused (its `errorCode` and message): the merchant's to fix.
    Rejected { code: String, message: String },
    /// No usable answer (5xx, garbage).
    Failed(String),
}

fn envelope<T: for<'de> Deserialize<'de>>(
    status: u16,
    body: &[u8],
) -> Result<Option<ObjectOrText<T>>, Answered> {
    if status == 401 || status == 403 {
        return Err(Answered::Unauthorized);
    }
    if !(200..300).contains(&status) {
        return Err(Answered::Failed(format!("Payzero answered HTTP {status}")));
    }
    let envelope: Envelope<T> =
        decode(body).map_err(|e| Answered::Failed(format!("Payzero's answer is not usable: {e}")))?;
    if !envelope.success {
        return Err(Answered::Rejected {
            code: envelope.error_code.unwrap_or_default(),
            message: envelope.error_msg.unwrap_or_default(),
        });
    }
    Ok(envelope.data)
}

fn read<T: Serialize + for<'de> Deserialize<'de>>(
    status: u16,
    body: &[u8],
) -> Result<serde_json::Value, Answered> {
    match envelope::<T>(status, body)? {
        Some(ObjectOrText::Object(data)) => {
            serde_json::to_value(data).map_err(|e| Answered::Failed(format!("re-serialising an answer: {e}")))
        }
        _ => Err(Answered::Failed("Payzero's data is missing or text where an object belongs".into())),
    }
}

fn read_text(status: u16, body: &[u8]) -> Result<serde_json::Value, Answered> {
    match envelope::<serde_json::Map<String, serde_json::Value>>(status, body)? {
        Some(ObjectOrText::Text(text)) => Ok(serde_json::json!({ "message": text })),
        // The spec's example of 2.2 writes its sentence inside braces; whatever comes is kept.
        Some(ObjectOrText::Object(other)) => Ok(serde_json::Value::Object(other)),
        None => Ok(serde_json::json!({ "message": "" })),
    }
}

/// The token a request is sent with: `Authorization: Bearer`.
pub fn with_token(request: UpstreamRequest, token: &Secret) -> UpstreamRequest {
    request.bearer(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Fen;
    use crate::payzero::CustomsCode;

    fn order(no: &str) -> Order {
        Order::new(no, Fen(100), "面霜")
    }

    fn declared(no: &str) -> Order {
        order(no).with_customs_code(CustomsCode::Shanghai).with_payer(
            "李白",
            "310113198010101232",
            "13800138000",
        )
    }

    fn refused_field(call: Call) -> String {
        call.check().unwrap_err().message
    }

    #[test]
    fn orders_are_checked_as_the_spec_says() {
        assert!(Call::CreateAndPay(Box::new(order("A1"))).check().is_ok());
        assert!(Call::CreateAndPay(Box::new(declared("A1"))).check().is_ok());
        let mut o = declared("A1");
        o.payer_name = None;
        assert!(refused_field(Call::CreateAndPay(Box::new(o))).starts_with("payerName"));
        let mut o = declared("A1");
        o.payer_number = Some("310113198010101233".into());
        assert!(refused_field(Call::CreateAndMockpay(Box::new(o))).starts_with("payerNumber"));
        let mut o = declared("A1").with_customs_code(CustomsCode::Guangzhou);
        assert!(refused_field(Call::CreateAndPay(Box::new(o.clone()))).starts_with("customsAreaCode"));
        o.customs_area_code = Some("5130".into());
        o.customs_jy_org = Some("440009".into());
        assert!(Call::CreateAndPay(Box::new(o)).check().is_ok());
        let o = declared("A1").with_customs_code(CustomsCode::Tianjin);
        assert!(refused_field(Call::CreateAndPay(Box::new(o))).starts_with("customsInType"));
        let mut o = order("A1");
        o.payment_amount = Fen(0);
        assert!(refused_field(Call::CreateAndPay(Box::new(o))).starts_with("paymentAmount"));
        let mut o = order("A1");
        o.order_datetime = Some("2026/11/24".into());
        assert!(refused_field(Call::CreateAndPay(Box::new(o))).starts_with("orderDatetime"));
    }

    #[test]
    fn batches_name_the_order_at_fault() {
        assert!(Call::UploadBatch(vec![order("A1"), declared("A2")]).check().is_ok());
        assert!(refused_field(Call::UploadBatch(vec![])).starts_with("orders"));
        assert!(
            refused_field(Call::UploadBatch(vec![order("A1"), order("A1")])).starts_with("[1].mchtOrderNo")
        );
        let mut bad = order("A2");
        bad.currency = "USD".into();
        assert!(refused_field(Call::UploadBatch(vec![order("A1"), bad])).starts_with("[1].currency"));
    }

    #[test]
    fn references_and_pages_stay_in_their_path() {
        assert!(Call::PayBatch { batch_id: "59".into() }.check().is_ok());
        for bad in ["", "../x", "59?x=1", "a/b", "59 "] {
            assert!(Call::BatchSummary { batch_id: bad.into() }.check().is_err(), "{bad:?}");
        }
        // One rule for order numbers: what an order may be created with can be arranged,
        // redone and declared, and travels percent-encoded.
        let long = "x".repeat(65);
        for bad in ["", "59 ", " 59", "a\nb", long.as_str()] {
            assert!(Call::ArrangePay { order_no: bad.into() }.check().is_err(), "{bad:?}");
            assert!(Call::RedoMockpay { order_no: bad.into() }.check().is_err(), "{bad:?}");
            assert!(order(bad).check().is_err(), "{bad:?}");
        }
        for good in ["A1", "a/b", "59?x=1", "订单-1 号"] {
            assert!(Call::ArrangePay { order_no: good.into() }.check().is_ok(), "{good:?}");
            assert!(Call::CreateAndPay(Box::new(order(good))).check().is_ok(), "{good:?}");
            assert!(Call::Declare(Box::new(DeclareRequest::new(good))).check().is_ok(), "{good:?}");
        }
        let url = Call::ArrangePay { order_no: "a/b&c".into() }.request("http://pz").url;
        assert_eq!(url, "http://pz/order/arrangePay?mchtOrderNo=a%2Fb%26c");
        assert_eq!(wire::percent_decode("%E8%AE%A2%E5%8D%95-1%2F2").as_deref(), Some("订单-1/2"));
        assert_eq!(wire::percent_decode("bad%2"), None);
        assert_eq!(wire::percent_decode("%FF"), None);
        let page = BatchFeedbackRequest::new("59");
        assert!(Call::BatchFeedback(page.clone().with_page(2, 50)).check().is_ok());
        let mut too_big = page.clone();
        too_big.pagesize = Some(101);
        assert!(Call::BatchFeedback(too_big).check().is_err());
    }

    #[test]
    fn an_order_is_queried_with_its_feedback_and_its_payer_masked() {
        let query = Call::QueryOrder { order_no: "订单 1".into() };
        assert!(query.check().is_ok());
        assert_eq!(
            query.request("http://pz").url,
            "http://pz/order/queryOrder?mchtOrderNo=%E8%AE%A2%E5%8D%95%201"
        );
        let feedback = Call::OrderFeedback { order_no: "B1".into() };
        assert_eq!(feedback.request("http://pz").url, "http://pz/order/feedback?mchtOrderNo=B1");
        let body = br#"{"success":true,"errorCode":null,"errorMsg":null,"data":{"mchtOrderNo":"B1","paymentAmount":5,"payStatus":"PAY_SUCCEED","payerName":"Li","payerNumber":"310113198010101232","payerPhone":"13800138000"}}"#;
        let answer = feedback.answer(200, body).unwrap().to_string();
        assert!(!answer.contains("310113198010101232") && !answer.contains("13800138000"), "{answer}");
        assert!(answer.contains("PAY_SUCCEED"), "{answer}");
        let qr = Call::QrCode { order_no: "B1".into(), qr_code_type: wire::QrCodeType::Alipay };
        assert_eq!(qr.request("http://pz").url, "http://pz/order/qrCode?mchtOrderNo=B1&qrCodeType=ALIPAY");
        let odd = Call::QrCode { order_no: "B1".into(), qr_code_type: wire::QrCodeType::Unknown("X".into()) };
        assert!(odd.check().is_err());
        assert!(crate::json::decode::<OrderQrRequest>(br#"{"qrCodeType":"ALIPAY","x":1}"#).is_err());
    }

    #[test]
    fn back_office_bodies_refuse_unknown_fields() {
        let known = r#"{"currency":"CNY","mchtOrderNo":"A1","paymentAmount":1,"subject":"s"}"#;
        assert!(crate::json::decode::<Order>(known.as_bytes()).is_ok());
        for body in [
            r#"{"currency":"CNY","mchtOrderNo":"A1","paymentAmount":1,"subject":"s","amount":2}"#,
            r#"{"currency":"CNY","mchtOrderNo":"A1","paymentAmount":1,"subject":"s","items":[{"subject":"x","itemLink":"l","price":1}]}"#,
        ] {
            assert!(crate::json::decode::<Order>(body.as_bytes()).is_err(), "{body}");
        }
        assert!(crate::json::decode::<DeclareRequest>(br#"{"mchtOrderNo":"A1","payer":"x"}"#).is_err());
    }

    #[test]
    fn real_name_checks_take_a_valid_id_and_never_print_it() {
        let check = RealNameCheck { name: "李白".into(), id_number: IdNumber::from("310113198010101232") };
        assert!(Call::RealName(check.clone()).check().is_ok());
        assert!(!format!("{:?}", Call::RealName(check.clone())).contains("310113198010101232"));
        let bad = RealNameCheck { id_number: IdNumber::from("310113198010101233"), ..check };
        assert!(refused_field(Call::RealName(bad)).starts_with("id_number"));
    }

    #[test]
    fn a_real_name_answer_masks_the_id_number() {
        let body = br#"{"success":true,"data":{"realPersonValidationOrderId":"R1","name":"x","idno":"11010519491231002X","result":"PASS"}}"#;
        let check = RealNameCheck { name: "x".into(), id_number: IdNumber::from("11010519491231002X") };
        let answer = Call::RealName(check).answer(200, body).unwrap();
        assert_eq!(answer["result"], "PASS");
        assert!(!answer.to_string().contains("11010519491231002X"), "{answer}");
    }

    #[test]
    fn answers_are_typed_refusals_kept() {
        let call = Call::BatchSummary { batch_id: "59".into() };
        let body =
            br#"{"success":true,"data":{"total":2,"paySuccessCount":1,"payFailedCount":0,"payOtherCount":1,
            "declareSuccessCount":0,"declareFailedCount":0,"declareOtherCount":2,"totalPaymentAmount":300}}"#;
        assert_eq!(call.answer(200, body).unwrap()["totalPaymentAmount"], 300);
        let refused =
            r#"{"success":false,"errorCode":"50054","errorMsg":"没有需要被分配执行的订单","data":null}"#
                .as_bytes();
        assert_eq!(
            Call::PayBatch { batch_id: "59".into() }.answer(200, refused),
            Err(Answered::Rejected {
                code: "50054".into(), message: "没有需要被分配执行的订单".into()
            })
        );
        let text = r#"{"success":true,"data":"申报信息已提交"}"#.as_bytes();
        assert_eq!(
            Call::Declare(Box::new(DeclareRequest::new("A1"))).answer(200, text).unwrap()["message"],
            "申报信息已提交"
        );
        assert_eq!(call.answer(401, b""), Err(Answered::Unauthorized));
        assert!(matches!(call.answer(200, b"<html>"), Err(Answered::Failed(_))));
    }
}
