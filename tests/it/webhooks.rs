//! The webhook verification code of docs/webhooks.md, in Node, Python, PHP, Java and Go, run as a
//! shop runs it: against the document's test vector, against webhooks the edge really sent during
//! a secret rotation, and against tampered copies of both. The document's code blocks are these
//! files byte for byte, and its vector is the edge's own signing rule, so neither can drift.

use crate::api::request_qr;
use crate::gateways::{admin, create_with, wait_until, webhook};
use crate::with_stack_setup;
use anyhow::{Context, Result, bail, ensure};
use checkout_client::Fen;
use checkout_client::api::{CreateSessionRequest, PaymentMethod, SessionStatus};
use checkout_shared::sign::webhook_signature_header;
use checkout_tests::{Setup, WebhookSink, root};
use serde::Deserialize;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::AsyncWriteExt;

/// One language's snippet: its file in docs/webhooks/ and the command that runs a file.
struct Snippet {
    file: &'static str,
    command: &'static [&'static str],
}

const SNIPPETS: [Snippet; 5] = [
    Snippet { file: "verify.js", command: &["node"] },
    Snippet { file: "verify.py", command: &["python3"] },
    Snippet { file: "verify.php", command: &["php"] },
    Snippet { file: "WebhookVerifier.java", command: &["java"] },
    Snippet { file: "verify.go", command: &["go", "run"] },
];

/// docs/webhooks/vector.json.
#[derive(Deserialize)]
struct Vector {
    secret: String,
    timestamp: u64,
    body: String,
    header: String,
    previous_secret: String,
    rotation_header: String,
}

fn docs() -> PathBuf {
    root().join("docs/webhooks")
}

fn vector() -> Result<Vector> {
    let text = std::fs::read_to_string(docs().join("vector.json")).context("reading vector.json")?;
    Ok(serde_json::from_str(&text)?)
}

/// Runs `snippet` as its file's command line says (`HEADER NOW SECRETS < body`): `Ok(true)` when
/// it printed `verified`, `Ok(false)` for `refused`, an error for anything else (a missing
/// runtime, a crash), so a snippet that cannot run fails the test instead of passing it.
async fn verifies(snippet: &Snippet, header: &str, now: u64, secrets: &[&str], body: &[u8]) -> Result<bool> {
    let (program, args) = snippet.command.split_first().context("empty command")?;
    let mut child = tokio::process::Command::new(program)
        .args(args)
        .arg(snippet.file)
        .args([header, &now.to_string(), &secrets.join(",")])
        .current_dir(docs())
        // Go keeps its build cache under the project's target/, not in the user's home.
        .env("GOCACHE", root().join("target/go-build"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {program} (cargo xtask setup --browser installs it)"))?;
    let mut stdin = child.stdin.take().context("no stdin")?;
    stdin.write_all(body).await?;
    drop(stdin);
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .with_context(|| format!("{} took over 60 s", snippet.file))??;
    let stdout = String::from_utf8_lossy(&out.stdout);
    match (out.status.code(), stdout.trim()) {
        (Some(0), "verified") => Ok(true),
        (Some(1), "refused") => Ok(false),
        (code, said) => {
            bail!("{} ended {code:?} saying {said:?}: {}", snippet.file, String::from_utf8_lossy(&out.stderr))
        }
    }
}

/// One check: its name, the header, the clock, the secrets the shop holds, the body, and whether
/// it must verify.
type Case<'a> = (&'a str, &'a str, u64, Vec<&'a str>, Vec<u8>, bool);

/// Checks one snippet against `cases`, naming the case that went wrong.
async fn expect_all(snippet: &Snippet, cases: &[Case<'_>]) -> Result<()> {
    for (name, header, now, secrets, body, expected) in cases {
        let got = verifies(snippet, header, *now, secrets, body).await?;
        ensure!(got == *expected, "{}: {name}: expected {expected}, got {got}", snippet.file);
    }
    Ok(())
}

#[test]
fn the_document_shows_the_tested_code_and_the_edges_own_vector() -> Result<()> {
    let doc = std::fs::read_to_string(root().join("docs/webhooks.md"))?;
    let blocks = fenced_blocks(&doc);
    for file in SNIPPETS.iter().map(|s| s.file).chain(["vector.json"]) {
        let text = std::fs::read_to_string(docs().join(file))?;
        ensure!(blocks.contains(&text), "docs/webhooks.md does not show {file} as it is");
    }
    // The vector is what the edge's signing code makes, for one secret and for a rotation.
    let v = vector()?;
    let body = v.body.as_bytes();
    ensure!(webhook_signature_header(&[&v.secret], v.timestamp, body) == v.header, "header");
    ensure!(
        webhook_signature_header(&[&v.secret, &v.previous_secret], v.timestamp, body) == v.rotation_header,
        "rotation header"
    );
    Ok(())
}

/// The contents of every fenced code block (between a ```lang line and a ``` line).
fn fenced_blocks(doc: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in doc.split_inclusive('\n') {
        match &mut current {
            None if line.starts_with("```") => current = Some(String::new()),
            Some(block) if line.trim_end() == "```" => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            Some(block) => block.push_str(line),
            None => {}
        }
    }
    blocks
}

#[test]
fn each_language_verifies_the_vector_and_refuses_what_was_changed() -> Result<()> {
    let v = vector()?;
    let t = v.timestamp;
    let body = v.body.as_bytes().to_vec();
    let tampered = v.body.replace("\"amount\":8800", "\"amount\":8801").into_bytes();
    ensure!(tampered != body, "the tampering changed nothing");
    // The same event as another JSON writer would print it: a shop must not re-serialise.
    let reserialised = serde_json::to_vec_pretty(&serde_json::from_str::<serde_json::Value>(&v.body)?)?;
    let bare_key = v.secret.strip_prefix("whsec_").context("the secret starts with whsec_")?;
    let later_t = v.header.replacen(&format!("t={t}"), &format!("t={}", t + 1), 1);
    let one_v1 = v.header.as_str();
    let cases = [
        ("the vector", one_v1, t, vec![v.secret.as_str()], body.clone(), true),
        ("299 s late", one_v1, t + 299, vec![v.secret.as_str()], body.clone(), true),
        ("rotation, shop holds the new secret", &v.rotation_header, t, vec![&v.secret], body.clone(), true),
        (
            "rotation, shop holds the old secret",
            &v.rotation_header,
            t - 299,
            vec![&v.previous_secret],
            body.clone(),
            true,
        ),
        (
            "shop holds both, event signed by one",
            one_v1,
            t,
            vec![&v.previous_secret, &v.secret],
            body.clone(),
            true,
        ),
        ("301 s late", one_v1, t + 301, vec![&v.secret], body.clone(), false),
        ("301 s early", one_v1, t - 301, vec![&v.secret], body.clone(), false),
        ("another secret", one_v1, t, vec![&v.previous_secret], body.clone(), false),
        ("the key without its whsec_ prefix", one_v1, t, vec![bare_key], body.clone(), false),
        ("the amount changed", one_v1, t, vec![&v.secret], tampered, false),
        ("the body re-serialised", one_v1, t, vec![&v.secret], reserialised, false),
        ("the timestamp changed", &later_t, t, vec![&v.secret], body.clone(), false),
        ("no v1", &format!("t={t}"), t, vec![&v.secret], body.clone(), false),
        ("no t", &v.header[v.header.find(',').unwrap_or(0) + 1..], t, vec![&v.secret], body.clone(), false),
    ];
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        for snippet in &SNIPPETS {
            expect_all(snippet, &cases).await?;
        }
        Ok(())
    })
}

#[test]
fn each_language_verifies_a_webhook_the_edge_sent_during_a_rotation() {
    let setup =
        Setup { extra_webhook_secrets: vec!["whsec_previous_secret_0002".into()], ..Setup::default() };
    with_stack_setup(&setup, |stack| async move {
        let sink = WebhookSink::start().await?;
        // Metadata in Chinese: the body the snippets check carries UTF-8 beyond ASCII.
        let request = CreateSessionRequest::new(Fen(8800), "西湖龙井 250g", "HOOK-LANG-1")
            .with_methods(vec![PaymentMethod::PayzeroQr])
            .with_metadata("gift_note", "生日快乐");
        let session = create_with(&stack, request, Some(&sink)).await?;
        ensure!(session.metadata.get("gift_note").map(String::as_str) == Some("生日快乐"), "{session:?}");
        request_qr(&stack, &session.client_secret, "alipay").await?;
        admin(&stack, &format!("/payzero/orders/{}_0/pay", session.id), serde_json::json!({})).await?;
        wait_until(&stack, &session.client_secret, Duration::from_secs(30), |u| {
            u.status == SessionStatus::Paid
        })
        .await?;
        webhook(&sink, "checkout.session.paid").await?;
        let (header, body) = sink.requests().into_iter().next().context("no webhook")?;
        let event: serde_json::Value = serde_json::from_slice(&body)?;
        ensure!(
            event["data"]["metadata"]["gift_note"] == "生日快乐",
            "the webhook lacks the metadata: {event}"
        );
        let mut tampered = body.clone();
        let at = tampered.iter().position(|b| *b == b'8').context("no digit 8 in the body")?;
        tampered[at] = b'9';
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let current = stack.creds.webhook_secret.as_str();
        let cases = [
            ("the webhook, current secret", header.as_str(), now, vec![current], body.clone(), true),
            (
                "the webhook, previous secret",
                &header,
                now,
                vec!["whsec_previous_secret_0002"],
                body.clone(),
                true,
            ),
            ("the webhook tampered", &header, now, vec![current], tampered, false),
            (
                "the webhook, a secret never configured",
                &header,
                now,
                vec!["whsec_other"],
                body.clone(),
                false,
            ),
            ("the webhook replayed an hour later", &header, now + 3600, vec![current], body.clone(), false),
        ];
        for snippet in &SNIPPETS {
            expect_all(snippet, &cases).await?;
        }
        Ok(())
    });
}
