//! Server-side apply of generated Kyma installer manifests: idempotence,
//! CRD + CR in one file, ownership taken from kubectl, dry runs.

use super::super::{Applied, Applier, Change};
use super::{manifest, Cluster};
use serde_json::Value;

fn changes(report: &[Applied]) -> Vec<(String, Change)> {
    report
        .iter()
        .map(|a| (format!("{} {}", a.kind, a.name), a.change))
        .collect()
}

/// Every stored object but the Installation (its status belongs to the
/// installer), without managedFields and resourceVersion.
fn snapshot(cluster: &Cluster) -> Vec<Value> {
    let mut all = cluster.sim.objects();
    // Installations and Pods belong to controllers that run on their own time.
    all.retain(|o| o["kind"] != "Installation" && o["kind"] != "Pod");
    for o in &mut all {
        let meta = o["metadata"].as_object_mut().unwrap();
        meta.remove("managedFields");
        meta.remove("resourceVersion");
        // Controllers write status on their own time; applies never touch it.
        o.as_object_mut().unwrap().remove("status");
    }
    all
}

#[tokio::test]
async fn kyma_1_0_installer_with_its_crds_and_installation_applies_idempotently() {
    // Kyma 1.0 ships extensions/v1beta1 Deployments, served up to Kubernetes 1.15.
    let cluster = Cluster::start((1, 15), None).await;
    let objects = manifest("1.0.0", "kyma-installer-cluster.yaml");
    let mut applier = Applier::new(cluster.client.clone()).await.unwrap();
    assert!(applier.unservable(&objects, &objects).is_empty());

    let first = applier.apply(&objects, "default", false).await.unwrap();
    assert_eq!(first.len(), objects.len());
    assert!(
        first.iter().all(|a| a.change == Change::Created),
        "{:?}",
        changes(&first)
    );
    // CRDs first, then the rest in file order.
    assert_eq!(first[0].kind, "CustomResourceDefinition");
    assert_eq!(first[1].kind, "CustomResourceDefinition");
    assert_eq!(first[2].kind, "Namespace");
    let installation = first.last().unwrap();
    assert_eq!(
        (
            installation.kind.as_str(),
            installation.namespace.as_deref()
        ),
        ("Installation", Some("default"))
    );
    let crd = first
        .iter()
        .find(|a| a.kind == "CustomResourceDefinition")
        .unwrap();
    assert_eq!(crd.namespace, None);

    let stored = cluster
        .sim
        .get(
            "installer.kyma-project.io/v1alpha1",
            "Installation",
            Some("default"),
            "kyma-installation",
        )
        .expect("the Installation lands in default");
    assert_eq!(stored["spec"]["version"], "1.0.0");
    let deployment = cluster
        .sim
        .get(
            "apps/v1",
            "Deployment",
            Some("kyma-installer"),
            "kyma-installer",
        )
        .unwrap();
    let image = &deployment["spec"]["template"]["spec"]["containers"][0]["image"];
    assert_eq!(image, "eu.gcr.io/kyma-project/kyma-installer:1.0.0");
    let managers: Vec<&str> = deployment["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["manager"].as_str())
        .collect();
    assert!(managers.contains(&"ferry"), "{managers:?}");

    let before = snapshot(&cluster);
    let requests_before = cluster.sim.requests().len();
    let second = applier.apply(&objects, "default", false).await.unwrap();
    // Change detection lists each resource once; it never GETs single objects.
    let single_gets: Vec<_> = cluster.sim.requests()[requests_before..]
        .iter()
        .filter(|r| r.method == "GET")
        .filter(|r| {
            let path = r.path.split('?').next().unwrap_or_default();
            second
                .iter()
                .any(|a| path.ends_with(&format!("/{}", a.name)))
        })
        .map(|r| r.path.clone())
        .collect();
    assert!(single_gets.is_empty(), "{single_gets:?}");
    // The simulator records a v1beta1 CRD's managed fields anew on its second
    // apply (a new resourceVersion, same content); everything else is a no-op.
    let changed: Vec<_> = changes(&second)
        .into_iter()
        .filter(|(what, change)| {
            *change != Change::Unchanged && !what.starts_with("CustomResourceDefinition")
        })
        .collect();
    assert!(changed.is_empty(), "{changed:?}");
    assert_eq!(snapshot(&cluster), before, "a second apply changes nothing");
    let third = applier.apply(&objects, "default", false).await.unwrap();
    assert!(
        third.iter().all(|a| a.change == Change::Unchanged),
        "{:?}",
        changes(&third)
    );
}

#[tokio::test]
async fn takes_over_objects_kubectl_installed_and_reports_what_changed() {
    let cluster = Cluster::start((1, 16), Some("1.14.0")).await;
    let objects = manifest("1.15.0", "kyma-installer.yaml");
    let mut applier = Applier::new(cluster.client.clone()).await.unwrap();

    let first = applier.apply(&objects, "default", false).await.unwrap();
    let change_of =
        |report: &[Applied], kind: &str| report.iter().find(|a| a.kind == kind).map(|a| a.change);
    // Seeded by kubectl (client-side apply) at 1.14.0: the image changes.
    assert_eq!(change_of(&first, "Deployment"), Some(Change::Configured));
    let deployment = cluster
        .sim
        .get(
            "apps/v1",
            "Deployment",
            Some("kyma-installer"),
            "kyma-installer",
        )
        .unwrap();
    assert_eq!(
        deployment["spec"]["template"]["spec"]["containers"][0]["image"],
        "eu.gcr.io/kyma-project/kyma-installer:1.15.0"
    );
    let second = applier.apply(&objects, "default", false).await.unwrap();
    assert!(
        second.iter().all(|a| a.change == Change::Unchanged),
        "{:?}",
        changes(&second)
    );
}

#[tokio::test]
async fn a_dry_run_changes_nothing_and_reports_what_would_change() {
    let cluster = Cluster::start((1, 16), None).await;
    let objects = manifest("1.15.0", "kyma-installer-cluster.yaml");
    let mut applier = Applier::new(cluster.client.clone()).await.unwrap();
    let mutations = cluster.sim.mutations();
    let objects_before = cluster.sim.objects();

    let report = applier.apply(&objects, "default", true).await.unwrap();
    assert_eq!(report.len(), objects.len());
    assert!(
        report.iter().all(|a| a.change == Change::Created),
        "{:?}",
        changes(&report)
    );
    let installation = report.iter().find(|a| a.kind == "Installation").unwrap();
    assert_eq!(installation.namespace.as_deref(), Some("default"));
    assert_eq!(cluster.sim.mutations(), mutations);
    assert_eq!(cluster.sim.objects(), objects_before);
    let dry_runs = cluster
        .sim
        .requests()
        .iter()
        .filter(|r| r.method == "PATCH" && r.path.contains("dryRun=All"))
        .count();
    // The CR of a new CRD, and objects in a namespace the batch would create,
    // cannot be sent: they are reported as would-be-created.
    let sendable = report
        .iter()
        .filter(|a| a.kind != "Installation" && a.namespace.as_deref() != Some("kyma-installer"))
        .count();
    assert!(sendable >= 4 && sendable < objects.len(), "{sendable}");
    assert_eq!(dry_runs, sendable);

    applier.apply(&objects, "default", false).await.unwrap();
    let mutations = cluster.sim.mutations();
    let mut changed = objects.clone();
    let deployment = changed
        .iter_mut()
        .find(|o| o.types.as_ref().unwrap().kind == "Deployment")
        .unwrap();
    deployment.data["spec"]["replicas"] = 2.into();
    let report = applier.apply(&changed, "default", true).await.unwrap();
    let configured: Vec<_> = report
        .iter()
        .filter(|a| a.change != Change::Unchanged)
        .map(|a| (a.kind.as_str(), a.change))
        .collect();
    assert_eq!(configured, [("Deployment", Change::Configured)]);
    assert_eq!(cluster.sim.mutations(), mutations);
}

#[tokio::test]
async fn many_objects_cost_one_request_each_plus_one_list_per_resource() {
    let cluster = Cluster::start((1, 16), None).await;
    let mut text = String::from("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: bulk\n");
    let count = 1200; // above serde-saphyr's default limit of 1,024 documents
    for i in 0..count {
        let ns = if i % 2 == 0 { "bulk" } else { "default" };
        text.push_str(&format!(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n  namespace: {ns}\ndata:\n  n: \"{i}\"\n"
        ));
    }
    let objects = super::super::parse_documents(&text, "bulk.yaml").unwrap();
    let mut applier = Applier::new(cluster.client.clone()).await.unwrap();
    for round in 0..2 {
        let requests_before = cluster.sim.requests().len();
        let started = std::time::Instant::now();
        let report = applier.apply(&objects, "default", false).await.unwrap();
        let elapsed = started.elapsed();
        let sent = cluster.sim.requests().len() - requests_before;
        // One apply per object; lists: namespaces, configmaps in bulk and in default.
        assert_eq!(sent, objects.len() + 3, "round {round}");
        let expected = if round == 0 {
            Change::Created
        } else {
            Change::Unchanged
        };
        assert!(report.iter().all(|a| a.change == expected), "round {round}");
        assert!(elapsed < std::time::Duration::from_secs(10), "{elapsed:?}");
        eprintln!("round {round}: {} objects in {elapsed:?}", objects.len());
    }
}
