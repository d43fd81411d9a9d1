//! The Payzero token cache: one Durable Object (`PayzeroAuth`, named "payzero") logs in with the
//! AppId/AppKey and keeps the JWT; the rule for when to log in again (`plan_token`: near `exp`, or
//! a token a caller saw refused) is pure, in `checkout_shared::gateway::payzero`. Session objects
//! keep the token they got in memory and ask here only when they have none or it was refused,
//! so this one global object is not on every call's path.

use crate::config;
use crate::error::{self, EdgeError};
use crate::objects;
use crate::upstream;
use checkout_shared::gateway::payzero::{
    CachedToken, LoginError, TokenPlan, interpret_login, login, plan_token,
};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use worker::{DurableObject, Env, Request, Response, State, durable_object};

const BINDING: &str = "PAYZERO_AUTH";
const OBJECT_NAME: &str = "payzero";
const STORAGE_KEY: &str = "token";

/// What a caller asks the token cache: a usable token, and optionally one it saw refused.
#[derive(Serialize, Deserialize)]
struct TokenRequest {
    #[serde(default)]
    refused: Option<String>,
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
            error::json(&token, 200)
        }
        .await;
        error::handle(result)
    }
}

impl PayzeroAuth {
    async fn token(&self, refused: Option<&str>) -> Result<CachedToken, EdgeError> {
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
        if let TokenPlan::Use(t) = plan_token(cached.as_ref(), refused, now) {
            *self.cached.borrow_mut() = Some(t.clone());
            return Ok(t);
        }
        let fresh = self.login(now).await?;
        *self.cached.borrow_mut() = Some(fresh.clone());
        let stored = serde_json::to_string(&fresh).map_err(|e| EdgeError::Internal(format!("token: {e}")))?;
        self.state.storage().put(STORAGE_KEY, stored).await?;
        Ok(fresh)
    }

    async fn login(&self, now: u64) -> Result<CachedToken, EdgeError> {
        let api_url = config::var(&self.env, "PAYZERO_API_URL")?;
        let app_id = config::secret(&self.env, "PAYZERO_APP_ID")?;
        let app_key = config::secret(&self.env, "PAYZERO_APP_KEY")?;
        let answer =
            upstream::send(&login(&api_url, &app_id, &app_key)).await.map_err(EdgeError::Upstream)?;
        // A refused login is a configuration problem, not a stale token: never loop on it.
        interpret_login(answer.status, &answer.body, now).map_err(|e| match e {
            LoginError::Refused => EdgeError::Config(format!("{e} (HTTP {})", answer.status)),
            LoginError::Failed(reason) => EdgeError::Upstream(reason),
        })
    }
}

/// Asks the token cache for a token, reporting `refused` if the caller's last one was refused.
pub(crate) async fn token(env: &Env, refused: Option<&CachedToken>) -> Result<CachedToken, EdgeError> {
    let ask = TokenRequest { refused: refused.map(|t| t.token.clone()) };
    let body = serde_json::to_vec(&ask).map_err(|e| EdgeError::Internal(e.to_string()))?;
    let mut response =
        objects::post(env, BINDING, OBJECT_NAME, "https://payzero-auth.internal/token", &body).await?;
    if response.status_code() != 200 {
        // The cache logged the reason; here it is only "no token".
        return Err(EdgeError::Upstream(format!("the token cache answered HTTP {}", response.status_code())));
    }
    Ok(response.json().await?)
}
