//! The only place an outbound call happens: an `UpstreamRequest` (built by the pure functions of
//! `checkout_shared::gateway`) becomes a `fetch`, bounded by a timeout. Nothing here logs a
//! header, a body or a URL's query, since they carry tokens and passwords.

use crate::body;
use checkout_shared::gateway::{Answer, HttpMethod, UpstreamRequest, url_for_log};
use futures_util::future::{Either, select};
use std::pin::pin;
use std::time::Duration;
use worker::js_sys::Uint8Array;
use worker::{
    AbortController, AbortSignal, Delay, Fetch, Headers, Method, Request, RequestInit, RequestRedirect,
    console_warn,
};

/// Payzero closes its own notification calls after 5 s; ours get twice that before we give up,
/// well inside a Durable Object request's budget.
pub(crate) const TIMEOUT: Duration = Duration::from_secs(10);

/// The most of an answer that is read: gateways answer a few KB, a merchant's webhook endpoint
/// is read only for its status. Past this the rest is dropped unread, and the cut answer (which
/// no longer parses) counts as garbage.
pub(crate) const MAX_ANSWER_BYTES: usize = 1 << 20;

/// The status and body of an answer.
pub(crate) struct UpstreamResponse {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

impl UpstreamResponse {
    pub(crate) fn into_answer(self) -> Answer {
        Answer::Http { status: self.status, body: self.body }
    }

    pub(crate) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Sends one request and reads the whole answer, or fails after `TIMEOUT`.
pub(crate) async fn send(request: &UpstreamRequest) -> Result<UpstreamResponse, String> {
    let controller = AbortController::default();
    let signal = controller.signal();
    let exchange = pin!(exchange(request, &signal));
    let timer = pin!(Delay::from(TIMEOUT));
    match select(exchange, timer).await {
        Either::Left((result, _)) => result,
        Either::Right(((), _)) => {
            controller.abort();
            Err(format!("{:?}: no answer within {} s", request, TIMEOUT.as_secs()))
        }
    }
}

async fn exchange(request: &UpstreamRequest, signal: &AbortSignal) -> Result<UpstreamResponse, String> {
    // `Debug` of a request shows only its method and URL without the query; the runtime's own
    // message may quote the full URL, so that is cut down the same way.
    let unreachable = |e: worker::Error| {
        let message = e.to_string().replace(&request.url, &url_for_log(&request.url));
        format!("{request:?}: {message}")
    };
    let headers = Headers::new();
    for (name, value) in &request.headers {
        headers.set(name, value).map_err(unreachable)?;
    }
    let mut init = RequestInit::new();
    init.with_method(match request.method {
        HttpMethod::Get => Method::Get,
        HttpMethod::Post => Method::Post,
    })
    .with_headers(headers);
    // A gateway never redirects, and a merchant's webhook endpoint must not send us (and the
    // signed event) elsewhere: a redirect is answered as what it is, a failed call.
    init.redirect = RequestRedirect::Manual;
    if let Some(body) = &request.body {
        init.with_body(Some(Uint8Array::from(body.as_slice()).into()));
    }
    let outbound = Request::new_with_init(&request.url, &init).map_err(unreachable)?;
    let mut response = Fetch::Request(outbound).send_with_signal(signal).await.map_err(unreachable)?;
    let status = response.status_code();
    let body = match response.stream() {
        Ok(mut stream) => {
            match body::read_capped(&mut stream, MAX_ANSWER_BYTES).await.map_err(unreachable)? {
                Ok(body) => body,
                Err(()) => {
                    console_warn!("{request:?}: answer longer than {MAX_ANSWER_BYTES} bytes, cut");
                    Vec::new()
                }
            }
        }
        // An answer without a body (204, or a redirect) has no stream.
        Err(_) => Vec::new(),
    };
    Ok(UpstreamResponse { status, body })
}
