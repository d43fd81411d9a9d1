//! Every JSON example of the three gateway specs (fixtures/{payzero,shouqianba,ezr}/*.json, see
//! fixtures/README.md for the repaired and table-built ones) decodes into its wire type and
//! re-encodes to the same JSON value; plus what those examples must mean.

// Tests fail by panicking, so `unwrap` is the point here; the workspace lint is for library code.
#![allow(clippy::unwrap_used)]

use checkout_shared::money::Fen;
use checkout_shared::payzero::{self, Envelope, TextEnvelope};
use checkout_shared::{ezr, shouqianba as sqb};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::path::Path;

type Check = fn(&str, &str);

/// Decodes `text` as `T` (with the path of any failing field), re-encodes it, and compares the
/// two as JSON values, so key order and whitespace do not matter but every key and value does.
fn check<T: DeserializeOwned + Serialize>(name: &str, text: &str) {
    let decoded: T = checkout_shared::json::decode(text.as_bytes())
        .unwrap_or_else(|e| panic!("{name}: does not decode: {e}"));
    let original: Value = serde_json::from_str(text).unwrap();
    let again = serde_json::to_value(&decoded).unwrap();
    assert_eq!(again, original, "{name}: re-encoding differs");
}

const CASES: &[(&str, Check)] = &[
    // Payzero: the envelope
    ("payzero/envelope_success.json", check::<Envelope<serde_json::Map<String, Value>>>),
    ("payzero/envelope_failure.json", check::<TextEnvelope>),
    // 1. login
    ("payzero/login_request.json", check::<payzero::LoginRequest>),
    ("payzero/login_response.json", check::<Envelope<payzero::LoginResponse>>),
    // 2. batches and automatic payment
    ("payzero/order_batch_request.json", check::<payzero::OrderBatchRequest>),
    ("payzero/order_batch_response.json", check::<Envelope<payzero::OrderBatchResponse>>),
    ("payzero/order_batch_pay_response.json", check::<TextEnvelope>),
    ("payzero/order_batch_summary_response.json", check::<Envelope<payzero::BatchSummary>>),
    ("payzero/order_feedback_response.json", check::<Envelope<payzero::OrderResult>>),
    ("payzero/order_batch_feedback_response.json", check::<Envelope<payzero::FeedbackPage>>),
    ("payzero/create_and_pay_request.json", check::<payzero::Order>),
    ("payzero/create_and_pay_response.json", check::<Envelope<payzero::CreateAndPayResponse>>),
    ("payzero/arrange_pay_response.json", check::<TextEnvelope>),
    // 3. notifications
    ("payzero/notification_pay_status.json", check::<payzero::Notification>),
    ("payzero/notification_declare_status_string_timestamp.json", check::<payzero::Notification>),
    // 4. QR orders
    ("payzero/create_and_qrcode_request.json", check::<payzero::Order>),
    ("payzero/create_and_qrcode_response.json", check::<Envelope<payzero::QrCodeResponse>>),
    ("payzero/qrcode_response.json", check::<Envelope<payzero::QrCodeResponse>>),
    // 5. quick pay
    ("payzero/agree_apply_request.json", check::<payzero::AgreeApplyRequest>),
    ("payzero/agree_apply_response.json", check::<Envelope<payzero::AgreeApplyResponse>>),
    ("payzero/agree_confirm_request.json", check::<payzero::AgreeConfirmRequest>),
    ("payzero/agree_confirm_response.json", check::<Envelope<payzero::AgreeConfirmResponse>>),
    ("payzero/create_and_quickpay_request.json", check::<payzero::Order>),
    ("payzero/create_and_quickpay_response.json", check::<Envelope<payzero::QuickpayResponse>>),
    ("payzero/confirm_quickpay_request.json", check::<payzero::ConfirmQuickpayRequest>),
    ("payzero/confirm_quickpay_response.json", check::<Envelope<payzero::QuickpayResponse>>),
    ("payzero/redo_quickpay_request.json", check::<payzero::RedoQuickpayRequest>),
    ("payzero/redo_quickpay_response.json", check::<Envelope<payzero::QuickpayResponse>>),
    // 6. mock pay
    ("payzero/create_and_mockpay_request.json", check::<payzero::Order>),
    ("payzero/create_and_mockpay_response.json", check::<Envelope<payzero::MockpayResponse>>),
    ("payzero/redo_mockpay_request.json", check::<payzero::RedoMockpayRequest>),
    ("payzero/redo_mockpay_response.json", check::<Envelope<payzero::MockpayResponse>>),
    // 7-9. real name, declare, refunds
    ("payzero/real_person_response.json", check::<Envelope<payzero::RealPersonResponse>>),
    ("payzero/declare_request.json", check::<payzero::DeclareRequest>),
    ("payzero/declare_response.json", check::<TextEnvelope>),
    ("payzero/refund_request.json", check::<payzero::RefundRequest>),
    ("payzero/refund_response.json", check::<Envelope<payzero::RefundResponse>>),
    ("payzero/refund_query_response.json", check::<Envelope<payzero::RefundResponse>>),
    // Shouqianba
    ("shouqianba/pay_success.json", check::<sqb::TradeResponse>),
    ("shouqianba/pay_fail.json", check::<sqb::TradeResponse>),
    ("shouqianba/pay_invalid_params.json", check::<sqb::TradeResponse>),
    ("shouqianba/client_error_terminal_not_exists.json", check::<sqb::TradeResponse>),
    ("shouqianba/client_error_invalid_parameter.json", check::<sqb::TradeResponse>),
    ("shouqianba/server_error_unknown.json", check::<sqb::TradeResponse>),
    ("shouqianba/server_error_maintenance.json", check::<sqb::TradeResponse>),
    ("shouqianba/refund_success.json", check::<sqb::TradeResponse>),
    ("shouqianba/refund_fail.json", check::<sqb::TradeResponse>),
    ("shouqianba/query_success.json", check::<sqb::TradeResponse>),
    ("shouqianba/cancel_success.json", check::<sqb::TradeResponse>),
    ("shouqianba/cancel_fail.json", check::<sqb::TradeResponse>),
    ("shouqianba/precreate_success_from_table.json", check::<sqb::TradeResponse>),
    ("shouqianba/activate_response_public_api.json", check::<sqb::TerminalResponse>),
    ("shouqianba/checkin_response_public_api.json", check::<sqb::TerminalResponse>),
    // EZR
    ("ezr/pay_response.json", check::<ezr::Response<ezr::PayResult>>),
    ("ezr/query_response.json", check::<ezr::Response<ezr::QueryResult>>),
    ("ezr/cancel_response.json", check::<ezr::Response<ezr::CancelResult>>),
    ("ezr/refund_apply_response.json", check::<ezr::Response<ezr::RefundApplyResult>>),
    ("ezr/refund_response.json", check::<ezr::Response<ezr::RefundResult>>),
];

fn fixtures_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(fixtures_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn decode<T: DeserializeOwned>(name: &str) -> T {
    checkout_shared::json::decode(fixture(name).as_bytes()).unwrap()
}

#[test]
fn every_example_round_trips() {
    for (name, check) in CASES {
        check(name, &fixture(name));
    }
}

#[test]
fn every_fixture_is_checked() {
    let mut on_disk = Vec::new();
    for gateway in ["payzero", "shouqianba", "ezr"] {
        for entry in std::fs::read_dir(fixtures_dir().join(gateway)).unwrap() {
            let file = entry.unwrap().file_name().into_string().unwrap();
            on_disk.push(format!("{gateway}/{file}"));
        }
    }
    on_disk.sort();
    let mut listed: Vec<String> = CASES.iter().map(|(n, _)| (*n).to_owned()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "fixtures and CASES differ");
}

#[test]
fn payzero_examples_mean_what_the_spec_says() {
    let fail: TextEnvelope = decode("payzero/envelope_failure.json");
    assert_eq!(fail.error(), Some(payzero::ErrorCode::InvalidParameter));

    let page: Envelope<payzero::FeedbackPage> = decode("payzero/order_batch_feedback_response.json");
    let page = page.data_object().unwrap();
    assert_eq!((page.page, page.pagesize, page.total, page.rows.len()), (2, 3, 465, 3));
    // The same date arrives as a number in one row and a string in another.
    let dates: Vec<_> = page.rows.iter().map(|r| r.payment_datetime.clone().unwrap()).collect();
    assert!(dates.iter().all(|d| d.as_str() == "20190313124233"));
    assert!(!dates[0].was_quoted() && dates[2].was_quoted());
    assert_eq!(page.rows[0].pay_status, payzero::PayStatus::PayCancelled);

    let batch: TextEnvelope = decode("payzero/order_batch_pay_response.json");
    assert_eq!(batch.data_text(), Some("分配任务完成"));

    let apply: Envelope<payzero::AgreementResponse> = decode("payzero/agree_apply_response.json");
    let apply = apply.data_object().unwrap();
    assert_eq!(apply.agreeid, None);
    assert_eq!((&apply.accttype, &apply.bankcode), (&payzero::AcctType::Debit, &payzero::BankCode::Spdb));
    assert!(!format!("{apply:?}").contains("6217920151050000"));
    let request: payzero::AgreeApplyRequest = decode("payzero/agree_apply_request.json");
    assert_eq!(request.bankcode, payzero::BankCode::NetsUnionTest);
    let confirm: Envelope<payzero::AgreementResponse> = decode("payzero/agree_confirm_response.json");
    assert_eq!(confirm.data_object().unwrap().agreeid.as_deref(), Some("201905042109498625"));

    let quick: Envelope<payzero::QuickpayResponse> = decode("payzero/create_and_quickpay_response.json");
    assert_eq!(quick.data_object().unwrap().pay_status, payzero::PayStatus::PayApplied);
    let real: Envelope<payzero::RealPersonResponse> = decode("payzero/real_person_response.json");
    assert_eq!(real.data_object().unwrap().result, payzero::RealPersonResult::Pass);
    let refund: Envelope<payzero::RefundResponse> = decode("payzero/refund_query_response.json");
    let refund = refund.data_object().unwrap();
    assert_eq!(
        (refund.refund_amount, &refund.refund_status),
        (Fen(1225), &payzero::RefundStatus::RefundSucceed)
    );
    let declare: payzero::DeclareRequest = decode("payzero/declare_request.json");
    assert_eq!(declare.customs_code, Some(payzero::CustomsCode::Chongqing));
    let batch: payzero::OrderBatchRequest = decode("payzero/order_batch_request.json");
    let total = batch.iter().try_fold(Fen::ZERO, |sum, o| sum.checked_add(o.payment_amount));
    // 2.1's response says the batch totals 70302 fen; its request's two orders sum to that.
    assert_eq!(total, Some(Fen(70302)));
}

#[test]
fn payzero_notification_examples_verify_and_carry_an_order_result() {
    let token = checkout_shared::sign::Secret::new("test-sign-token");
    for name in
        ["payzero/notification_pay_status.json", "payzero/notification_declare_status_string_timestamp.json"]
    {
        let raw = fixture(name);
        let verified = checkout_shared::sign::verify_payzero_notification(raw.as_bytes(), &token)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let result = verified.order_result().unwrap();
        assert_eq!(result.mcht_order_no, "2019041000011");
        assert_eq!(result.declare_status, Some(payzero::DeclareStatus::DeclareFailed));
        let wrong = checkout_shared::sign::Secret::new("another-token");
        assert!(checkout_shared::sign::verify_payzero_notification(raw.as_bytes(), &wrong).is_err());
    }
}

#[test]
fn shouqianba_examples_drive_the_documented_algorithm() {
    use sqb::{CancelOutcome, PayOutcome, PollDecision};
    let pay: sqb::TradeResponse = decode("shouqianba/pay_success.json");
    assert_eq!(sqb::classify_pay(&pay), PayOutcome::Paid);
    let data = pay.data().unwrap();
    assert_eq!(data.total_amount.map(sqb::SqbAmount::fen), Some(Fen(1)));
    assert_eq!(data.payway, Some(sqb::Payway::Wechat));
    assert_eq!(sqb::classify_pay(&decode("shouqianba/pay_fail.json")), PayOutcome::Failed);
    for name in ["shouqianba/pay_invalid_params.json", "shouqianba/client_error_terminal_not_exists.json"] {
        assert!(matches!(
            sqb::classify_pay(&decode(name)),
            PayOutcome::CallFailed(sqb::CallError::Client { .. })
        ));
    }
    let maintenance: sqb::TradeResponse = decode("shouqianba/server_error_maintenance.json");
    assert_eq!(maintenance.error_code, Some(sqb::CommErrorCode::MaintenanceInprogress));
    assert!(matches!(sqb::classify_pay(&maintenance), PayOutcome::CallFailed(sqb::CallError::Server { .. })));
    // The query example's order was cancelled: the poll ends without a payment.
    assert_eq!(sqb::classify_query(&decode("shouqianba/query_success.json")), PollDecision::Failed);
    assert_eq!(sqb::classify_cancel(&decode("shouqianba/cancel_success.json")), CancelOutcome::Cancelled);
    assert_eq!(sqb::classify_cancel(&decode("shouqianba/cancel_fail.json")), CancelOutcome::NeedsSupport);
    let refund_fail: sqb::TradeResponse = decode("shouqianba/refund_fail.json");
    assert_eq!(
        refund_fail.biz_response.unwrap().error_code,
        Some(sqb::BizErrorCode::UpayRefundInvalidOrderState)
    );
    let precreate: sqb::TradeResponse = decode("shouqianba/precreate_success_from_table.json");
    assert!(precreate.data().unwrap().qr_code.as_deref().unwrap().starts_with("weixin://"));
}

#[test]
fn ezr_examples_read_amounts_exactly() {
    let pay: ezr::Response<ezr::PayResult> = decode("ezr/pay_response.json");
    let result = pay.ok().unwrap();
    // 0.01 here (yuan) and 1 in the query example (fen) are the same one-fen order amount.
    assert_eq!(result.total_amount.fen(), Fen(1));
    assert!(result.total_amount.is_yuan_decimal());
    assert_eq!(result.order_state, ezr::OrderState::Success);
    assert_eq!(result.pay_type.as_ref().map(|p| p.value().clone()), Some(ezr::PayType::Wechat));
    let query: ezr::Response<ezr::QueryResult> = decode("ezr/query_response.json");
    let query = query.ok().unwrap();
    assert_eq!(query.total_amount.fen(), Fen(1));
    assert!(!query.total_amount.is_yuan_decimal());
    assert_eq!(query.refund_info_list.as_ref().unwrap()[0].refund_state, ezr::RefundState::Success);
    let apply: ezr::Response<ezr::RefundApplyResult> = decode("ezr/refund_apply_response.json");
    let apply = apply.ok().unwrap();
    assert_eq!(
        (apply.trade_no.as_str(), &apply.refund_state),
        ("AP01106119081800000002", &ezr::RefundState::Processing)
    );
    let cancel: ezr::Response<ezr::CancelResult> = decode("ezr/cancel_response.json");
    let cancel = cancel.ok().unwrap();
    assert_eq!(
        (&cancel.re_call, &cancel.reverse_desc),
        (&Some(ezr::ReCall::No), &Some(ezr::ReverseDesc::Refund))
    );
}
