//! The one module that talks to the edge (gloo-net). Components never build URLs: they dispatch
//! actions, and the shell calls these functions. Every failure comes back as a `UiError`, with
//! the edge's message text left behind on purpose.

use crate::env::encode_path_segment;
use crate::json;
use crate::state::UiError;
use checkout_shared::api::{
    BarcodeRequest, BarcodeView, Channel, CheckoutView, ErrorBody, PaymentMethod, QrRequest, QrView,
    StatusUpdate,
};
use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;
use web_sys::RequestCache;

/// The checkout API of one session.
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    /// The edge's origin (`https://pay.example.com`), or empty for the page's own origin.
    base: String,
    client_secret: String,
}

impl Edge {
    pub fn new(base: &str, client_secret: &str) -> Edge {
        Edge { base: base.trim_end_matches('/').to_owned(), client_secret: client_secret.to_owned() }
    }

    /// `{base}/v1/checkout/{client_secret}{tail}`, the secret escaped so it cannot reach
    /// another path.
    pub fn url(&self, tail: &str) -> String {
        format!("{}/v1/checkout/{}{}", self.base, encode_path_segment(&self.client_secret), tail)
    }

    /// The session, with the edge's clock from the `Date` header (unix seconds) when readable.
    pub async fn view(&self) -> Result<(CheckoutView, Option<u64>), UiError> {
        let response = send(Request::get(&self.url("")).cache(RequestCache::NoStore).build()).await?;
        let server_now = server_time(&response);
        Ok((read(response).await?, server_now))
    }

    /// Issues (or re-issues) a QR of a QR method's gateway for one wallet. There is no amount:
    /// the session decides it.
    pub async fn request_qr(&self, method: PaymentMethod, channel: Channel) -> Result<QrView, UiError> {
        let body = QrRequest { method, channel };
        read(send(Request::post(&self.url("/qr")).json(&body)).await?).await
    }

    /// Cashier mode: sends the shopper's payment code. The edge answers `202` with where the
    /// payment stands; its progress then comes with the status long-poll.
    pub async fn barcode(&self, method: PaymentMethod, code: String) -> Result<BarcodeView, UiError> {
        let body = BarcodeRequest { method, code };
        read(send(Request::post(&self.url("/barcode")).json(&body)).await?).await
    }

    /// The long-poll: answers when the version exceeds `since`, or after the edge's wait.
    pub async fn status(&self, since: u64) -> Result<StatusUpdate, UiError> {
        let url = self.url(&format!("/status?since={since}"));
        read(send(Request::get(&url).cache(RequestCache::NoStore).build()).await?).await
    }

    /// Test mode only: asks the sandbox to pay the QR on screen (either gateway's), as a
    /// shopper's phone would.
    pub async fn simulate(&self) -> Result<(), UiError> {
        let response = send(Request::post(&self.url("/simulate")).build()).await?;
        if response.ok() { Ok(()) } else { Err(error_of(response).await) }
    }
}

async fn send(request: Result<Request, gloo_net::Error>) -> Result<Response, UiError> {
    // Building fails only on a body that cannot be serialised, which ours always can: treat it
    // like any answer we did not expect rather than a network problem.
    let request = request.map_err(|_| UiError::Protocol)?;
    request.send().await.map_err(|_| UiError::Network)
}

async fn read<T: DeserializeOwned>(response: Response) -> Result<T, UiError> {
    if !response.ok() {
        return Err(error_of(response).await);
    }
    decode(response).await
}

async fn decode<T: DeserializeOwned>(response: Response) -> Result<T, UiError> {
    // A body cut off mid-way is a network failure; a complete one we cannot read is not.
    let text = response.text().await.map_err(|_| UiError::Network)?;
    json::from_str(&text).map_err(|_| UiError::Protocol)
}

/// The stable code of an error answer. A body that is not our `ErrorBody` (a proxy's HTML
/// page, say) is a protocol error.
async fn error_of(response: Response) -> UiError {
    match decode::<ErrorBody>(response).await {
        Ok(body) => UiError::Api(body.error.code),
        Err(UiError::Network) => UiError::Network,
        Err(_) => UiError::Protocol,
    }
}

fn server_time(response: &Response) -> Option<u64> {
    let date = response.headers().get("date")?;
    let millis = js_sys::Date::parse(&date);
    (millis.is_finite() && millis > 0.0).then(|| (millis / 1000.0) as u64)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_relative_to_the_edge_and_escape_the_secret() {
        let same_origin = Edge::new("", "cs_test_123");
        assert_eq!(same_origin.url(""), "/v1/checkout/cs_test_123");
        assert_eq!(same_origin.url("/status?since=4"), "/v1/checkout/cs_test_123/status?since=4");
        let other = Edge::new("https://pay.example.com/", "a/../b");
        assert_eq!(other.url("/qr"), "https://pay.example.com/v1/checkout/a%2F..%2Fb/qr");
    }
}
