//! The merchant's refunds (`Authorization: Bearer <merchant secret key>`): create one on a paid
//! session, read one. The session object decides (paid, within what is left) and follows the
//! refund up with the gateway on its alarms.

use super::checkout::parse;
use super::{authorize_merchant, merchant_post, relay};
use crate::error::{self, EdgeError};
use crate::session_do::{self, SessionCall};
use checkout_shared::api::RefundRequest;
use checkout_shared::session::{self, refund_index_of};
use worker::{Request, Response, RouteContext};

/// A refund request is a few dozen bytes.
const MAX_BODY: usize = 1024;

/// `POST /v1/sessions/{id}/refunds` `{amount?, reason?}` → `201` with the refund.
pub(crate) async fn create(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let id = ctx.param("id").cloned().unwrap_or_default();
    let env = &ctx.env;
    error::handle(
        merchant_post(&mut req, env, MAX_BODY, |body| async move {
            if !session::is_session_id(&id) {
                return Err(EdgeError::NotFound);
            }
            // An empty body is a full refund with no reason.
            let request: RefundRequest = if body.iter().all(u8::is_ascii_whitespace) {
                RefundRequest::default()
            } else {
                parse(&body, "refund request")?
            };
            relay(session_do::call(env, &id, &SessionCall::Refund { request }).await?).await
        })
        .await,
    )
}

/// `GET /v1/sessions/{id}/refunds/{refund_id}`.
pub(crate) async fn get(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(
        async {
            authorize_merchant(&req, &ctx.env)?;
            let id = ctx.param("id").map(String::as_str).unwrap_or_default();
            let refund_id = ctx.param("refund_id").map(String::as_str).unwrap_or_default();
            let index = refund_index_of(id, refund_id).filter(|_| session::is_session_id(id));
            let Some(index) = index else { return Err(EdgeError::NotFound) };
            relay(session_do::call(&ctx.env, id, &SessionCall::RefundView { index }).await?).await
        }
        .await,
    )
}
