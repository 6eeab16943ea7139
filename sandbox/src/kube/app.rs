//! The axum app of the simulated API server: every request goes to
//! `handlers::handle`, except the simulator's own figures.

use super::{handlers, BusyStats, Shared};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use std::sync::Arc;

/// Where the simulator serves its own figures (not a Kubernetes path).
pub(crate) const STATS_PATH: &str = "/ferry-sandbox/stats";

/// `GET /ferry-sandbox/stats`: the busy-time figures as JSON.
async fn stats(State(shared): State<Arc<Shared>>) -> Json<BusyStats> {
    Json(shared.busy.stats())
}

/// The axum app: every request goes through `handlers::handle`, except the
/// simulator's own figures at `STATS_PATH` (not counted in them).
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(STATS_PATH, get(stats))
        .fallback(handlers::handle)
        .with_state(shared)
}
