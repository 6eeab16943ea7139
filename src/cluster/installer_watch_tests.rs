use super::*;
use crate::cluster::state_test_support::{kyma_spec, sim, sim_with};
use ferry_sandbox::kube::{ClusterConfig, KubeFaults};
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use serde_json::json;
use std::sync::Mutex;

/// Records every phase it is told about.
#[derive(Default)]
struct Recorder(Mutex<Vec<InstallPhase>>);

impl InstallObserver for Recorder {
    fn update(&self, phase: &InstallPhase, _elapsed: Duration) {
        self.0.lock().unwrap().push(phase.clone());
    }
}

impl Recorder {
    fn saw(&self, wanted: fn(&InstallPhase) -> bool) -> bool {
        self.0.lock().unwrap().iter().any(wanted)
    }
}

async fn set_installer_image(client: &kube::Client, version: &str) {
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "kyma-installer");
    let image = format!("eu.gcr.io/kyma-project/kyma-installer:{version}");
    let patch = json!({"spec": {"template": {"spec": {"containers": [
        {"name": "kyma-installer-container", "image": image}]}}}});
    deployments
        .patch(
            "kyma-installer",
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
        .unwrap();
}

async fn installations(client: &kube::Client) -> Api<DynamicObject> {
    installation_api(
        client,
        &kyma_spec(),
        tokio::time::Instant::now() + Duration::from_secs(5),
    )
    .await
}

async fn ask_install(client: &kube::Client) {
    let patch = json!({"metadata": {"labels": {"action": "install"}}});
    installations(client)
        .await
        .patch(
            "kyma-installation",
            &PatchParams::default(),
            &Patch::Merge(&patch),
        )
        .await
        .unwrap();
}

/// Sets the installer image to `version`, starts the wait in the background
/// and, once it has reported its first phase, asks the installer to install.
async fn upgrade_to(
    client: &kube::Client,
    version: &str,
    timeout: Duration,
    recorder: std::sync::Arc<Recorder>,
) -> Result<InstallPhase, StateError> {
    set_installer_image(client, version).await;
    let waiting = {
        let client = client.clone();
        let version = version.to_string();
        let recorder = recorder.clone();
        tokio::spawn(async move {
            wait_installed(&client, &kyma_spec(), &version, timeout, recorder.as_ref()).await
        })
    };
    for _ in 0..200 {
        if !recorder.0.lock().unwrap().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    ask_install(client).await;
    waiting.await.unwrap()
}

#[tokio::test]
async fn waits_for_the_installer_to_install_the_new_version() {
    let (sim, client) = sim(Some("1.0.0")).await;
    let recorder = std::sync::Arc::new(Recorder::default());
    let done = upgrade_to(&client, "1.1.0", Duration::from_secs(10), recorder.clone())
        .await
        .unwrap();
    assert_eq!(
        done,
        InstallPhase::Installed {
            version: Some("1.1.0".into())
        }
    );
    assert_eq!(sim.installed_versions(), vec!["1.1.0".to_string()]);
    // The stale `Installed 1.0.0` with the new image read as not started.
    let seen = recorder.0.lock().unwrap().clone();
    assert_eq!(seen.first(), Some(&InstallPhase::Pending), "{seen:?}");
    assert!(
        recorder.saw(|p| matches!(p, InstallPhase::InProgress { .. })),
        "{seen:?}"
    );
    assert_eq!(seen.last(), Some(&done));
}

#[tokio::test]
async fn an_installer_that_gives_up_fails_with_its_error_log() {
    let (sim, client) = sim_with(ClusterConfig {
        kyma_version: Some("1.0.0".into()),
        installer_delay: Duration::from_millis(600),
        ..ClusterConfig::default()
    })
    .await;
    sim.set_fail_version(Some("1.1.0".into()));
    let recorder = std::sync::Arc::new(Recorder::default());
    let err = upgrade_to(&client, "1.1.0", Duration::from_secs(10), recorder.clone())
        .await
        .unwrap_err();
    match &err {
        StateError::InstallFailed {
            version,
            description,
            errors,
        } => {
            assert_eq!(version, "1.1.0");
            assert!(description.contains("giving up"), "{description}");
            assert_eq!(errors.len(), 1);
            assert_eq!(errors[0].component, "core");
            assert_eq!(errors[0].occurrences, 2);
        }
        other => panic!("{other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains("[core] Helm install error"), "{message}");
    assert!(recorder.saw(|p| matches!(p, InstallPhase::Retrying { .. })));
    assert!(sim.installed_versions().is_empty());
}

#[tokio::test]
async fn dropped_watches_are_re_established() {
    let (sim, client) = sim_with(ClusterConfig {
        kyma_version: Some("1.0.0".into()),
        installer_delay: Duration::from_millis(400),
        ..ClusterConfig::default()
    })
    .await;
    sim.set_faults(KubeFaults {
        drop_watches_after: Some(Duration::from_millis(30)),
        ..KubeFaults::default()
    });
    let recorder = std::sync::Arc::new(Recorder::default());
    let done = upgrade_to(&client, "1.1.0", Duration::from_secs(10), recorder)
        .await
        .unwrap();
    assert!(matches!(done, InstallPhase::Installed { .. }));
    let watches = sim
        .requests()
        .iter()
        .filter(|r| r.path.contains("/installations") && r.path.contains("watch=true"))
        .count();
    assert!(watches >= 3, "only {watches} watches of the Installation");
}

#[tokio::test]
async fn times_out_when_nobody_starts_the_installer() {
    let (_sim, client) = sim(Some("1.0.0")).await;
    let started = Instant::now();
    let err = wait_installed(
        &client,
        &kyma_spec(),
        "1.1.0",
        Duration::from_millis(300),
        &super::super::installer::Quiet,
    )
    .await
    .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    match &err {
        StateError::InstallTimeout { version, last, .. } => {
            assert_eq!(version, "1.1.0");
            assert!(last.contains("runs 1.0.0, not 1.1.0"), "{last}");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("--timeout"), "{err}");
}

#[tokio::test]
async fn copes_with_an_installation_that_does_not_exist_yet() {
    let (sim, client) = sim(Some("1.0.0")).await;
    let api = installations(&client).await;
    let original = api.get("kyma-installation").await.unwrap();
    api.delete("kyma-installation", &DeleteParams::default())
        .await
        .unwrap();
    for _ in 0..100 {
        if api.get_opt("kyma-installation").await.unwrap().is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(api.get_opt("kyma-installation").await.unwrap().is_none());
    set_installer_image(&client, "1.1.0").await;

    let recorder = std::sync::Arc::new(Recorder::default());
    let waiting = {
        let client = client.clone();
        let recorder = recorder.clone();
        tokio::spawn(async move {
            wait_installed(
                &client,
                &kyma_spec(),
                "1.1.0",
                Duration::from_secs(10),
                recorder.as_ref(),
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(*recorder.0.lock().unwrap(), vec![InstallPhase::Pending]);
    let mut fresh = DynamicObject::new(
        "kyma-installation",
        &ApiResource::from_gvk(&GroupVersionKind::gvk(
            "installer.kyma-project.io",
            "v1alpha1",
            "Installation",
        )),
    );
    fresh.metadata.namespace = Some("default".into());
    fresh.metadata.labels = Some([("action".to_string(), "install".to_string())].into());
    fresh.data = json!({"spec": original.data["spec"].clone()});
    api.create(&PostParams::default(), &fresh).await.unwrap();
    let done = waiting.await.unwrap().unwrap();
    assert!(matches!(done, InstallPhase::Installed { version: Some(v) } if v == "1.1.0"));
    assert_eq!(sim.installed_versions(), vec!["1.1.0".to_string()]);
}
