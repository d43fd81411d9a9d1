//! The merchant API for the Shouqianba terminal (`Authorization: Bearer <merchant secret key>`):
//! force a check-in, which rotates the terminal key. The answer names the terminal and the time,
//! never the key, which stays inside the terminal object.

use super::merchant_post;
use crate::error;
use crate::terminal_do;
use checkout_shared::session::MAX_BODY_BYTES;
use worker::{Request, Response, RouteContext};

/// `POST /v1/shouqianba/terminal/checkin` → `{"terminal_sn", "checked_in_at"}` (unix seconds).
/// Activates the terminal first if it never was.
pub(crate) async fn checkin(mut req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let env = &ctx.env;
    error::handle(
        merchant_post(&mut req, env, MAX_BODY_BYTES, |_| async {
            error::json(&terminal_do::check_in(env).await?, 200)
        })
        .await,
    )
}
