//! Unit tests of the Shouqianba state machine: barcode rules, terminal keys by day, expiry.

use super::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

const T0: u64 = 1_700_000_000_000;

#[test]
fn barcodes_pick_their_outcome_by_the_last_four_digits() {
    assert_eq!(barcode_outcome("130115575166786427"), BarcodeOutcome::Success);
    assert_eq!(barcode_outcome("130115575166781001"), BarcodeOutcome::InProgress);
    assert!(matches!(
        barcode_outcome("130115575166782002"),
        BarcodeOutcome::Fail(BizErrorCode::InsufficientFund, _)
    ));
    assert_eq!(barcode_outcome("130115575166783001"), BarcodeOutcome::FailError);
    assert_eq!(barcode_outcome("1"), BarcodeOutcome::Success);
    assert_eq!(payway_of_barcode("130115575166786427"), Some(Payway::Wechat));
    assert_eq!(payway_of_barcode("280115575166786427"), Some(Payway::Alipay));
    assert_eq!(payway_of_barcode("990115575166786427"), None);
}

#[test]
fn a_key_signs_only_on_its_own_day_except_for_checkin() {
    let mut rng = StdRng::seed_from_u64(3);
    let mut sq = Shouqianba::default();
    let activate =
        |code: &str| ActivateRequest { app_id: "a".into(), code: code.into(), device_id: "dev".into() };
    let keys = sq.activate(activate("code"), "code", T0, &mut rng).unwrap();
    let body = br#"{"terminal_sn":"x"}"#;
    let sign = crate::sign::shouqianba(body, &keys.terminal_key);
    assert!(sq.authenticate(&keys.terminal_sn, &sign, body, T0, false).is_ok());
    let tomorrow = T0 + 86_400_000;
    assert_eq!(
        sq.authenticate(&keys.terminal_sn, &sign, body, tomorrow, false).unwrap_err().code,
        CommErrorCode::IllegalSign
    );
    assert!(sq.authenticate(&keys.terminal_sn, &sign, body, tomorrow, true).is_ok());
    assert_eq!(
        sq.authenticate(&keys.terminal_sn, &sign, b"{}", T0, false).unwrap_err().code,
        CommErrorCode::IllegalSign
    );
    assert_eq!(
        sq.authenticate("nope", &sign, body, T0, false).unwrap_err().code,
        CommErrorCode::InvalidTerminal
    );
    let wrong = sq.activate(activate("bad"), "code", T0, &mut rng);
    assert_eq!(wrong.unwrap_err().code, CommErrorCode::InvalidParams);
}

#[test]
fn unpaid_precreate_orders_are_cancelled_when_the_qr_expires() {
    let mut rng = StdRng::seed_from_u64(4);
    let mut sq = Shouqianba::default();
    let req = PrecreateRequest {
        terminal_sn: "t".into(),
        client_sn: "C1".into(),
        total_amount: Amount(Fen(5)),
        payway: Payway::Wechat,
        subject: "s".into(),
        operator: "op".into(),
        description: None,
        longitude: None,
        latitude: None,
        device_id: None,
        extended: None,
        reflect: None,
    };
    sq.precreate(req, T0, &mut rng).unwrap();
    sq.tick(T0 + QR_TTL_MS - 1);
    assert_eq!(sq.orders.values().next().unwrap().order_status, OrderStatus::Created);
    sq.tick(T0 + QR_TTL_MS);
    let o = sq.orders.values().next().unwrap();
    assert_eq!(o.order_status, OrderStatus::PayCanceled);
    assert_eq!(o.finish_time, Some(T0 + QR_TTL_MS));
}
