//! The upgrade lock in the journal: who holds it, taking it (over from a
//! dead process on this host), and keeping it fresh while hops run.

use super::error::UpgradeError;
use crate::cluster::journal::Journal;
use crate::cluster::state_error::StateError;
use std::time::Duration;

/// `user@host pid N`: who holds the journal's lock.
pub(super) fn lock_holder() -> String {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    format!("{user}@{} pid {}", host_name(), std::process::id())
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// A holder on this host whose process is gone left a stale lock.
fn holder_is_dead(holder: &str) -> bool {
    let Some((who, pid)) = holder.rsplit_once(" pid ") else {
        return false;
    };
    let same_host = who.rsplit_once('@').map(|(_, host)| host) == Some(host_name().as_str());
    same_host
        && pid
            .parse::<u32>()
            .is_ok_and(|pid| !crate::process::is_running(pid))
}

const STALE_AFTER: Duration = Duration::from_secs(120);

pub(super) async fn take_lock(
    journal: &Journal,
    holder: &str,
    break_lock: bool,
) -> Result<(), UpgradeError> {
    match journal.lock(holder, STALE_AFTER, break_lock).await {
        Err(StateError::Locked { holder: other, .. }) if holder_is_dead(&other) => {
            Ok(journal.lock(holder, STALE_AFTER, true).await?)
        }
        other => Ok(other?),
    }
}

/// Drops a lock left by a dead process on this host (a killed run), so a
/// run with nothing left to do does not leave the cluster looking busy.
/// A lock held by a live run, or by another host, stays.
pub(super) async fn clear_abandoned_lock(
    journal: &Journal,
    state: &crate::cluster::journal::JournalState,
) -> Result<(), UpgradeError> {
    let Some(lock) = &state.lock else {
        return Ok(());
    };
    if !holder_is_dead(&lock.holder) {
        return Ok(());
    }
    let holder = lock_holder();
    journal.lock(&holder, STALE_AFTER, true).await?;
    journal.unlock(&holder).await?;
    Ok(())
}

pub(super) fn spawn_heartbeat(journal: Journal, holder: String) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(STALE_AFTER / 4).await;
            let _ = journal.heartbeat(&holder).await;
        }
    })
}
