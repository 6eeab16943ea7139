//! The real kubectl against the simulator.

use super::Env;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_reads_namespaces_configmaps_and_the_installer_image() {
    let env = Env::kyma("1.15.1").await;
    let ns = env.ok(&["get", "ns"]).await;
    for name in ["default", "kube-system", "kyma-installer"] {
        assert!(ns.contains(name), "{ns}");
    }
    let cms = env.ok(&["get", "cm", "-A"]).await;
    assert!(
        cms.contains("kyma-cluster-info") && cms.contains("core-overrides"),
        "{cms}"
    );
    let image = env
        .ok(&[
            "-n",
            "kyma-installer",
            "get",
            "deploy",
            "kyma-installer",
            "-o",
            "jsonpath={.spec.template.spec.containers[0].image}",
        ])
        .await;
    assert_eq!(image, "eu.gcr.io/kyma-project/kyma-installer:1.15.1");
    let failed: Vec<_> = env
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.status != 200)
        .collect();
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(env.sim.mutations(), 0);
}

const MANIFEST: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w1, namespace: default}
spec: {size: 3}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: plain, namespace: default, labels: {app: demo}}
data: {a: "1"}
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_server_side_apply_of_a_crd_and_its_resource_is_idempotent() {
    let env = Env::start(super::fast()).await;
    let file = env.file("manifest.yaml", MANIFEST);
    let path = file.to_str().unwrap();
    let args = ["apply", "--server-side", "-f", path];
    // The CR's kind only resolves once the CRD is Established: like on a real
    // cluster, a second run may be needed.
    let mut attempts = 0;
    loop {
        attempts += 1;
        let out = env.kubectl(&args).await;
        if out.status.success() {
            break;
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            attempts < 10 && stderr.contains("Widget"),
            "apply failed: {stderr}\n{:#?}",
            env.sim.requests()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let widget = env
        .sim
        .get("example.com/v1", "Widget", Some("default"), "w1")
        .unwrap();
    assert_eq!(widget["spec"]["size"], 3);
    let managers = &widget["metadata"]["managedFields"];
    assert_eq!(managers[0]["manager"], "kubectl", "{managers}");
    assert_eq!(managers[0]["operation"], "Apply");
    let rv = widget["metadata"]["resourceVersion"].clone();
    let mutations = env.sim.mutations();

    let again = env.ok(&args).await;
    assert!(
        again.contains("widget.example.com/w1 serverside-applied"),
        "{again}"
    );
    let widget = env
        .sim
        .get("example.com/v1", "Widget", Some("default"), "w1")
        .unwrap();
    assert_eq!(
        widget["metadata"]["resourceVersion"], rv,
        "re-apply changed the object"
    );
    assert!(
        env.sim.mutations() > mutations,
        "re-apply requests are still counted"
    );
    let applies: Vec<_> = env
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .collect();
    assert!(
        applies.iter().all(
            |r| r.content_type.as_deref() == Some("application/apply-patch+yaml")
                && r.path.contains("fieldManager=kubectl")
        ),
        "{applies:?}"
    );
    let listed = env.ok(&["get", "wd", "-o", "name"]).await;
    assert_eq!(listed.trim(), "widget.example.com/w1");
    let selected = env.ok(&["get", "cm", "-l", "app=demo", "-o", "name"]).await;
    assert_eq!(selected.trim(), "configmap/plain");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_label_starts_the_installer_and_watch_sees_it_finish() {
    let env = Env::kyma("1.15.1").await;
    env.ok(&[
        "-n",
        "kyma-installer",
        "set",
        "image",
        "deploy/kyma-installer",
        "kyma-installer-container=eu.gcr.io/kyma-project/kyma-installer:1.16.0-rc4",
    ])
    .await;
    let mut watch = env.command(&[
        "-n",
        "default",
        "get",
        "installation",
        "kyma-installation",
        "-w",
        "--request-timeout=20s",
        "-o",
        "jsonpath={.status.state}{\"\\n\"}",
    ]);
    watch
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut child = watch.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let first = tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv())
        .await
        .unwrap();
    assert_eq!(first.as_deref(), Some("Installed"));
    env.ok(&[
        "-n",
        "default",
        "label",
        "installation",
        "kyma-installation",
        "action=install",
    ])
    .await;
    let mut states = Vec::new();
    while let Ok(Some(line)) =
        tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv()).await
    {
        let done = line == "Installed" && states.iter().any(|s| s == "InProgress");
        states.push(line);
        if done {
            break;
        }
    }
    child.kill().unwrap();
    let _ = child.wait();
    let first_progress = states.iter().position(|s| s == "InProgress");
    assert!(
        first_progress.is_some() && states.last().map(String::as_str) == Some("Installed"),
        "{states:?}"
    );
    assert_eq!(env.sim.installed_versions(), ["1.16.0-rc4"]);
    let inst = env
        .sim
        .get(
            "installer.kyma-project.io/v1alpha1",
            "Installation",
            Some("default"),
            "kyma-installation",
        )
        .unwrap();
    assert_eq!(inst["status"]["version"], "1.16.0-rc4");
    assert_eq!(inst["status"]["description"], "Kyma installed");
    for _ in 0..150 {
        let inst = env
            .sim
            .get(
                "installer.kyma-project.io/v1alpha1",
                "Installation",
                Some("default"),
                "kyma-installation",
            )
            .unwrap();
        if inst["metadata"]["labels"].get("action").is_none() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the installer did not remove the action label");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_delete_deployment_waits_until_it_is_gone() {
    let env = Env::kyma("1.15.1").await;
    let pods = env
        .ok(&[
            "-n",
            "kyma-installer",
            "get",
            "pods",
            "-l",
            "name=kyma-installer",
            "-o",
            "jsonpath={.items[0].spec.containers[0].image}",
        ])
        .await;
    assert_eq!(pods, "eu.gcr.io/kyma-project/kyma-installer:1.15.1");
    let out = env
        .ok(&[
            "-n",
            "kyma-installer",
            "delete",
            "deploy",
            "kyma-installer",
            "--timeout=10s",
        ])
        .await;
    assert!(out.contains("deleted"), "{out}");
    assert!(env
        .sim
        .get(
            "apps/v1",
            "Deployment",
            Some("kyma-installer"),
            "kyma-installer"
        )
        .is_none());
    let left = env
        .ok(&["-n", "kyma-installer", "get", "pods", "-o", "name"])
        .await;
    assert_eq!(left.trim(), "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_uses_aggregated_discovery_on_1_30_and_legacy_on_1_16() {
    for (kubernetes, aggregated) in [((1, 30), true), ((1, 16), false)] {
        let env = Env::start(super::ClusterConfig {
            kubernetes,
            kyma_version: Some("1.24.0".into()),
            ..super::fast()
        })
        .await;
        let out = env.ok(&["get", "inst", "-A", "-o", "name"]).await;
        assert_eq!(
            out.trim(),
            "installation.installer.kyma-project.io/kyma-installation"
        );
        let describe = env
            .ok(&[
                "-n",
                "kyma-installer",
                "describe",
                "deploy",
                "kyma-installer",
            ])
            .await;
        assert!(
            describe.contains("eu.gcr.io/kyma-project/kyma-installer:1.24.0"),
            "{describe}"
        );
        let per_group = env
            .sim
            .requests()
            .iter()
            .any(|r| r.path.starts_with("/apis/apps/v1?"));
        assert_eq!(per_group, !aggregated, "{kubernetes:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_prints_server_side_tables() {
    let env = Env::kyma("1.15.1").await;
    let header = |out: &str| {
        out.lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let deploy = env.ok(&["-n", "kyma-installer", "get", "deploy"]).await;
    assert_eq!(
        header(&deploy),
        ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]
    );
    assert!(deploy.lines().nth(1).unwrap().contains(" 1/1 "), "{deploy}");
    let ns = env.ok(&["get", "ns", "kyma-installer"]).await;
    assert_eq!(header(&ns), ["NAME", "STATUS", "AGE"]);
    assert!(ns.contains("Active"), "{ns}");
    let inst = env.ok(&["get", "inst", "-A"]).await;
    assert_eq!(
        header(&inst),
        ["NAMESPACE", "NAME", "STATE", "DESCRIPTION", "AGE"]
    );
    assert!(inst.contains("Installed   Kyma installed"), "{inst}");
    let pods = env.ok(&["-n", "kyma-installer", "get", "pods"]).await;
    assert!(pods.contains("1/1     Running"), "{pods}");
    // A watch in table form ends with the client's request timeout.
    let watched = env.ok(&["get", "inst", "-w", "--request-timeout=1s"]).await;
    assert_eq!(header(&watched), ["NAME", "STATE", "DESCRIPTION", "AGE"]);
    assert!(
        watched.contains("kyma-installation   Installed"),
        "{watched}"
    );
}
