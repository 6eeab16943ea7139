//! Connecting through a kubeconfig, and choosing the configuration source.

use super::super::connect::{config_source, ConfigSource};
use super::super::{connect, ClusterError, ClusterTarget};
use super::Cluster;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

#[tokio::test]
async fn connects_through_the_kubeconfig_the_simulator_wrote() {
    let cluster = Cluster::start((1, 16), None).await;
    let target = ClusterTarget {
        kubeconfig: Some(cluster.kubeconfig()),
        context: Some("sim".into()),
    };
    let client = connect(&target).await.unwrap();
    let version = client.apiserver_version().await.unwrap();
    assert_eq!(version.git_version, "v1.16.0");
    assert_eq!(client.default_namespace(), "default");
    let seen = cluster.sim.requests();
    assert!(seen.iter().any(|r| r.path == "/version" && r.status == 200));
}

#[tokio::test]
async fn a_missing_context_file_or_wrong_token_is_a_clear_error() {
    let cluster = Cluster::start((1, 16), None).await;
    let target = ClusterTarget {
        kubeconfig: Some(cluster.kubeconfig()),
        context: Some("nope".into()),
    };
    let err = fail(&target).await;
    assert!(
        matches!(err, ClusterError::UnknownContext { ref path, ref available, .. }
            if *path == cluster.kubeconfig() && available == &["sim"]),
        "{err:?}"
    );

    let missing = cluster.dir.path().join("absent");
    let err = fail(&ClusterTarget {
        kubeconfig: Some(missing.clone()),
        context: None,
    })
    .await;
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );

    let text = std::fs::read_to_string(cluster.kubeconfig()).unwrap();
    let forged = cluster.dir.path().join("forged");
    std::fs::write(&forged, text.replace(cluster.sim.token(), "not-the-token")).unwrap();
    let err = fail(&ClusterTarget {
        kubeconfig: Some(forged),
        context: None,
    })
    .await;
    assert!(
        matches!(err, ClusterError::Unauthorized { ref url, code: 401, .. } if url.starts_with("http://127.0.0.1:")),
        "{err:?}"
    );
}

async fn fail(target: &ClusterTarget) -> ClusterError {
    match connect(target).await {
        Ok(_) => panic!("connected with {target:?}"),
        Err(e) => e,
    }
}

fn pick(
    flag: Option<&str>,
    env: Option<&str>,
    home: Option<&str>,
    existing: &[&str],
) -> ConfigSource {
    let exists = |p: &Path| existing.iter().any(|e| Path::new(e) == p);
    config_source(
        flag.map(Path::new),
        env.map(OsStr::new),
        home.map(Path::new),
        exists,
    )
}

#[test]
fn the_flag_wins_then_kubeconfig_then_home_then_in_cluster() {
    let all = ["/a", "/b", "/h/.kube/config"];
    assert_eq!(
        pick(Some("/flag"), Some("/a"), Some("/h"), &all),
        ConfigSource::Flag(PathBuf::from("/flag"))
    );
    assert_eq!(
        pick(None, Some("/a:/missing::/b"), Some("/h"), &all),
        ConfigSource::Env(vec![PathBuf::from("/a"), PathBuf::from("/b")])
    );
    assert_eq!(
        pick(None, Some("/missing"), Some("/h"), &all),
        ConfigSource::EnvMissing("/missing".into())
    );
    assert_eq!(
        pick(None, Some(""), Some("/h"), &all),
        ConfigSource::Home(PathBuf::from("/h/.kube/config"))
    );
    assert_eq!(
        pick(None, None, Some("/h"), &all),
        ConfigSource::Home(PathBuf::from("/h/.kube/config"))
    );
    assert_eq!(
        pick(None, None, Some("/h"), &["/a"]),
        ConfigSource::InCluster
    );
    assert_eq!(pick(None, None, None, &all), ConfigSource::InCluster);
}
