//! Concurrent applies: the waves keep the order that matters (Namespaces
//! before what lives in them), the report keeps the input order, and the
//! first failure stops the batch.

use super::super::{Applier, Change, ClusterError};
use super::Cluster;
use kube::api::DynamicObject;
use kube::ResourceExt;

fn parse(text: &str) -> Vec<DynamicObject> {
    super::super::parse_documents(text, "batch.yaml").unwrap()
}

/// `count` ConfigMaps in namespace `ns`, as YAML documents.
fn config_maps(ns: &str, count: usize) -> String {
    (0..count)
        .map(|i| {
            format!("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: {ns}\ndata:\n  n: \"{i}\"\n")
        })
        .collect()
}

#[tokio::test]
async fn objects_in_a_namespace_listed_after_them_all_land() {
    let cluster = Cluster::start((1, 16), None).await;
    let mut text = config_maps("late", 60);
    text.push_str(
        "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: reader\n  namespace: late\n\
         subjects:\n- kind: ServiceAccount\n  name: bot\n  namespace: late\n\
         roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: reader\n\
         ---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: reader\n  namespace: late\n\
         rules:\n- apiGroups: [\"\"]\n  resources: [\"configmaps\"]\n  verbs: [\"get\"]\n\
         ---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: bot\n  namespace: late\n\
         ---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: late\n",
    );
    let objects = parse(&text);
    let mut applier = Applier::new(cluster.client.clone()).await.unwrap();
    let report = applier.apply(&objects, "default", false).await.unwrap();
    assert_eq!(report.len(), 64);
    assert!(report.iter().all(|a| a.change == Change::Created));
    for i in [0, 59] {
        let name = format!("cm-{i}");
        assert!(cluster
            .sim
            .get("v1", "ConfigMap", Some("late"), &name)
            .is_some());
    }
    let binding = cluster.sim.get(
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        Some("late"),
        "reader",
    );
    assert!(binding.is_some());
    // The same batch again, as a dry run and for real: nothing changes.
    let dry = applier.apply(&objects, "default", true).await.unwrap();
    assert!(dry.iter().all(|a| a.change == Change::Unchanged), "{dry:?}");
    let again = applier.apply(&objects, "default", false).await.unwrap();
    assert!(again.iter().all(|a| a.change == Change::Unchanged));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_report_is_in_input_order() {
    let cluster = Cluster::start((1, 16), None).await;
    let mut text = String::new();
    for i in 0..40 {
        let (ns, kind) = match i % 4 {
            0 => ("default", "ConfigMap"),
            1 => ("other", "ServiceAccount"),
            2 => ("other", "ConfigMap"),
            _ => ("default", "Service"),
        };
        let spec = if kind == "Service" {
            "spec:\n  ports:\n  - port: 80\n"
        } else {
            ""
        };
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: {kind}\nmetadata:\n  name: o-{i}\n  namespace: {ns}\n{spec}"
        ));
    }
    text.push_str("---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: other\n");
    let objects = parse(&text);
    let mut applier = Applier::new(cluster.client.clone()).await.unwrap();
    let report = applier.apply(&objects, "default", false).await.unwrap();
    let reported: Vec<(String, Option<String>, String)> = report
        .iter()
        .map(|a| (a.kind.clone(), a.namespace.clone(), a.name.clone()))
        .collect();
    let given: Vec<(String, Option<String>, String)> = objects
        .iter()
        .map(|o| {
            let kind = o.types.as_ref().unwrap().kind.clone();
            (kind, o.namespace(), o.name_any())
        })
        .collect();
    assert_eq!(reported, given);
}

#[tokio::test]
async fn the_first_failure_stops_the_batch_and_names_the_object() {
    let cluster = Cluster::start((1, 16), None).await;
    let mut text = config_maps("default", 30);
    // ConfigMap data must be strings: the server answers 422 Invalid.
    text.push_str("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\n  namespace: default\ndata:\n  n: 1\n");
    text.push_str(&config_maps("default", 30).replace("cm-", "after-"));
    let objects = parse(&text);
    let mut applier = Applier::new(cluster.client.clone()).await.unwrap();
    let err = applier.apply(&objects, "default", false).await.unwrap_err();
    let ClusterError::Api { action, object, .. } = &err else {
        panic!("{err}");
    };
    assert_eq!(*action, "apply");
    assert!(object.contains("bad"), "{object}");
    // Everything before the failure landed.
    assert!(cluster
        .sim
        .get("v1", "ConfigMap", Some("default"), "cm-29")
        .is_some());
}
