//! The merchant API's safety rules, end to end through `checkout-client`: idempotency keys,
//! several merchant keys and webhook secrets during a rotation, live mode failing closed, bodies
//! capped while they are read (chunked ones too), and CORS of the checkout API.

use crate::api::{checkout, http, request_qr};
use crate::gateways::{admin, create_with, wait_until, webhook};
use crate::{with_stack, with_stack_setup};
use anyhow::{Result, bail, ensure};
use checkout_client::api::{AttemptState, CreateSessionRequest, ErrorCode, PaymentMethod, SessionStatus};
use checkout_client::webhook::Verifier;
use checkout_client::{Client, Error, Fen};
use checkout_tests::{Setup, Stack, WebhookSink};
use reqwest::Method;
use serde_json::json;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn order(no: &str) -> CreateSessionRequest {
    CreateSessionRequest::new(Fen(1234), "E2E 幂等", no)
}

fn expect_code<T: std::fmt::Debug>(result: Result<T, Error>, status: u16, code: ErrorCode) -> Result<()> {
    match result {
        Err(Error::Api { status: s, error, .. }) if s == status && error.code == code => Ok(()),
        other => bail!("expected {status} {}, got {other:?}", code.as_str()),
    }
}

#[test]
fn an_idempotency_key_answers_a_retry_once_and_refuses_another_body() {
    with_stack(|stack| async move {
        let client = stack.client()?;
        let keyed = client.with_idempotency_key("order-IDEM-1-create");
        let first = keyed.create_session(&order("IDEM-1")).await?;
        let again = keyed.create_session(&order("IDEM-1")).await?;
        ensure!(first == again, "a retry made another session: {first:?} then {again:?}");

        // The repeated answer is marked as such, byte for byte the first.
        let raw = http()
            .post(format!("{}/v1/sessions", stack.edge_url))
            .bearer_auth(&stack.creds.merchant_key)
            .header("Idempotency-Key", "order-IDEM-1-create")
            .json(&order("IDEM-1"))
            .send()
            .await?;
        ensure!(raw.status() == 201, "replay answered {}", raw.status());
        ensure!(raw.headers().get("idempotent-replayed").is_some_and(|v| v == "true"), "not marked replayed");
        ensure!(raw.json::<checkout_client::api::SessionCreated>().await? == first, "the replay differs");

        // The same key with another body is a conflict and creates nothing.
        expect_code(keyed.create_session(&order("IDEM-2")).await, 409, ErrorCode::IdempotencyConflict)?;
        // A bad key is refused before anything happens.
        let bad = client.with_idempotency_key("has spaces");
        expect_code(bad.create_session(&order("IDEM-3")).await, 400, ErrorCode::InvalidRequest)?;

        // Without a key of its own, each call of the client is a new request.
        let other = client.create_session(&order("IDEM-1")).await?;
        ensure!(other.id != first.id, "two calls without a shared key made one session");

        // A cancel retried with its key answers the same; a refused request is kept too.
        let cancel = client.with_idempotency_key("cancel-IDEM-1");
        let canceled = cancel.cancel_session(&first.id).await?;
        ensure!(canceled.status == SessionStatus::Canceled, "{canceled:?}");
        ensure!(cancel.cancel_session(&first.id).await? == canceled, "the retried cancel differs");
        let missing = client.with_idempotency_key("cancel-missing");
        expect_code(missing.cancel_session("sess_000000000000000000000000").await, 404, ErrorCode::NotFound)?;
        expect_code(missing.cancel_session("sess_000000000000000000000000").await, 404, ErrorCode::NotFound)?;
        Ok(())
    });
}

#[test]
fn rotated_keys_and_webhook_secrets_overlap() {
    let setup = Setup {
        extra_merchant_keys: vec!["sk_test_previous_key_0001".into()],
        extra_webhook_secrets: vec!["whsec_next_secret_0001".into()],
        ..Setup::default()
    };
    with_stack_setup(&setup, |stack| async move {
        // Both merchant keys are valid; one that was removed from the list is not.
        let current = stack.client()?;
        let previous = Client::new(&stack.edge_url, "sk_test_previous_key_0001")?;
        let revoked = Client::new(&stack.edge_url, "sk_test_revoked_key_0001")?;
        current.create_session(&order("ROT-1")).await?;
        let sink = WebhookSink::start().await?;
        let session =
            create_with(&stack, order("ROT-2").with_methods(vec![PaymentMethod::PayzeroQr]), Some(&sink))
                .await?;
        previous.get_session(&session.id).await?;
        expect_code(revoked.get_session(&session.id).await, 401, ErrorCode::Unauthorized)?;
        expect_code(revoked.create_session(&order("ROT-3")).await, 401, ErrorCode::Unauthorized)?;

        // A paid session's webhook carries a signature by each secret: a shop holding either
        // one verifies it, a shop holding neither does not.
        request_qr(&stack, &session.client_secret, "wechat_pay").await?;
        admin(&stack, &format!("/payzero/orders/{}_0/pay", session.id), json!({})).await?;
        wait_until(&stack, &session.client_secret, Duration::from_secs(30), |u| {
            u.status == SessionStatus::Paid
        })
        .await?;
        webhook(&sink, "checkout.session.paid").await?;
        let (signature, body) = sink.requests().into_iter().next().unwrap_or_default();
        ensure!(signature.matches("v1=").count() == 2, "one signature per secret: {signature}");
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        for secret in [stack.creds.webhook_secret.as_str(), "whsec_next_secret_0001"] {
            let event = Verifier::new(secret).verify(&signature, &body, now)?;
            ensure!(event.data.id == session.id, "{event:?}");
        }
        ensure!(
            Verifier::new("whsec_other").verify(&signature, &body, now).is_err(),
            "a wrong secret verified"
        );
        Ok(())
    });
}

#[test]
fn an_edge_without_a_mode_is_live_and_fails_closed() {
    with_stack_setup(&Setup { live: true, ..Setup::default() }, |stack| async move {
        let client = stack.client()?;
        for url in [
            "http://shop.example.com/hooks",
            "https://127.0.0.1/hooks",
            "https://192.168.1.20/hooks",
            "https://[::1]/hooks",
            "https://localhost/hooks",
            "https://db.internal/hooks",
        ] {
            match client.create_session(&order("LIVE-1").with_notify_url(url)).await {
                Err(Error::Api { status: 400, error, .. }) if error.message.contains("notify_url") => {}
                other => bail!("live mode took notify_url {url}: {other:?}"),
            }
        }
        // Its settings are the local ones (loopback URLs, the sandbox's controls): it takes no
        // payment, and says which settings are wrong, never their values.
        let refused =
            client.create_session(&order("LIVE-2").with_notify_url("https://shop.example.com/hooks")).await;
        match &refused {
            Err(Error::Api { status: 503, error, .. })
                if error.code == ErrorCode::NotConfigured
                    && ["PUBLIC_BASE_URL", "PAYZERO_API_URL", "SANDBOX_ADMIN_URL"]
                        .iter()
                        .all(|name| error.message.contains(name)) => {}
            other => bail!("a live edge on loopback settings took a session: {other:?}"),
        }
        let health = http().get(format!("{}/health", stack.edge_url)).send().await?;
        ensure!(health.status() == 503, "/health answered {}", health.status());
        let text = health.text().await?;
        let body: serde_json::Value = serde_json::from_str(&text)?;
        ensure!(body["ready"] == false && body["mode"] == "live", "{body}");
        let named: Vec<&str> =
            body["problems"].as_array().into_iter().flatten().filter_map(|p| p["setting"].as_str()).collect();
        for name in ["PUBLIC_BASE_URL", "ALLOWED_ORIGINS", "SANDBOX_ADMIN_URL", "PAYZERO_API_URL"] {
            ensure!(named.contains(&name), "/health does not name {name}: {body}");
        }
        for secret in stack.creds.secrets() {
            ensure!(!text.contains(secret), "/health shows a configured secret");
        }
        ensure!(!text.contains("127.0.0.1"), "/health shows a setting's value: {text}");
        // The sandbox's test controls are gone.
        let r = checkout(&stack, Method::POST, "sess_000000000000000000000000_secret_x", "/simulate")
            .send()
            .await?;
        ensure!(r.status() == 404, "simulate answered {} in live mode", r.status());
        ensure!(r.text().await?.contains("not_available"), "simulate is not refused as a test control");
        Ok(())
    });
}

/// How [`raw_send`] frames its body.
#[derive(Clone, Copy, Debug)]
enum Framing {
    /// `Transfer-Encoding: chunked`, no declared length.
    Chunked,
    /// `Content-Length` declared up front.
    Declared,
}

/// Sends a `method` request with `chunks` × 16 KiB of body framed as `framing` and returns the status and the whole
/// answer. The edge refuses an oversized body before reading all of it.
async fn raw_send(
    stack: &Stack,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    framing: Framing,
    chunks: usize,
) -> Result<(u16, String)> {
    const CHUNK: usize = 0x4000;
    let address = stack.edge_url.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(&address).await?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\nConnection: close\r\n"
    );
    match framing {
        Framing::Chunked => head.push_str("Transfer-Encoding: chunked\r\n"),
        Framing::Declared => head.push_str(&format!("Content-Length: {}\r\n", chunks * CHUNK)),
    }
    if let Some(bearer) = bearer {
        head.push_str(&format!("Authorization: Bearer {bearer}\r\n"));
    }
    head.push_str("\r\n");
    socket.write_all(head.as_bytes()).await?;
    let chunk = match framing {
        Framing::Chunked => format!("{CHUNK:x}\r\n{}\r\n", " ".repeat(CHUNK)),
        Framing::Declared => " ".repeat(CHUNK),
    };
    for _ in 0..chunks {
        if socket.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    if matches!(framing, Framing::Chunked) {
        let _ = socket.write_all(b"0\r\n\r\n").await;
    }
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(30), socket.read_to_end(&mut answer)).await;
    ensure!(read.is_ok(), "no answer within 30 s");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok((status, text))
}

#[test]
fn bodies_are_capped_while_they_are_read() {
    with_stack(|stack| async move {
        let session = stack.client()?.create_session(&order("CAP-1")).await?;
        let cs = session.client_secret.as_str();
        let key = stack.creds.merchant_key.as_str();
        let id = session.id.as_str();
        // Every endpoint that takes a body (or takes none but could be sent one), with 1.25 MiB
        // (over every limit, the 1 MiB order batch's included), chunked and declared: each is
        // refused before it does anything. The first three go three times: an answer sent while
        // the upload still runs must not turn into a cut connection.
        let endpoints: Vec<(&str, String, Option<&str>, usize)> = vec![
            ("POST", "/v1/sessions".into(), Some(key), 3),
            ("POST", "/v1/checkout/qr".into(), Some(cs), 3),
            ("POST", "/v1/checkout/card/signup".into(), Some(cs), 3),
            ("POST", "/v1/checkout/barcode".into(), Some(cs), 1),
            ("POST", "/v1/checkout/simulate".into(), Some(cs), 1),
            ("POST", "/v1/checkout/test/clock".into(), Some(cs), 1),
            ("POST", "/v1/checkout/card/signup/confirm".into(), Some(cs), 1),
            ("POST", "/v1/checkout/card/pay".into(), Some(cs), 1),
            ("POST", "/v1/checkout/card/pay/confirm".into(), Some(cs), 1),
            ("POST", "/v1/checkout/card/pay/resend".into(), Some(cs), 1),
            ("DELETE", "/v1/checkout/cards/card_0123456789abcdef".into(), Some(cs), 1),
            ("POST", "/v1/notify/payzero".into(), None, 1),
            ("POST", format!("/v1/sessions/{id}/cancel"), Some(key), 1),
            ("POST", format!("/v1/sessions/{id}/refunds"), Some(key), 1),
            ("POST", format!("/v1/sessions/{id}/events/evt_0/resend"), Some(key), 1),
            ("POST", "/v1/shouqianba/terminal/checkin".into(), Some(key), 1),
            ("POST", "/v1/payzero/real-name-checks".into(), Some(key), 1),
            ("POST", "/v1/payzero/batches".into(), Some(key), 1),
            ("POST", "/v1/payzero/orders".into(), Some(key), 1),
            ("POST", "/v1/payzero/mock-orders".into(), Some(key), 1),
            ("POST", "/v1/payzero/declarations".into(), Some(key), 1),
            ("POST", "/v1/payzero/batches/batch_1/pay".into(), Some(key), 1),
            ("POST", "/v1/payzero/orders/ORDER1/arrange-pay".into(), Some(key), 1),
            ("POST", "/v1/payzero/orders/ORDER1/qr".into(), Some(key), 1),
            ("POST", "/v1/payzero/mock-orders/ORDER1/redo".into(), Some(key), 1),
            ("DELETE", "/v1/customers/cust_1/cards/card_0123456789abcdef".into(), Some(key), 1),
        ];
        for framing in [Framing::Chunked, Framing::Declared] {
            for (method, path, bearer, times) in &endpoints {
                for _ in 0..*times {
                    let (status, text) = raw_send(&stack, method, path, *bearer, framing, 80).await?;
                    // The gateway's callback answers in the plain text Payzero reads.
                    let refusal = if path.starts_with("/v1/notify/") { "FAIL" } else { "payload_too_large" };
                    ensure!(status == 413 && text.contains(refusal), "{method} {path} {framing:?}: {text}");
                }
            }
        }
        // A small chunked body is read as usual.
        let (status, text) = raw_send(&stack, "POST", "/v1/sessions", Some(key), Framing::Chunked, 1).await?;
        ensure!(status == 400 && text.contains("invalid_json"), "a small chunked body: {text}");
        // Nothing happened: not paid by the simulate, not canceled, no QR, no refund.
        let after = stack.client()?.get_session(&session.id).await?;
        ensure!(after.status == SessionStatus::Open, "changed: {:?}", after.status);
        Ok(())
    });
}

#[test]
fn the_checkout_api_answers_the_shop_origin_only() {
    with_stack(|stack| async move {
        let session = stack.client()?.create_session(&order("CORS-1")).await?;
        let cs = &session.client_secret;
        let allowed = stack.demo_url.clone();
        let r = checkout(&stack, Method::GET, cs, "").header("Origin", &allowed).send().await?;
        ensure!(
            r.headers().get("access-control-allow-origin").is_some_and(|v| v == allowed.as_str()),
            "{r:?}"
        );
        let r = checkout(&stack, Method::GET, cs, "").header("Origin", "https://evil.example").send().await?;
        ensure!(r.headers().get("access-control-allow-origin").is_none(), "a foreign origin was allowed");

        // Preflights: answered for the shop, with no permission for anyone else.
        let preflight = |origin: String| {
            http()
                .request(Method::OPTIONS, format!("{}/v1/checkout/qr", stack.edge_url))
                .header("Origin", origin)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization, content-type")
                .send()
        };
        let r = preflight(allowed.clone()).await?;
        ensure!(r.status() == 204, "preflight answered {}", r.status());
        ensure!(
            r.headers().get("access-control-allow-origin").is_some_and(|v| v == allowed.as_str()),
            "{r:?}"
        );
        let allows = |name: &str, what: &str| {
            r.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.to_lowercase().contains(what))
        };
        ensure!(allows("access-control-allow-methods", "post"), "{r:?}");
        ensure!(allows("access-control-allow-headers", "authorization"), "{r:?}");
        let r = preflight("https://evil.example".into()).await?;
        ensure!(r.headers().get("access-control-allow-origin").is_none(), "a foreign preflight was allowed");
        // The merchant API is server to server: no CORS at all.
        let r = http()
            .request(Method::OPTIONS, format!("{}/v1/sessions", stack.edge_url))
            .header("Origin", allowed)
            .header("Access-Control-Request-Method", "POST")
            .send()
            .await?;
        ensure!(
            r.headers().get("access-control-allow-origin").is_none(),
            "the merchant API allowed a browser"
        );
        Ok(())
    });
}

#[test]
fn a_shop_finds_its_sessions_and_their_attempts() {
    with_stack(|stack| async move {
        let client = stack.client()?;
        let first = client.create_session(&order("LOOK-1")).await?;
        let second = client.create_session(&order("LOOK-1")).await?;
        client.create_session(&order("LOOK-2")).await?;
        let found = client.find_sessions("LOOK-1").await?;
        let ids: Vec<&str> = found.iter().map(|s| s.id.as_str()).collect();
        ensure!(ids == [second.id.as_str(), first.id.as_str()], "newest first, only LOOK-1: {ids:?}");
        ensure!(client.find_sessions("LOOK-404").await?.is_empty(), "an unknown order found something");
        let r = http()
            .get(format!("{}/v1/sessions?merchant_order_no=", stack.edge_url))
            .bearer_auth(&stack.creds.merchant_key)
            .send()
            .await?;
        ensure!(r.status() == 400, "an empty order number answered {}", r.status());
        let r = http().get(format!("{}/v1/sessions?merchant_order_no=LOOK-1", stack.edge_url)).send().await?;
        ensure!(r.status() == 401, "a look-up without the key answered {}", r.status());

        // The attempts: one QR order, paid, with the gateway's own number.
        request_qr(&stack, &second.client_secret, "alipay").await?;
        admin(&stack, &format!("/payzero/orders/{}_0/pay", second.id), json!({})).await?;
        wait_until(&stack, &second.client_secret, Duration::from_secs(30), |u| {
            u.status == SessionStatus::Paid
        })
        .await?;
        let paid = client.get_session(&second.id).await?;
        ensure!(paid.paid_at.is_some() && paid.attempts.len() == 1, "{paid:?}");
        let attempt = &paid.attempts[0];
        ensure!(
            attempt.order_no == format!("{}_0", second.id)
                && attempt.gateway.as_str() == "payzero"
                && attempt.method == PaymentMethod::PayzeroQr
                && attempt.state == AttemptState::Paid
                && attempt.gateway_order_no.is_some(),
            "{attempt:?}"
        );
        ensure!(
            client.get_session(&first.id).await?.attempts.is_empty(),
            "an untouched session has attempts"
        );
        Ok(())
    });
}
