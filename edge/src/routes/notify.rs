//! Gateway callbacks. `POST /v1/notify/payzero` is verified on the raw body before anything is
//! believed; a verified notification goes to the session it names, which records it durably
//! before the plain `OK` Payzero waits for.

use super::{read_body, relay};
use crate::config;
use crate::error::{self, EdgeError};
use crate::session_do::{self, SessionCall};
use checkout_shared::session;
use checkout_shared::sign;
use worker::{Env, Request, Response, RouteContext};

/// Payzero's notifications are a few kilobytes at most (`initRequest`/`initResponse` included).
const MAX_NOTIFICATION: usize = 64 * 1024;

/// `POST /v1/notify/payzero`.
pub(crate) async fn payzero(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    match payzero_inner(&mut req, &ctx.env).await {
        Ok(answer) => Ok(answer),
        Err(e) => Ok(error::callback_response(Err(e))),
    }
}

async fn payzero_inner(req: &mut Request, env: &Env) -> Result<Response, EdgeError> {
    let raw = read_body(req, MAX_NOTIFICATION).await?;
    let token = config::secret(env, "PAYZERO_SIGN_TOKEN")?;
    let verified = sign::verify_payzero_notification(&raw, &token)
        .map_err(|e| EdgeError::InvalidSignature(e.to_string()))?;
    let order = verified
        .order_result()
        .map_err(|e| EdgeError::InvalidSignature(format!("signed but unreadable msgBody: {e}")))?;
    // Our orders are numbered by session id; anything else is not ours, and saying OK would
    // hide the error from Payzero's retry report.
    if !session::is_session_id(&order.mcht_order_no) {
        return Err(EdgeError::NotFound);
    }
    relay(session_do::call(env, &order.mcht_order_no, SessionCall::Notify { raw }).await?).await
}
