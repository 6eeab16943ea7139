//! Watch streams: newline-delimited JSON events (ADDED, MODIFIED, DELETED,
//! BOOKMARK, ERROR) for one resource, filtered by namespace and selectors,
//! starting from a resourceVersion (replayed from the store's history, or
//! 410 Gone when it is compacted) or from a synthetic ADDED of every
//! current object. Honors timeoutSeconds and the drop-watches fault.

use super::convert::to_version;
use super::resources::ResourceDef;
use super::router::Query;
use super::selectors::{FieldSelector, LabelSelector};
use super::status::ApiError;
use super::store::{Event, EventType};
use super::table::table;
use super::Shared;
use axum::body::{Body, Bytes};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};
use tokio::time::Instant;

/// How often a watch with `allowWatchBookmarks` gets a BOOKMARK.
const BOOKMARK_EVERY: Duration = Duration::from_secs(1);

/// What one watch selects and how it prints.
pub(crate) struct WatchSpec {
    /// The watched resource.
    pub def: ResourceDef,
    /// Namespace filter.
    pub namespace: Option<String>,
    /// Label selector.
    pub labels: LabelSelector,
    /// Field selector.
    pub fields: FieldSelector,
    /// `Some(crd)` when events carry one-row Tables (CRD for printer columns).
    pub table: Option<Option<Value>>,
}

impl WatchSpec {
    fn selects(&self, obj: &Value) -> bool {
        self.labels.matches(obj) && self.fields.matches(obj)
    }

    /// The watch line for an event, if this watch sees it. A modification
    /// that makes an object start or stop matching the selectors is an
    /// ADDED or DELETED, as on a real API server.
    fn render(&self, e: &Event) -> Option<Bytes> {
        if e.key.group != self.def.storage_group || e.key.plural != self.def.plural {
            return None;
        }
        if self
            .namespace
            .as_ref()
            .is_some_and(|ns| *ns != e.key.namespace)
        {
            return None;
        }
        let obj = to_version(&self.def, e.object.clone());
        let now = self.selects(&obj);
        let before = e
            .previous
            .as_ref()
            .is_some_and(|p| self.selects(&to_version(&self.def, p.clone())));
        let kind = match (e.kind, before, now) {
            (EventType::Modified, true, true) => "MODIFIED",
            (EventType::Modified, false, true) | (EventType::Added, _, true) => "ADDED",
            (EventType::Modified, true, false) | (EventType::Deleted, _, true) => "DELETED",
            _ => return None,
        };
        let shown = match &self.table {
            Some(crd) => table(&self.def, crd.as_ref(), &[obj], e.rv),
            None => obj,
        };
        Some(line(kind, &shown))
    }
}

fn line(kind: &str, object: &Value) -> Bytes {
    let mut text = json!({"type": kind, "object": object}).to_string();
    text.push('\n');
    Bytes::from(text)
}

/// Starts a watch and returns the streaming response.
pub(crate) fn watch(shared: Arc<Shared>, filter: WatchSpec, query: &Query) -> Response {
    let since = query
        .get("resourceVersion")
        .and_then(|rv| rv.parse::<u64>().ok())
        .filter(|rv| *rv > 0);
    let bookmarks = query.flag("allowWatchBookmarks");
    let timeout = query
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .map(Duration::from_secs);
    let (initial, live, start_rv, drop_after) = {
        let state = shared.lock();
        let drop_after = state.faults.drop_watches_after;
        match since {
            Some(rv) => match state.store.subscribe_since(rv) {
                Ok((past, live)) => {
                    let lines = past
                        .iter()
                        .filter_map(|e| filter.render(e))
                        .collect::<Vec<_>>();
                    (lines, Some(live), rv, drop_after)
                }
                Err(rv) => {
                    let status = ApiError::gone(rv).to_status();
                    (vec![line("ERROR", &status)], None, rv, drop_after)
                }
            },
            None => {
                let lines = state
                    .store
                    .all()
                    .filter_map(|(k, v)| {
                        let e = Event {
                            kind: EventType::Added,
                            key: k.clone(),
                            object: v.clone(),
                            previous: None,
                            rv: 0,
                        };
                        filter.render(&e)
                    })
                    .collect();
                (
                    lines,
                    Some(state.store.subscribe()),
                    state.store.rv(),
                    drop_after,
                )
            }
        }
    };
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let closing = shared.closing.subscribe();
    let limit = [timeout, drop_after].into_iter().flatten().min();
    tokio::spawn(async move {
        for l in initial {
            if tx.send(l).await.is_err() {
                return;
            }
        }
        if let Some(live) = live {
            pump(live, &tx, &filter, start_rv, bookmarks, limit, closing).await;
        }
    });
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, Infallible>(b), rx))
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(stream),
    )
        .into_response()
}

async fn pump(
    mut live: broadcast::Receiver<Arc<Event>>,
    tx: &mpsc::Sender<Bytes>,
    filter: &WatchSpec,
    mut seen_rv: u64,
    bookmarks: bool,
    limit: Option<Duration>,
    mut closing: tokio::sync::watch::Receiver<bool>,
) {
    let deadline = limit.map(|d| Instant::now() + d);
    let mut ticker = tokio::time::interval(BOOKMARK_EVERY);
    ticker.tick().await;
    loop {
        let out = tokio::select! {
            ev = live.recv() => match ev {
                Ok(e) if e.rv > seen_rv => {
                    seen_rv = e.rv;
                    filter.render(&e)
                }
                Ok(_) => None,
                Err(_) => return,
            },
            _ = async { match deadline { Some(d) => tokio::time::sleep_until(d).await, None => std::future::pending().await } } => return,
            _ = ticker.tick(), if bookmarks => {
                let mark = json!({"kind": filter.def.kind, "apiVersion": filter.def.api_version(),
                                  "metadata": {"resourceVersion": seen_rv.to_string()}});
                Some(line("BOOKMARK", &mark))
            }
            _ = closing.changed() => return,
        };
        if let Some(l) = out {
            if tx.send(l).await.is_err() {
                return;
            }
        }
    }
}
