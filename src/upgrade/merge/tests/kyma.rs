//! The merge on the simulator's real `kyma-config-local.yaml` for two
//! releases, with a cluster holding the older one plus an operator's edits.

use crate::upgrade::merge::{
    overrides_from, three_way, to_manifests, DecisionKind, OverrideObject, Prefer,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ferry_sandbox::github::asset_content;
use serde_json::{json, Value};

/// The override objects of one release's local config asset.
fn release(tag: &str) -> Vec<OverrideObject> {
    let yaml = asset_content(&tag.parse().unwrap(), tag, "kyma-config-local.yaml");
    let docs: Vec<Value> = serde_saphyr::from_multiple(&yaml).unwrap();
    assert_eq!(docs.len(), 5, "{yaml}");
    overrides_from(&docs, "kyma-installer").unwrap()
}

/// What the cluster holds: 1.11.0's overrides as the API returns them
/// (Secrets base64 in `data`), edited by the operator, among other objects.
fn cluster(core_memory: &str) -> Vec<OverrideObject> {
    let mut objects = to_manifests(&release("1.11.0"));
    for o in &mut objects {
        match o["metadata"]["name"].as_str().unwrap() {
            "installation-config-overrides" => {
                o["data"]["global.domainName"] = json!("ops.example.com");
            }
            "cluster-certificate-overrides" => {
                o["data"]["global.tlsCrt"] = json!(STANDARD.encode("CERT"));
            }
            "istio-overrides" => {
                o["data"]["gateways.istio-ingressgateway.loadBalancerIP"] = json!("10.0.0.5");
            }
            "core-overrides" => o["data"]["core.resources.limits.memory"] = json!(core_memory),
            _ => {}
        }
    }
    objects.push(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "my-overrides", "namespace": "kyma-installer",
                     "labels": {"installer": "overrides"}},
        "data": {"tracing.enabled": "false"}}));
    objects.push(json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "kube-root-ca.crt", "namespace": "kyma-installer"},
        "data": {"ca.crt": "..."}}));
    overrides_from(&objects, "kyma-installer").unwrap()
}

fn decisions(outcome: &crate::upgrade::merge::MergeOutcome) -> Vec<(String, String, DecisionKind)> {
    outcome
        .decisions
        .iter()
        .map(|d| (d.object.clone(), d.key.clone(), d.what))
        .collect()
}

#[test]
fn user_edits_survive_and_release_changes_arrive() {
    let out = three_way(
        &release("1.11.0"),
        &release("1.12.0"),
        &cluster("184Mi"),
        None,
    );
    assert!(out.conflicts.is_empty(), "{:?}", out.conflicts);
    let cm = |name: &str| format!("ConfigMap kyma-installer/{name}");
    let expected = [
        (
            cm("core-overrides"),
            "core.resources.limits.memory",
            DecisionKind::TookReleaseValue,
        ),
        (
            cm("installation-config-overrides"),
            "global.domainName",
            DecisionKind::KeptUserValue,
        ),
        (
            cm("installation-config-overrides"),
            "global.kymaVersion",
            DecisionKind::TookReleaseValue,
        ),
        (
            cm("istio-overrides"),
            "gateways.istio-ingressgateway.loadBalancerIP",
            DecisionKind::KeptUserValue,
        ),
        (
            cm("monitoring-overrides"),
            "prometheus.retention",
            DecisionKind::TookReleaseValue,
        ),
        (
            cm("my-overrides"),
            "tracing.enabled",
            DecisionKind::KeptUserAddition,
        ),
        (
            "Secret kyma-installer/cluster-certificate-overrides".into(),
            "global.tlsCrt",
            DecisionKind::KeptUserValue,
        ),
    ]
    .map(|(o, k, w)| (o, k.to_string(), w));
    assert_eq!(decisions(&out), expected);

    let manifests = to_manifests(&out.objects);
    let by_name = |name: &str| {
        manifests
            .iter()
            .find(|m| m["metadata"]["name"] == name)
            .unwrap()
            .clone()
    };
    let install = by_name("installation-config-overrides");
    assert_eq!(install["data"]["global.domainName"], "ops.example.com");
    assert_eq!(install["data"]["global.kymaVersion"], "1.12.0");
    assert_eq!(install["data"]["global.isLocalEnv"], "true");
    assert_eq!(
        by_name("core-overrides")["data"]["core.resources.limits.memory"],
        "192Mi"
    );
    assert_eq!(
        by_name("monitoring-overrides")["data"]["prometheus.retention"],
        "2d"
    );
    assert_eq!(
        by_name("core-overrides")["metadata"]["labels"]["component"],
        "core"
    );
    let secret = by_name("cluster-certificate-overrides");
    assert_eq!(secret["kind"], "Secret");
    assert_eq!(secret["data"]["global.tlsCrt"], STANDARD.encode("CERT"));
    assert_eq!(secret["data"]["global.tlsKey"], "");
    assert_eq!(manifests.len(), 6);
    assert!(manifests
        .iter()
        .all(|m| m["metadata"]["name"] != "kube-root-ca.crt"));
}

#[test]
fn a_value_both_sides_changed_stops_unless_a_side_is_preferred() {
    let (base, target, live) = (release("1.11.0"), release("1.12.0"), cluster("300Mi"));
    let out = three_way(&base, &target, &live, None);
    assert_eq!(out.conflicts.len(), 1, "{:?}", out.conflicts);
    let c = &out.conflicts[0];
    assert_eq!(c.object, "ConfigMap kyma-installer/core-overrides");
    assert_eq!(c.key, "core.resources.limits.memory");
    assert_eq!(
        (
            c.base.as_deref(),
            c.cluster.as_deref(),
            c.release.as_deref()
        ),
        (Some("184Mi"), Some("300Mi"), Some("192Mi"))
    );

    for (prefer, memory) in [(Prefer::Cluster, "300Mi"), (Prefer::Release, "192Mi")] {
        let out = three_way(&base, &target, &live, Some(prefer));
        assert!(out.conflicts.is_empty());
        let core = out
            .objects
            .iter()
            .find(|o| o.name == "core-overrides")
            .unwrap();
        assert_eq!(core.data["core.resources.limits.memory"], memory);
        assert!(out
            .decisions
            .iter()
            .any(|d| d.key == "core.resources.limits.memory"
                && d.what == DecisionKind::ResolvedConflict(prefer)));
    }
}
