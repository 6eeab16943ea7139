//! Cluster access like kubectl: `--kubeconfig FILE`, else the `KUBECONFIG`
//! list, else `~/.kube/config`, else the in-cluster service account; the
//! kubeconfig's context, server (http or https), CA, client certificate or
//! token are honoured by kube-rs. A server certificate the kubeconfig's CA
//! did not sign is refused with an error saying so (and never retried);
//! only `insecure-skip-tls-verify: true` in the kubeconfig skips the check.
//!
//! This file picks the configuration and checks the server answers; what is
//! done with the client is left to the rest of `cluster`.

use super::error::ClusterError;
use super::retry::Retry;
use crate::tls::TlsFailure;
use kube::config::{KubeConfigOptions, Kubeconfig};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// Which cluster to talk to, as the operator named it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterTarget {
    /// `--kubeconfig FILE`.
    pub kubeconfig: Option<PathBuf>,
    /// `--context NAME` (default: the kubeconfig's current context).
    pub context: Option<String>,
}

/// Where the client configuration comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigSource {
    /// The file given with `--kubeconfig`.
    Flag(PathBuf),
    /// The existing files listed in `KUBECONFIG`, merged in order.
    Env(Vec<PathBuf>),
    /// `KUBECONFIG` lists files, none of which exists.
    EnvMissing(String),
    /// `~/.kube/config`.
    Home(PathBuf),
    /// The in-cluster service account.
    InCluster,
}

/// Picks the configuration source the way kubectl does: the flag, else the
/// non-empty entries of `kubeconfig_env` that exist, else `home/.kube/config`
/// if it exists, else in-cluster. `exists` is asked about files.
pub fn config_source(
    flag: Option<&Path>,
    kubeconfig_env: Option<&OsStr>,
    home: Option<&Path>,
    exists: impl Fn(&Path) -> bool,
) -> ConfigSource {
    if let Some(path) = flag {
        return ConfigSource::Flag(path.to_path_buf());
    }
    if let Some(value) = kubeconfig_env {
        let listed: Vec<PathBuf> = std::env::split_paths(value)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !listed.is_empty() {
            let present: Vec<PathBuf> = listed.iter().filter(|p| exists(p)).cloned().collect();
            return if present.is_empty() {
                ConfigSource::EnvMissing(value.to_string_lossy().into_owned())
            } else {
                ConfigSource::Env(present)
            };
        }
    }
    if let Some(home) = home {
        let path = home.join(".kube").join("config");
        if exists(&path) {
            return ConfigSource::Home(path);
        }
    }
    ConfigSource::InCluster
}

/// Reads the kubeconfig file(s) of `source` (blocking; run off the async workers).
fn read_kubeconfig(paths: &[PathBuf]) -> Result<Kubeconfig, ClusterError> {
    let mut merged = Kubeconfig::default();
    for path in paths {
        let wrap = |source| ClusterError::Kubeconfig {
            path: path.clone(),
            source,
        };
        let next = Kubeconfig::read_from(path).map_err(wrap)?;
        merged = merged.merge(next).map_err(wrap)?;
    }
    Ok(merged)
}

/// The kubeconfig files of `source`, merged, and how to name them in
/// messages; None for the in-cluster service account.
async fn merged_kubeconfig(
    source: ConfigSource,
) -> Result<Option<(Kubeconfig, PathBuf)>, ClusterError> {
    let paths = match source {
        ConfigSource::Flag(p) | ConfigSource::Home(p) => vec![p],
        ConfigSource::Env(ps) => ps,
        ConfigSource::EnvMissing(paths) => return Err(ClusterError::KubeconfigMissing { paths }),
        ConfigSource::InCluster => return Ok(None),
    };
    let shown = std::env::join_paths(&paths)
        .map(PathBuf::from)
        .unwrap_or_else(|_| paths.first().cloned().unwrap_or_default());
    let read = shown.clone();
    let kubeconfig = tokio::task::spawn_blocking(move || read_kubeconfig(&paths))
        .await
        .map_err(|e| ClusterError::Kubeconfig {
            path: read.clone(),
            source: kube::config::KubeconfigError::ReadConfig(std::io::Error::other(e), read),
        })??;
    Ok(Some((kubeconfig, shown)))
}

/// The source kubectl would use, given `--kubeconfig`.
fn source_for(flag: Option<&Path>) -> ConfigSource {
    config_source(
        flag,
        std::env::var_os("KUBECONFIG").as_deref(),
        dirs::home_dir().as_deref(),
        Path::is_file,
    )
}

/// Every context of the kubeconfig (`--kubeconfig`, else as kubectl finds
/// it), in file order, for `ferry status --all-contexts`.
pub async fn context_names(flag: Option<&Path>) -> Result<Vec<String>, ClusterError> {
    match merged_kubeconfig(source_for(flag)).await? {
        Some((kubeconfig, _)) => Ok(kubeconfig.contexts.into_iter().map(|c| c.name).collect()),
        None => Err(ClusterError::NoContextsToList),
    }
}

/// Builds the client configuration for `target` from `source`.
async fn load_config(
    target: &ClusterTarget,
    source: ConfigSource,
) -> Result<kube::Config, ClusterError> {
    let Some((kubeconfig, shown)) = merged_kubeconfig(source).await? else {
        if let Some(context) = &target.context {
            return Err(ClusterError::ContextWithoutKubeconfig {
                context: context.clone(),
            });
        }
        return kube::Config::incluster().map_err(|source| ClusterError::NoConfig { source });
    };
    if let Some(context) = &target.context {
        if !kubeconfig
            .contexts
            .iter()
            .any(|named| &named.name == context)
        {
            return Err(ClusterError::UnknownContext {
                path: shown,
                context: context.clone(),
                available: kubeconfig.contexts.iter().map(|c| c.name.clone()).collect(),
            });
        }
    }
    let options = KubeConfigOptions {
        context: target.context.clone(),
        ..KubeConfigOptions::default()
    };
    kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|source| ClusterError::Kubeconfig {
            path: shown,
            source,
        })
}

/// Connects to the cluster `target` names and checks that the API server
/// answers (one `/version` request, retried on transient failures).
pub async fn connect(target: &ClusterTarget) -> Result<kube::Client, ClusterError> {
    // kube-rs builds its TLS configuration with the process-wide provider.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut config = load_config(target, source_for(target.kubeconfig.as_deref())).await?;
    // ferry retries on its own terms (see `retry`), including 500s.
    config.default_retry = false;
    let url = config.cluster_url.to_string();
    let client = kube::Client::try_from(config).map_err(|source| ClusterError::Client {
        url: url.clone(),
        source,
    })?;
    Retry::DEFAULT
        .run(|| client.apiserver_version())
        .await
        .map_err(|source| match &source {
            kube::Error::Api(status) if status.code == 401 || status.code == 403 => {
                ClusterError::Unauthorized {
                    url,
                    code: status.code,
                    reason: status.reason.clone(),
                }
            }
            _ => match crate::tls::failure(&source) {
                Some(TlsFailure::UntrustedCertificate { reason }) => {
                    ClusterError::Untrusted { url, reason }
                }
                Some(TlsFailure::Refused { alert }) => ClusterError::TlsRefused { url, alert },
                None => ClusterError::Unreachable { url, source },
            },
        })?;
    Ok(client)
}
