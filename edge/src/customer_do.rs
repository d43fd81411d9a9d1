//! `CustomerCards`: one Durable Object per merchant customer, holding the cards they signed
//! (`checkout_shared::customer`, where the whole logic lives): the Payzero agreement and masked
//! forms, never a card or ID number. Session objects save and read cards through it; the merchant
//! API lists and forgets them.

use crate::error::{self, EdgeError};
use crate::objects;
use checkout_shared::api::SavedCard;
use checkout_shared::customer::{CustomerCards as Cards, CustomerRequest, StoredCard};
use checkout_shared::gateway::Answer;
use checkout_shared::json::decode;
use worker::{DurableObject, Env, Request, Response, State, durable_object};

const BINDING: &str = "CUSTOMER_CARDS";
const STORAGE_KEY: &str = "cards";

/// Sends `request` to the object of `customer`.
pub(crate) async fn call(
    env: &Env,
    customer: &str,
    request: &CustomerRequest,
) -> Result<Response, EdgeError> {
    let body = serde_json::to_vec(request).map_err(|e| EdgeError::Internal(e.to_string()))?;
    objects::post(env, BINDING, &format!("customer:{customer}"), "https://customer.internal/cards", &body)
        .await
}

/// `call`, with the answer as the session core reads it.
pub(crate) async fn send(env: &Env, customer: &str, request: &CustomerRequest) -> Result<Answer, EdgeError> {
    let mut answer = call(env, customer, request).await?;
    Ok(Answer::Http { status: answer.status_code(), body: answer.bytes().await? })
}

/// The customer's cards, masked, newest first.
pub(crate) async fn list(env: &Env, customer: &str) -> Result<Vec<SavedCard>, EdgeError> {
    let mut answer = call(env, customer, &CustomerRequest::List).await?;
    decode(&answer.bytes().await?).map_err(|e| EdgeError::Internal(format!("customer cards: {e}")))
}

/// The customer's card `id` with its agreement, if they have it.
pub(crate) async fn get(env: &Env, customer: &str, id: &str) -> Result<Option<StoredCard>, EdgeError> {
    let mut answer = call(env, customer, &CustomerRequest::Get { id: id.to_owned() }).await?;
    if answer.status_code() == 404 {
        return Ok(None);
    }
    decode(&answer.bytes().await?).map(Some).map_err(|e| EdgeError::Internal(format!("customer card: {e}")))
}

#[durable_object(fetch)]
pub struct CustomerCards {
    state: State,
}

impl DurableObject for CustomerCards {
    fn new(state: State, _env: Env) -> Self {
        CustomerCards { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let result = async {
            let body = req.bytes().await?;
            let request: CustomerRequest = serde_json::from_slice(&body)
                .map_err(|e| EdgeError::Internal(format!("customer request: {e}")))?;
            let storage = self.state.storage();
            let mut cards: Cards = storage.get(STORAGE_KEY).await?.unwrap_or_default();
            match request {
                CustomerRequest::List => error::json(&cards.list(), 200),
                CustomerRequest::Get { id } => match cards.get(&id) {
                    Some(card) => error::json(card, 200),
                    None => Err(EdgeError::NoRoute),
                },
                CustomerRequest::Save { card } => {
                    cards.save(card);
                    storage.put(STORAGE_KEY, &cards).await?;
                    error::json(&serde_json::json!({}), 200)
                }
                CustomerRequest::Forget { id } => {
                    let forgot = cards.forget(&id);
                    storage.put(STORAGE_KEY, &cards).await?;
                    error::json(&serde_json::json!({ "forgot": forgot }), 200)
                }
            }
        }
        .await;
        error::handle(result)
    }
}
