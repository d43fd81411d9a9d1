//! The rest of Payzero over HTTP, from the spec's JSON examples: order batches, createAndPay and
//! arrangePay, quick pay with its SMS rules, mock pay, the real-name check, declaration (with its
//! notification) and refunds.

use crate::harness::{Env, Receiver};
use checkout_sandbox::Config;
use serde_json::{Value, json};

/// payzero-quickpay.md 2.1, verbatim.
const BATCH_EXAMPLE: &str = r#"[
  {
    "currency": "CNY", "customsCode": "HG022", "customsAreaCode": "5130", "customsJyOrg": "440009",
    "customsInType": "2",
    "items": [
      { "articleNum": "HH00001", "itemLink": "http://www.baidu.com", "subject": "测试商品1" },
      { "articleNum": "HH00002", "itemLink": "http://www.baidu.com", "subject": "测试商品2" }
    ],
    "mchtOrderNo": "F20190402123", "orderDatetime": "2019-04-02 11:11:46", "payerName": "李白",
    "payerNumber": "310327198009270027", "payerPhone": "13800138000", "paymentAmount": 35302,
    "subject": "测试商品1"
  },
  {
    "currency": "CNY", "customsCode": "HG022", "customsAreaCode": "5130", "customsJyOrg": "440009",
    "customsInType": "2", "mchtOrderNo": "F20190402124", "orderDatetime": "2019-04-02 11:11:46",
    "payerName": "杜甫", "payerNumber": "360104199010101234", "payerPhone": "13300000000",
    "paymentAmount": 35000, "subject": "测试商品xxxx"
  }
]"#;

/// payzero-quickpay.md 5.1, verbatim.
const AGREE_APPLY_EXAMPLE: &str = r#"{
  "acctname": "张三", "acctno": "6217920151050000", "accttype": "00", "bankcode": "999",
  "idno": "310113198010101234", "mobile": "13800138000", "requestId": "201905040012"
}"#;

fn order(no: &str, amount: u64) -> Value {
    json!({"currency": "CNY", "mchtOrderNo": no, "paymentAmount": amount, "subject": "测试商品1"})
}

#[tokio::test]
async fn batches_upload_pay_summarise_and_page() {
    let mut rx = Receiver::start().await;
    let env = Env::with(Config::default().with_payzero_notify_url(rx.url.clone())).await;
    let token = env.pz_login().await;
    let batch: Value = serde_json::from_str(BATCH_EXAMPLE).unwrap();
    let b = env.pz_ok(&token, "/orderBatch", &batch).await;
    assert_eq!(b["orderTotalAmount"], 70302);
    assert_eq!(b["dispBatchNum"].as_str().unwrap().len(), 17);
    let id = b["orderBatchId"].as_u64().unwrap();

    env.admin("/payzero/merchant", json!({"cardSigned": false})).await;
    let r = env.pz_get(&token, &format!("/orderBatch/{id}/pay")).await.json();
    assert_eq!(r["errorCode"], "50010");
    env.admin("/payzero/merchant", json!({"advanceModeOk": false})).await;
    assert_eq!(env.pz_get(&token, &format!("/orderBatch/{id}/pay")).await.json()["errorCode"], "50001");
    env.admin("/payzero/merchant", json!({"cardBalance": 70301})).await;
    assert_eq!(env.pz_get(&token, &format!("/orderBatch/{id}/pay")).await.json()["errorCode"], "50056");
    env.admin("/payzero/merchant", json!({})).await;
    let r = env.pz_get(&token, &format!("/orderBatch/{id}/pay")).await.json();
    assert_eq!(r["data"], "分配任务完成");
    assert_eq!(env.pz_get(&token, &format!("/orderBatch/{id}/pay")).await.json()["errorCode"], "50054");

    // Payment runs 30 s later; the declarations a minute after that.
    env.advance(30).await;
    for _ in 0..2 {
        assert_eq!(rx.next().await["msgType"], "PAY_STATUS_NOTIFY");
    }
    env.advance(60).await;
    for _ in 0..2 {
        let n = rx.next().await;
        assert_eq!(n["msgType"], "DECLARE_STATUS_NOTIFY");
        assert!(n["msgBody"].as_str().unwrap().contains("\"declareStatus\":\"DECLARED\""));
    }
    let s = env.pz_get_ok(&token, &format!("/orderBatch/{id}/summary")).await;
    assert_eq!(s["total"], 2);
    assert_eq!(s["paySuccessCount"], 2);
    assert_eq!(s["declareSuccessCount"], 2);
    assert_eq!(s["totalPaymentAmount"], 70302);
    let page = env.pz_get_ok(&token, &format!("/orderBatch/{id}/feedback?page=1&pagesize=1")).await;
    assert_eq!(page["total"], 2);
    assert_eq!(page["rows"][0]["mchtOrderNo"], "F20190402124", "newest first");
    let r = env.pz_get(&token, &format!("/orderBatch/{id}/feedback?pagesize=101")).await.json();
    assert_eq!(r["errorCode"], "30001");
    let fb = env.pz_get_ok(&token, "/order/feedback?mchtOrderNo=F20190402123").await;
    assert_eq!(fb["payStatus"], "PAY_SUCCEED");
    assert_eq!(fb["customsPayCompanyCode"], "312228034T");
    assert_eq!(env.pz_get(&token, "/orderBatch/999/summary").await.json()["errorCode"], "30003");
}

#[tokio::test]
async fn create_and_pay_then_arrange_pay_after_a_failure() {
    let env = Env::start().await;
    let token = env.pz_login().await;
    let d = env.pz_ok(&token, "/order/createAndPay", &order("CP1", 4023)).await;
    assert_eq!(d["mchtOrderNo"], "CP1");
    assert_eq!(env.pz_get_ok(&token, "/order/queryOrder?mchtOrderNo=CP1").await["payStatus"], "PAY_APPLIED");
    env.admin("/payzero/orders/CP1/fail", json!({})).await;
    let r = env.pz_get(&token, "/order/arrangePay?mchtOrderNo=CP1").await.json();
    assert_eq!(r["data"], "订单进入支付队列成功");
    env.advance(30).await;
    assert_eq!(env.pz_get_ok(&token, "/order/queryOrder?mchtOrderNo=CP1").await["payStatus"], "PAY_SUCCEED");
    env.admin("/payzero/merchant", json!({"cardBalance": 1})).await;
    assert_eq!(
        env.pz_post(&token, "/order/createAndPay", &order("CP2", 2)).await.json()["errorCode"],
        "50056"
    );
}

#[tokio::test]
async fn quick_pay_signs_with_test_bank_999_and_confirms_by_sms() {
    let mut rx = Receiver::start().await;
    let env = Env::with(Config::default().with_payzero_notify_url(rx.url.clone())).await;
    let token = env.pz_login().await;
    let apply: Value = serde_json::from_str(AGREE_APPLY_EXAMPLE).unwrap();
    let a = env.pz_ok(&token, "/sdbc/agreeApply", &apply).await;
    assert_eq!(a["agreeid"], Value::Null);
    assert_eq!(a["psp"], "ALLINPAY");
    assert_eq!(a["message"], "请输入短信验证码");
    let mut other_bank = apply.clone();
    other_bank["bankcode"] = json!("0310");
    other_bank["requestId"] = json!("other");
    assert_eq!(env.pz_post(&token, "/sdbc/agreeApply", &other_bank).await.json()["errorCode"], "50080");

    let c = env
        .pz_ok(&token, "/sdbc/agreeConfirm", &json!({"requestId": "201905040012", "smsCode": "088407"}))
        .await;
    let agreeid = c["agreeid"].as_str().unwrap().to_owned();
    assert_eq!(c["message"], "协议支付-账户认证成功");

    let mut o = order("QP1", 3352);
    o["agreeid"] = json!(agreeid);
    o["needDeclare"] = json!(false);
    let p = env.pz_ok(&token, "/order/createAndQuickpay", &o).await;
    assert_eq!(p["payStatus"], "PAY_APPLIED");
    let confirm = |code: &str| json!({"mchtOrderNo": "QP1", "agreeid": agreeid, "smsCode": code});
    let wrong = env.pz_post(&token, "/order/confirmQuickpay", &confirm("000000")).await.json();
    assert_eq!(wrong["success"], false);
    let still = env.pz_post(&token, "/order/confirmQuickpay", &confirm("700336")).await.json();
    assert_eq!(still["errorMsg"], "请求异常", "a corrected code needs redoQuickpay first");
    let redo =
        env.pz_ok(&token, "/order/redoQuickpay", &json!({"mchtOrderNo": "QP1", "agreeid": agreeid})).await;
    assert_eq!(redo["payStatus"], "PAY_APPLIED");
    let done = env.pz_ok(&token, "/order/confirmQuickpay", &confirm("700336")).await;
    assert_eq!(done["payStatus"], "PAY_SUCCEED");
    assert!(rx.next().await["msgBody"].as_str().unwrap().contains("QP1"));

    // The SMS code expires after three minutes.
    let mut o2 = order("QP2", 100);
    o2["agreeid"] = json!(agreeid);
    env.pz_ok(&token, "/order/createAndQuickpay", &o2).await;
    env.advance(181).await;
    let late = env
        .pz_post(
            &token,
            "/order/confirmQuickpay",
            &json!({"mchtOrderNo": "QP2", "agreeid": agreeid, "smsCode": "123456"}),
        )
        .await;
    assert_eq!(late.json()["errorCode"], "50063");
}

/// Signs the spec's example application with another card number and answers the agreement.
async fn sign_card(env: &Env, token: &str, request_id: &str, acctno: &str) -> String {
    let mut apply: Value = serde_json::from_str(AGREE_APPLY_EXAMPLE).unwrap();
    apply["acctno"] = json!(acctno);
    apply["requestId"] = json!(request_id);
    env.pz_ok(token, "/sdbc/agreeApply", &apply).await;
    let c =
        env.pz_ok(token, "/sdbc/agreeConfirm", &json!({"requestId": request_id, "smsCode": "088407"})).await;
    c["agreeid"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn quick_pay_without_sms_for_the_test_cards_ending_0002_and_0003() {
    let mut rx = Receiver::start().await;
    let env = Env::with(Config::default().with_payzero_notify_url(rx.url.clone())).await;
    let token = env.pz_login().await;

    // …0002: paid at once, notified as any payment.
    let paid_card = sign_card(&env, &token, "NS1", "6217920151050002").await;
    let mut o = order("NS-PAID", 3352);
    o["agreeid"] = json!(paid_card);
    let p = env.pz_ok(&token, "/order/createAndQuickpay", &o).await;
    assert_eq!(p["payStatus"], "PAY_SUCCEED");
    let q = env.pz_get_ok(&token, "/order/queryOrder?mchtOrderNo=NS-PAID").await;
    assert_eq!(q["payStatus"], "PAY_SUCCEED");
    assert!(q["paymentOrderNo"].is_string() && !q["paymentDatetime"].is_null(), "{q}");
    let n = rx.next().await;
    assert_eq!(n["msgType"], "PAY_STATUS_NOTIFY");
    let body: Value = serde_json::from_str(n["msgBody"].as_str().unwrap()).unwrap();
    assert_eq!(
        (body["mchtOrderNo"].as_str(), body["payStatus"].as_str()),
        (Some("NS-PAID"), Some("PAY_SUCCEED"))
    );

    // …0003: PAY_SMS_CONFIRMED, then PAY_SUCCEED and the notification 30 s of sandbox time later.
    let confirmed_card = sign_card(&env, &token, "NS2", "6217920151050003").await;
    let mut o = order("NS-LATER", 100);
    o["agreeid"] = json!(confirmed_card);
    let p = env.pz_ok(&token, "/order/createAndQuickpay", &o).await;
    assert_eq!(p["payStatus"], "PAY_SMS_CONFIRMED");
    let q = env.pz_get_ok(&token, "/order/queryOrder?mchtOrderNo=NS-LATER").await;
    assert_eq!(q["payStatus"], "PAY_SMS_CONFIRMED");
    assert_eq!(env.admin_get("/notifications?subject=NS-LATER").await, json!([]), "none before it settles");
    env.advance(29).await;
    assert_eq!(
        env.pz_get_ok(&token, "/order/queryOrder?mchtOrderNo=NS-LATER").await["payStatus"],
        "PAY_SMS_CONFIRMED"
    );
    env.advance(1).await;
    assert_eq!(
        env.pz_get_ok(&token, "/order/queryOrder?mchtOrderNo=NS-LATER").await["payStatus"],
        "PAY_SUCCEED"
    );
    let n = rx.next().await;
    assert!(n["msgBody"].as_str().unwrap().contains("NS-LATER"));

    // Any other card: PAY_APPLIED and the SMS step, as before; redoQuickpay onto a …0002 card
    // pays the order at once.
    let sms_card = sign_card(&env, &token, "NS3", "6217920151050004").await;
    let mut o = order("NS-SMS", 100);
    o["agreeid"] = json!(sms_card);
    assert_eq!(env.pz_ok(&token, "/order/createAndQuickpay", &o).await["payStatus"], "PAY_APPLIED");
    let redo = env
        .pz_ok(&token, "/order/redoQuickpay", &json!({"mchtOrderNo": "NS-SMS", "agreeid": paid_card}))
        .await;
    assert_eq!(redo["payStatus"], "PAY_SUCCEED");
    assert!(rx.next().await["msgBody"].as_str().unwrap().contains("NS-SMS"));
}

#[tokio::test]
async fn mock_pay_real_person_declare_and_refunds() {
    let env = Env::start().await;
    let token = env.pz_login().await;
    let mut m = order("MP1", 4023);
    m["needDeclare"] = json!(true);
    m["customsCode"] = json!("HG022");
    m["payerName"] = json!("张三");
    m["payerNumber"] = json!("310113198010101234");
    m["payerPhone"] = json!("13800138000");
    let r = env.pz_ok(&token, "/order/createAndMockpay", &m).await;
    assert_eq!((r["psp"].as_str(), r["payStatus"].as_str()), (Some("LYCHEEPAY"), Some("PAY_SUCCEED")));
    assert_eq!(
        env.pz_ok(&token, "/order/redoMockpay", &json!({"mchtOrderNo": "MP1"})).await["payStatus"],
        "PAY_SUCCEED"
    );
    let failed = env
        .admin("/payzero/orders/MP1/declare", json!({"result": "DECLARE_FAILED", "reason": "实名认证不通过"}))
        .await;
    assert_eq!(failed.json()["declareStatus"], "DECLARE_FAILED");
    let d = env
        .pz_post(&token, "/order/declare", &json!({"mchtOrderNo": "MP1", "payerName": "李四"}))
        .await
        .json();
    assert_eq!(d["data"], "申报信息已提交");
    env.advance(60).await;
    assert_eq!(env.pz_get_ok(&token, "/order/queryOrder?mchtOrderNo=MP1").await["declareStatus"], "DECLARED");
    assert_eq!(
        env.pz_post(
            &token,
            "/order/refund",
            &json!({"mchtOrderNo": "MP1", "mchtRefundOrderNo": "X", "refundAmount": 1})
        )
        .await
        .json()["errorCode"],
        "50071"
    );

    let v = env.pz_get_ok(&token, "/realPerson/val?idno=110113198010101234&name=%E6%9D%8E%E7%99%BD").await;
    assert_eq!((v["result"].as_str(), v["name"].as_str()), (Some("PASS"), Some("李白")));
    for (idno, result) in
        [("2", "CANNOT_FIND_ID"), ("3", "NAME_INVALID"), ("4", "IDNO_INVALID"), ("5", "NOT_PASS")]
    {
        let v = env.pz_get_ok(&token, &format!("/realPerson/val?idno={idno}10113198010101234&name=x")).await;
        assert_eq!(v["result"], result);
    }

    env.pz_ok(&token, "/order/createAndQrCode", &{
        let mut q = order("RF1", 1225);
        q["qrCodeType"] = json!("ALIPAY");
        q
    })
    .await;
    env.admin("/payzero/orders/RF1/pay", json!({})).await;
    let refund = json!({"mchtOrderNo": "RF1", "mchtRefundOrderNo": "REFUND_S20190501", "refundAmount": 1225});
    assert_eq!(env.pz_ok(&token, "/order/refund", &refund).await["refundStatus"], "REFUND_REQUESTED");
    assert_eq!(env.pz_post(&token, "/order/refund", &refund).await.json()["errorCode"], "30002");
    env.advance(60).await;
    let s = env.pz_get_ok(&token, "/order/refund?mchtRefundOrderNo=REFUND_S20190501").await;
    assert_eq!(s["refundStatus"], "REFUND_SUCCEED");
    assert_eq!(s["refundAmount"], 1225);
}
