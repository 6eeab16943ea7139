//! What the journal records, and the pure rules for changing it: hop
//! records, acknowledgements, bounded events and the run lock. Reading and
//! writing it in the cluster is the parent module's job.

use crate::cluster::state_error::StateError;
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime};

/// How many events the journal keeps (the oldest go first).
pub const MAX_EVENTS: usize = 200;

/// Everything the journal records.
#[derive(Serialize, Deserialize, Default, Clone, Debug, PartialEq)]
#[serde(default)]
pub struct JournalState {
    /// The bundle of the last run.
    pub bundle_id: Option<String>,
    /// The product it upgrades.
    pub product: Option<String>,
    /// The newest `created` (seconds since the epoch) of any bundle that
    /// ran here: an older bundle is refused (rollback defence).
    pub newest_bundle_created: Option<i64>,
    /// One record per hop version, in the order they were started.
    pub hops: Vec<HopRecord>,
    /// Hop versions whose migration guides the operator acknowledged.
    pub acknowledged: Vec<String>,
    /// The run lock, when a run holds it.
    pub lock: Option<Lock>,
    /// Recent events, oldest first, at most `MAX_EVENTS`.
    pub events: Vec<Event>,
}

/// Where one hop stands.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct HopRecord {
    /// The hop's target version.
    pub version: String,
    /// Its status.
    pub status: HopStatus,
    /// When it (last) started (RFC 3339).
    pub started: Option<String>,
    /// When it finished or failed (RFC 3339).
    pub finished: Option<String>,
    /// Why it failed.
    pub message: Option<String>,
    /// The bundle that ran it.
    pub bundle_id: String,
}

/// A hop's status.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum HopStatus {
    /// Started, not finished (running, or interrupted).
    Started,
    /// Finished.
    Done,
    /// Failed.
    Failed,
}

/// Who runs an upgrade on the cluster.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Lock {
    /// `user@host pid N`.
    pub holder: String,
    /// When it was taken (RFC 3339).
    pub acquired: String,
    /// The holder's last sign of life (RFC 3339).
    pub heartbeat: String,
}

/// Something that happened, for `ferry status`.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Event {
    /// When (RFC 3339).
    pub time: String,
    /// What.
    pub message: String,
}

/// Now, as RFC 3339 UTC with seconds.
pub fn now() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

impl JournalState {
    /// The record of hop `version`, if it was ever started.
    pub fn hop(&self, version: &str) -> Option<&HopRecord> {
        self.hops.iter().find(|h| h.version == version)
    }

    /// True when hop `version` finished.
    pub fn is_done(&self, version: &str) -> bool {
        self.hop(version)
            .is_some_and(|h| h.status == HopStatus::Done)
    }

    /// Appends an event stamped now, dropping the oldest beyond `MAX_EVENTS`.
    pub fn push_event(&mut self, message: impl Into<String>) {
        self.events.push(Event {
            time: now(),
            message: message.into(),
        });
        self.trim_events();
    }

    /// Sets hop `version` to `status` for `bundle_id`: `Started` stamps the
    /// start and clears an earlier outcome; `Done` and `Failed` stamp the end.
    /// Logs an event.
    pub fn set_hop(
        &mut self,
        bundle_id: &str,
        version: &str,
        status: HopStatus,
        message: Option<String>,
    ) {
        let time = now();
        let index = match self.hops.iter().position(|h| h.version == version) {
            Some(index) => index,
            None => {
                self.hops.push(HopRecord {
                    version: version.to_string(),
                    status,
                    started: None,
                    finished: None,
                    message: None,
                    bundle_id: bundle_id.to_string(),
                });
                self.hops.len() - 1
            }
        };
        let record = &mut self.hops[index];
        record.status = status;
        record.bundle_id = bundle_id.to_string();
        record.message = message.clone();
        if status == HopStatus::Started {
            record.started = Some(time);
            record.finished = None;
        } else {
            record.finished = Some(time);
        }
        self.bundle_id = Some(bundle_id.to_string());
        let word = match status {
            HopStatus::Started => "started",
            HopStatus::Done => "done",
            HopStatus::Failed => "failed",
        };
        let detail = message.map(|m| format!(": {m}")).unwrap_or_default();
        self.push_event(format!("hop {version} {word}{detail}"));
    }

    /// Notes that a bundle created at `created` runs here now: the newest
    /// creation time only moves forward.
    pub fn record_bundle_created(&mut self, created: i64) {
        let newest = self.newest_bundle_created.unwrap_or(created).max(created);
        self.newest_bundle_created = Some(newest);
    }

    /// Records that the operator did the migration guide steps of hop
    /// `version` (once).
    pub fn acknowledge(&mut self, version: &str) {
        if !self.acknowledged.iter().any(|v| v == version) {
            self.acknowledged.push(version.to_string());
            self.push_event(format!("guide steps for {version} acknowledged"));
        }
    }

    /// Drops the oldest events beyond `MAX_EVENTS`.
    pub(crate) fn trim_events(&mut self) {
        let excess = self.events.len().saturating_sub(MAX_EVENTS);
        self.events.drain(..excess);
    }

    /// Takes the run lock for `holder`. Fails with `Locked` while another
    /// holder's heartbeat is younger than `stale_after`, unless `break_lock`;
    /// an older (or unreadable) heartbeat is taken over. Taking it again as
    /// the same holder refreshes it.
    pub fn take_lock(
        &mut self,
        holder: &str,
        stale_after: Duration,
        break_lock: bool,
    ) -> Result<(), StateError> {
        match &self.lock {
            Some(lock) if lock.holder != holder => {
                let fresh = heartbeat_age(&lock.heartbeat).is_some_and(|age| age < stale_after);
                if fresh && !break_lock {
                    return Err(StateError::Locked {
                        holder: lock.holder.clone(),
                        since: lock.acquired.clone(),
                    });
                }
                let why = if fresh { "broken" } else { "stale" };
                let message = format!(
                    "lock of {} ({why}, last heartbeat {}) taken over by {holder}",
                    lock.holder, lock.heartbeat
                );
                self.push_event(message);
            }
            Some(_) => {}
            None => self.push_event(format!("lock taken by {holder}")),
        }
        let time = now();
        self.lock = Some(Lock {
            holder: holder.to_string(),
            acquired: time.clone(),
            heartbeat: time,
        });
        Ok(())
    }

    /// Refreshes `holder`'s heartbeat; `NotLockHolder` when it does not hold
    /// the lock (any more).
    pub fn beat(&mut self, holder: &str) -> Result<(), StateError> {
        match &mut self.lock {
            Some(lock) if lock.holder == holder => {
                lock.heartbeat = now();
                Ok(())
            }
            other => Err(StateError::NotLockHolder {
                holder: holder.to_string(),
                found: other.as_ref().map(|l| l.holder.clone()),
            }),
        }
    }

    /// Releases `holder`'s lock. Nothing to release is fine; a lock held by
    /// someone else is `NotLockHolder` and stays.
    pub fn release(&mut self, holder: &str) -> Result<(), StateError> {
        match &self.lock {
            None => Ok(()),
            Some(lock) if lock.holder == holder => {
                self.lock = None;
                self.push_event(format!("lock released by {holder}"));
                Ok(())
            }
            Some(lock) => Err(StateError::NotLockHolder {
                holder: holder.to_string(),
                found: Some(lock.holder.clone()),
            }),
        }
    }
}

/// How long ago an RFC 3339 heartbeat was (zero when in the future);
/// `None` when it does not parse.
fn heartbeat_age(heartbeat: &str) -> Option<Duration> {
    let then = humantime::parse_rfc3339(heartbeat).ok()?;
    Some(SystemTime::now().duration_since(then).unwrap_or_default())
}
