//! The merchant API: create, read and cancel checkout sessions (`Authorization: Bearer <merchant
//! secret key>`, server to server).

use super::{authorize_merchant, merchant_post, relay};
use crate::config;
use crate::error::{self, EdgeError};
use crate::session_do::{self, SessionCall};
use checkout_shared::session::{self, ClientSecret, MAX_BODY_BYTES, Session};
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
    let id = session::new_session_id(config::random()?);
    let secret = ClientSecret::new(session::new_client_secret(&id, config::random()?));
    let new = Session::open(id.clone(), secret, params, config::now_ms() / 1000);
    relay(session_do::call(env, &id, &SessionCall::Create { session: Box::new(new) }).await?).await
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
