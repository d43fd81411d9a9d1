//! The Payzero back-office calls of the merchant API (`Authorization: Bearer <merchant secret
//! key>`, server to server, outside `/v1/checkout` so no browser origin is ever allowed): order
//! batches, createAndPay/arrangePay, orders paid elsewhere pushed for declaration, the real-name
//! check and customs declaration. `checkout_shared::backoffice` checks the fields and reads the
//! answers; this file only moves bytes, with the token from `PayzeroAuth`.

use super::checkout::parse;
use super::{authorize_merchant, merchant_post};
use crate::error::{self, EdgeError};
use crate::{config, payzero_auth, upstream};
use checkout_shared::api::ErrorCode;
use checkout_shared::backoffice::{
    Answered, Call, MAX_BATCH_BODY, OrderQrRequest, RealNameCheck, with_token,
};
use checkout_shared::payzero::{BatchFeedbackRequest, DeclareRequest, Order, percent_decode};
use checkout_shared::session::{MAX_BODY_BYTES, Refusal};
use worker::{Env, Request, Response, RouteContext};

/// Checks `call`, sends it with a token (once more with a fresh one if the token was refused),
/// and answers its typed result.
async fn run(env: &Env, call: Call) -> Result<Response, EdgeError> {
    error::json(&result_of(env, call).await?, 200)
}

/// `run`'s result as data.
async fn result_of(env: &Env, call: Call) -> Result<serde_json::Value, EdgeError> {
    call.check()?;
    let api_url = config::var(env, "PAYZERO_API_URL")?;
    let mut refused = None;
    loop {
        let token = payzero_auth::token(env, refused.as_ref()).await?;
        let request = with_token(call.request(&api_url), &token.secret());
        let answer = upstream::send(&request).await.map_err(EdgeError::Upstream)?;
        return match call.answer(answer.status, &answer.body) {
            Ok(result) => Ok(result),
            Err(Answered::Unauthorized) if refused.is_none() => {
                refused = Some(token);
                continue;
            }
            Err(Answered::Unauthorized) => Err(EdgeError::Upstream("Payzero refused a fresh token".into())),
            Err(Answered::Rejected { code, message }) => {
                Err(Refusal::new(ErrorCode::UpstreamRejected, format!("Payzero refused ({code}): {message}"))
                    .with_gateway_code(&code)
                    .into())
            }
            Err(Answered::Failed(reason)) => Err(EdgeError::Upstream(reason)),
        };
    }
}

/// A `POST` whose body is the call's JSON, under the merchant key and an idempotency key.
async fn post_with<T, F>(
    mut req: Request,
    ctx: RouteContext<()>,
    limit: usize,
    what: &str,
    make: F,
) -> worker::Result<Response>
where
    T: serde::de::DeserializeOwned,
    F: FnOnce(T) -> Call,
{
    let env = &ctx.env;
    error::handle(
        merchant_post(&mut req, env, limit, |body| async move { run(env, make(parse(&body, what)?)).await })
            .await,
    )
}

/// A `POST` on a path parameter, with no body to read.
async fn post_on(
    mut req: Request,
    ctx: RouteContext<()>,
    param: &str,
    make: fn(String) -> Call,
) -> worker::Result<Response> {
    let env = &ctx.env;
    // The router hands the segment as it came, percent-encoded; a broken escape is checked (and
    // refused) as an empty value.
    let value = ctx.param(param).and_then(|v| percent_decode(v)).unwrap_or_default();
    error::handle(
        merchant_post(&mut req, env, MAX_BODY_BYTES, |_| async move { run(env, make(value)).await }).await,
    )
}

/// `POST /v1/payzero/real-name-checks` `{"name", "id_number"}` (§7.1).
pub(crate) async fn real_name(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    post_with(req, ctx, MAX_BODY_BYTES, "real-name check", |check: RealNameCheck| Call::RealName(check)).await
}

/// `POST /v1/payzero/batches` `[order, …]` (§2.1).
pub(crate) async fn upload_batch(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    post_with(req, ctx, MAX_BATCH_BODY, "order batch", Call::UploadBatch).await
}

/// `POST /v1/payzero/batches/{id}/pay` (§2.2).
pub(crate) async fn pay_batch(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    post_on(req, ctx, "id", |batch_id| Call::PayBatch { batch_id }).await
}

/// `GET /v1/payzero/batches/{id}` (§2.3): the batch's payment and declaration counts.
pub(crate) async fn batch_summary(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let batch_id = ctx.param("id").cloned().unwrap_or_default();
    error::handle(
        async {
            authorize_merchant(&req, &ctx.env)?;
            run(&ctx.env, Call::BatchSummary { batch_id }).await
        }
        .await,
    )
}

/// `GET /v1/payzero/batches/{id}/feedback?page=&pagesize=` (§2.5): one page of its orders.
pub(crate) async fn batch_feedback(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(
        async {
            authorize_merchant(&req, &ctx.env)?;
            let mut page = BatchFeedbackRequest::new(ctx.param("id").cloned().unwrap_or_default());
            for (key, value) in req.url()?.query_pairs() {
                let number = || {
                    value.parse::<u32>().map_err(|_| {
                        EdgeError::Invalid(ErrorCode::InvalidRequest, format!("{key} must be a number"))
                    })
                };
                match key.as_ref() {
                    "page" => page.page = Some(number()?),
                    "pagesize" => page.pagesize = Some(number()?),
                    _ => {}
                }
            }
            run(&ctx.env, Call::BatchFeedback(page)).await
        }
        .await,
    )
}

/// `POST /v1/payzero/orders` `order` (§2.6 createAndPay).
pub(crate) async fn create_and_pay(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    post_with(req, ctx, MAX_BODY_BYTES, "order", |order: Order| Call::CreateAndPay(Box::new(order))).await
}

/// `POST /v1/payzero/orders/{order_no}/arrange-pay` (§2.7).
pub(crate) async fn arrange_pay(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    post_on(req, ctx, "order_no", |order_no| Call::ArrangePay { order_no }).await
}

/// `POST /v1/payzero/mock-orders` `order` (§6.1 createAndMockpay).
pub(crate) async fn create_mockpay(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    post_with(req, ctx, MAX_BODY_BYTES, "order", |order: Order| Call::CreateAndMockpay(Box::new(order))).await
}

/// `POST /v1/payzero/mock-orders/{order_no}/redo` (§6.2 redoMockpay).
pub(crate) async fn redo_mockpay(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    post_on(req, ctx, "order_no", |order_no| Call::RedoMockpay { order_no }).await
}

/// `POST /v1/payzero/declarations` (§8.1): (re)declare a paid order to customs.
pub(crate) async fn declare(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    post_with(req, ctx, MAX_BODY_BYTES, "declaration", |d: DeclareRequest| Call::Declare(Box::new(d))).await
}

/// The order number of a path, percent-decoded (empty, and so refused, when it does not decode).
fn order_no_of(ctx: &RouteContext<()>) -> String {
    ctx.param("order_no").and_then(|v| percent_decode(v)).unwrap_or_default()
}

/// `GET /v1/payzero/orders/{mchtOrderNo}`: where an order stands (§4.3 queryOrder) and its
/// feedback (§2.4: the payment's original data and the declaration), the payer masked.
pub(crate) async fn order(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    error::handle(
        async {
            authorize_merchant(&req, &ctx.env)?;
            let order_no = order_no_of(&ctx);
            let order = result_of(&ctx.env, Call::QueryOrder { order_no: order_no.clone() }).await?;
            let feedback = result_of(&ctx.env, Call::OrderFeedback { order_no }).await?;
            error::json(&serde_json::json!({ "order": order, "feedback": feedback }), 200)
        }
        .await,
    )
}

/// `POST /v1/payzero/orders/{mchtOrderNo}/qr` `{"qrCodeType"}` (§4.2): a QR code for an order
/// already at Payzero (a batch order, one whose code expired, another wallet).
pub(crate) async fn order_qr(req: Request, ctx: RouteContext<()>) -> worker::Result<Response> {
    let order_no = order_no_of(&ctx);
    post_with(req, ctx, MAX_BODY_BYTES, "order QR request", move |qr: OrderQrRequest| Call::QrCode {
        order_no,
        qr_code_type: qr.qr_code_type,
    })
    .await
}
