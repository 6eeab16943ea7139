//! Writes the simulator makes on its own behalf (the controllers and the
//! Kyma installer): one stored object changed in place, with field
//! ownership recorded as an update request by that manager would.

use super::apply::{track_update, Writer};
use super::objects::now;
use super::store::Key;
use super::State;
use serde_json::Value;

/// Changes one stored object with `f` as `manager` (status subresource when
/// `status`), recording ownership; no-op when absent or unchanged.
pub(crate) fn modify(
    state: &mut State,
    key: &Key,
    manager: &str,
    status: bool,
    f: impl FnOnce(&mut Value),
) -> bool {
    let Some(old) = state.store.get(key).cloned() else {
        return false;
    };
    let mut new = old.clone();
    f(&mut new);
    if new == old {
        return false;
    }
    let now = now();
    let api_version = old["apiVersion"].as_str().unwrap_or_default().to_string();
    let writer = Writer {
        manager,
        api_version: &api_version,
        subresource: if status { "status" } else { "" },
        status_subresource: true,
        now: &now,
    };
    track_update(Some(&old), &mut new, &writer);
    state.store.put(key.clone(), new);
    true
}
