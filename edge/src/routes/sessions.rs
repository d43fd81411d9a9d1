//! The merchant API: create, read and cancel checkout sessions (`Authorization: Bearer <merchant
//! secret key>`, server to server).

use super::{authorize_merchant, read_body, relay};
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
    authorize_merchant(req, env)?;
    let body = read_body(req, MAX_BODY_BYTES).await?;
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

/// `POST /v1/sessions/{id}/cancel`.
pub(crate) async fn cancel(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(by_id(&req, &ctx, SessionCall::Cancel).await)
}

async fn by_id(req: &Request, ctx: &RouteContext<()>, call: SessionCall) -> Result<Response, EdgeError> {
    authorize_merchant(req, &ctx.env)?;
    let id = ctx.param("id").map(String::as_str).unwrap_or_default();
    if !session::is_session_id(id) {
        return Err(EdgeError::NotFound);
    }
    relay(session_do::call(&ctx.env, id, &call).await?).await
}
