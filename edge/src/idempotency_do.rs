//! `IdempotencyKeys`: one Durable Object per `Idempotency-Key` of the merchant API. It stores the
//! key's record and applies `checkout_shared::idempotency::decide` to it (the rule lives there);
//! an alarm forgets the key once its lifetime is over. Only the worker's merchant routes call it.

use crate::error::{self, EdgeError};
use crate::objects;
use checkout_shared::idempotency::{self, Decision, KEY_LIFETIME_SECS, Record, StoredAnswer};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use worker::{DurableObject, Env, Request, Response, State, durable_object};

const BINDING: &str = "IDEMPOTENCY_KEYS";
const STORAGE_KEY: &str = "record";

/// What the worker asks: to begin a request, or to finish it with its answer.
#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Ask {
    Begin {
        fingerprint: String,
        now: u64,
    },
    /// `answer` is `None` when the answer is not to be kept: the key is released.
    Finish {
        fingerprint: String,
        answer: Option<StoredAnswer>,
    },
}

/// The object's answer to `Begin`.
#[derive(Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub(crate) enum Begun {
    Proceed,
    Replay { answer: StoredAnswer },
    Conflict,
    InProgress,
}

/// Begins a request with `key` and `fingerprint`.
pub(crate) async fn begin(env: &Env, key: &str, fingerprint: &str, now: u64) -> Result<Begun, EdgeError> {
    let mut answer = ask(env, key, &Ask::Begin { fingerprint: fingerprint.to_owned(), now }).await?;
    serde_json::from_slice(&answer.bytes().await?)
        .map_err(|e| EdgeError::Internal(format!("idempotency object answer: {e}")))
}

/// Finishes a request: keeps its answer if it is one to repeat, releases the key otherwise.
pub(crate) async fn finish(
    env: &Env,
    key: &str,
    fingerprint: &str,
    answer: &StoredAnswer,
) -> Result<(), EdgeError> {
    let answer = idempotency::keeps(answer.status).then(|| answer.clone());
    ask(env, key, &Ask::Finish { fingerprint: fingerprint.to_owned(), answer }).await?;
    Ok(())
}

async fn ask(env: &Env, key: &str, ask: &Ask) -> Result<Response, EdgeError> {
    let body = serde_json::to_vec(ask).map_err(|e| EdgeError::Internal(e.to_string()))?;
    let answer = objects::post(env, BINDING, key, "https://idempotency.internal/", &body).await?;
    if answer.status_code() != 200 {
        return Err(EdgeError::Internal(format!("idempotency object answered {}", answer.status_code())));
    }
    Ok(answer)
}

#[durable_object(alarm)]
pub struct IdempotencyKeys {
    state: State,
}

impl DurableObject for IdempotencyKeys {
    fn new(state: State, _env: Env) -> Self {
        IdempotencyKeys { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let result = async {
            let ask: Ask = serde_json::from_slice(&req.bytes().await?)
                .map_err(|e| EdgeError::Internal(format!("idempotency request: {e}")))?;
            // Storage calls hold the object's input gate: no other request with this key
            // interleaves between the read and the write.
            let storage = self.state.storage();
            let record: Option<Record> = storage.get(STORAGE_KEY).await?;
            match ask {
                Ask::Begin { fingerprint, now } => {
                    let begun = match idempotency::decide(record.as_ref(), &fingerprint, now) {
                        Decision::Proceed(record) => {
                            storage.put(STORAGE_KEY, &record).await?;
                            // A first use (not a take-over of a dead try) starts the key's life.
                            if record.created == now {
                                storage.set_alarm(Duration::from_secs(KEY_LIFETIME_SECS)).await?;
                            }
                            Begun::Proceed
                        }
                        Decision::Replay(answer) => Begun::Replay { answer },
                        Decision::Conflict => Begun::Conflict,
                        Decision::InProgress => Begun::InProgress,
                    };
                    error::json(&begun, 200)
                }
                Ask::Finish { fingerprint, answer } => {
                    // Only the request that holds the key finishes it.
                    if let Some(mut record) =
                        record.filter(|r| r.fingerprint == fingerprint && r.answer.is_none())
                    {
                        match answer {
                            Some(answer) => {
                                record.answer = Some(answer);
                                storage.put(STORAGE_KEY, &record).await?;
                            }
                            None => storage.delete_all().await?,
                        }
                    }
                    error::json(&serde_json::json!({}), 200)
                }
            }
        }
        .await;
        error::handle(result)
    }

    async fn alarm(&self) -> worker::Result<Response> {
        self.state.storage().delete_all().await?;
        Response::empty()
    }
}
