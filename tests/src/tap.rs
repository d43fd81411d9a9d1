//! A tap in front of the edge: the stack's edge address is a loopback listener that passes every
//! connection's bytes through to `wrangler dev` unchanged, both ways, and keeps a copy. Whoever
//! talks to the edge — the tests' own requests, the Rust client, the demo shop's server, headless
//! Chromium — goes through it, so the contract check reads every answer the edge gave
//! ([`Tap::answers`]), parsed from the copies after the fact. Nothing is rewritten: a chunked
//! upload, a slow client or a cut connection reaches the edge exactly as it was sent.

use crate::contract::Answer;
use anyhow::Result;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The most kept of one direction of one connection; beyond it the copy stops (the bytes still
/// pass), and the answers after that point are not checked.
const MAX_KEPT: usize = 32 << 20;

/// The bytes of one connection so far: what the client sent, what the edge answered.
#[derive(Default)]
struct Copy {
    sent: Vec<u8>,
    answered: Vec<u8>,
}

pub(crate) struct Tap {
    connections: Arc<Mutex<Vec<Arc<Mutex<Copy>>>>>,
    stop: Arc<AtomicBool>,
}

impl Tap {
    /// Listens on loopback `port` and passes each connection on to `127.0.0.1:upstream`.
    pub(crate) fn start(port: u16, upstream: u16) -> Result<Tap> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        listener.set_nonblocking(true)?;
        let connections: Arc<Mutex<Vec<Arc<Mutex<Copy>>>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (all, stopped) = (connections.clone(), stop.clone());
        std::thread::spawn(move || {
            // Polled, so the thread ends when the stack stops.
            while !stopped.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let copy = Arc::new(Mutex::new(Copy::default()));
                        if let Ok(mut all) = all.lock() {
                            all.push(copy.clone());
                        }
                        std::thread::spawn(move || pass(client, upstream, copy));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Ok(Tap { connections, stop })
    }

    /// Every complete answer the edge gave through the tap since the last call, with the request
    /// it answered, oldest connection first.
    pub(crate) fn answers(&self) -> Vec<Answer> {
        let copies: Vec<Arc<Mutex<Copy>>> = match self.connections.lock() {
            Ok(mut all) => {
                // Connections still open stay for the next call with what is not read yet.
                let taken = all.clone();
                all.retain(|c| Arc::strong_count(c) > 2);
                taken
            }
            Err(_) => return Vec::new(),
        };
        let mut answers = Vec::new();
        for copy in copies {
            let Ok(mut copy) = copy.lock() else { continue };
            let (found, sent_used, answered_used) = exchanges(&copy.sent, &copy.answered);
            answers.extend(found);
            copy.sent.drain(..sent_used);
            copy.answered.drain(..answered_used);
        }
        answers
    }
}

impl Drop for Tap {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Copies one connection both ways until either side closes.
fn pass(client: TcpStream, upstream: u16, copy: Arc<Mutex<Copy>>) {
    let Ok(edge) = TcpStream::connect(("127.0.0.1", upstream)) else {
        let _ = client.shutdown(Shutdown::Both);
        return;
    };
    let (Ok(client_back), Ok(edge_back)) = (client.try_clone(), edge.try_clone()) else { return };
    let up_copy = copy.clone();
    let up = std::thread::spawn(move || pump(client, edge, &up_copy, true));
    pump(edge_back, client_back, &copy, false);
    let _ = up.join();
}

fn pump(mut from: TcpStream, mut to: TcpStream, copy: &Mutex<Copy>, sent: bool) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Ok(mut copy) = copy.lock() {
            let kept = if sent { &mut copy.sent } else { &mut copy.answered };
            if kept.len() + n <= MAX_KEPT {
                kept.extend_from_slice(&buf[..n]);
            }
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    // The other side sees the end, as it would without the tap.
    let _ = to.shutdown(Shutdown::Write);
    let _ = from.shutdown(Shutdown::Read);
}

/// One HTTP/1.1 message head: its first line and headers (names lowercased).
struct Head {
    line: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

fn head(bytes: &[u8]) -> Option<(Head, usize)> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let text = String::from_utf8_lossy(&bytes[..end]);
    let mut lines = text.split("\r\n");
    let line = lines.next()?.to_owned();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some((Head { line, headers }, end + 4))
}

/// A body as framed after its head: `Some((body, bytes used))` once it is complete. `until_close`
/// is for an answer without a length, which ends with the connection.
fn body(head: &Head, bytes: &[u8], until_close: bool) -> Option<(Vec<u8>, usize)> {
    if head.header("transfer-encoding").is_some_and(|te| te.to_ascii_lowercase().contains("chunked")) {
        return dechunk(bytes);
    }
    match head.header("content-length").and_then(|l| l.parse::<usize>().ok()) {
        Some(length) => (bytes.len() >= length).then(|| (bytes[..length].to_vec(), length)),
        None if until_close => Some((bytes.to_vec(), bytes.len())),
        None => Some((Vec::new(), 0)),
    }
}

fn dechunk(bytes: &[u8]) -> Option<(Vec<u8>, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    loop {
        let line_end = at + bytes[at..].windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&bytes[at..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        let start = line_end + 2;
        if size == 0 {
            // Trailers (none here) end with an empty line.
            let end = start + bytes[start..].windows(2).position(|w| w == b"\r\n")? + 2;
            return Some((out, end));
        }
        if bytes.len() < start + size + 2 {
            return None;
        }
        out.extend_from_slice(&bytes[start..start + size]);
        at = start + size + 2;
    }
}

/// The request/answer pairs complete in one connection's copies, and how many bytes of each
/// side they used. Interim (`1xx`) answers are skipped.
fn exchanges(sent: &[u8], answered: &[u8]) -> (Vec<Answer>, usize, usize) {
    let (mut s, mut a) = (0, 0);
    let mut found = Vec::new();
    while let Some((request, request_head_len)) = head(&sent[s..]) {
        let mut parts = request.line.split(' ');
        let (method, target) =
            (parts.next().unwrap_or_default().to_owned(), parts.next().unwrap_or_default());
        let target = target.to_owned();
        // A request whose body never arrived whole (an upload the edge refused midway) is still
        // answered; its answer ends the connection's pairs.
        let request_body = body(&request, &sent[s + request_head_len..], false);
        let mut answer_at = a;
        let answer = loop {
            let Some((answer, answer_head_len)) = head(&answered[answer_at..]) else { break None };
            let status: u16 =
                answer.line.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or_default();
            if (100..200).contains(&status) {
                answer_at += answer_head_len;
                continue;
            }
            let bodiless = method == "HEAD" || status == 204 || status == 304;
            let rest = &answered[answer_at + answer_head_len..];
            let framed = if bodiless { Some((Vec::new(), 0)) } else { body(&answer, rest, true) };
            break framed.map(|(bytes, used)| (answer, status, bytes, answer_head_len + used));
        };
        let Some((answer, status, bytes, used)) = answer else { break };
        a = answer_at + used;
        found.push(Answer {
            method,
            target,
            status,
            content_type: answer.header("content-type").map(str::to_owned),
            body: bytes,
        });
        match request_body {
            Some((_, used)) => s += request_head_len + used,
            None => {
                s = sent.len();
                break;
            }
        }
    }
    (found, s, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_requests_and_answers_on_a_kept_alive_connection() {
        let sent = b"POST /v1/sessions HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}GET /v1/checkout HTTP/1.1\r\nHost: x\r\n\r\n";
        let answered = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: 4\r\n\r\nnullHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n";
        let (found, s, a) = exchanges(sent, answered);
        assert_eq!(found.len(), 2);
        assert_eq!(
            (found[0].method.as_str(), found[0].target.as_str(), found[0].status),
            ("POST", "/v1/sessions", 400)
        );
        assert_eq!(found[0].body, b"null");
        assert_eq!((found[1].status, found[1].body.as_slice()), (200, &b"{}"[..]));
        assert_eq!((s, a), (sent.len(), answered.len()));
    }

    #[test]
    fn an_answer_not_complete_yet_waits() {
        let sent = b"GET /health HTTP/1.1\r\n\r\n";
        let (found, s, a) = exchanges(sent, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{\"st");
        assert!(found.is_empty());
        assert_eq!((s, a), (0, 0));
    }

    #[test]
    fn a_refused_upload_is_still_paired() {
        let sent = b"POST /v1/sessions HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4000\r\nxxxx";
        let answered = b"HTTP/1.1 413 Payload Too Large\r\nContent-Length: 2\r\n\r\n{}";
        let (found, _, _) = exchanges(sent, answered);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].status, 413);
    }
}
