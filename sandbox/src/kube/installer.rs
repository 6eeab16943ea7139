//! The simulated Kyma installer: when Installation `default/kyma-installation`
//! carries `action=install` and Deployment `kyma-installer/kyma-installer`
//! exists, it walks the components (`InProgress`), then ends `Installed`
//! with the installer image's tag as `status.version`, or, for the failing
//! version, passes through a transient `Error` and gives up in `Error`. Either
//! way it removes the `action` label at the end.

use super::modify::modify;
use super::objects::{image_tag, label};
use super::store::Key;
use super::Shared;
use serde_json::{json, Value};
use std::sync::Arc;

/// Components reported when the Installation lists none.
const DEFAULT_COMPONENTS: &[&str] = &[
    "cluster-essentials",
    "istio",
    "xip-patch",
    "core",
    "application-connector",
];
/// The manager name of the installer's writes.
const MANAGER: &str = "kyma-installer";

/// Where the Installation lives.
pub(crate) fn installation_key() -> Key {
    Key::new(
        "installer.kyma-project.io",
        "installations",
        Some("default"),
        "kyma-installation",
    )
}

/// Where the installer Deployment lives.
pub(crate) fn installer_key() -> Key {
    Key::new(
        "apps",
        "deployments",
        Some("kyma-installer"),
        "kyma-installer",
    )
}

/// The version an installer Deployment installs: its image tag.
pub(crate) fn installer_version(dep: &Value) -> String {
    let containers = dep
        .pointer("/spec/template/spec/containers")
        .and_then(Value::as_array);
    let container = containers.and_then(|cs| {
        cs.iter()
            .find(|c| c["name"] == "kyma-installer-container")
            .or_else(|| cs.first())
    });
    container
        .and_then(|c| c["image"].as_str())
        .and_then(image_tag)
        .unwrap_or("unknown")
        .to_string()
}

/// Starts an installation run if one is asked for and none is running.
pub(crate) fn maybe_start(shared: &Arc<Shared>) {
    let (version, components) = {
        let mut state = shared.lock();
        if state.installing {
            return;
        }
        let Some(inst) = state.store.get(&installation_key()) else {
            return;
        };
        if label(inst, "action") != Some("install")
            || inst.pointer("/metadata/deletionTimestamp").is_some()
        {
            return;
        }
        let components: Vec<String> = inst
            .pointer("/spec/components")
            .and_then(Value::as_array)
            .map(|cs| {
                cs.iter()
                    .filter_map(|c| c["name"].as_str().map(String::from))
                    .collect()
            })
            .filter(|cs: &Vec<String>| !cs.is_empty())
            .unwrap_or_else(|| DEFAULT_COMPONENTS.iter().map(|s| s.to_string()).collect());
        let Some(dep) = state.store.get(&installer_key()) else {
            return;
        };
        if dep.pointer("/metadata/deletionTimestamp").is_some() {
            return;
        }
        let version = installer_version(dep);
        state.installing = true;
        (version, components)
    };
    let shared = shared.clone();
    tokio::spawn(async move {
        {
            let _working = shared.busy.working();
            run(&shared, &version, &components).await;
        }
        shared.lock().installing = false;
        maybe_start(&shared);
    });
}

/// Sets status fields; false when the Installation is gone.
fn set_status(shared: &Shared, fields: Value) -> bool {
    let mut state = shared.lock();
    if state.store.get(&installation_key()).is_none() {
        return false;
    }
    modify(&mut state, &installation_key(), MANAGER, true, |inst| {
        if !inst["status"].is_object() {
            inst["status"] = json!({});
        }
        if let (Some(status), Some(new)) = (inst["status"].as_object_mut(), fields.as_object()) {
            for (k, v) in new {
                if v.is_null() {
                    status.remove(k);
                } else {
                    status.insert(k.clone(), v.clone());
                }
            }
        }
    });
    true
}

fn remove_action_label(shared: &Shared) {
    let mut state = shared.lock();
    modify(&mut state, &installation_key(), MANAGER, false, |inst| {
        if let Some(labels) = inst
            .pointer_mut("/metadata/labels")
            .and_then(Value::as_object_mut)
        {
            labels.remove("action");
        }
    });
}

async fn run(shared: &Arc<Shared>, version: &str, components: &[String]) {
    let step = shared.config.installer_delay / (components.len() as u32 + 1);
    for c in components {
        let description = format!("Install component {c}");
        if !set_status(
            shared,
            json!({"state": "InProgress", "description": description}),
        ) {
            return;
        }
        tokio::time::sleep(step).await;
    }
    let fails = shared.lock().fail_version.as_deref() == Some(version);
    if fails {
        let component = components.last().map(String::as_str).unwrap_or("core");
        let error = |occurrences: u32, description: String| {
            json!({"state": "Error", "description": description,
                   "errorLog": [{"component": component, "occurrences": occurrences,
                                 "log": format!("Helm install error: release {component} failed: timed out waiting for the condition")}]})
        };
        set_status(
            shared,
            error(
                1,
                format!("Install error: component {component} failed, retrying"),
            ),
        );
        tokio::time::sleep(step).await;
        let retry = format!("Install component {component}");
        set_status(shared, json!({"state": "InProgress", "description": retry}));
        tokio::time::sleep(step).await;
        set_status(
            shared,
            error(
                2,
                format!("Install error: component {component} failed, giving up"),
            ),
        );
        remove_action_label(shared);
        return;
    }
    let done = set_status(
        shared,
        json!({"state": "Installed", "description": "Kyma installed", "version": version, "errorLog": null}),
    );
    if done {
        shared.lock().installed.push(version.to_string());
        remove_action_label(shared);
    }
}
