//! The initial cluster: system namespaces and `kube-system/kyma-cluster-info`,
//! and, when a Kyma version is configured, what that version's installer
//! left behind (namespace, CRDs, RBAC, the installer Deployment, an
//! `Installed` Installation and client-side-applied override ConfigMaps).

use super::apply::{track_update, Writer};
use super::controller::{establish, sync_deployment};
use super::objects::{now, stamp_new};
use super::store::Key;
use super::{ClusterConfig, State};
use serde_json::{json, Value};

/// Stores `obj` as created by `manager`, with the last-applied annotation
/// when `manager` is kubectl's client-side apply.
fn put(state: &mut State, group: &str, plural: &str, mut obj: Value, manager: &str) -> Key {
    let ns = obj
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .map(String::from);
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    if manager == "kubectl-client-side-apply" {
        let applied = obj.to_string();
        obj["metadata"]["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] =
            json!(applied);
    }
    state.uid_counter += 1;
    stamp_new(&mut obj, state.uid_counter);
    let now = now();
    let api_version = obj["apiVersion"].as_str().unwrap_or_default().to_string();
    let writer = Writer {
        manager,
        api_version: &api_version,
        subresource: "",
        status_subresource: false,
        now: &now,
    };
    track_update(None, &mut obj, &writer);
    let key = Key::new(group, plural, ns.as_deref(), &name);
    state.store.put(key.clone(), obj);
    key
}

fn namespace(state: &mut State, name: &str) {
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name},
                    "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}});
    put(state, "", "namespaces", ns, "kube-apiserver");
}

fn crd(state: &mut State, group: &str, plural: &str, kind: &str, short: &[&str]) {
    let columns = if kind == "Installation" {
        json!([{"name": "State", "type": "string", "jsonPath": ".status.state"},
               {"name": "Description", "type": "string", "jsonPath": ".status.description"}])
    } else {
        json!([])
    };
    let obj = json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.{group}")},
        "spec": {"group": group, "scope": "Namespaced",
            "names": {"plural": plural, "singular": kind.to_lowercase(), "kind": kind,
                      "listKind": format!("{kind}List"), "shortNames": short},
            "versions": [{"name": "v1alpha1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}},
                "subresources": {"status": {}}, "additionalPrinterColumns": columns}]},
    });
    let key = put(
        state,
        "apiextensions.k8s.io",
        "customresourcedefinitions",
        obj,
        "kubectl-client-side-apply",
    );
    establish(state, &key);
}

/// Fills the store with the configured starting cluster.
pub(crate) fn seed(config: &ClusterConfig, state: &mut State) {
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        namespace(state, ns);
    }
    let info = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "kyma-cluster-info", "namespace": "kube-system"},
        "data": {"isLocal": config.local.to_string()}});
    put(state, "", "configmaps", info, "kubectl-create");
    if let Some(version) = &config.kyma_version {
        seed_kyma(config, state, version);
    }
}

fn seed_kyma(config: &ClusterConfig, state: &mut State, version: &str) {
    let csa = "kubectl-client-side-apply";
    namespace(state, "kyma-installer");
    let limits = json!({"apiVersion": "v1", "kind": "LimitRange",
        "metadata": {"name": "kyma-default", "namespace": "kyma-installer"},
        "spec": {"limits": [{"type": "Container", "max": {"memory": "4Gi"},
                             "default": {"memory": "96Mi"}, "defaultRequest": {"memory": "32Mi"}}]}});
    put(state, "", "limitranges", limits, csa);
    crd(
        state,
        "installer.kyma-project.io",
        "installations",
        "Installation",
        &["inst"],
    );
    crd(state, "release.kyma-project.io", "releases", "Release", &[]);
    let sa = json!({"apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {"name": "kyma-installer", "namespace": "kyma-installer"}});
    put(state, "", "serviceaccounts", sa, csa);
    let rbac = "rbac.authorization.k8s.io";
    let role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "kyma-installer-reader"},
        "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}]});
    put(state, rbac, "clusterroles", role, csa);
    let binding = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
        "metadata": {"name": "kyma-installer"},
        "subjects": [{"kind": "ServiceAccount", "name": "kyma-installer", "namespace": "kyma-installer"}],
        "roleRef": {"apiGroup": rbac, "kind": "ClusterRole", "name": "kyma-installer-reader"}});
    put(state, rbac, "clusterrolebindings", binding, csa);
    let dep_api = if config.kubernetes.1 <= 15 {
        "extensions/v1beta1"
    } else {
        "apps/v1"
    };
    let deployment = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "kyma-installer", "namespace": "kyma-installer"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"name": "kyma-installer"}},
            "template": {"metadata": {"labels": {"name": "kyma-installer"}},
                "spec": {"serviceAccountName": "kyma-installer", "containers": [{
                    "name": "kyma-installer-container",
                    "image": format!("eu.gcr.io/kyma-project/kyma-installer:{version}"),
                    "imagePullPolicy": "IfNotPresent"}]}}}});
    let key = put(state, "apps", "deployments", deployment, csa);
    if let Some(entries) = state.store.get(&key).cloned().and_then(|mut d| {
        let list = d.pointer_mut("/metadata/managedFields")?.as_array_mut()?;
        list.iter_mut()
            .for_each(|e| e["apiVersion"] = json!(dep_api));
        Some(d)
    }) {
        state.store.put(key.clone(), entries);
    }
    sync_deployment(state, &key);
    let installation = json!({
        "apiVersion": "installer.kyma-project.io/v1alpha1", "kind": "Installation",
        "metadata": {"name": "kyma-installation", "namespace": "default",
            "labels": {"kyma-project.io/installation": ""},
            "finalizers": ["finalizer.installer.kyma-project.io"]},
        "spec": {"version": version, "url": "",
            "components": [{"name": "cluster-essentials", "namespace": "kyma-system"},
                           {"name": "istio", "namespace": "istio-system"},
                           {"name": "core", "namespace": "kyma-system"}]},
    });
    let key = put(
        state,
        "installer.kyma-project.io",
        "installations",
        installation,
        csa,
    );
    super::modify::modify(state, &key, "kyma-installer", true, |inst| {
        inst["status"] =
            json!({"state": "Installed", "description": "Kyma installed", "version": version});
    });
    for (name, component, data) in [
        (
            "installation-config-overrides",
            None,
            json!({"global.isLocalEnv": config.local.to_string(),
                                                       "global.domainName": "kyma.local"}),
        ),
        (
            "core-overrides",
            Some("core"),
            json!({"console.cluster.headerLogoUrl": "assets/logo.svg"}),
        ),
    ] {
        let mut labels = json!({"installer": "overrides"});
        if let Some(c) = component {
            labels["component"] = json!(c);
        }
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": "kyma-installer", "labels": labels}, "data": data});
        put(state, "", "configmaps", cm, csa);
    }
}
