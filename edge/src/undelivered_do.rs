//! `UndeliveredEvents`: one Durable Object for the whole deployment, listing the webhook events
//! given up after their last retry across every session (`checkout_shared::undelivered` has the
//! entries, their keys and the query rules). Sessions keep it current through a queued call;
//! the merchant route `GET /v1/events?delivered=false` reads it. One storage key per entry, in
//! key order oldest first, so the list has no size limit.

use crate::error::{self, EdgeError};
use crate::objects;
use checkout_shared::gateway::Answer;
use checkout_shared::undelivered::{
    KEY_PREFIX, LedgerRequest, ListQuery, Undelivered, UndeliveredList, page, start_at,
};
use worker::{DurableObject, Env, ListOptions, Request, Response, State, durable_object};

const BINDING: &str = "UNDELIVERED_EVENTS";
/// The one object's name: the list is merchant-wide.
const NAME: &str = "all";

async fn call(env: &Env, request: &LedgerRequest) -> Result<Response, EdgeError> {
    let body = serde_json::to_vec(request).map_err(|e| EdgeError::Internal(e.to_string()))?;
    objects::post(env, BINDING, NAME, "https://undelivered.internal/", &body).await
}

/// `request` for a session's queued call, with the answer as the session core reads it.
pub(crate) async fn send(env: &Env, request: &LedgerRequest) -> Result<Answer, EdgeError> {
    let mut answer = call(env, request).await?;
    Ok(Answer::Http { status: answer.status_code(), body: answer.bytes().await? })
}

/// The oldest `query.limit` events given up, after the cursor `query.after` if any.
pub(crate) async fn list(env: &Env, query: ListQuery) -> Result<UndeliveredList, EdgeError> {
    let mut answer = call(env, &LedgerRequest::List { limit: query.limit, after: query.after }).await?;
    if answer.status_code() != 200 {
        return Err(EdgeError::Internal(format!("the undelivered events answered {}", answer.status_code())));
    }
    serde_json::from_slice(&answer.bytes().await?)
        .map_err(|e| EdgeError::Internal(format!("undelivered events: {e}")))
}

#[durable_object(fetch)]
pub struct UndeliveredEvents {
    state: State,
}

impl DurableObject for UndeliveredEvents {
    fn new(state: State, _env: Env) -> Self {
        UndeliveredEvents { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let result = async {
            let body = req.bytes().await?;
            let request: LedgerRequest = serde_json::from_slice(&body)
                .map_err(|e| EdgeError::Internal(format!("undelivered events request: {e}")))?;
            let storage = self.state.storage();
            match request {
                // Entries are kept as JSON text, read back as they were written.
                LedgerRequest::GaveUp { event } => {
                    let text =
                        serde_json::to_string(&event).map_err(|e| EdgeError::Internal(e.to_string()))?;
                    storage.put(&event.key(), text).await?;
                    error::json(&serde_json::json!({}), 200)
                }
                LedgerRequest::Delivered { event } => {
                    storage.delete(&event.key()).await?;
                    error::json(&serde_json::json!({}), 200)
                }
                LedgerRequest::List { limit, after } => {
                    // One more than asked, to know whether more remain, and one more again for
                    // the cursor's own entry, which the inclusive start may list.
                    let wanted = usize::try_from(limit).unwrap_or(usize::MAX).saturating_add(2);
                    let start = after.as_deref().map(start_at);
                    let mut options = ListOptions::new().prefix(KEY_PREFIX).limit(wanted);
                    if let Some(start) = &start {
                        options = options.start(start);
                    }
                    let found = storage.list_with_options(options).await?;
                    let mut entries = Vec::new();
                    for value in found.values() {
                        let text = value.ok().and_then(|v| v.as_string()).unwrap_or_default();
                        let entry: Undelivered = serde_json::from_str(&text)
                            .map_err(|e| EdgeError::Internal(format!("a stored undelivered event: {e}")))?;
                        entries.push(entry);
                    }
                    error::json(&page(entries, limit, after.as_deref()), 200)
                }
            }
        }
        .await;
        error::handle(result)
    }
}
