//! Unit tests of the Payzero state machine, driven by plain `now_ms` values and a seeded generator.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::wire::{CustomsCode, Item};
use super::*;
use crate::personal::Personal;
use rand::SeedableRng;
use rand::rngs::StdRng;

// Builders for the tests only: the wire types are plain data decoded from requests.

impl Order {
    fn new(no: &str, amount: Fen, subject: &str) -> Self {
        Order {
            qr_code_type: None,
            agreeid: None,
            need_declare: None,
            currency: "CNY".into(),
            customs_code: None,
            customs_area_code: None,
            customs_jy_org: None,
            customs_in_type: None,
            mcht_order_no: no.into(),
            order_datetime: None,
            payer_name: None,
            payer_number: None,
            payer_phone: None,
            payment_amount: amount,
            subject: subject.into(),
            notify_url: None,
            items: None,
        }
    }

    fn with_items(mut self, items: Vec<Item>) -> Self {
        self.items = Some(items);
        self
    }

    fn with_agreeid(mut self, agreeid: &str) -> Self {
        self.agreeid = Some(agreeid.into());
        self
    }

    fn with_qr_code_type(mut self, t: QrCodeType) -> Self {
        self.qr_code_type = Some(t);
        self
    }

    fn with_customs_code(mut self, c: CustomsCode) -> Self {
        self.customs_code = Some(c.as_str().into());
        self
    }

    fn with_payer(mut self, name: &str, id: &str, phone: &str) -> Self {
        self.payer_name = Some(name.into());
        self.payer_number = Some(Personal::from(id));
        self.payer_phone = Some(Personal::from(phone));
        self
    }
}

impl Item {
    fn new(subject: &str, link: &str) -> Self {
        Item { subject: subject.into(), item_link: link.into(), article_num: None }
    }
}

impl AgreeApplyRequest {
    fn debit(request_id: &str, name: &str, card: &str, bank: BankCode, idno: &str, mobile: &str) -> Self {
        AgreeApplyRequest {
            request_id: request_id.into(),
            acctname: name.into(),
            acctno: Personal::from(card),
            accttype: AcctType::Debit,
            bankcode: bank,
            idno: Personal::from(idno),
            mobile: Personal::from(mobile),
            cvv2: None,
            validdate: None,
        }
    }

    fn with_credit_card(mut self, cvv2: &str, validdate: &str) -> Self {
        self.accttype = AcctType::Credit;
        self.cvv2 = Some(Personal::from(cvv2));
        self.validdate = Some(Personal::from(validdate));
        self
    }
}

impl AgreeConfirmRequest {
    fn new(request_id: &str, sms_code: &str) -> Self {
        AgreeConfirmRequest { request_id: request_id.into(), sms_code: sms_code.into() }
    }
}

impl ConfirmQuickpayRequest {
    fn new(no: &str, agreeid: String, sms_code: &str) -> Self {
        ConfirmQuickpayRequest { mcht_order_no: no.into(), agreeid, sms_code: sms_code.into() }
    }
}

impl RedoQuickpayRequest {
    fn new(no: &str, agreeid: String) -> Self {
        RedoQuickpayRequest { mcht_order_no: no.into(), agreeid }
    }
}

impl RefundRequest {
    fn new(no: &str, refund_no: &str, amount: Fen) -> Self {
        RefundRequest {
            mcht_order_no: no.into(),
            mcht_refund_order_no: refund_no.into(),
            refund_amount: amount,
        }
    }
}

impl DeclareRequest {
    fn new(no: &str) -> Self {
        DeclareRequest {
            mcht_order_no: no.into(),
            payer_name: None,
            payer_number: None,
            payer_phone: None,
            customs_code: None,
            customs_area_code: None,
            customs_jy_org: None,
            customs_in_type: None,
        }
    }

    fn with_payer(mut self, name: &str, id: &str, phone: &str) -> Self {
        self.payer_name = Some(name.into());
        self.payer_number = Some(Personal::from(id));
        self.payer_phone = Some(Personal::from(phone));
        self
    }
}

const T0: u64 = 1_700_000_000_000;

fn setup() -> (Payzero, StdRng) {
    let mut rng = StdRng::seed_from_u64(1);
    (Payzero::new(&mut rng), rng)
}

fn order(no: &str) -> Order {
    Order::new(no, Fen(3352), "测试商品1").with_items(vec![Item::new("测试商品1", "http://www.baidu.com")])
}

fn declared_order(no: &str) -> Order {
    order(no).with_customs_code(CustomsCode::Shanghai).with_payer("李白", "310327198009270027", "13800138000")
}

fn sign_agreement(pz: &mut Payzero, rng: &mut StdRng) -> String {
    sign_card(pz, rng, "R1", "6217920151050000")
}

/// Signs an agreement for a card number (its last four digits pick the quick-pay path).
fn sign_card(pz: &mut Payzero, rng: &mut StdRng, request_id: &str, card: &str) -> String {
    let apply = AgreeApplyRequest::debit(
        request_id,
        "张三",
        card,
        BankCode::NetsUnionTest,
        "310113198010101234",
        "13800138000",
    );
    let a = pz.agree_apply(apply, T0).unwrap();
    assert_eq!(a.agreeid, None);
    assert_eq!(a.bankname.as_deref(), Some("网联测试专用银行"));
    let c = pz.agree_confirm(AgreeConfirmRequest::new(request_id, "088407"), T0, rng).unwrap();
    c.agreeid.unwrap()
}

#[test]
fn agreements_follow_the_test_environment_rules() {
    let (mut pz, mut rng) = setup();
    let other_bank = AgreeApplyRequest::debit(
        "R0",
        "张三",
        "6217920151050000",
        BankCode::Spdb,
        "310113198010101234",
        "13800138000",
    );
    assert_eq!(pz.agree_apply(other_bank, T0).unwrap_err().code, "50080");
    let credit_without_cvv = AgreeApplyRequest::debit(
        "R0",
        "张三",
        "6217920151050000",
        BankCode::NetsUnionTest,
        "310113198010101234",
        "13800138000",
    )
    .with_credit_card("12", "2613");
    assert_eq!(pz.agree_apply(credit_without_cvv, T0).unwrap_err(), PzError::param("cvv2"));
    let apply = AgreeApplyRequest::debit(
        "R2",
        "张三",
        "6217920151050000",
        BankCode::NetsUnionTest,
        "310113198010101234",
        "13800138000",
    );
    pz.agree_apply(apply, T0).unwrap();
    assert_eq!(
        pz.agree_confirm(AgreeConfirmRequest::new("R2", "12345"), T0, &mut rng).unwrap_err().code,
        "50081"
    );
    assert_eq!(
        pz.agree_confirm(AgreeConfirmRequest::new("NOPE", "123456"), T0, &mut rng).unwrap_err().code,
        "30003"
    );
    // Any six characters sign.
    let c = pz.agree_confirm(AgreeConfirmRequest::new("R2", "ab12cd"), T0, &mut rng).unwrap();
    let agreeid = c.agreeid.unwrap();
    assert_eq!(agreeid.len(), 18);
    assert_eq!(
        pz.agree_confirm(AgreeConfirmRequest::new("R2", "999999"), T0, &mut rng).unwrap().agreeid,
        Some(agreeid)
    );
}

#[test]
fn a_wrong_payment_code_burns_the_sms_until_redo() {
    let (mut pz, mut rng) = setup();
    let agreeid = sign_agreement(&mut pz, &mut rng);
    let r = pz.create_quickpay(order("Q1").with_agreeid(&agreeid), T0, &mut rng).unwrap();
    assert_eq!(r.pay_status, PayStatus::PayApplied);
    let confirm = |code: &str| ConfirmQuickpayRequest::new("Q1", agreeid.clone(), code);
    assert_eq!(pz.confirm_quickpay(confirm(WRONG_SMS_CODE), T0, &mut rng).unwrap_err().code, "50061");
    // The right code no longer works: "请求异常".
    let err = pz.confirm_quickpay(confirm("123456"), T0, &mut rng).unwrap_err();
    assert_eq!((err.code.as_str(), err.msg.as_str()), ("50062", "请求异常"));
    pz.redo_quickpay(RedoQuickpayRequest::new("Q1", agreeid.clone()), T0 + 1000, &mut rng).unwrap();
    let ok = pz.confirm_quickpay(confirm("123456"), T0 + 2000, &mut rng).unwrap();
    assert_eq!(ok.pay_status, PayStatus::PaySucceed);
    assert_eq!(pz.outbox.len(), 1);
    assert_eq!(
        pz.redo_quickpay(RedoQuickpayRequest::new("Q1", agreeid), T0, &mut rng).unwrap_err().code,
        "30004"
    );
}

#[test]
fn a_payment_code_expires_after_three_minutes() {
    let (mut pz, mut rng) = setup();
    let agreeid = sign_agreement(&mut pz, &mut rng);
    pz.create_quickpay(order("Q2").with_agreeid(&agreeid), T0, &mut rng).unwrap();
    let late = pz.confirm_quickpay(
        ConfirmQuickpayRequest::new("Q2", agreeid.clone(), "123456"),
        T0 + PAY_SMS_TTL_MS + 1,
        &mut rng,
    );
    assert_eq!(late.unwrap_err().code, "50063");
    assert_eq!(pz.create_quickpay(order("Q3").with_agreeid("000"), T0, &mut rng).unwrap_err().code, "30003");
    assert_eq!(pz.create_quickpay(order("Q3"), T0, &mut rng).unwrap_err(), PzError::param("agreeid"));
}

#[test]
fn a_card_ending_0002_pays_at_once_without_an_sms() {
    let (mut pz, mut rng) = setup();
    let agreeid = sign_card(&mut pz, &mut rng, "R2", "6217920151050002");
    let r = pz.create_quickpay(order("N1").with_agreeid(&agreeid), T0, &mut rng).unwrap();
    assert_eq!(r.pay_status, PayStatus::PaySucceed);
    let paid = pz.order("N1").unwrap().result();
    assert_eq!(paid.pay_status, PayStatus::PaySucceed);
    assert!(paid.payment_order_no.is_some() && paid.payment_datetime.is_some());
    assert_eq!(pz.outbox.len(), 1, "PAY_STATUS_NOTIFY as for any payment");
    assert_eq!(pz.outbox[0].msg_type, MsgType::PayStatusNotify);
    assert_eq!(pz.outbox[0].result.pay_status, PayStatus::PaySucceed);
    // No SMS was sent, so there is no code to confirm.
    let confirm = ConfirmQuickpayRequest::new("N1", agreeid.clone(), "123456");
    assert_eq!(pz.confirm_quickpay(confirm, T0, &mut rng).unwrap_err().code, "30004");

    // redoQuickpay switching an order waiting for its SMS to such a card pays it at once too.
    let sms_card = sign_agreement(&mut pz, &mut rng);
    let r = pz.create_quickpay(order("N2").with_agreeid(&sms_card), T0, &mut rng).unwrap();
    assert_eq!(r.pay_status, PayStatus::PayApplied);
    let redo = pz.redo_quickpay(RedoQuickpayRequest::new("N2", agreeid), T0 + 1000, &mut rng).unwrap();
    assert_eq!(redo.pay_status, PayStatus::PaySucceed);
    assert_eq!(pz.order("N2").unwrap().pay_status, PayStatus::PaySucceed);
    assert_eq!(pz.outbox.len(), 2);
}

#[test]
fn a_card_ending_0003_is_confirmed_without_an_sms_and_settles_30_s_later() {
    let (mut pz, mut rng) = setup();
    let agreeid = sign_card(&mut pz, &mut rng, "R3", "6217920151050003");
    let r = pz.create_quickpay(order("N3").with_agreeid(&agreeid), T0, &mut rng).unwrap();
    assert_eq!(r.pay_status, PayStatus::PaySmsConfirmed);
    assert_eq!(pz.order("N3").unwrap().result().payment_order_no, None);
    assert!(pz.outbox.is_empty(), "no notification before it settles");
    // Nothing to confirm, and no new SMS for an order being settled.
    let confirm = ConfirmQuickpayRequest::new("N3", agreeid.clone(), "123456");
    assert_eq!(pz.confirm_quickpay(confirm, T0, &mut rng).unwrap_err().code, "50062");
    let redo = RedoQuickpayRequest::new("N3", agreeid.clone());
    assert_eq!(pz.redo_quickpay(redo, T0, &mut rng).unwrap_err().code, "30004");

    pz.tick(T0 + SETTLE_DELAY_MS - 1, &mut rng);
    assert_eq!(pz.order("N3").unwrap().pay_status, PayStatus::PaySmsConfirmed);
    pz.tick(T0 + SETTLE_DELAY_MS, &mut rng);
    let paid = pz.order("N3").unwrap().result();
    assert_eq!(paid.pay_status, PayStatus::PaySucceed);
    assert_eq!(paid.payment_datetime.map(|d| d.to_string()), Some(timefmt::compact(T0 + SETTLE_DELAY_MS)));
    assert_eq!(pz.outbox.len(), 1);
    assert_eq!(pz.outbox[0].result.pay_status, PayStatus::PaySucceed);

    // redoQuickpay onto such a card: PAY_SMS_CONFIRMED, settled later in the same way.
    let sms_card = sign_agreement(&mut pz, &mut rng);
    pz.create_quickpay(order("N4").with_agreeid(&sms_card), T0, &mut rng).unwrap();
    let redo = pz.redo_quickpay(RedoQuickpayRequest::new("N4", agreeid), T0, &mut rng).unwrap();
    assert_eq!(redo.pay_status, PayStatus::PaySmsConfirmed);
    pz.tick(T0 + SETTLE_DELAY_MS, &mut rng);
    assert_eq!(pz.order("N4").unwrap().pay_status, PayStatus::PaySucceed);
}

#[test]
fn other_cards_still_ask_for_an_sms() {
    for (i, card) in ["6217920151050000", "6217920151050001", "6217920151050020", "6217920151000030"]
        .into_iter()
        .enumerate()
    {
        let (mut pz, mut rng) = setup();
        let agreeid = sign_card(&mut pz, &mut rng, &format!("R{i}"), card);
        let r = pz.create_quickpay(order("S1").with_agreeid(&agreeid), T0, &mut rng).unwrap();
        assert_eq!(r.pay_status, PayStatus::PayApplied, "{card}");
        assert_eq!(pz.order("S1").unwrap().quickpay.as_ref().map(|q| q.sms), Some(SmsState::Awaiting));
    }
}

#[test]
fn agreement_state_debug_never_shows_personal_data_in_clear() {
    let (mut pz, mut rng) = setup();
    let apply = AgreeApplyRequest::debit(
        "R7",
        "张三",
        "6217920151057777",
        BankCode::NetsUnionTest,
        "310113198010105678",
        "13812345678",
    )
    .with_credit_card("987", "2812");
    pz.agree_apply(apply, T0).unwrap();
    pz.agree_confirm(AgreeConfirmRequest::new("R7", "088407"), T0, &mut rng).unwrap();
    let debug = format!("{:?} {:?}", pz.applications, pz.agreements);
    for secret in ["6217920151057777", "310113198010105678", "13812345678", "\"987\"", "\"2812\""] {
        assert!(!debug.contains(secret), "{secret} in {debug}");
    }
}

#[test]
fn batches_pay_later_and_report_the_documented_errors() {
    let (mut pz, mut rng) = setup();
    let b = pz.upload_batch(vec![order("B1"), declared_order("B2")], T0).unwrap();
    assert_eq!(b.order_total_amount, Fen(6704));
    assert_eq!(pz.upload_batch(vec![order("B3"), order("B3")], T0).unwrap_err().code, "30002");
    assert_eq!(pz.upload_batch(vec![], T0).unwrap_err().code, "30001");

    pz.merchant.advance_mode_ok = false;
    assert_eq!(pz.pay_batch("1", T0).unwrap_err().code, "50001");
    pz.merchant.advance_mode_ok = true;
    pz.merchant.card_signed = false;
    assert_eq!(pz.pay_batch("1", T0).unwrap_err().code, "50010");
    pz.merchant.card_signed = true;
    pz.merchant.card_balance = Fen(6703);
    assert_eq!(pz.pay_batch("1", T0).unwrap_err().code, "50056");
    pz.merchant.card_balance = Fen(6704);
    assert_eq!(pz.pay_batch("1", T0).unwrap(), "分配任务完成");
    assert_eq!(pz.pay_batch("1", T0).unwrap_err().code, "50054", "nothing left to pay");
    assert_eq!(pz.pay_batch("9", T0).unwrap_err().code, "30003");

    assert_eq!(pz.orders["B1"].pay_status, PayStatus::PayApplied);
    pz.tick(T0 + SETTLE_DELAY_MS - 1, &mut rng);
    assert_eq!(pz.orders["B1"].pay_status, PayStatus::PayApplied);
    // One jump runs the payments and, a minute later, B2's declaration.
    pz.tick(T0 + SETTLE_DELAY_MS + DECLARE_DELAY_MS, &mut rng);
    assert_eq!(pz.orders["B1"].pay_status, PayStatus::PaySucceed);
    assert_eq!(pz.orders["B1"].declare_status, DeclareStatus::NotDeclared);
    assert_eq!(pz.orders["B2"].declare_status, DeclareStatus::Declared);
    let kinds: Vec<_> = pz.outbox.iter().map(|o| o.msg_type.clone()).collect();
    assert_eq!(kinds, vec![MsgType::PayStatusNotify, MsgType::PayStatusNotify, MsgType::DeclareStatusNotify]);

    let s = pz.batch_summary("1").unwrap();
    assert_eq!((s.total, s.pay_success_count, s.declare_success_count, s.declare_other_count), (2, 2, 1, 1));
    assert_eq!(s.total_payment_amount, Fen(6704));
    let page = pz.batch_feedback("1", Some(1), Some(1)).unwrap();
    assert_eq!(page.rows[0].mcht_order_no, "B2", "newest first");
    assert_eq!(page.total, 2);
    assert!(pz.batch_feedback("1", Some(2), Some(1)).unwrap().rows[0].mcht_order_no == "B1");
    assert_eq!(pz.batch_feedback("1", None, Some(101)).unwrap_err().code, "30001");
}

#[test]
fn refunds_only_for_paid_qr_and_quickpay_orders_within_the_amount() {
    let (mut pz, mut rng) = setup();
    pz.create_qr(order("R1").with_qr_code_type(QrCodeType::Alipay), T0, &mut rng).unwrap();
    let req = |no: &str, amount: u64| RefundRequest::new("R1", no, Fen(amount));
    assert_eq!(pz.refund(req("RF1", 1), T0).unwrap_err().code, "30004", "not paid yet");
    pz.shopper_pay("R1", T0, &mut rng).unwrap();
    assert_eq!(pz.refund(req("RF1", 2000), T0).unwrap().refund_status, RefundStatus::RefundRequested);
    assert_eq!(pz.refund(req("RF1", 1), T0).unwrap_err().code, "30002");
    assert_eq!(pz.refund(req("RF2", 1353), T0).unwrap_err().code, "50070");
    assert_eq!(pz.refund(req("RF2", 0), T0).unwrap_err().code, "30001");
    pz.tick(T0 + REFUND_DELAY_MS, &mut rng);
    assert_eq!(pz.refund_status("RF1").unwrap().refund_status, RefundStatus::RefundSucceed);
    pz.refund(req("RF2", 1352), T0).unwrap();
    pz.finish_refund("RF2", false).unwrap();
    assert_eq!(pz.refund_status("RF2").unwrap().refund_status, RefundStatus::RefundFailed);
    pz.refund(req("RF3", 1352), T0).unwrap();

    pz.create_mockpay(declared_order("M1"), T0, &mut rng).unwrap();
    assert_eq!(pz.refund(RefundRequest::new("M1", "RF9", Fen(1)), T0).unwrap_err().code, "50071");
}

#[test]
fn declarations_can_be_redone_after_failure() {
    let (mut pz, mut rng) = setup();
    pz.create_mockpay(declared_order("M2"), T0, &mut rng).unwrap();
    assert_eq!(pz.orders["M2"].declare_status, DeclareStatus::Declaring);
    pz.admin_declare("M2", DeclareStatus::DeclareFailed, None).unwrap();
    assert_eq!(pz.orders["M2"].declare_fail_reason.as_deref(), Some("支付人姓名和证件号不匹配"));
    let req = DeclareRequest::new("M2").with_payer("杜甫", "110104199010101234", "13300000000");
    assert_eq!(pz.declare(req.clone(), T0).unwrap(), "申报信息已提交");
    assert_eq!(pz.declare(req, T0).unwrap_err().code, "30004", "already declaring");
    pz.tick(T0 + DECLARE_DELAY_MS, &mut rng);
    assert_eq!(pz.orders["M2"].declare_status, DeclareStatus::Declared);
    assert_eq!(pz.orders["M2"].order.payer_name.as_deref(), Some("杜甫"));

    pz.create_qr(order("Q9").with_qr_code_type(QrCodeType::Wechatpay), T0, &mut rng).unwrap();
    assert_eq!(pz.declare(DeclareRequest::new("Q9"), T0).unwrap_err().code, "30004");
    pz.shopper_pay("Q9", T0, &mut rng).unwrap();
    assert_eq!(pz.declare(DeclareRequest::new("Q9"), T0).unwrap_err(), PzError::param("customsCode"));
}

#[test]
fn real_person_follows_the_first_digit_rules() {
    let (pz, mut rng) = setup();
    let check = |idno: &str, rng: &mut StdRng| pz.real_person(idno, "李白", rng).unwrap().result;
    assert_eq!(check("110113198010101234", &mut rng), RealPersonResult::Pass);
    assert_eq!(check("210113198010101234", &mut rng), RealPersonResult::CannotFindId);
    assert_eq!(check("310113198010101234", &mut rng), RealPersonResult::NameInvalid);
    assert_eq!(check("410113198010101234", &mut rng), RealPersonResult::IdnoInvalid);
    assert_eq!(check("510113198010101234", &mut rng), RealPersonResult::NotPass);
    let pass = pz.real_person("110113198010101234", "李白", &mut rng).unwrap();
    assert_eq!((pass.birth.as_deref(), pass.sex.as_deref()), (Some("19801010"), Some("男")));
    assert_eq!(pz.real_person("", "李白", &mut rng).unwrap_err(), PzError::param("idno"));
}

#[test]
fn automatic_orders_and_arrange_pay() {
    let (mut pz, mut rng) = setup();
    pz.merchant.card_balance = Fen(100);
    assert_eq!(pz.create_and_pay(order("C1"), T0).unwrap_err().code, "50056");
    pz.merchant.card_balance = Fen(1_000_000);
    pz.create_and_pay(order("C1"), T0).unwrap();
    pz.shopper_fail("C1").unwrap();
    assert_eq!(pz.arrange_pay("C1", T0).unwrap(), "订单进入支付队列成功");
    pz.tick(T0 + SETTLE_DELAY_MS, &mut rng);
    assert_eq!(pz.orders["C1"].pay_status, PayStatus::PaySucceed);
    assert_eq!(pz.arrange_pay("C1", T0).unwrap_err().code, "30004");
    pz.create_qr(order("C2").with_qr_code_type(QrCodeType::Wechatpay), T0, &mut rng).unwrap();
    assert_eq!(pz.arrange_pay("C2", T0).unwrap_err().code, "30004");
}

#[test]
fn hostile_input_does_not_panic() {
    let (mut pz, mut rng) = setup();
    // 18 bytes, but not 18 ASCII characters: must be refused, not sliced mid-character.
    let apply = AgreeApplyRequest::debit(
        "R9",
        "张三",
        "6217920151050000",
        BankCode::NetsUnionTest,
        "3101131980101张1",
        "13800138000",
    );
    assert_eq!(pz.agree_apply(apply, T0).unwrap_err(), PzError::param("idno"));
    let big = |no: &str| Order::new(no, Fen(i64::MAX as u64), "s");
    pz.upload_batch(vec![big("H1"), big("H2")], T0).unwrap();
    assert_eq!(pz.pay_batch("1", T0).unwrap_err().code, "50056", "the sum saturates");
    assert_eq!(pz.real_person("1张", "x", &mut rng).unwrap().result, RealPersonResult::Pass);
}

#[test]
fn bounding_keeps_the_newest_orders_and_what_still_names_them() {
    let (mut pz, mut rng) = setup();
    for no in ["B1", "B2", "B3"] {
        pz.create_qr(order(no).with_qr_code_type(QrCodeType::Alipay), T0, &mut rng).unwrap();
        pz.shopper_pay(no, T0, &mut rng).unwrap();
        pz.refund(RefundRequest::new(no, &format!("RF-{no}"), Fen(1)), T0).unwrap();
    }
    pz.bound(2);
    assert_eq!(pz.orders.keys().collect::<Vec<_>>(), ["B2", "B3"]);
    assert_eq!(pz.arrival, ["B2", "B3"]);
    assert!(!pz.refunds.contains_key("RF-B1") && pz.refunds.contains_key("RF-B2"));
    assert!(
        pz.jobs.iter().all(
            |(_, j)| !matches!(j, Job::Refund { mcht_refund_order_no } if mcht_refund_order_no == "RF-B1")
        )
    );
    pz.bound(2);
    assert_eq!(pz.orders.len(), 2, "nothing more goes while within the bound");
}
