//! Waiting for one object to reach a state by watching it (never a tight
//! poll): the watch is re-established after dropped connections and
//! transient errors, and the whole wait is bounded by a timeout.
//!
//! The states themselves are predicates supplied by callers (`crd`, `delete`).

use super::error::ClusterError;
use super::retry::is_transient;
use futures_util::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::runtime::watcher;
use std::time::Duration;

/// Longest pause after a failed watch before trying again.
const MAX_PAUSE: Duration = Duration::from_secs(2);

/// True when the watch failure may pass (server trouble, a dropped
/// connection, an expired resourceVersion the watcher relists after).
fn passes(err: &watcher::Error) -> bool {
    match err {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => is_transient(e),
        watcher::Error::WatchError(status) => status.code == 410 || status.code >= 500,
        watcher::Error::NoResourceVersion => false,
    }
}

/// Watches `api`'s object `name` until `done` holds for it (`None`: absent).
/// `object` and `state` name the wait in errors.
pub(crate) async fn wait_until(
    api: Api<DynamicObject>,
    name: &str,
    timeout: Duration,
    object: &str,
    state: &'static str,
    done: impl Fn(Option<&DynamicObject>) -> bool,
) -> Result<(), ClusterError> {
    let watching = async {
        let mut stream = std::pin::pin!(watcher::watch_object(api, name));
        let mut pause = Duration::from_millis(50);
        while let Some(event) = stream.next().await {
            match event {
                Ok(seen) if done(seen.as_ref()) => return Ok(()),
                Ok(_) => pause = Duration::from_millis(50),
                Err(e) if passes(&e) => {
                    tracing::debug!("watch of {object} failed, watching again in {pause:?}: {e}");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(MAX_PAUSE);
                }
                Err(source) => {
                    return Err(ClusterError::Watch {
                        object: object.to_string(),
                        source,
                    })
                }
            }
        }
        // The watcher stream never ends on its own; treat an end like a timeout.
        Err(ClusterError::Timeout {
            object: object.to_string(),
            state,
            after: timeout,
        })
    };
    tokio::time::timeout(timeout, watching)
        .await
        .unwrap_or(Err(ClusterError::Timeout {
            object: object.to_string(),
            state,
            after: timeout,
        }))
}
