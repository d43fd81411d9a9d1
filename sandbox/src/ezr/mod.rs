//! EZR pay as its spec describes it: B-scan-C pay whose payer code decides the outcome (order
//! states USERPAYING / SUCCESS / PAYERROR / NOTPAY), query with refunds, cancel, refund apply
//! (PROCESSING until approved in the back office) and refund (SUCCESS at once). Plain data over
//! `now_ms`; `routes` checks the SHA-1 signature and wraps answers in the envelope.

pub(crate) mod routes;
pub(crate) mod wire;

use crate::money::{Fen, sum_fen};
use crate::payzero::AdminError;
use crate::{ids, timefmt};
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use wire::{
    CancelRequest, CancelResult, OrderState, PayRequest, PayResult, PayType, QueryRequest, QueryResult,
    RefundApplyRequest, RefundApplyResult, RefundInfo, RefundRequest, RefundResult, RefundState, ReverseDesc,
    ReverseState, Yuan,
};

/// A failure, answered with `Success: false` and its `BusinessCode` (500 business, 4001 params).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EzrError {
    pub(crate) code: u32,
    pub(crate) msg: String,
}

impl EzrError {
    pub(crate) fn params(msg: impl Into<String>) -> Self {
        EzrError { code: wire::INVALID_PARAMETER, msg: msg.into() }
    }

    pub(crate) fn business(msg: impl Into<String>) -> Self {
        EzrError { code: wire::BUSINESS_ERROR, msg: msg.into() }
    }
}

/// What a payer code makes a payment do (the sandbox's rules, by its last four digits; the same
/// table as Shouqianba's barcodes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CodeOutcome {
    Success,
    UserPaying,
    PayError(&'static str, &'static str),
    NotPay,
    SystemError,
}

pub(crate) fn code_outcome(auth_code: &str) -> CodeOutcome {
    match auth_code.get(auth_code.len().saturating_sub(4)..).unwrap_or("") {
        "1001" => CodeOutcome::UserPaying,
        "2001" => CodeOutcome::PayError("AUTHCODEEXPIRE", "二维码已过期，请用户在微信上刷新后再试"),
        "2002" => CodeOutcome::PayError("NOTENOUGH", "用户余额不足"),
        "2009" => CodeOutcome::PayError("AUTH_CODE_INVALID", "付款码无效"),
        t if t.starts_with('2') => CodeOutcome::PayError("TRADE_ERROR", "交易错误"),
        "3001" => CodeOutcome::NotPay,
        "5001" => CodeOutcome::SystemError,
        _ => CodeOutcome::Success,
    }
}

/// The refund state the sandbox gives an application rejected in the EZR back office. The spec
/// lists only SUCCESS and PROCESSING; what a rejection reads as is the sandbox's invention.
pub(crate) const REJECTED_STATE: &str = "FAIL";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct EzrRefund {
    pub(crate) refund_no: String,
    pub(crate) out_refund_no: Option<String>,
    pub(crate) amount: Fen,
    pub(crate) state: RefundState,
    pub(crate) created_ms: u64,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct EzrOrder {
    pub(crate) trade_no: String,
    pub(crate) out_trade_no: String,
    pub(crate) pay_type: PayType,
    pub(crate) total: Fen,
    pub(crate) state: OrderState,
    pub(crate) channel_trade_no: Option<String>,
    pub(crate) payer_id: Option<String>,
    pub(crate) terminal_id: Option<String>,
    pub(crate) user_code: Option<String>,
    pub(crate) error: Option<(String, String)>,
    pub(crate) created_ms: u64,
    pub(crate) finish_ms: Option<u64>,
    /// Set once cancelled: how (`refund` of a paid order, `close` of an unpaid one).
    pub(crate) reversed: Option<ReverseDesc>,
    pub(crate) refunds: Vec<EzrRefund>,
}

impl EzrOrder {
    /// Refunds that hold money back (PROCESSING or SUCCESS; not a rejected application).
    fn refunded(&self) -> Fen {
        sum_fen(
            self.refunds
                .iter()
                .filter(|r| matches!(r.state, RefundState::Processing | RefundState::Success))
                .map(|r| r.amount),
        )
    }

    fn pay_result(&self) -> PayResult {
        // The spec's pay example writes amounts as yuan decimals (0.01); so does the sandbox.
        let yuan = Yuan(self.total);
        PayResult {
            pay_type: self.pay_type.number(),
            payer_id: self.payer_id.clone(),
            payer_logon_id: (self.pay_type == PayType::Alipay && self.payer_id.is_some())
                .then(|| "159****5620".into()),
            terminal_id: self.terminal_id.clone(),
            user_code: self.user_code.clone(),
            voucher_detail_list: None,
            trade_no: Some(self.trade_no.clone()),
            out_trade_no: self.out_trade_no.clone(),
            channel_trade_no: self.channel_trade_no.clone(),
            total_amount: yuan,
            total_merchant_contribute: Some(Fen::ZERO),
            total_other_contribute: Some(Fen::ZERO),
            income_amount: Some(yuan),
            finish_time: self.finish_ms.map(timefmt::dashed),
            channel_finish_time: self.finish_ms.map(timefmt::dashed),
            order_state: self.state.clone(),
            error_code: self.error.as_ref().map(|e| e.0.clone()),
            error_code_desc: self.error.as_ref().map(|e| e.1.clone()),
        }
    }

    fn query_result(&self, only: Option<&[&str]>) -> QueryResult {
        let refunds: Vec<RefundInfo> = self
            .refunds
            .iter()
            .filter(|r| only.is_none_or(|nos| nos.contains(&r.refund_no.as_str())))
            .map(|r| RefundInfo {
                refund_no: r.refund_no.clone(),
                refund_amount: r.amount,
                refund_state: r.state.clone(),
                create_time: Some(timefmt::dashed(r.created_ms)),
            })
            .collect();
        let paid = self.state == OrderState::Success || self.reversed == Some(ReverseDesc::Refund);
        let refunded_ok =
            sum_fen(self.refunds.iter().filter(|r| r.state == RefundState::Success).map(|r| r.amount));
        QueryResult {
            trade_no: Some(self.trade_no.clone()),
            out_trade_no: Some(self.out_trade_no.clone()),
            channel_trade_no: self.channel_trade_no.clone(),
            user_code: self.user_code.clone(),
            total_amount: self.total,
            pay_amount: paid.then_some(self.total),
            refund_amount: Some(refunded_ok),
            order_state: self.state.clone(),
            pay_type: self.pay_type.number(),
            pay_time: if paid { self.finish_ms.map(timefmt::dashed) } else { None },
            terminal_id: self.terminal_id.clone(),
            payer_id: self.payer_id.clone(),
            voucher_detail_list: None,
            refund_info_list: Some(refunds),
        }
    }

    fn mark_paid(&mut self, now_ms: u64, rng: &mut impl Rng) {
        self.state = OrderState::Success;
        self.channel_trade_no = Some(format!("42000{}", ids::digits(rng, 23)));
        self.payer_id = Some(match self.pay_type {
            PayType::Alipay => format!("2088{}", ids::digits(rng, 12)),
            _ => format!("oV5m{}", ids::alnum(rng, 24)),
        });
        self.finish_ms = Some(now_ms);
        self.error = None;
    }
}

/// The wallet a payer code belongs to: WeChat codes start 10–15, Alipay codes 25–30.
fn pay_type_of_code(code: &str) -> Option<PayType> {
    match code.get(..2).and_then(|p| p.parse::<u8>().ok())? {
        10..=15 => Some(PayType::Wechat),
        25..=30 => Some(PayType::Alipay),
        _ => None,
    }
}

fn required(field: &str, value: &str) -> Result<(), EzrError> {
    if value.trim().is_empty() { Err(EzrError::params(format!("参数{field}不能为空"))) } else { Ok(()) }
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Ezr {
    pub(crate) orders: BTreeMap<String, EzrOrder>,
    /// `OutTradeNo` → `TradeNo`.
    pub(crate) by_out_trade_no: BTreeMap<String, String>,
}

impl Ezr {
    /// Keeps the newest `max` orders (by creation), so a long-running sandbox stays bounded.
    pub(crate) fn bound(&mut self, max: usize) {
        if self.orders.len() <= max {
            return;
        }
        let mut by_age: Vec<(u64, String)> =
            self.orders.values().map(|o| (o.created_ms, o.trade_no.clone())).collect();
        by_age.sort();
        for (_, trade_no) in by_age.into_iter().take(self.orders.len() - max) {
            if let Some(o) = self.orders.remove(&trade_no) {
                self.by_out_trade_no.remove(&o.out_trade_no);
            }
        }
    }

    /// 1. `POST /upay/pay`.
    pub(crate) fn pay(
        &mut self,
        req: PayRequest,
        user_code: Option<String>,
        now_ms: u64,
        rng: &mut impl Rng,
    ) -> Result<PayResult, EzrError> {
        required("AuthCode", &req.auth_code)?;
        required("OutTradeNo", &req.out_trade_no)?;
        required("Body", &req.body)?;
        required("SpbillCreateIp", &req.spbill_create_ip)?;
        if req.total_amount == Fen::ZERO {
            return Err(EzrError::params("参数TotalAmount必须大于0"));
        }
        if req.discount_amount.is_some_and(|d| d > req.total_amount) {
            return Err(EzrError::params("参数DiscountAmount不能大于TotalAmount"));
        }
        let goods = req.goods_detail.iter().flatten();
        let goods = goods.map(|g| (g.goods_id.as_str(), g.goods_name.as_str(), Some(g.quantity.as_str())));
        if let Some(field) = wire::goods_fault("GoodsDetail", goods) {
            return Err(EzrError::params(format!("参数{field}格式错误")));
        }
        if !req.auth_code.bytes().all(|b| b.is_ascii_digit()) || !(16..=24).contains(&req.auth_code.len()) {
            return Err(EzrError::business("付款码无效"));
        }
        let pay_type = match (&req.pay_type, pay_type_of_code(&req.auth_code)) {
            (Some(t @ (PayType::Wechat | PayType::Alipay)), _) => t.clone(),
            (None, Some(t)) => t,
            _ => return Err(EzrError::business("不支持的支付方式")),
        };
        let outcome = code_outcome(&req.auth_code);
        if outcome == CodeOutcome::SystemError {
            return Err(EzrError::business("系统繁忙，请稍后再试"));
        }
        if self.by_out_trade_no.contains_key(&req.out_trade_no) {
            return Err(EzrError::business("商户订单号重复"));
        }
        let prefix = if pay_type == PayType::Alipay { "AP01" } else { "WP01" };
        let mut order = EzrOrder {
            trade_no: format!("{prefix}{}", ids::digits(rng, 18)),
            out_trade_no: req.out_trade_no.clone(),
            pay_type,
            total: req.total_amount,
            state: OrderState::Userpaying,
            channel_trade_no: None,
            payer_id: None,
            terminal_id: req.terminal_id.clone(),
            user_code,
            error: None,
            created_ms: now_ms,
            finish_ms: None,
            reversed: None,
            refunds: Vec::new(),
        };
        match outcome {
            CodeOutcome::Success => order.mark_paid(now_ms, rng),
            CodeOutcome::UserPaying => {}
            CodeOutcome::PayError(code, desc) => {
                order.state = OrderState::Payerror;
                order.error = Some((code.to_owned(), desc.to_owned()));
                order.finish_ms = Some(now_ms);
            }
            CodeOutcome::NotPay | CodeOutcome::SystemError => order.state = OrderState::Notpay,
        }
        let result = order.pay_result();
        self.by_out_trade_no.insert(order.out_trade_no.clone(), order.trade_no.clone());
        self.orders.insert(order.trade_no.clone(), order);
        Ok(result)
    }

    fn find(&self, trade_no: Option<&str>, out_trade_no: Option<&str>) -> Result<&EzrOrder, EzrError> {
        let trade_no = trade_no.filter(|t| !t.is_empty());
        let out = out_trade_no.filter(|t| !t.is_empty());
        if trade_no.is_none() && out.is_none() {
            return Err(EzrError::params("参数TradeNo与OutTradeNo不能同时为空"));
        }
        let by_trade = trade_no.and_then(|t| self.orders.get(t));
        by_trade
            .or_else(|| out.and_then(|o| self.by_out_trade_no.get(o)).and_then(|t| self.orders.get(t)))
            .ok_or_else(|| EzrError::business("订单不存在"))
    }

    fn find_mut(&mut self, trade_no: &str) -> Result<&mut EzrOrder, EzrError> {
        required("TradeNo", trade_no)?;
        self.orders.get_mut(trade_no).ok_or_else(|| EzrError::business("订单不存在"))
    }

    /// 2. `POST /upay/query`, with the refunds (all, or those named in `RefundNo`).
    pub(crate) fn query(&self, req: &QueryRequest) -> Result<QueryResult, EzrError> {
        let order = self.find(req.trade_no.as_deref(), req.out_trade_no.as_deref())?;
        let only: Option<Vec<&str>> =
            req.refund_no.as_deref().filter(|r| !r.is_empty()).map(|r| r.split(',').map(str::trim).collect());
        Ok(order.query_result(only.as_deref()))
    }

    /// 3. `POST /upay/cancel`: closes an unpaid order, or reverses (refunds) a paid one.
    pub(crate) fn cancel(&mut self, req: &CancelRequest, now_ms: u64) -> Result<CancelResult, EzrError> {
        let o = self.find_mut(&req.trade_no)?;
        if o.reversed.is_none() {
            if !o.refunds.is_empty() {
                return Err(EzrError::business("订单已发生退款，无法撤销"));
            }
            o.reversed =
                Some(if o.state == OrderState::Success { ReverseDesc::Refund } else { ReverseDesc::Close });
            // The payment does not stand any more.
            o.state = OrderState::Payerror;
            o.finish_ms = Some(now_ms);
        }
        Ok(CancelResult {
            trade_no: Some(o.trade_no.clone()),
            out_trade_no: Some(o.out_trade_no.clone()),
            re_call: Some("N".into()),
            reverse_state: ReverseState::Success,
            reverse_desc: o.reversed.clone(),
            error_code: None,
            error_code_desc: None,
            finish_time: o.finish_ms.map(timefmt::dashed),
        })
    }

    fn check_refundable(o: &EzrOrder, amount: Fen) -> Result<(), EzrError> {
        if amount == Fen::ZERO {
            return Err(EzrError::params("参数RefundAmount必须大于0"));
        }
        if o.state != OrderState::Success {
            return Err(EzrError::business("订单未支付成功，无法退款"));
        }
        if o.refunded().checked_add(amount).is_none_or(|t| t > o.total) {
            return Err(EzrError::business("退款金额超过可退金额"));
        }
        Ok(())
    }

    /// 4. `POST /upay/refund/apply`: PROCESSING until confirmed in the EZR back office.
    pub(crate) fn refund_apply(
        &mut self,
        req: RefundApplyRequest,
        now_ms: u64,
        rng: &mut impl Rng,
    ) -> Result<RefundApplyResult, EzrError> {
        if let Some(field) = wire::RefundGoods::fault(&req.refund_goods_info_list) {
            return Err(EzrError::params(format!("参数{field}格式错误")));
        }
        let o = self.find_mut(&req.trade_no)?;
        Self::check_refundable(o, req.refund_amount)?;
        let refund_no = format!("APR01{}", ids::digits(rng, 17));
        o.refunds.push(EzrRefund {
            refund_no: refund_no.clone(),
            out_refund_no: None,
            amount: req.refund_amount,
            state: RefundState::Processing,
            created_ms: now_ms,
        });
        Ok(RefundApplyResult {
            trade_no: o.trade_no.clone(),
            out_trade_no: Some(o.out_trade_no.clone()),
            channel_trade_no: o.channel_trade_no.clone(),
            refund_no,
            finish_time: Some(timefmt::dashed(now_ms)),
            refund_state: RefundState::Processing,
        })
    }

    /// 5. `POST /upay/refund`: SUCCESS at once; the same `OutRefundNo` answers the same refund.
    pub(crate) fn refund(
        &mut self,
        req: RefundRequest,
        now_ms: u64,
        rng: &mut impl Rng,
    ) -> Result<RefundResult, EzrError> {
        required("OutRefundNo", &req.out_refund_no)?;
        required("RefundReason", &req.refund_reason)?;
        required("TerminalId", &req.terminal_id)?;
        if let Some(field) = wire::RefundGoods::fault(&req.refund_goods_info_list) {
            return Err(EzrError::params(format!("参数{field}格式错误")));
        }
        let o = self.find_mut(&req.trade_no)?;
        let existing =
            o.refunds.iter().find(|r| r.out_refund_no.as_deref() == Some(req.out_refund_no.as_str()));
        let refund = match existing {
            Some(r) if r.amount == req.refund_amount => r.clone(),
            Some(_) => return Err(EzrError::business("商户退款单号重复")),
            None => {
                Self::check_refundable(o, req.refund_amount)?;
                let r = EzrRefund {
                    refund_no: format!("APR01{}", ids::digits(rng, 17)),
                    out_refund_no: Some(req.out_refund_no.clone()),
                    amount: req.refund_amount,
                    state: RefundState::Success,
                    created_ms: now_ms,
                };
                o.refunds.push(r.clone());
                r
            }
        };
        Ok(RefundResult {
            trade_no: o.trade_no.clone(),
            out_trade_no: Some(o.out_trade_no.clone()),
            channel_trade_no: o.channel_trade_no.clone(),
            refund_no: refund.refund_no.clone(),
            out_refund_no: refund.out_refund_no.clone(),
            channel_refund_no: Some(format!("50{}", refund.refund_no.trim_start_matches("APR01"))),
            refund_amount: refund.amount,
            merchant_disct_amt: Some(Fen::ZERO),
            channel_disct_amt: Some(Fen::ZERO),
            payer_id: o.payer_id.clone(),
            payer_logon_id: None,
            finish_time: Some(timefmt::dashed(refund.created_ms)),
            channel_finish_time: Some(timefmt::dashed(refund.created_ms)),
            refund_state: RefundState::Success,
        })
    }

    // -----------------------------------------------------------------------------------------
    // Test controls

    fn admin_order(&mut self, id: &str) -> Result<&mut EzrOrder, AdminError> {
        let trade_no = if self.orders.contains_key(id) {
            Some(id.to_owned())
        } else {
            self.by_out_trade_no.get(id).cloned()
        };
        trade_no.and_then(|t| self.orders.get_mut(&t)).ok_or_else(|| AdminError::NotFound(id.to_owned()))
    }

    /// The payer enters the password: USERPAYING or NOTPAY → SUCCESS.
    pub(crate) fn shopper_pay(
        &mut self,
        id: &str,
        now_ms: u64,
        rng: &mut impl Rng,
    ) -> Result<QueryResult, AdminError> {
        let o = self.admin_order(id)?;
        if !matches!(o.state, OrderState::Userpaying | OrderState::Notpay) || o.reversed.is_some() {
            return Err(AdminError::Conflict(format!("order {id} is {}", o.state)));
        }
        o.mark_paid(now_ms, rng);
        Ok(o.query_result(None))
    }

    /// The payment fails: USERPAYING or NOTPAY → PAYERROR.
    pub(crate) fn shopper_fail(&mut self, id: &str, now_ms: u64) -> Result<QueryResult, AdminError> {
        let o = self.admin_order(id)?;
        if !matches!(o.state, OrderState::Userpaying | OrderState::Notpay) || o.reversed.is_some() {
            return Err(AdminError::Conflict(format!("order {id} is {}", o.state)));
        }
        o.state = OrderState::Payerror;
        o.error = Some(("USERPAYING_CANCEL".into(), "用户取消支付".into()));
        o.finish_ms = Some(now_ms);
        Ok(o.query_result(None))
    }

    /// The merchant rejects an applied refund in the back office: PROCESSING → `state` (by
    /// default `FAIL`, the sandbox's invention); the amount can be refunded again.
    pub(crate) fn reject_refund(&mut self, refund_no: &str, state: &str) -> Result<QueryResult, AdminError> {
        let o = self
            .orders
            .values_mut()
            .find(|o| o.refunds.iter().any(|r| r.refund_no == refund_no))
            .ok_or_else(|| AdminError::NotFound(refund_no.to_owned()))?;
        let r = o
            .refunds
            .iter_mut()
            .find(|r| r.refund_no == refund_no)
            .ok_or_else(|| AdminError::NotFound(refund_no.to_owned()))?;
        if r.state != RefundState::Processing {
            return Err(AdminError::Conflict(format!("refund {refund_no} is {}", r.state)));
        }
        let new_state: RefundState = match state.parse() {
            Ok(s) => s,
            Err(never) => match never {},
        };
        if matches!(new_state, RefundState::Processing | RefundState::Success) || state.trim().is_empty() {
            return Err(AdminError::Conflict(format!("a rejection cannot read {state:?}")));
        }
        r.state = new_state;
        Ok(o.query_result(None))
    }

    /// The merchant confirms an applied refund in the back office: PROCESSING → SUCCESS.
    pub(crate) fn approve_refund(&mut self, refund_no: &str) -> Result<QueryResult, AdminError> {
        let o = self
            .orders
            .values_mut()
            .find(|o| o.refunds.iter().any(|r| r.refund_no == refund_no))
            .ok_or_else(|| AdminError::NotFound(refund_no.to_owned()))?;
        let r = o
            .refunds
            .iter_mut()
            .find(|r| r.refund_no == refund_no)
            .ok_or_else(|| AdminError::NotFound(refund_no.to_owned()))?;
        if r.state != RefundState::Processing {
            return Err(AdminError::Conflict(format!("refund {refund_no} is {}", r.state)));
        }
        r.state = RefundState::Success;
        Ok(o.query_result(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    #[test]
    fn payer_codes_pick_outcomes_and_wallets() {
        assert_eq!(code_outcome("130115575166786427"), CodeOutcome::Success);
        assert_eq!(code_outcome("130115575166781001"), CodeOutcome::UserPaying);
        assert_eq!(code_outcome("130115575166782002"), CodeOutcome::PayError("NOTENOUGH", "用户余额不足"));
        assert_eq!(code_outcome("130115575166782005"), CodeOutcome::PayError("TRADE_ERROR", "交易错误"));
        assert_eq!(code_outcome("130115575166783001"), CodeOutcome::NotPay);
        assert_eq!(pay_type_of_code("280115575166786427"), Some(PayType::Alipay));
    }

    #[test]
    fn applied_refunds_hold_the_amount_until_approved() {
        let mut rng = StdRng::seed_from_u64(5);
        let mut ezr = Ezr::default();
        let pay = PayRequest {
            auth_code: "130115575166786427".into(),
            out_trade_no: "O1".into(),
            body: "b".into(),
            total_amount: Fen(100),
            spbill_create_ip: "127.0.0.1".into(),
            pay_type: None,
            terminal_id: None,
            goods_detail: None,
            discount_amount: None,
        };
        let trade_no = ezr.pay(pay, None, 0, &mut rng).unwrap().trade_no.unwrap();
        let apply = |amount: u64| RefundApplyRequest {
            trade_no: trade_no.clone(),
            refund_amount: Fen(amount),
            refund_goods_info_list: vec![],
        };
        let applied = ezr.refund_apply(apply(60), 0, &mut rng).unwrap();
        assert_eq!(applied.refund_state, RefundState::Processing);
        let more = ezr.refund_apply(apply(41), 0, &mut rng);
        assert_eq!(more.unwrap_err().code, wire::BUSINESS_ERROR);
        let by_trade_no =
            QueryRequest { trade_no: Some(trade_no.clone()), out_trade_no: None, refund_no: None };
        let q = ezr.query(&by_trade_no).unwrap();
        assert_eq!(q.refund_amount, Some(Fen(0)), "not yet refunded");
        let q = ezr.approve_refund(&applied.refund_no).unwrap();
        assert_eq!(q.refund_amount, Some(Fen(60)));
        assert!(ezr.approve_refund(&applied.refund_no).is_err());
    }
}
