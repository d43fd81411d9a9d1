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
    // Our orders are numbered `{session id}_{n}` (the first release: the session id). A verified
    // notice for any other order (one made in Payzero's back office, say) is acknowledged and
    // logged: retrying it would change nothing.
    let Some(session_id) = session::session_id_of_order_no(&order.mcht_order_no) else {
        worker::console_log!(
            "Payzero notice for order {} not made by the checkout: acknowledged",
            order.mcht_order_no
        );
        return Ok(error::text("OK", 200));
    };
    let raw =
        String::from_utf8(raw).map_err(|_| EdgeError::InvalidSignature("the body is not UTF-8".into()))?;
    relay(session_do::call(env, session_id, &SessionCall::Notify { raw }).await?).await
}
