//! A recording HTTP proxy between headless Chromium and the stack: every answer the browser
//! receives passes through it and is kept (headers and de-chunked body), so the whole run's leak
//! scan reads every byte a browser saw. It forwards to loopback addresses only and refuses
//! anything else.

use crate::{content_length, split_request};
use anyhow::Result;
use std::sync::Mutex;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Every answer any recorder of this process forwarded since the last `take_every_browser_answer`:
/// (the request line, the answer's head and body as the browser got them).
static EVERY_ANSWER: Mutex<Vec<(String, Vec<u8>)>> = Mutex::new(Vec::new());

/// Recorders started since the last `take_recorders_started`.
static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// How many recording browsers were started since the last call: a scan that finds none of
/// their answers knows the recording failed, not that nothing leaked.
pub fn take_recorders_started() -> usize {
    STARTED.swap(0, std::sync::atomic::Ordering::SeqCst)
}

/// The most a request (head and body) or an answer may be; the widget's wasm is far below it.
const MAX_MESSAGE: usize = 16 << 20;

/// The answers every browser received since the last call, oldest first.
pub fn take_every_browser_answer() -> Vec<(String, Vec<u8>)> {
    EVERY_ANSWER.lock().map(|mut all| std::mem::take(&mut *all)).unwrap_or_default()
}

/// Starts a recorder on a free loopback port on the current tokio runtime and returns the
/// address to give Chromium as `--proxy-server`.
pub(crate) async fn start() -> Result<String> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let address = listener.local_addr()?.to_string();
    STARTED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = forward(socket).await;
            });
        }
    });
    Ok(address)
}

/// One request per connection: the browser's request is sent on to its loopback origin with
/// `Connection: close` and `Accept-Encoding: identity` (so what is kept is what the page reads),
/// the whole answer is read, kept, and passed back with `Connection: close`.
async fn forward(mut browser: TcpStream) -> Result<()> {
    let mut request = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    let (head, body) = loop {
        let n = browser.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        request.extend_from_slice(&buf[..n]);
        anyhow::ensure!(request.len() <= MAX_MESSAGE, "request too large");
        if let Some((head, body)) = split_request(&request)
            && body.len() >= content_length(&head)
        {
            let length = content_length(&head);
            break (head, body[..length].to_vec());
        }
    };
    let Some((target, upstream_head)) = rewrite_request(&head) else {
        browser
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
            .await?;
        return Ok(());
    };
    let mut upstream = TcpStream::connect(&target).await?;
    upstream.write_all(upstream_head.as_bytes()).await?;
    upstream.write_all(&body).await?;
    let mut answer = Vec::new();
    loop {
        let n = upstream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
        anyhow::ensure!(answer.len() <= MAX_MESSAGE, "answer too large");
    }
    let answer = close_after(&answer);
    if let Ok(mut every) = EVERY_ANSWER.lock() {
        let line = head.lines().next().unwrap_or_default().to_owned();
        every.push((line, readable(&answer)));
    }
    browser.write_all(&answer).await?;
    browser.shutdown().await?;
    Ok(())
}

/// The loopback `host:port` a proxy request is for, and its head in origin form for that host;
/// `None` for anything that is not plain HTTP to a loopback address.
fn rewrite_request(head: &str) -> Option<(String, String)> {
    let mut lines = head.split("\r\n");
    let mut parts = lines.next()?.split(' ');
    let (method, url, version) = (parts.next()?, parts.next()?, parts.next()?);
    let rest = url.strip_prefix("http://")?;
    let (authority, path) = rest.find('/').map_or((rest, "/"), |at| rest.split_at(at));
    let (host, port) = authority.rsplit_once(':').map_or((authority, "80"), |(h, p)| (h, p));
    if !matches!(host, "127.0.0.1" | "localhost" | "[::1]") || port.parse::<u16>().is_err() {
        return None;
    }
    let mut out = format!("{method} {path} {version}\r\n");
    for line in lines.filter(|l| !l.is_empty()) {
        let name = line.split(':').next().unwrap_or_default().trim().to_ascii_lowercase();
        if !matches!(name.as_str(), "connection" | "proxy-connection" | "keep-alive" | "accept-encoding") {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("Accept-Encoding: identity\r\nConnection: close\r\n\r\n");
    let host = if host == "[::1]" { "[::1]" } else { "127.0.0.1" };
    Some((format!("{host}:{port}"), out))
}

/// The answer with its connection headers replaced by `Connection: close`: the proxy serves one
/// request per connection.
fn close_after(answer: &[u8]) -> Vec<u8> {
    let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return answer.to_vec();
    };
    let head = String::from_utf8_lossy(&answer[..end]);
    let mut out = String::new();
    for line in head.split("\r\n") {
        let name = line.split(':').next().unwrap_or_default().trim().to_ascii_lowercase();
        if !matches!(name.as_str(), "connection" | "keep-alive") {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&answer[end + 4..]);
    bytes
}

/// The answer as the page reads it: the head, then the body with any chunked framing removed
/// (so a value split across two chunks is still found whole).
fn readable(answer: &[u8]) -> Vec<u8> {
    let Some(end) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return answer.to_vec();
    };
    let head = String::from_utf8_lossy(&answer[..end]).to_ascii_lowercase();
    let body = &answer[end + 4..];
    let mut out = answer[..end + 4].to_vec();
    if head.contains("transfer-encoding: chunked") {
        out.extend(dechunk(body));
    } else {
        out.extend_from_slice(body);
    }
    out
}

/// A chunked body's data; a malformed rest is kept as it is, so nothing goes unscanned.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = body.windows(2).position(|w| w == b"\r\n") {
        let size = std::str::from_utf8(&body[..line_end])
            .ok()
            .and_then(|l| usize::from_str_radix(l.split(';').next().unwrap_or_default().trim(), 16).ok());
        let Some(size) = size else { break };
        let start = line_end + 2;
        if size == 0 || body.len() < start + size {
            return out;
        }
        out.extend_from_slice(&body[start..start + size]);
        body = body.get(start + size + 2..).unwrap_or_default();
    }
    out.extend_from_slice(body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_go_to_loopback_only_in_origin_form() {
        let head = "GET http://127.0.0.1:8787/pay/cs_1?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8787\r\nProxy-Connection: keep-alive\r\nAccept-Encoding: gzip, br\r\nAccept: */*";
        let (target, out) = rewrite_request(head).expect("a loopback request is forwarded");
        assert_eq!(target, "127.0.0.1:8787");
        assert!(out.starts_with("GET /pay/cs_1?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8787\r\nAccept: */*\r\n"));
        assert!(out.ends_with("Accept-Encoding: identity\r\nConnection: close\r\n\r\n"));
        assert!(!out.contains("gzip") && !out.contains("keep-alive"));
        assert_eq!(
            rewrite_request("GET http://localhost:9/ HTTP/1.1").map(|r| r.0),
            Some("127.0.0.1:9".into())
        );
        for elsewhere in [
            "GET http://example.com/ HTTP/1.1",
            "GET http://10.0.0.1:80/ HTTP/1.1",
            "CONNECT example.com:443 HTTP/1.1",
            "GET https://127.0.0.1/ HTTP/1.1",
            "GET http://127.0.0.1.example.com:80/ HTTP/1.1",
        ] {
            assert_eq!(rewrite_request(elsewhere), None, "{elsewhere}");
        }
    }

    #[test]
    fn a_chunked_answer_is_kept_whole_and_passed_on_with_connection_close() {
        let answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n4\r\n6217\r\n5\r\n 9201\r\n0\r\n\r\n";
        let passed = close_after(answer);
        assert!(String::from_utf8_lossy(&passed).contains("Connection: close\r\n\r\n4\r\n6217"));
        assert!(!String::from_utf8_lossy(&passed).contains("keep-alive"));
        let kept = String::from_utf8(readable(&passed)).expect("text");
        assert!(kept.ends_with("\r\n\r\n6217 9201"), "{kept:?}");
        assert_eq!(dechunk(b"zz\r\nrest"), b"zz\r\nrest");
    }
}
