//! `OrderIndex`: one Durable Object per shop order number (`merchant_order_no`), holding the ids
//! of the sessions made for it, newest first (`checkout_shared::session::remember_session` keeps
//! the list), so `GET /v1/sessions?merchant_order_no=…` finds them. Only the worker's merchant
//! routes call it.

use crate::error::{self, EdgeError};
use crate::objects;
use checkout_shared::session::remember_session;
use serde::{Deserialize, Serialize};
use worker::{DurableObject, Env, Request, Response, State, durable_object};

const BINDING: &str = "ORDER_INDEX";
const STORAGE_KEY: &str = "sessions";

#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Ask {
    Remember { session_id: String },
    List,
}

/// Adds a session to its order's list (before the session exists: a look-up skips an id whose
/// session was never made, while a session missing from its list could not be found).
pub(crate) async fn remember(env: &Env, merchant_order_no: &str, session_id: &str) -> Result<(), EdgeError> {
    ask(env, merchant_order_no, &Ask::Remember { session_id: session_id.to_owned() }).await?;
    Ok(())
}

/// The ids of the sessions made for `merchant_order_no`, newest first.
pub(crate) async fn list(env: &Env, merchant_order_no: &str) -> Result<Vec<String>, EdgeError> {
    let body = ask(env, merchant_order_no, &Ask::List).await?;
    serde_json::from_slice(&body).map_err(|e| EdgeError::Internal(format!("order index answer: {e}")))
}

async fn ask(env: &Env, merchant_order_no: &str, ask: &Ask) -> Result<Vec<u8>, EdgeError> {
    let body = serde_json::to_vec(ask).map_err(|e| EdgeError::Internal(e.to_string()))?;
    let mut answer =
        objects::post(env, BINDING, merchant_order_no, "https://order-index.internal/", &body).await?;
    if answer.status_code() != 200 {
        return Err(EdgeError::Internal(format!("order index answered {}", answer.status_code())));
    }
    Ok(answer.bytes().await?)
}

#[durable_object(fetch)]
pub struct OrderIndex {
    state: State,
}

impl DurableObject for OrderIndex {
    fn new(state: State, _env: Env) -> Self {
        OrderIndex { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let result = async {
            let ask: Ask = serde_json::from_slice(&req.bytes().await?)
                .map_err(|e| EdgeError::Internal(format!("order index request: {e}")))?;
            let storage = self.state.storage();
            let mut sessions: Vec<String> = storage.get(STORAGE_KEY).await?.unwrap_or_default();
            if let Ask::Remember { session_id } = ask {
                remember_session(&mut sessions, &session_id);
                storage.put(STORAGE_KEY, &sessions).await?;
            }
            error::json(&sessions, 200)
        }
        .await;
        error::handle(result)
    }
}
