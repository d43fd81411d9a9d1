//! `checkout-client`: a typed client of Checkout Edge's merchant API for shop servers.
#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod error;
pub mod payzero;
mod refunds;
mod sessions;
pub mod webhook;

pub use checkout_shared::api;
pub use checkout_shared::money::Fen;
pub use checkout_shared::undelivered;
pub use error::Error;

use checkout_shared::api::ErrorBody;
use checkout_shared::sign::Secret;
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::time::Duration;

/// How long one request may take before it is abandoned (and, if retries are left, retried).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Retries after the first try, for answers that say retrying may help.
const DEFAULT_MAX_RETRIES: u32 = 2;
/// The first retry's wait; each later one doubles it.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
/// A `Retry-After` longer than this is not waited for: the error goes to the caller.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// A client of one edge, with one merchant key. Cheap to clone; clones share connections.
#[derive(Clone, Debug)]
pub struct Client {
    base_url: String,
    key: Secret,
    http: reqwest::Client,
    max_retries: u32,
    idempotency_key: Option<String>,
}

impl Client {
    /// A client of the edge at `base_url` (`https://pay.example.com`, or `http://127.0.0.1:8787`
    /// for `wrangler dev`) using the merchant secret key `key`.
    pub fn new(base_url: &str, key: &str) -> Result<Client, Error> {
        let base_url = base_url.trim_end_matches('/');
        if !(base_url.starts_with("https://") || base_url.starts_with("http://")) {
            return Err(Error::Config(format!(
                "the edge URL must start with https:// or http://, not {base_url:?}"
            )));
        }
        if key.trim().is_empty() {
            return Err(Error::Config("the merchant key is empty".into()));
        }
        let http = reqwest::Client::builder()
            .timeout(DEFAULT_TIMEOUT)
            // An edge never redirects an API call; following one would send the key elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(Error::Transport)?;
        Ok(Client {
            base_url: base_url.to_owned(),
            key: Secret::new(key.trim()),
            http,
            max_retries: DEFAULT_MAX_RETRIES,
            idempotency_key: None,
        })
    }

    /// The same client with another number of retries (0 turns them off).
    pub fn with_max_retries(mut self, retries: u32) -> Client {
        self.max_retries = retries;
        self
    }

    /// The same client, sending `key` as the `Idempotency-Key` of its `POST`s instead of a fresh
    /// one per call: use one such client per logical operation ("create the session of order
    /// 1001"), so that repeating the operation, even from another process, repeats its answer.
    pub fn with_idempotency_key(&self, key: impl Into<String>) -> Client {
        Client { idempotency_key: Some(key.into()), ..self.clone() }
    }

    /// The edge's base URL, without a trailing `/`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        self.send(Method::GET, path, None::<&()>).await
    }

    pub(crate) async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, Error> {
        self.send(Method::POST, path, Some(body)).await
    }

    pub(crate) async fn delete<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        self.send(Method::DELETE, path, None::<&()>).await
    }

    /// One API call with its retries. `path` starts with `/v1/` and is already escaped.
    async fn send<B: Serialize, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, Error> {
        let body = body.map(serde_json::to_vec).transpose().map_err(|e| Error::Config(e.to_string()))?;
        // One key for every try of this call: the edge answers a retry with the first answer.
        let idempotency_key =
            (method == Method::POST).then(|| self.idempotency_key.clone().unwrap_or_else(new_key));
        let mut attempt = 0;
        loop {
            let mut request = self
                .http
                .request(method.clone(), format!("{}{path}", self.base_url))
                .bearer_auth(self.key.expose())
                .header("Accept", "application/json");
            if let Some(key) = &idempotency_key {
                request = request.header("Idempotency-Key", key);
            }
            if let Some(body) = &body {
                request = request.header("Content-Type", "application/json").body(body.clone());
            }
            let outcome = match request.send().await {
                Ok(response) => read(response).await,
                Err(e) => Err(Error::Transport(e)),
            };
            let wait = match &outcome {
                Err(e) if attempt < self.max_retries => e.retry_wait(FIRST_BACKOFF * 2u32.pow(attempt)),
                _ => None,
            };
            match wait {
                Some(wait) if wait <= MAX_RETRY_AFTER => {
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                _ => return outcome,
            }
        }
    }
}

/// Reads an answer: its JSON on success, the edge's error otherwise.
async fn read<T: DeserializeOwned>(response: reqwest::Response) -> Result<T, Error> {
    let status = response.status();
    let retry_after = response
        .headers()
        .get("Retry-After")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let bytes = response.bytes().await.map_err(Error::Transport)?;
    if status.is_success() {
        // `204 No Content` (a deletion) reads as JSON `null`, which is `()`.
        let bytes: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
        return serde_json::from_slice(bytes).map_err(|e| Error::UnexpectedAnswer {
            status: status.as_u16(),
            detail: format!("the answer does not have the expected shape: {e}"),
        });
    }
    match serde_json::from_slice::<ErrorBody>(&bytes) {
        Ok(body) => Err(Error::Api { status: status.as_u16(), error: Box::new(body.error), retry_after }),
        Err(_) => Err(Error::UnexpectedAnswer {
            status: status.as_u16(),
            detail: if status == StatusCode::NOT_FOUND {
                "not found (is the URL an edge?)".into()
            } else {
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned()
            },
        }),
    }
}

/// A fresh idempotency key: 128 random bits.
fn new_key() -> String {
    format!("ck_{}", hex::encode(rand::random::<[u8; 16]>()))
}

/// Escapes one path segment (ids the caller passes in): anything but unreserved characters.
pub(crate) fn segment(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_are_escaped() {
        assert_eq!(segment("cs_abc-1.2~x"), "cs_abc-1.2~x");
        assert_eq!(segment("a/b?c#d e%"), "a%2Fb%3Fc%23d%20e%25");
        assert_eq!(segment("订单"), "%E8%AE%A2%E5%8D%95");
    }

    #[test]
    fn keys_are_fresh() {
        assert_ne!(new_key(), new_key());
        assert_eq!(new_key().len(), 3 + 32);
    }

    #[test]
    fn bad_configuration_is_refused() {
        assert!(matches!(Client::new("pay.example.com", "sk"), Err(Error::Config(_))));
        assert!(matches!(Client::new("https://pay.example.com", " "), Err(Error::Config(_))));
        let client = Client::new("https://pay.example.com/", "sk_live_x").expect("client");
        assert_eq!(client.base_url(), "https://pay.example.com");
        assert!(!format!("{client:?}").contains("sk_live_x"), "the key never prints");
    }
}
