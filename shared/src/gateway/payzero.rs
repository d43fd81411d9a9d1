//! Payzero calls as data: the JWT login and its cache rule, QR orders (createAndQrCode, qrCode),
//! bank-card quick pay (agreeApply/agreeConfirm, createAndQuickpay/confirmQuickpay/redoQuickpay),
//! queryOrder, refunds (9.1/9.2), the sandbox's pay control, and the interpretation of every answer. The envelope is
//! `{success, errorCode, errorMsg, data}`; 401 and 403 mean "log in again".

use super::{Op, Outcome, PayState, PaymentFact, RefundFact, UpstreamRequest, Wallet, failed, join};
use crate::api::{CardSignupRequest, CardType, CustomsDeclaration};
use crate::flex::ObjectOrText;
use crate::json::decode;
use crate::payzero::{
    self as wire, AcctType, AgreeApplyRequest, AgreeConfirmRequest, AgreementResponse, BankCode,
    ConfirmQuickpayRequest, Envelope, LoginRequest, LoginResponse, OrderResult, PayStatus, QrCodeRequest,
    QrCodeResponse, QrCodeType, QueryOrderRequest, QuickpayResponse, RedoQuickpayRequest, RefundQueryRequest,
    RefundRequest, RefundResponse, RefundStatus,
};
use crate::sign::Secret;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Log in again this long before the token's `exp`, so no call races the expiry.
pub const TOKEN_REFRESH_MARGIN_SECS: u64 = 300;

pub fn qr_code_type(wallet: Wallet) -> QrCodeType {
    match wallet {
        Wallet::WechatPay => QrCodeType::Wechatpay,
        Wallet::Alipay => QrCodeType::Alipay,
        Wallet::Unionpay => QrCodeType::Unionpay,
    }
}

/// Where the edge's Payzero calls go and where Payzero's notifications come back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoints<'a> {
    pub api_url: &'a str,
    /// Our `POST /v1/notify/payzero`, absolute.
    pub notify_url: &'a str,
    /// The sandbox's `/__admin` (test mode).
    pub sandbox_admin_url: &'a str,
}

/// The request for a Payzero `op` with `token`; `None` for operations of other gateways.
pub fn build(op: &Op, endpoints: &Endpoints<'_>, token: &Secret) -> Option<UpstreamRequest> {
    let api = endpoints.api_url;
    let request = match op {
        Op::PayzeroCreateQr { order_no, amount, subject, wallet, declare, order_datetime, customs } => {
            let order = wire::Order::new(order_no.clone(), *amount, subject.clone())
                .with_qr_code_type(qr_code_type(*wallet))
                .with_notify_url(endpoints.notify_url);
            let order = declared(order, *declare, order_datetime.as_deref(), customs.as_deref())?;
            UpstreamRequest::post_json(join(api, "/order/createAndQrCode"), &order)
        }
        Op::PayzeroRefreshQr { order_no, wallet } => {
            let path = QrCodeRequest::new(order_no.as_str(), qr_code_type(*wallet)).path_and_query();
            UpstreamRequest::get(join(api, &path))
        }
        Op::PayzeroQuery { order_no } => {
            UpstreamRequest::get(join(api, &QueryOrderRequest::new(order_no.as_str()).path_and_query()))
        }
        // A call restored after an eviction has no form or code (they are never stored): it
        // cannot be built, and the session takes it for lost.
        Op::PayzeroAgreeApply { request_id, form } => {
            let apply = agree_apply_request(request_id, form.as_deref()?);
            UpstreamRequest::post_json(join(api, "/sdbc/agreeApply"), &apply)
        }
        Op::PayzeroAgreeConfirm { request_id, code } => {
            let confirm = AgreeConfirmRequest::new(request_id.as_str(), code.as_deref()?);
            UpstreamRequest::post_json(join(api, "/sdbc/agreeConfirm"), &confirm)
        }
        Op::PayzeroQuickpay { order_no, amount, subject, agreeid, declare, order_datetime, customs } => {
            let order = wire::Order::new(order_no.clone(), *amount, subject.clone())
                .with_agreeid(agreeid.as_str())
                .with_notify_url(endpoints.notify_url);
            let order = declared(order, *declare, order_datetime.as_deref(), customs.as_deref())?;
            UpstreamRequest::post_json(join(api, "/order/createAndQuickpay"), &order)
        }
        Op::PayzeroQuickpayConfirm { order_no, agreeid, code } => {
            let confirm = ConfirmQuickpayRequest::new(order_no.as_str(), agreeid.as_str(), code.as_deref()?);
            UpstreamRequest::post_json(join(api, "/order/confirmQuickpay"), &confirm)
        }
        Op::PayzeroQuickpayRedo { order_no, agreeid } => {
            let redo = RedoQuickpayRequest::new(order_no.as_str(), agreeid.as_str());
            UpstreamRequest::post_json(join(api, "/order/redoQuickpay"), &redo)
        }
        Op::PayzeroRefund { order_no, refund_no, amount, .. } => {
            let refund = RefundRequest::new(order_no.as_str(), refund_no.as_str(), *amount);
            UpstreamRequest::post_json(join(api, "/order/refund"), &refund)
        }
        Op::PayzeroRefundQuery { refund_no, .. } => {
            UpstreamRequest::get(join(api, &RefundQueryRequest::new(refund_no.as_str()).path_and_query()))
        }
        _ => return None,
    };
    Some(request.bearer(token))
}

/// When declared: `needDeclare: true`, `orderDatetime`, the customs fields and the payer. `None`
/// when the op should declare but lost its fields (restored after an eviction): it cannot be
/// sent. Not declared: `needDeclare` is left out, not `false` — 4.1/5.3 say an unset
/// `needDeclare` follows the merchant's onboarding, which an explicit `false` would override.
fn declared(
    order: wire::Order,
    declare: bool,
    order_datetime: Option<&str>,
    customs: Option<&CustomsDeclaration>,
) -> Option<wire::Order> {
    if !declare {
        return Some(order);
    }
    let c = customs?;
    let order = match order_datetime {
        Some(at) => order.with_order_datetime(at),
        None => order,
    };
    let mut order = order.with_need_declare(true).with_payer(
        c.payer_name.as_str(),
        c.payer_id_number.expose(),
        crate::card::digits_of(c.payer_phone.expose()),
    );
    order.customs_code = Some(c.customs_code.clone());
    order.customs_area_code = c.customs_area_code.clone();
    order.customs_jy_org = c.customs_jy_org.clone();
    order.customs_in_type = c.customs_in_type.clone();
    Some(order)
}

/// The agreeApply body of a checked sign-up form: card and phone digits only, CVV2 and expiry
/// only for credit cards.
fn agree_apply_request(request_id: &str, form: &CardSignupRequest) -> AgreeApplyRequest {
    let digits = |s: &str| crate::card::digits_of(s);
    let bank: BankCode =
        form.bank_code.trim().parse().unwrap_or_else(|_| BankCode::Unknown(form.bank_code.clone()));
    let apply = AgreeApplyRequest::debit(
        request_id,
        form.account_name.trim(),
        digits(form.card_number.expose()),
        bank,
        form.id_number.expose().trim().to_ascii_uppercase(),
        digits(form.mobile.expose()),
    );
    match (&form.card_type, &form.cvv2, &form.expiry) {
        (CardType::Credit, Some(cvv2), Some(expiry)) => {
            apply.with_credit_card(cvv2.expose().trim(), expiry.expose().trim())
        }
        _ => AgreeApplyRequest { accttype: AcctType::Debit, ..apply },
    }
}

/// The sandbox's "the shopper paid" control (test mode only).
pub fn sandbox_pay(admin_url: &str, gateway: &str, order_no: &str) -> UpstreamRequest {
    let path = format!("/{gateway}/orders/{}/pay", wire::percent_encode(order_no));
    UpstreamRequest::post_json(join(admin_url, &path), &serde_json::json!({}))
}

/// `POST /auth/login {username: AppId, password: AppKey}`.
pub fn login(api_url: &str, app_id: &Secret, app_key: &Secret) -> UpstreamRequest {
    let body = LoginRequest { username: app_id.expose().to_owned(), password: app_key.expose().to_owned() };
    UpstreamRequest::post_json(join(api_url, "/auth/login"), &body)
}

/// Reads an envelope whose `data` is an object of type `T`; anything else is the outcome to act on.
fn envelope<T: DeserializeOwned>(status: u16, body: &[u8]) -> Result<T, Outcome> {
    if status == 401 || status == 403 {
        return Err(Outcome::Unauthorized);
    }
    if !(200..300).contains(&status) {
        return Err(failed(format!("Payzero answered HTTP {status}")));
    }
    let envelope: Envelope<T> =
        decode(body).map_err(|e| failed(format!("Payzero's answer is not usable: {e}")))?;
    if !envelope.success {
        return Err(Outcome::Rejected {
            code: envelope.error_code.unwrap_or_default(),
            message: envelope.error_msg.unwrap_or_default(),
        });
    }
    match envelope.data {
        Some(ObjectOrText::Object(data)) => Ok(data),
        Some(ObjectOrText::Text(_)) => Err(failed("Payzero's data is text where an object belongs")),
        None => Err(failed("Payzero's data is missing")),
    }
}

fn or_outcome(result: Result<Outcome, Outcome>) -> Outcome {
    result.unwrap_or_else(|outcome| outcome)
}

/// createAndQrCode / qrCode.
pub fn interpret_qr(status: u16, body: &[u8]) -> Outcome {
    or_outcome(envelope::<QrCodeResponse>(status, body).map(|qr| Outcome::Qr {
        order_no: qr.mcht_order_no,
        content: qr.code_url,
        provider: Some(qr.psp.as_str().to_owned()),
    }))
}

/// agreeApply: the sign-up SMS code was sent.
pub fn interpret_agree_apply(status: u16, body: &[u8]) -> Outcome {
    or_outcome(envelope::<AgreementResponse>(status, body).map(|_| Outcome::CodeSent))
}

/// agreeConfirm: the card is signed, with the agreement to keep.
pub fn interpret_agree_confirm(status: u16, body: &[u8]) -> Outcome {
    or_outcome(envelope::<AgreementResponse>(status, body).map(|signed| match signed.agreeid {
        Some(agreeid) if !agreeid.is_empty() => Outcome::Signed { agreeid, bank_name: signed.bankname },
        _ => failed("agreeConfirm answered without an agreeid"),
    }))
}

/// createAndQuickpay, redoQuickpay for `order_no`. `PAY_APPLIED`: an SMS code was sent.
/// `PAY_SMS_CONFIRMED` and `PAY_SUCCEED` are both "in progress": a paid status is believed only
/// from queryOrder, which also gives the amount (§5.3: the status may not move to PAY_SUCCEED at
/// once anyway).
pub fn interpret_quickpay(status: u16, body: &[u8], order_no: &str) -> Outcome {
    or_outcome(envelope::<QuickpayResponse>(status, body).map(|answer| {
        if answer.mcht_order_no != order_no {
            return failed("Payzero answered for another order");
        }
        match answer.pay_status {
            PayStatus::PayApplied => Outcome::CodeSent,
            PayStatus::PayFailed => Outcome::Declined { reason: "PAY_FAILED".into() },
            _ => Outcome::InProgress { gateway_ref: None },
        }
    }))
}

/// confirmQuickpay (5.4) for `order_no`. Every accepted answer is "in progress", PAY_APPLIED
/// included (5.4's table gives it as the answer's status): queryOrder decides. PAY_FAILED is the
/// gateway's own "failed". A refusal is passed on as it came: the spec defines no code for a
/// wrong SMS code (5.4 only says a wrong code needs a new one by redoQuickpay), so the session
/// asks queryOrder what the refusal meant.
pub fn interpret_quickpay_confirm(status: u16, body: &[u8], order_no: &str) -> Outcome {
    or_outcome(envelope::<QuickpayResponse>(status, body).map(|answer| {
        if answer.mcht_order_no != order_no {
            return failed("Payzero answered for another order");
        }
        match answer.pay_status {
            PayStatus::PayFailed => Outcome::Declined { reason: "PAY_FAILED".into() },
            _ => Outcome::InProgress { gateway_ref: None },
        }
    }))
}

/// Refund (9.1) and refund query (9.2). Only the refund states of A.8 decide: REFUND_SUCCEED and
/// REFUND_FAILED end the refund, the others (and any new one) leave it pending. The spec defines
/// no error code for either call, so a refusal decides nothing either: a refund number Payzero has
/// already seen (9.1: it "cannot repeat"), a cash account too short, an unknown refund on a query
/// all come back as `Rejected` with the gateway's words, and the session asks the refund query
/// until a state settles it.
pub fn interpret_refund(status: u16, body: &[u8]) -> Outcome {
    let fact = match envelope::<RefundResponse>(status, body) {
        Ok(refund) => match refund.refund_status {
            RefundStatus::RefundSucceed => RefundFact::Succeeded { gateway_refund_no: None },
            RefundStatus::RefundFailed => RefundFact::Failed { code: "REFUND_FAILED".into() },
            // REFUND_INIT, REFUND_REQUESTED, and anything new: not final.
            _ => RefundFact::Pending { gateway_refund_no: None },
        },
        Err(other) => return other,
    };
    Outcome::Refund(fact)
}

/// queryOrder.
pub fn interpret_query(status: u16, body: &[u8]) -> Outcome {
    or_outcome(envelope::<OrderResult>(status, body).map(|order| Outcome::Payment(payment_fact(order))))
}

/// An order result (from queryOrder or a notification) in shared terms. PAY_FAILED is not final
/// for a QR order (a new code makes it payable again), so only the session decides what it means.
pub fn payment_fact(order: OrderResult) -> PaymentFact {
    let state = match order.pay_status {
        PayStatus::PaySucceed => PayState::Paid,
        PayStatus::PayFailed | PayStatus::PayCancelled => PayState::Closed,
        // Waiting for the shopper (a scan, an SMS code) or not started: not paid.
        PayStatus::NotPayed | PayStatus::PayApplied | PayStatus::InitFeePending => PayState::Pending,
        // PAY_SMS_CONFIRMED ("支付中间状态") and anything A.1 does not list: being decided.
        PayStatus::PaySmsConfirmed | PayStatus::Unknown(_) => PayState::Processing,
    };
    PaymentFact {
        order_no: order.mcht_order_no,
        amount: Some(order.payment_amount),
        state,
        gateway_ref: order.payment_order_no,
    }
}

// ---------------------------------------------------------------------------------------------
// The token

/// A Payzero token with its expiry, as the token cache keeps it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedToken {
    pub token: String,
    /// The JWT's `exp`, unix seconds.
    pub exp: u64,
}

impl fmt::Debug for CachedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CachedToken([REDACTED], exp {})", self.exp)
    }
}

impl CachedToken {
    /// Whether the token may still be used at `now` (unix seconds): not within
    /// `TOKEN_REFRESH_MARGIN_SECS` of its expiry.
    pub fn is_fresh(&self, now: u64) -> bool {
        now.saturating_add(TOKEN_REFRESH_MARGIN_SECS) < self.exp
    }

    pub fn secret(&self) -> Secret {
        Secret::new(self.token.clone())
    }
}

/// What the token cache does when asked for a token at `now`, given what it holds and the token
/// a caller saw refused (if any).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenPlan {
    Use(CachedToken),
    LogIn,
}

pub fn plan_token(cached: Option<&CachedToken>, refused: Option<&str>, now: u64) -> TokenPlan {
    match cached {
        // A refused token is dropped even before its `exp`; another caller may already have
        // replaced it, in which case the newer one is still good.
        Some(t)
            if t.is_fresh(now)
                && !refused.is_some_and(|r| crate::sign::bytes_eq(r.as_bytes(), t.token.as_bytes())) =>
        {
            TokenPlan::Use(t.clone())
        }
        _ => TokenPlan::LogIn,
    }
}

/// Why a login gave no token.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    /// The AppId/AppKey were refused: a configuration problem, never retried in a loop.
    #[error("Payzero refused the AppId/AppKey")]
    Refused,
    #[error("Payzero login failed: {0}")]
    Failed(String),
}

/// Reads the login answer at `now`: the token and the `exp` of its JWT claims.
pub fn interpret_login(status: u16, body: &[u8], now: u64) -> Result<CachedToken, LoginError> {
    let login: LoginResponse = envelope(status, body).map_err(|outcome| match outcome {
        Outcome::Unauthorized | Outcome::Rejected { .. } => LoginError::Refused,
        Outcome::Failed { reason } => LoginError::Failed(reason),
        other => LoginError::Failed(format!("{other:?}")),
    })?;
    let claims = crate::jwt::read_claims_unverified(&login.token)
        .map_err(|e| LoginError::Failed(format!("login token: {e}")))?;
    if claims.exp <= now {
        return Err(LoginError::Failed("the login token is already expired".into()));
    }
    Ok(CachedToken { token: login.token, exp: claims.exp })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Fen;

    const NOW: u64 = 1_700_000_000;

    fn endpoints() -> Endpoints<'static> {
        Endpoints {
            api_url: "http://pz/payzero/",
            notify_url: "https://edge/v1/notify/payzero",
            sandbox_admin_url: "http://sb/__admin",
        }
    }

    #[test]
    fn requests_carry_the_order_and_never_print_credentials() {
        let token = Secret::new("jwt-token");
        let op = Op::PayzeroCreateQr {
            order_no: "sess_x_0".into(),
            amount: Fen(1234),
            subject: "Tea".into(),
            wallet: Wallet::Alipay,
            declare: false,
            order_datetime: None,
            customs: None,
        };
        let create = build(&op, &endpoints(), &token).unwrap();
        assert_eq!(create.url, "http://pz/payzero/order/createAndQrCode");
        let body: serde_json::Value = serde_json::from_slice(create.body.as_deref().unwrap()).unwrap();
        assert_eq!(body["mchtOrderNo"], "sess_x_0");
        assert_eq!(body["paymentAmount"], 1234);
        assert_eq!(body["currency"], "CNY");
        assert!(body.get("needDeclare").is_none(), "not declared: needDeclare is left out");
        assert!(body.get("orderDatetime").is_none());
        assert_eq!(body["qrCodeType"], "ALIPAY");
        assert_eq!(body["notifyUrl"], "https://edge/v1/notify/payzero");
        assert!(create.headers.contains(&("Authorization".into(), "Bearer jwt-token".into())));
        assert!(!format!("{create:?}").contains("jwt-token"));

        // Declared: the customs fields and the payer go with the order; restored without them
        // (after an eviction), the call cannot be built.
        let customs = crate::api::CustomsDeclaration {
            customs_code: "HG022".into(),
            customs_area_code: None,
            customs_jy_org: None,
            customs_in_type: None,
            payer_name: "李白".into(),
            payer_id_number: "310113198010101232".into(),
            payer_phone: "138 0013 8000".into(),
        };
        let Op::PayzeroCreateQr { order_no, amount, subject, wallet, .. } = op else { unreachable!() };
        let declared = Op::PayzeroCreateQr {
            order_no,
            amount,
            subject,
            wallet,
            declare: true,
            order_datetime: Some("2023-11-15 06:13:20".into()),
            customs: Some(Box::new(customs)),
        };
        let body = build(&declared, &endpoints(), &token).unwrap().body.unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["needDeclare"], true);
        assert_eq!(body["orderDatetime"], "2023-11-15 06:13:20");
        assert_eq!(body["customsCode"], "HG022");
        assert_eq!(body["payerNumber"], "310113198010101232");
        assert_eq!(body["payerPhone"], "13800138000");
        let restored: Op = serde_json::from_value(serde_json::to_value(&declared).unwrap()).unwrap();
        assert!(
            !serde_json::to_string(&declared).unwrap().contains("310113198010101232"),
            "stored with the ID"
        );
        assert!(build(&restored, &endpoints(), &token).is_none());

        let refresh = Op::PayzeroRefreshQr { order_no: "A".into(), wallet: Wallet::Unionpay };
        let refresh = build(&refresh, &endpoints(), &token).unwrap();
        assert_eq!(refresh.url, "http://pz/payzero/order/qrCode?mchtOrderNo=A&qrCodeType=UNIONPAY");
        let query = build(&Op::PayzeroQuery { order_no: "A".into() }, &endpoints(), &token).unwrap();
        assert_eq!(query.url, "http://pz/payzero/order/queryOrder?mchtOrderNo=A");
        assert_eq!(query.method, super::super::HttpMethod::Get);
        assert!(build(&Op::EzrQuery { order_no: "A".into() }, &endpoints(), &token).is_none());

        let login = login("http://pz", &Secret::new("app"), &Secret::new("app-key"));
        assert_eq!(login.url, "http://pz/auth/login");
        assert!(!format!("{login:?}").contains("app-key"));
        let pay = sandbox_pay("http://sb/__admin", "payzero", "sess_x_0");
        assert_eq!(pay.url, "http://sb/__admin/payzero/orders/sess_x_0/pay");
    }

    #[test]
    fn answers_are_interpreted() {
        let ok = br#"{"success":true,"errorMsg":null,"errorCode":null,"data":{"mchtOrderNo":"A","psp":"EASYPAY","codeUrl":"weixin://x","qrCodeType":"WECHATPAY"}}"#;
        assert_eq!(
            interpret_qr(200, ok),
            Outcome::Qr {
                order_no: "A".into(),
                content: "weixin://x".into(),
                provider: Some("EASYPAY".into())
            }
        );
        assert_eq!(interpret_qr(401, b""), Outcome::Unauthorized);
        assert_eq!(interpret_qr(403, b""), Outcome::Unauthorized);
        assert!(matches!(interpret_qr(500, b""), Outcome::Failed { .. }));
        let refused = br#"{"success":false,"errorMsg":"bad","errorCode":"30002","data":null}"#;
        assert!(matches!(interpret_qr(200, refused), Outcome::Rejected { code, .. } if code == "30002"));
        let text = br#"{"success":true,"errorMsg":null,"errorCode":null,"data":"ok"}"#;
        assert!(matches!(interpret_qr(200, text), Outcome::Failed { .. }));
        assert!(matches!(interpret_qr(200, b"<html>"), Outcome::Failed { .. }));

        let paid = br#"{"success":true,"errorMsg":null,"errorCode":null,"data":{"mchtOrderNo":"A","paymentAmount":5,"payStatus":"PAY_SUCCEED","paymentOrderNo":"P1"}}"#;
        assert_eq!(
            interpret_query(200, paid),
            Outcome::Payment(PaymentFact {
                order_no: "A".into(),
                amount: Some(Fen(5)),
                state: PayState::Paid,
                gateway_ref: Some("P1".into())
            })
        );
        let odd = br#"{"success":true,"errorMsg":null,"errorCode":null,"data":{"mchtOrderNo":"A","paymentAmount":5,"payStatus":"SOMETHING_NEW"}}"#;
        assert!(matches!(
            interpret_query(200, odd),
            Outcome::Payment(PaymentFact { state: PayState::Processing, .. })
        ));
    }

    #[test]
    fn the_token_is_reused_until_near_expiry_or_refused() {
        let claims = crate::jwt::Claims { sub: "app".into(), roles: vec![], iat: NOW, exp: NOW + 4 * 3600 };
        let token = crate::jwt::issue_hs256(&claims, b"k");
        let body = serde_json::json!({"success": true, "errorMsg": null, "errorCode": null, "data": {"username": "app", "token": token}});
        let cached = interpret_login(200, body.to_string().as_bytes(), NOW).unwrap();
        assert_eq!(cached.exp, NOW + 4 * 3600);
        assert!(!format!("{cached:?}").contains(&token));
        assert_eq!(plan_token(Some(&cached), None, NOW), TokenPlan::Use(cached.clone()));
        assert_eq!(plan_token(Some(&cached), Some(&token), NOW), TokenPlan::LogIn);
        assert_eq!(plan_token(Some(&cached), Some("an older token"), NOW), TokenPlan::Use(cached.clone()));
        assert_eq!(plan_token(Some(&cached), None, cached.exp - TOKEN_REFRESH_MARGIN_SECS), TokenPlan::LogIn);
        assert_eq!(plan_token(None, None, NOW), TokenPlan::LogIn);
        // An expired token at login, refused credentials and garbage are errors, not tokens.
        assert!(matches!(
            interpret_login(200, body.to_string().as_bytes(), NOW + 5 * 3600),
            Err(LoginError::Failed(_))
        ));
        let refused = br#"{"success":false,"errorMsg":"bad","errorCode":"40001","data":null}"#;
        assert_eq!(interpret_login(401, refused, NOW), Err(LoginError::Refused));
        assert!(matches!(interpret_login(200, b"nope", NOW), Err(LoginError::Failed(_))));
    }
}
