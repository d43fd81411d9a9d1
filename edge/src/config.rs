//! Reading the worker's configuration: `[vars]` for plain settings, secrets wrapped in
//! `Secret` the moment they are read, and the clock (time enters the pure core as an argument).

use crate::error::EdgeError;
use checkout_shared::sign::Secret;
use worker::{Date, Env};

/// A secret binding, wrapped at once. Locally `.dev.vars` provides these as plain vars, which the
/// runtime hands over the same way, so one lookup serves both.
pub(crate) fn secret(env: &Env, name: &str) -> Result<Secret, EdgeError> {
    let value = env
        .secret(name)
        .or_else(|_| env.var(name))
        .map_err(|_| EdgeError::Config(format!("the secret {name} is not set")))?
        .to_string();
    if value.is_empty() {
        return Err(EdgeError::Config(format!("the secret {name} is empty")));
    }
    Ok(Secret::new(value))
}

/// A secret that may hold several values, comma-separated (`"sk_new,sk_old"`): every merchant key
/// that is valid while keys are rotated, or the webhook secrets that each sign an event during a
/// rotation (the first is the current one). Empty entries are dropped; none at all is an error,
/// so a missing setting fails closed.
pub(crate) fn secrets(env: &Env, name: &str) -> Result<Vec<Secret>, EdgeError> {
    let list: Vec<Secret> = secret(env, name)?
        .expose()
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(Secret::new)
        .collect();
    if list.is_empty() {
        return Err(EdgeError::Config(format!("the secret {name} holds no value")));
    }
    Ok(list)
}

/// A plain `[vars]` setting.
pub(crate) fn var(env: &Env, name: &str) -> Result<String, EdgeError> {
    env.var(name)
        .map(|v| v.to_string())
        .map_err(|_| EdgeError::Config(format!("the variable {name} is not set")))
}

/// A plain `[vars]` setting that may be left unset.
pub(crate) fn optional_var(env: &Env, name: &str) -> Option<String> {
    env.var(name).ok().map(|v| v.to_string())
}

/// The merchant origins in `ALLOWED_ORIGINS` (comma-separated), read by one rule for both CORS
/// and the hosted page's `frame-ancestors`: each parsed by the WHATWG parser (`live::origin`)
/// and written back as its serialised origin, which holds no space, quote or semicolon, since
/// each one is copied into a header.
pub(crate) fn allowed_origins(env: &Env) -> Vec<String> {
    let list = env.var("ALLOWED_ORIGINS").map(|v| v.to_string()).unwrap_or_default();
    list.split(',').filter_map(checkout_shared::live::origin).collect()
}

/// Whether this edge, live, may take payments: `live::readiness` over its settings, each read
/// as a secret or a var. Only names and problems leave it, never a value.
pub(crate) fn readiness(env: &Env) -> checkout_shared::live::Readiness {
    checkout_shared::live::readiness(&|name| {
        env.secret(name).map(|s| s.to_string()).or_else(|_| env.var(name).map(|v| v.to_string())).ok()
    })
}

/// Test mode (`CHECKOUT_MODE = "test"` exactly): the edge talks to the sandbox and offers
/// "simulate payment". Unset or anything else is live: a forgotten setting fails closed.
pub(crate) fn test_mode(env: &Env) -> bool {
    !checkout_shared::session::is_live_mode(optional_var(env, "CHECKOUT_MODE").as_deref())
}

/// Unix milliseconds.
pub(crate) fn now_ms() -> u64 {
    Date::now().as_millis()
}

/// `N` bytes from the platform's CSPRNG.
pub(crate) fn random<const N: usize>() -> Result<[u8; N], EdgeError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| EdgeError::Internal(format!("no randomness: {e}")))?;
    Ok(bytes)
}

/// `PER_KEY_OBJECTS_UNTIL`: set on a deployment upgraded from the layout with one Durable Object
/// per idempotency key and per order number (`checkout_shared::shard`); unset otherwise.
pub(crate) fn per_key_objects_until(env: &Env) -> Result<Option<u64>, EdgeError> {
    checkout_shared::shard::per_key_objects_until(optional_var(env, "PER_KEY_OBJECTS_UNTIL").as_deref())
        .map_err(EdgeError::Config)
}
