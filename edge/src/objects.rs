//! Calls from the worker (or one Durable Object) to a Durable Object: a JSON `POST` to the named
//! object's stub. The objects have no public URL; the host in `url` only labels the call.

use crate::error::EdgeError;
use worker::js_sys::Uint8Array;
use worker::{Env, Headers, Method, Request, RequestInit, Response};

/// Posts the JSON `body` to the object `name` of `binding`, at `url`, and returns its answer.
pub(crate) async fn post(
    env: &Env,
    binding: &str,
    name: &str,
    url: &str,
    body: &[u8],
) -> Result<Response, EdgeError> {
    let stub = env.durable_object(binding)?.id_from_name(name)?.get_stub()?;
    let headers = Headers::new();
    headers.set("Content-Type", "application/json")?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(Uint8Array::from(body).into()));
    let request = Request::new_with_init(url, &init)?;
    Ok(stub.fetch_with_request(request).await?)
}
