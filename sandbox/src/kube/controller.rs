//! Simulated controllers reacting to store events: CRDs become Established
//! after a delay; Deployments get status and Pods that follow their spec,
//! and vanish a moment after deletion (garbage collection); Installations
//! being deleted lose the installer's finalizer while the installer runs.
//! The Kyma installer itself lives in `installer`.

use super::modify::modify;
use super::objects::{generation, name, now, short_hash, stamp_new};
use super::resources::crd_established;
use super::store::{Event, EventType, Key};
use super::{installer, Shared, State};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

/// How long the simulated Deployment controller and GC take.
const DEPLOYMENT_DELAY: Duration = Duration::from_millis(40);
/// The finalizer of Kyma Installations.
const KYMA_FINALIZER: &str = "finalizer.installer.kyma-project.io";

/// Starts the controller loop.
pub(crate) fn spawn(shared: Arc<Shared>) -> Vec<JoinHandle<()>> {
    let mut rx = shared.lock().store.subscribe();
    vec![tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(e) => react(&shared, &e),
                Err(RecvError::Lagged(_)) => installer::maybe_start(&shared),
                Err(RecvError::Closed) => return,
            }
        }
    })]
}

fn later(shared: &Arc<Shared>, delay: Duration, key: Key, f: fn(&mut State, &Key)) {
    let shared = shared.clone();
    tokio::spawn(async move {
        let _working = shared.busy.working();
        tokio::time::sleep(delay).await;
        let mut state = shared.lock();
        f(&mut state, &key);
    });
}

fn react(shared: &Arc<Shared>, e: &Event) {
    let obj = &e.object;
    let deleting = obj.pointer("/metadata/deletionTimestamp").is_some();
    match (e.key.group.as_str(), e.key.plural.as_str(), e.kind) {
        ("apps", "deployments", EventType::Deleted) => {
            let mut state = shared.lock();
            sync_pods(&mut state, &e.key, obj, 0);
        }
        (
            "apiextensions.k8s.io",
            "customresourcedefinitions",
            EventType::Added | EventType::Modified,
        ) if !crd_established(obj) && !deleting => {
            later(
                shared,
                shared.config.crd_established_delay,
                e.key.clone(),
                establish,
            );
        }
        ("apps", "deployments", _) if deleting => {
            later(shared, DEPLOYMENT_DELAY, e.key.clone(), collect_deployment);
        }
        ("apps", "deployments", _) if !deployment_synced(obj) => {
            later(shared, DEPLOYMENT_DELAY, e.key.clone(), sync_deployment);
        }
        ("installer.kyma-project.io", "installations", EventType::Modified) if deleting => {
            later(
                shared,
                shared.config.installer_delay / 4,
                e.key.clone(),
                uninstall,
            );
        }
        _ => {}
    }
    let relevant = matches!(
        (e.key.group.as_str(), e.key.plural.as_str()),
        ("apps", "deployments") | ("installer.kyma-project.io", "installations")
    );
    if relevant {
        installer::maybe_start(shared);
    }
}

pub(crate) fn establish(state: &mut State, key: &Key) {
    modify(state, key, "kube-apiserver", true, |crd| {
        let t = now();
        let stored: Vec<Value> = crd
            .pointer("/spec/versions")
            .and_then(Value::as_array)
            .map(|vs| {
                vs.iter()
                    .filter(|v| v["storage"].as_bool() == Some(true))
                    .map(|v| v["name"].clone())
                    .collect()
            })
            .unwrap_or_default();
        crd["status"] = json!({
            "acceptedNames": crd.pointer("/spec/names").cloned().unwrap_or(json!({})),
            "conditions": [
                {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts",
                 "message": "no conflicts found", "lastTransitionTime": t},
                {"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                 "message": "the initial names have been accepted", "lastTransitionTime": t},
            ],
            "storedVersions": stored,
        });
    });
}

fn replicas(dep: &Value) -> u64 {
    dep.pointer("/spec/replicas")
        .and_then(Value::as_u64)
        .unwrap_or(1)
}

fn deployment_synced(dep: &Value) -> bool {
    let s = &dep["status"];
    s["observedGeneration"].as_u64() == Some(generation(dep))
        && s["readyReplicas"].as_u64() == Some(replicas(dep))
}

pub(crate) fn sync_deployment(state: &mut State, key: &Key) {
    let Some(dep) = state.store.get(key).cloned() else {
        return;
    };
    if dep.pointer("/metadata/deletionTimestamp").is_some() {
        return;
    }
    let n = replicas(&dep);
    sync_pods(state, key, &dep, n);
    modify(state, key, "kube-controller-manager", true, |d| {
        let t = now();
        d["status"] = json!({
            "observedGeneration": generation(d), "replicas": n, "updatedReplicas": n,
            "readyReplicas": n, "availableReplicas": n,
            "conditions": [
                {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                 "lastUpdateTime": t, "lastTransitionTime": t},
                {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable",
                 "lastUpdateTime": t, "lastTransitionTime": t},
            ],
        });
    });
}

/// Keeps `n` running Pods of the Deployment's current template.
fn sync_pods(state: &mut State, key: &Key, dep: &Value, n: u64) {
    let uid = dep.pointer("/metadata/uid").cloned().unwrap_or(Value::Null);
    let template = dep.pointer("/spec/template").cloned().unwrap_or(json!({}));
    let hash = short_hash(&template);
    let wanted: Vec<String> = (0..n).map(|i| format!("{}-{hash}-{i}", key.name)).collect();
    let ns = Some(key.namespace.as_str());
    let owned: Vec<Key> = state
        .store
        .list("", "pods", ns)
        .into_iter()
        .filter(|(_, p)| p.pointer("/metadata/ownerReferences/0/uid") == Some(&uid))
        .map(|(k, _)| k.clone())
        .collect();
    for k in owned.iter().filter(|k| !wanted.contains(&k.name)) {
        state.store.remove(k);
    }
    for pod_name in wanted {
        let pod_key = Key::new("", "pods", ns, &pod_name);
        if state.store.get(&pod_key).is_some() {
            continue;
        }
        let mut labels = template
            .pointer("/metadata/labels")
            .cloned()
            .unwrap_or(json!({}));
        labels["pod-template-hash"] = json!(hash);
        let containers = template
            .pointer("/spec/containers")
            .cloned()
            .unwrap_or(json!([]));
        let statuses: Vec<Value> = containers
            .as_array()
            .map(|cs| {
                cs.iter()
                    .map(|c| json!({"name": c["name"], "image": c["image"], "ready": true, "restartCount": 0,
                                    "started": true, "state": {"running": {"startedAt": now()}}}))
                    .collect()
            })
            .unwrap_or_default();
        let mut pod = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod_name, "namespace": key.namespace, "labels": labels,
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": key.name,
                                     "uid": uid, "controller": true}]},
            "spec": template.get("spec").cloned().unwrap_or(json!({})),
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                       "containerStatuses": statuses},
        });
        state.uid_counter += 1;
        stamp_new(&mut pod, state.uid_counter);
        state.store.put(pod_key, pod);
    }
}

fn drop_finalizer(state: &mut State, key: &Key, finalizer: &str) {
    modify(state, key, "kube-controller-manager", false, |obj| {
        if let Some(list) = obj
            .pointer_mut("/metadata/finalizers")
            .and_then(Value::as_array_mut)
        {
            list.retain(|f| f.as_str() != Some(finalizer));
        }
    });
}

fn collect_deployment(state: &mut State, key: &Key) {
    drop_finalizer(state, key, "foregroundDeletion");
}

fn uninstall(state: &mut State, key: &Key) {
    let installer = installer::installer_key();
    let Some(dep) = state.store.get(&installer) else {
        return;
    };
    if dep.pointer("/metadata/deletionTimestamp").is_some() || name(dep).is_empty() {
        return;
    }
    modify(state, key, "kyma-installer", true, |inst| {
        inst["status"]["state"] = json!("Uninstalled");
        inst["status"]["description"] = json!("Kyma uninstalled");
    });
    drop_finalizer(state, key, KYMA_FINALIZER);
}
