//! Gateway callbacks. `POST /v1/notify/payzero` is verified on the raw body before anything is
//! believed; a verified notification goes to the session it names, which records it durably
//! before the plain `OK` Payzero waits for.

use super::{read_body, relay};
use crate::config;
use crate::error::{self, EdgeError};
use crate::order_index_do;
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
    // Our orders are numbered `{session id}_{n}` (the first release: the session id); a customs
    // session's Payzero order carries the shop's `merchant_order_no`, whose sessions the order
    // index lists, newest first. The first session that has the order records the notice. A
    // verified notice no session claims (an order made in Payzero's back office, say) is
    // acknowledged and logged: retrying it would change nothing.
    let order_no = order.mcht_order_no.as_str();
    let raw =
        String::from_utf8(raw).map_err(|_| EdgeError::InvalidSignature("the body is not UTF-8".into()))?;
    let call = SessionCall::Notify { raw };
    if let Some(session_id) = session::session_id_of_order_no(order_no) {
        let answer = session_do::call(env, session_id, &call).await?;
        // 404: that session does not have the order.
        if answer.status_code() != 404 {
            return relay(answer).await;
        }
    }
    if let Some(shop_order_no) = session::merchant_order_no_of(order_no) {
        for session_id in order_index_do::list(env, &shop_order_no).await? {
            if !session::is_session_id(&session_id) {
                continue;
            }
            let answer = session_do::call(env, &session_id, &call).await?;
            if answer.status_code() != 404 {
                return relay(answer).await;
            }
        }
    }
    worker::console_log!("Payzero notice for order {order_no} not made by the checkout: acknowledged");
    Ok(error::text("OK", 200))
}
