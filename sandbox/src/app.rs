//! The whole sandbox as one router: each gateway under its path prefix behind the recording and
//! fault layer, and the admin API when enabled. Kept apart from `state` so the state knows
//! nothing of routes and the routes only use the state.

use crate::state::Shared;
use crate::{admin, ezr, middleware, payzero, shouqianba};
use axum::Router;
use std::sync::Arc;

pub(crate) fn router(shared: Arc<Shared>, admin_enabled: bool) -> Router {
    let gateways = Router::new()
        .nest("/payzero", payzero::routes::router(shared.clone()))
        .nest("/shouqianba", shouqianba::routes::router(shared.clone()))
        .nest("/ezr", ezr::routes::router(shared.clone()))
        .layer(axum::middleware::from_fn_with_state(shared.clone(), middleware::record_and_fault));
    if admin_enabled { gateways.nest("/__admin", admin::router(shared)) } else { gateways }
}
