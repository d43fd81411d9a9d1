//! `SmsLimiter`: one Durable Object per SMS limit key (`phone:{tag}` or `client:{tag}`, keyed
//! hashes: the clear number or address never reaches it). It keeps the key's sliding window
//! (`checkout_shared::sms::SmsWindow`, where the whole rule lives) and answers a permit request
//! with `200` or `429 {"retry_after"}`. Only session objects call it, through its binding.

use crate::error::{self, EdgeError};
use crate::objects;
use checkout_shared::gateway::Answer;
use checkout_shared::sms::{SmsKey, SmsWindow};
use serde::{Deserialize, Serialize};
use worker::{DurableObject, Env, Request, Response, State, durable_object};

const BINDING: &str = "SMS_LIMITER";
const STORAGE_KEY: &str = "window";

/// A permit request: the caps of the key, and the time of the session asking (so a test clock
/// moved for a session moves its limits too).
#[derive(Serialize, Deserialize)]
struct PermitRequest {
    per_hour: u32,
    per_day: u32,
    now_ms: u64,
}

/// Asks the limiter of `key` for one SMS at `now_ms`; its answer as the session core reads it.
pub(crate) async fn permit(env: &Env, key: &SmsKey, now_ms: u64) -> Result<Answer, EdgeError> {
    let request = PermitRequest { per_hour: key.per_hour, per_day: key.per_day, now_ms };
    let body = serde_json::to_vec(&request).map_err(|e| EdgeError::Internal(e.to_string()))?;
    let mut answer =
        objects::post(env, BINDING, &key.name, "https://sms-limiter.internal/permit", &body).await?;
    Ok(Answer::Http { status: answer.status_code(), body: answer.bytes().await? })
}

#[durable_object(fetch)]
pub struct SmsLimiter {
    state: State,
}

impl DurableObject for SmsLimiter {
    fn new(state: State, _env: Env) -> Self {
        SmsLimiter { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let result = async {
            let body = req.bytes().await?;
            let ask: PermitRequest = serde_json::from_slice(&body)
                .map_err(|e| EdgeError::Internal(format!("permit request: {e}")))?;
            // Storage calls hold the object's input gate, so no other permit interleaves between
            // this read and the write below.
            let storage = self.state.storage();
            let mut window: SmsWindow = storage.get(STORAGE_KEY).await?.unwrap_or_default();
            match window.take(ask.now_ms, ask.per_hour, ask.per_day) {
                Ok(()) => {
                    storage.put(STORAGE_KEY, &window).await?;
                    error::json(&serde_json::json!({}), 200)
                }
                Err(retry_after) => error::json(&serde_json::json!({ "retry_after": retry_after }), 429),
            }
        }
        .await;
        error::handle(result)
    }
}
