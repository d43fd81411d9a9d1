//! Every gateway answer the core interprets: the first byte picks the call, the next two the HTTP
//! status, the rest is the body. Whatever comes back, the interpretation is an `Outcome`.
#![no_main]

use checkout_shared::Fen;
use checkout_shared::gateway::{Answer, Gateway, Op, SqbText, Wallet, interpret};
use libfuzzer_sys::fuzz_target;

fn op(pick: u8) -> Op {
    let order_no = "sess_0123456789abcdef01234567_0".to_owned();
    let (amount, subject) = (Fen(2599), "fuzz".to_owned());
    match pick % 19 {
        0 => Op::PayzeroCreateQr {
            order_no,
            amount,
            subject,
            wallet: Wallet::WechatPay,
            declare: false,
            order_datetime: None,
            customs: None,
        },
        1 => Op::PayzeroRefreshQr { order_no, wallet: Wallet::Alipay },
        2 => Op::PayzeroQuery { order_no },
        3 => Op::ShouqianbaPrecreate {
            order_no,
            amount,
            subject,
            wallet: Wallet::Alipay,
            text: SqbText::default(),
        },
        4 => Op::ShouqianbaPay {
            order_no,
            amount,
            subject,
            code: "134567890123450000".into(),
            text: SqbText::default(),
        },
        5 => Op::ShouqianbaQuery { order_no },
        6 => Op::ShouqianbaCancel { order_no },
        7 => Op::EzrPay { order_no, amount, subject, code: "284567890123450000".into(), client_ip: None },
        8 => Op::EzrQuery { order_no },
        9 => Op::EzrCancel { gateway_ref: "EZR0001".into() },
        10 => Op::PayzeroAgreeApply { request_id: "req_1".into(), form: None },
        11 => Op::PayzeroAgreeConfirm { request_id: "req_1".into(), code: Some("123456".into()) },
        12 => Op::PayzeroQuickpay {
            order_no,
            amount,
            subject,
            agreeid: "agr_1".into(),
            declare: false,
            order_datetime: None,
            customs: None,
        },
        13 => Op::PayzeroQuickpayConfirm { order_no, agreeid: "agr_1".into(), code: Some("123456".into()) },
        14 => Op::PayzeroQuickpayRedo { order_no, agreeid: "agr_1".into() },
        15 => Op::PayzeroRefund { refund: 0, order_no, refund_no: "sessr0".into(), amount },
        16 => Op::ShouqianbaRefund {
            refund: 0,
            order_no,
            sn: "7894259244067218".into(),
            refund_no: "sessr0".into(),
            amount,
            text: SqbText::default(),
        },
        17 => Op::EzrRefundApply { refund: 0, gateway_ref: "EZR0001".into(), amount, subject },
        _ => Op::SandboxPay { gateway: Gateway::Payzero, order_no },
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else { return };
    let (status, body) = match rest {
        [a, b, body @ ..] => (100 + u16::from_le_bytes([*a, *b]) % 500, body),
        _ => (200, rest),
    };
    let _ = interpret(&op(pick), &Answer::Http { status, body: body.to_vec() });
    // Refund queries and EZR's refund list read the same bodies through other paths.
    let _ = interpret(
        &Op::PayzeroRefundQuery { refund: 0, refund_no: "sessr0".into() },
        &Answer::Http { status, body: body.to_vec() },
    );
    let _ = interpret(
        &Op::EzrRefundQuery { refund: 0, gateway_ref: "EZR0001".into() },
        &Answer::Http { status, body: body.to_vec() },
    );
    let ezr_refund = Op::EzrRefund {
        refund: 0,
        gateway_ref: "EZR0001".into(),
        refund_no: "sessr0".into(),
        amount: Fen(2599),
        reason: "fuzz".into(),
        subject: "fuzz".into(),
    };
    let _ = interpret(&ezr_refund, &Answer::Http { status, body: body.to_vec() });
    let sqb_query = Op::ShouqianbaRefundQuery { refund: 0, order_no: "o".into(), sn: "s".into() };
    let _ = interpret(&sqb_query, &Answer::Http { status, body: body.to_vec() });
});
