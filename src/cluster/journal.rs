//! The upgrade journal in the cluster: ConfigMap `ferry-journal` holding
//! JSON in `data["journal.json"]`: the bundle, hops started, done and failed,
//! acknowledged guides, the run lock and recent events. Every change is a
//! read-modify-write guarded by the ConfigMap's resourceVersion, retried on
//! conflicts and transient errors, so concurrent runs never lose an update.
//!
//! Which hop to run next, and when to take or break the lock, is `upgrade`'s
//! decision; this module only records.

mod state;

use super::state_error::{is_transient, StateError};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{ObjectMeta, PostParams};
use kube::Api;
pub use state::{now, Event, HopRecord, HopStatus, JournalState, Lock, MAX_EVENTS};
use std::collections::BTreeMap;
use std::time::Duration;

/// The journal ConfigMap's name.
pub const JOURNAL_NAME: &str = "ferry-journal";
/// The key holding the JSON.
pub const JOURNAL_KEY: &str = "journal.json";
/// How many times a write is tried before giving up.
const ATTEMPTS: u32 = 12;

/// The journal of one cluster, read and written through the API server.
#[derive(Clone)]
pub struct Journal {
    api: Api<ConfigMap>,
    namespace: String,
}

impl Journal {
    /// The journal in `namespace` (nothing is read until asked).
    pub fn new(client: kube::Client, namespace: &str) -> Journal {
        Journal {
            api: Api::namespaced(client, namespace),
            namespace: namespace.to_string(),
        }
    }

    /// The journal as stored; the default state when there is none yet.
    pub async fn read(&self) -> Result<JournalState, StateError> {
        let (_, state) = self.fetch().await?;
        Ok(state)
    }

    /// Applies `change` to the stored state and writes it back, guarded by
    /// the resourceVersion read (creating the ConfigMap when absent). On a
    /// conflict or a transient error it re-reads and runs `change` again,
    /// so `change` must be safe to repeat. An error from `change` aborts
    /// without writing. Returns the state written.
    pub async fn update<F>(&self, change: F) -> Result<JournalState, StateError>
    where
        F: Fn(&mut JournalState) -> Result<(), StateError> + Send,
    {
        let mut delay = Duration::from_millis(10);
        let mut attempt = 1;
        loop {
            let (stored, mut state) = self.fetch().await?;
            change(&mut state)?;
            state.trim_events();
            match self.write(stored, &state).await {
                Ok(()) => return Ok(state),
                Err(StateError::Kube { source, .. })
                    if is_transient(&source) && attempt < ATTEMPTS =>
                {
                    tracing::debug!("journal write attempt {attempt} failed ({source}); retrying");
                }
                Err(err) => return Err(err),
            }
            attempt += 1;
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_millis(500));
        }
    }

    /// Records hop `version` as `status` (see `JournalState::set_hop`).
    pub async fn record_hop(
        &self,
        bundle_id: &str,
        version: &str,
        status: HopStatus,
        message: Option<String>,
    ) -> Result<JournalState, StateError> {
        self.update(|state| {
            state.set_hop(bundle_id, version, status, message.clone());
            Ok(())
        })
        .await
    }

    /// Records that the operator did the migration guide steps of hop `version`.
    pub async fn acknowledge(&self, version: &str) -> Result<JournalState, StateError> {
        self.update(|state| {
            state.acknowledge(version);
            Ok(())
        })
        .await
    }

    /// Takes the run lock for `holder` (see `JournalState::take_lock`).
    pub async fn lock(
        &self,
        holder: &str,
        stale_after: Duration,
        break_lock: bool,
    ) -> Result<(), StateError> {
        self.update(|state| state.take_lock(holder, stale_after, break_lock))
            .await
            .map(drop)
    }

    /// Refreshes `holder`'s heartbeat (see `JournalState::beat`).
    pub async fn heartbeat(&self, holder: &str) -> Result<(), StateError> {
        self.update(|state| state.beat(holder)).await.map(drop)
    }

    /// Releases `holder`'s lock (see `JournalState::release`).
    pub async fn unlock(&self, holder: &str) -> Result<(), StateError> {
        self.update(|state| state.release(holder)).await.map(drop)
    }

    /// The ConfigMap (if any) and the state it holds.
    async fn fetch(&self) -> Result<(Option<ConfigMap>, JournalState), StateError> {
        let mut delay = Duration::from_millis(10);
        let mut attempt = 1;
        let stored = loop {
            match self.api.get_opt(JOURNAL_NAME).await {
                Ok(stored) => break stored,
                Err(err) if is_transient(&err) && attempt < ATTEMPTS => {
                    tracing::debug!("journal read attempt {attempt} failed ({err}); retrying");
                }
                Err(err) => return Err(StateError::kube(self.action("read"), err)),
            }
            attempt += 1;
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_millis(500));
        };
        let text = stored
            .as_ref()
            .and_then(|cm| cm.data.as_ref())
            .and_then(|data| data.get(JOURNAL_KEY));
        let state = match text {
            Some(text) => decode(text, &self.namespace)?,
            None => JournalState::default(),
        };
        Ok((stored, state))
    }

    /// Replaces `stored` (keeping its resourceVersion, so a concurrent
    /// change makes this a 409) or creates the ConfigMap.
    async fn write(
        &self,
        stored: Option<ConfigMap>,
        state: &JournalState,
    ) -> Result<(), StateError> {
        let text =
            serde_json::to_string_pretty(state).map_err(|source| StateError::JournalEncode {
                namespace: self.namespace.clone(),
                name: JOURNAL_NAME.to_string(),
                source,
            })?;
        let data = BTreeMap::from([(JOURNAL_KEY.to_string(), text)]);
        let params = PostParams::default();
        let result = match stored {
            Some(mut cm) => {
                cm.data = Some(data);
                self.api.replace(JOURNAL_NAME, &params, &cm).await
            }
            None => {
                let cm = ConfigMap {
                    metadata: ObjectMeta {
                        name: Some(JOURNAL_NAME.to_string()),
                        namespace: Some(self.namespace.clone()),
                        labels: Some(BTreeMap::from([(
                            "app.kubernetes.io/managed-by".to_string(),
                            "ferry".to_string(),
                        )])),
                        ..ObjectMeta::default()
                    },
                    data: Some(data),
                    ..ConfigMap::default()
                };
                self.api.create(&params, &cm).await
            }
        };
        result
            .map(drop)
            .map_err(|err| StateError::kube(self.action("write"), err))
    }

    fn action(&self, verb: &str) -> String {
        format!(
            "{verb} the journal ConfigMap {}/{JOURNAL_NAME}",
            self.namespace
        )
    }
}

#[cfg(test)]
#[path = "journal_tests.rs"]
mod tests;

/// Decodes the journal text stored in the ConfigMap of `namespace`: JSON,
/// which the cluster's users can edit, so anything not a journal (nesting
/// past serde_json's recursion limit included) is a clear error.
pub fn decode(text: &str, namespace: &str) -> Result<JournalState, StateError> {
    serde_json::from_str(text).map_err(|source| StateError::JournalCorrupt {
        namespace: namespace.to_string(),
        name: JOURNAL_NAME.to_string(),
        source,
    })
}
