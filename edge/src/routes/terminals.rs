//! The merchant API for the Shouqianba terminal (`Authorization: Bearer <merchant secret key>`):
//! force a check-in, which rotates the terminal key. The answer names the terminal and the time,
//! never the key, which stays inside the terminal object.

use super::authorize_merchant;
use crate::error::{self, EdgeError};
use crate::terminal_do;
use worker::{Env, Request, Response, RouteContext};

/// `POST /v1/shouqianba/terminal/checkin` → `{"terminal_sn", "checked_in_at"}` (unix seconds).
/// Activates the terminal first if it never was.
pub(crate) async fn checkin(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(checkin_inner(&req, &ctx.env).await)
}

async fn checkin_inner(req: &Request, env: &Env) -> Result<Response, EdgeError> {
    authorize_merchant(req, env)?;
    error::json(&terminal_do::check_in(env).await?, 200)
}
