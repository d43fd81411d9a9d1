//! The Payzero token cache: one Durable Object (`PayzeroAuth`, named "payzero") logs in with the
//! AppId/AppKey, keeps the JWT until `TOKEN_REFRESH_MARGIN_SECS` before its `exp`, and drops a
//! token a caller reports as refused (401/403). `call` is how the rest of the edge talks to
//! Payzero: it fetches a token, sends the request, and on 401/403 logs in again and retries once.

use crate::config;
use crate::error::{self, EdgeError};
use crate::upstream;
use checkout_shared::session::{
    CachedToken, UpstreamFailure, UpstreamRequest, interpret_login, interpret_payzero, payzero_login,
};
use checkout_shared::sign::Secret;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use worker::js_sys::Uint8Array;
use worker::{DurableObject, Env, Headers, Method, Request, RequestInit, Response, State, durable_object};

const BINDING: &str = "PAYZERO_AUTH";
const OBJECT_NAME: &str = "payzero";
const STORAGE_KEY: &str = "token";

/// What a caller asks the token cache: a usable token, and optionally one it saw refused.
#[derive(Serialize, Deserialize)]
struct TokenRequest {
    #[serde(default)]
    refused: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct TokenAnswer {
    token: String,
}

#[durable_object(fetch)]
pub struct PayzeroAuth {
    state: State,
    env: Env,
    cached: RefCell<Option<CachedToken>>,
}

impl DurableObject for PayzeroAuth {
    fn new(state: State, env: Env) -> Self {
        PayzeroAuth { state, env, cached: RefCell::new(None) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let result = async {
            let body = req.bytes().await?;
            let ask: TokenRequest = serde_json::from_slice(&body)
                .map_err(|e| EdgeError::Internal(format!("token request: {e}")))?;
            let token = self.token(ask.refused.as_deref()).await?;
            error::json(&TokenAnswer { token }, 200)
        }
        .await;
        error::handle(result)
    }
}

impl PayzeroAuth {
    async fn token(&self, refused: Option<&str>) -> Result<String, EdgeError> {
        let now = config::now_ms() / 1000;
        let in_memory = self.cached.borrow().clone();
        let cached = match in_memory {
            Some(t) => Some(t),
            None => self
                .state
                .storage()
                .get::<String>(STORAGE_KEY)
                .await?
                .and_then(|s| serde_json::from_str::<CachedToken>(&s).ok()),
        };
        if let Some(t) = cached {
            // A refused token is dropped even before its `exp`; another caller may already have
            // replaced it, in which case the newer one is still good.
            let refused_now =
                refused.is_some_and(|r| checkout_shared::sign::bytes_eq(r.as_bytes(), t.token.as_bytes()));
            if !refused_now && t.is_fresh(now) {
                *self.cached.borrow_mut() = Some(t.clone());
                return Ok(t.token);
            }
        }
        let fresh = self.login().await?;
        if fresh.exp <= now {
            return Err(EdgeError::Upstream(UpstreamFailure::Malformed(
                "the login token is already expired".into(),
            )));
        }
        *self.cached.borrow_mut() = Some(fresh.clone());
        let stored = serde_json::to_string(&fresh).map_err(|e| EdgeError::Internal(format!("token: {e}")))?;
        self.state.storage().put(STORAGE_KEY, stored).await?;
        Ok(fresh.token)
    }

    async fn login(&self) -> Result<CachedToken, EdgeError> {
        let api_url = config::var(&self.env, "PAYZERO_API_URL")?;
        let app_id = config::secret(&self.env, "PAYZERO_APP_ID")?;
        let app_key = config::secret(&self.env, "PAYZERO_APP_KEY")?;
        let answer = upstream::send(&payzero_login(&api_url, &app_id, &app_key)).await?;
        // A refused login is a configuration problem, not a stale token: never loop on it.
        interpret_login(answer.status, &answer.body).map_err(|failure| match failure {
            UpstreamFailure::Unauthorized(status) => {
                EdgeError::Config(format!("Payzero refused the AppId/AppKey (HTTP {status})"))
            }
            other => EdgeError::Upstream(other),
        })
    }
}

/// Asks the token cache for a token (reporting `refused` if the last one was refused).
async fn token(env: &Env, refused: Option<&Secret>) -> Result<Secret, EdgeError> {
    let stub = env.durable_object(BINDING)?.id_from_name(OBJECT_NAME)?.get_stub()?;
    let ask = TokenRequest { refused: refused.map(|t| t.expose().to_owned()) };
    let body = serde_json::to_vec(&ask).map_err(|e| EdgeError::Internal(e.to_string()))?;
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(Uint8Array::from(body.as_slice()).into()));
    let request = Request::new_with_init("https://payzero-auth.internal/token", &init)?;
    let mut response = stub.fetch_with_request(request).await?;
    if response.status_code() != 200 {
        // The cache logged the reason; here it is only "no token".
        return Err(EdgeError::Upstream(UpstreamFailure::Unreachable(format!(
            "the token cache answered HTTP {}",
            response.status_code()
        ))));
    }
    let answer: TokenAnswer = response.json().await?;
    Ok(Secret::new(answer.token))
}

/// Calls Payzero with a token: `build` makes the request from the token; a 401 or 403 makes the
/// cache log in again, and the call is retried once with the new token.
pub(crate) async fn call<T: DeserializeOwned>(
    env: &Env,
    build: impl Fn(&Secret) -> UpstreamRequest,
) -> Result<T, EdgeError> {
    let first = token(env, None).await?;
    let answer = upstream::send(&build(&first)).await?;
    match interpret_payzero(answer.status, &answer.body) {
        Err(UpstreamFailure::Unauthorized(_)) => {
            let second = token(env, Some(&first)).await?;
            let answer = upstream::send(&build(&second)).await?;
            Ok(interpret_payzero(answer.status, &answer.body)?)
        }
        other => Ok(other?),
    }
}
