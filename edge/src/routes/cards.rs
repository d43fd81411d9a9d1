//! Bank-card quick pay: the widget's card endpoints (client secret) and the merchant's view of a
//! customer's saved cards (merchant key). The sign-up form is parsed here and forwarded to the
//! session object in memory; the worker keeps nothing of it. Each request also carries keyed
//! hashes of the card's mobile and of the client's address, for the SMS limits.

use super::checkout::{parse, secret_of};
use super::{authorize_merchant, read_body, relay};
use crate::config;
use crate::customer_do;
use crate::error::{self, EdgeError};
use crate::session_do::{self, SessionCall};
use checkout_shared::api::{CardPayRequest, CardSignupRequest, CustomerCards, SmsCodeRequest};
use checkout_shared::customer::{CustomerRequest, is_customer_id};
use checkout_shared::session::CardInput;
use checkout_shared::sms::personal_tag;
use worker::{Request, Response, RouteContext};

/// A sign-up form is a few hundred bytes; anything much larger is not one.
const MAX_BODY: usize = 2048;

/// What the request's client address hashes to (`CF-Connecting-IP`; a request without one, as
/// a local tool may send, shares the bucket of every other such request).
fn client_tag(req: &Request, ctx: &RouteContext<()>) -> Result<String, EdgeError> {
    let address = req.headers().get("CF-Connecting-IP")?.unwrap_or_else(|| "unknown".into());
    Ok(personal_tag(&config::secret(&ctx.env, "PERSONAL_DATA_KEY")?, "client", address.trim()))
}

async fn card_call(req: &Request, ctx: &RouteContext<()>, input: CardInput) -> Result<Response, EdgeError> {
    let (secret, id) = secret_of(req)?;
    relay(session_do::call(&ctx.env, &id, &SessionCall::Card { secret, input }).await?).await
}

/// `POST /v1/checkout/card/signup`: sign a card (an SMS code goes to its mobile).
pub(crate) async fn signup(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(
        async {
            let form: CardSignupRequest = parse(&read_body(&mut req, MAX_BODY).await?, "card sign-up")?;
            let key = config::secret(&ctx.env, "PERSONAL_DATA_KEY")?;
            let phone = checkout_shared::card::digits_of(form.mobile.expose());
            let phone_tag = personal_tag(&key, "phone", &phone);
            let client_tag = client_tag(&req, &ctx)?;
            card_call(&req, &ctx, CardInput::Signup { form: Box::new(form), phone_tag, client_tag }).await
        }
        .await,
    )
}

/// `POST /v1/checkout/card/signup/confirm`: the sign-up SMS code.
pub(crate) async fn signup_confirm(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(
        async {
            let code: SmsCodeRequest = parse(&read_body(&mut req, MAX_BODY).await?, "SMS code")?;
            let client_tag = client_tag(&req, &ctx)?;
            card_call(&req, &ctx, CardInput::SignupCode { code: code.code, client_tag }).await
        }
        .await,
    )
}

/// `POST /v1/checkout/card/pay`: pay with a saved or just-signed card.
pub(crate) async fn pay(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(
        async {
            let pay: CardPayRequest = parse(&read_body(&mut req, MAX_BODY).await?, "card payment")?;
            let client_tag = client_tag(&req, &ctx)?;
            card_call(&req, &ctx, CardInput::Pay { card_id: pay.card_id, saved: None, client_tag }).await
        }
        .await,
    )
}

/// `POST /v1/checkout/card/pay/confirm`: the payment SMS code.
pub(crate) async fn pay_confirm(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(
        async {
            let code: SmsCodeRequest = parse(&read_body(&mut req, MAX_BODY).await?, "SMS code")?;
            card_call(&req, &ctx, CardInput::PayCode { code: code.code }).await
        }
        .await,
    )
}

/// `POST /v1/checkout/card/pay/resend`: a new payment SMS code.
pub(crate) async fn resend(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(
        async {
            read_body(&mut req, MAX_BODY).await?;
            let client_tag = client_tag(&req, &ctx)?;
            card_call(&req, &ctx, CardInput::Resend { client_tag }).await
        }
        .await,
    )
}

/// `DELETE /v1/checkout/cards/{card_id}`: `204`, the card is forgotten; `404` when it is not one
/// of the session's cards (signed in it, or saved for its customer), and nothing is removed.
pub(crate) async fn remove(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(
        async {
            // No body is expected; read (bounded) so an oversized one is refused, nothing removed.
            read_body(&mut req, MAX_BODY).await?;
            let card_id = ctx.param("card_id").cloned().unwrap_or_default();
            card_call(&req, &ctx, CardInput::Remove { card_id, saved: false }).await
        }
        .await,
    )
}

fn customer_of(ctx: &RouteContext<()>) -> Result<String, EdgeError> {
    let customer = ctx.param("customer").cloned().unwrap_or_default();
    // The router hands the path segment as sent; percent-encoded ids are refused like any other
    // id that is not one of ours.
    if is_customer_id(&customer) { Ok(customer) } else { Err(EdgeError::NotFound) }
}

/// `GET /v1/customers/{customer}/cards` (merchant key): the customer's saved cards, masked.
pub(crate) async fn list(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(
        async {
            authorize_merchant(&req, &ctx.env)?;
            let customer = customer_of(&ctx)?;
            let cards = customer_do::list(&ctx.env, &customer).await?;
            error::json(&CustomerCards { customer, cards }, 200)
        }
        .await,
    )
}

/// `DELETE /v1/customers/{customer}/cards/{card_id}` (merchant key): `204`, or `404` when the
/// customer has no such card.
pub(crate) async fn forget(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(
        async {
            authorize_merchant(&req, &ctx.env)?;
            // No body is expected; read (bounded) so an oversized one is refused, nothing removed.
            read_body(&mut req, MAX_BODY).await?;
            let customer = customer_of(&ctx)?;
            let id = ctx.param("card_id").cloned().unwrap_or_default();
            let mut answer = customer_do::call(&ctx.env, &customer, &CustomerRequest::Forget { id }).await?;
            let forgot: serde_json::Value =
                serde_json::from_slice(&answer.bytes().await?).unwrap_or_default();
            if forgot["forgot"] == true {
                Ok(Response::empty()?.with_status(204))
            } else {
                Err(EdgeError::NotFound)
            }
        }
        .await,
    )
}
