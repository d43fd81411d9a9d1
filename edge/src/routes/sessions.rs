//! The merchant API: create, read and cancel checkout sessions, and read or resend their events
//! and the events given up across sessions (`Authorization: Bearer <merchant secret key>`, server
//! to server).

use super::{authorize_merchant, merchant_post, relay};
use crate::config;
use crate::error::{self, EdgeError};
use crate::order_index_do;
use crate::session_do::{self, SessionCall};
use crate::undelivered_do;
use checkout_shared::api::{ErrorCode, SessionCreated, SessionList};
use checkout_shared::session::{self, ClientSecret, MAX_BODY_BYTES, Session};
use checkout_shared::undelivered;
use worker::{Env, Request, Response, RouteContext};

/// `POST /v1/sessions`.
pub(crate) async fn create(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(create_inner(&mut req, &ctx.env).await)
}

async fn create_inner(req: &mut Request, env: &Env) -> Result<Response, EdgeError> {
    merchant_post(req, env, MAX_BODY_BYTES, |body| create_session(env, body)).await
}

async fn create_session(env: &Env, body: Vec<u8>) -> Result<Response, EdgeError> {
    let settings =
        session::Settings::from_vars(|name| config::optional_var(env, name)).map_err(EdgeError::Config)?;
    let params = session::parse_create_request(&body, &settings)?;
    // A live edge takes no payment through a configuration that is incomplete or points inward.
    if settings.live
        && let Some(why) = config::readiness(env).refusal(&params.methods)
    {
        return Err(session::Refusal::new(ErrorCode::NotConfigured, why).into());
    }
    let id = session::new_session_id(config::random()?);
    let secret = ClientSecret::new(session::new_client_secret(&id, config::random()?));
    order_index_do::remember(env, &params.merchant_order_no, &id).await?;
    let new = Session::open(id.clone(), secret, params, config::now_ms() / 1000);
    relay(session_do::call(env, &id, &SessionCall::Create { session: Box::new(new) }).await?).await
}

/// `GET /v1/sessions?merchant_order_no=…`: the sessions made for one shop order, newest first.
pub(crate) async fn find(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(find_inner(&req, &ctx.env).await)
}

async fn find_inner(req: &Request, env: &Env) -> Result<Response, EdgeError> {
    authorize_merchant(req, env)?;
    let url = req.url()?;
    let order_no = url.query_pairs().find(|(k, _)| k == "merchant_order_no").map(|(_, v)| v.into_owned());
    let Some(order_no) = order_no.as_deref().and_then(session::merchant_order_no_of) else {
        return Err(EdgeError::Invalid(
            ErrorCode::InvalidRequest,
            "give the shop's order number: ?merchant_order_no=… (1 to 64 characters)".into(),
        ));
    };
    let mut data = Vec::new();
    for id in order_index_do::list(env, &order_no).await? {
        let mut answer = session_do::call(env, &id, &SessionCall::MerchantView).await?;
        // An id remembered for a session that was then never made (its creation failed).
        if answer.status_code() == 404 {
            continue;
        }
        let view: SessionCreated = serde_json::from_slice(&answer.bytes().await?)
            .map_err(|e| EdgeError::Internal(format!("session view: {e}")))?;
        data.push(view);
    }
    error::json(&SessionList { data }, 200)
}

/// `GET /v1/sessions/{id}`.
pub(crate) async fn get(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(by_id(&req, &ctx, SessionCall::MerchantView).await)
}

/// `POST /v1/sessions/{id}/cancel` (an empty body or `{}`).
pub(crate) async fn cancel(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let id = ctx.param("id").cloned().unwrap_or_default();
    error::handle(
        merchant_post(&mut req, &ctx.env, MAX_BODY_BYTES, |_| async {
            if !session::is_session_id(&id) {
                return Err(EdgeError::NotFound);
            }
            relay(session_do::call(&ctx.env, &id, &SessionCall::Cancel).await?).await
        })
        .await,
    )
}

async fn by_id(req: &Request, ctx: &RouteContext<()>, call: SessionCall) -> Result<Response, EdgeError> {
    authorize_merchant(req, &ctx.env)?;
    let id = ctx.param("id").map(String::as_str).unwrap_or_default();
    if !session::is_session_id(id) {
        return Err(EdgeError::NotFound);
    }
    relay(session_do::call(&ctx.env, id, &call).await?).await
}

/// `GET /v1/sessions/{id}/events`: the session's merchant events and where each delivery stands
/// (delivered, waiting for its next retry, or given up).
pub(crate) async fn events(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(by_id(&req, &ctx, SessionCall::Events).await)
}

/// `GET /v1/events?delivered=false[&limit=N][&cursor=C]`: the events given up after their last
/// retry, in every session, oldest first (at most 100, default 20; `has_more` and `next_cursor`
/// when more remain, `cursor` for the page after). Each is sent again by `POST
/// /v1/sessions/{session_id}/events/{id}/resend`, and leaves the list once delivered.
pub(crate) async fn undelivered_events(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(
        async {
            authorize_merchant(&req, &ctx.env)?;
            let url = req.url()?;
            let param = |name: &str| url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned());
            let query = undelivered::list_query(
                param("delivered").as_deref(),
                param("limit").as_deref(),
                param("cursor").as_deref(),
            )
            .map_err(|why| EdgeError::Invalid(ErrorCode::InvalidRequest, why.into()))?;
            error::json(&undelivered_do::list(&ctx.env, query).await?, 200)
        }
        .await,
    )
}

/// `POST /v1/sessions/{id}/events/{event_id}/resend` (an empty body or `{}`): delivers the event
/// again now, e.g. one given up while the merchant's endpoint was down for days.
pub(crate) async fn resend_event(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let id = ctx.param("id").cloned().unwrap_or_default();
    let event_id = ctx.param("event_id").cloned().unwrap_or_default();
    error::handle(
        merchant_post(&mut req, &ctx.env, MAX_BODY_BYTES, |_| async {
            if !session::is_session_id(&id) {
                return Err(EdgeError::NotFound);
            }
            relay(session_do::call(&ctx.env, &id, &SessionCall::ResendEvent { event_id }).await?).await
        })
        .await,
    )
}
