//! `ClusterError`: what can go wrong between ferry and a cluster, naming the
//! kubeconfig, file, object (kind, namespace, name) or API server involved,
//! with the underlying cause kept as the error source.
//!
//! Deciding what is worth retrying lives in `retry`; printing lives in `cli`.

use std::path::PathBuf;
use std::time::Duration;

/// An error talking to, or preparing objects for, a Kubernetes cluster.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// A kubeconfig file could not be read or used.
    #[error("cannot use kubeconfig {path}: fix it or pass another one with --kubeconfig")]
    Kubeconfig {
        /// The file (or `KUBECONFIG` list) that was read.
        path: PathBuf,
        /// What kube-rs reported.
        #[source]
        source: kube::config::KubeconfigError,
    },
    /// `KUBECONFIG` names files, none of which exists.
    #[error(
        "none of the files in KUBECONFIG exist ({paths}): fix KUBECONFIG or pass --kubeconfig"
    )]
    KubeconfigMissing {
        /// The `KUBECONFIG` entries, as given.
        paths: String,
    },
    /// No kubeconfig was found and ferry does not run inside a cluster.
    #[error(
        "no cluster configured: pass --kubeconfig FILE, set KUBECONFIG, create ~/.kube/config, \
         or run ferry inside a cluster"
    )]
    NoConfig {
        /// Why the in-cluster configuration was not usable.
        #[source]
        source: kube::config::InClusterError,
    },
    /// `--all-contexts` was asked for but there is no kubeconfig to list.
    #[error("--all-contexts needs a kubeconfig, but ferry found none; pass --kubeconfig FILE or set KUBECONFIG")]
    NoContextsToList,
    /// `--context` was given but there is no kubeconfig to pick it from.
    #[error("--context {context} needs a kubeconfig, but ferry found none (in-cluster configuration has no contexts)")]
    ContextWithoutKubeconfig {
        /// The requested context.
        context: String,
    },
    /// The client for the API server could not be built (TLS, certificates, proxy).
    #[error("cannot build a client for the API server {url}: check the kubeconfig's certificates and keys")]
    Client {
        /// The API server URL.
        url: String,
        /// What kube-rs reported.
        #[source]
        source: kube::Error,
    },
    /// `--context` names a context the kubeconfig does not have.
    #[error("the kubeconfig {path} has no context `{context}`; its contexts are: {}", if available.is_empty() { "(none)".to_string() } else { available.join(", ") })]
    UnknownContext {
        /// The kubeconfig (or `KUBECONFIG` list) read.
        path: PathBuf,
        /// The requested context.
        context: String,
        /// The contexts it has.
        available: Vec<String>,
    },
    /// The API server refused the kubeconfig's credentials.
    #[error("the API server {url} answered {code} {reason}: it does not accept the credentials of this kubeconfig context; refresh the token or certificate (kubectl get ns with the same kubeconfig shows the same)")]
    Unauthorized {
        /// The API server URL.
        url: String,
        /// 401 or 403.
        code: u16,
        /// The server's reason (`Unauthorized`, `Forbidden`).
        reason: String,
    },
    /// The API server's TLS certificate did not verify against the kubeconfig's CA.
    #[error("the TLS certificate of the API server {url} is not trusted by the kubeconfig's certificate authority: {reason}. Check the cluster's certificate-authority or certificate-authority-data in the kubeconfig (kubectl config view --raw) and get the cluster's CA from its administrator; only for a throwaway test cluster, set insecure-skip-tls-verify: true")]
    Untrusted {
        /// The API server URL.
        url: String,
        /// What is wrong with the certificate.
        reason: String,
    },
    /// The API server (or the proxy in front of it) ended the TLS handshake.
    #[error("the API server {url} refused the TLS handshake ({alert}): check the user's client-certificate and client-key (or their -data forms) in the kubeconfig")]
    TlsRefused {
        /// The API server URL.
        url: String,
        /// The alert, in words.
        alert: String,
    },
    /// The API server did not answer.
    #[error("cannot reach the API server {url}: check the address and the network")]
    Unreachable {
        /// The API server URL.
        url: String,
        /// The last failure.
        #[source]
        source: kube::Error,
    },
    /// API discovery failed.
    #[error("cannot discover the cluster's APIs: check the connection and the permissions to list API groups")]
    Discovery {
        /// The last failure.
        #[source]
        source: kube::Error,
    },
    /// A YAML file is not valid YAML.
    #[error("{origin} is not valid YAML: the bundle file is damaged or was not produced by ferry")]
    Yaml {
        /// The file.
        origin: String,
        /// The parser's message, with the location.
        #[source]
        source: Box<serde_saphyr::Error>,
    },
    /// A YAML document is not a Kubernetes object.
    #[error("{origin}, document {index}: {problem}")]
    Document {
        /// The file.
        origin: String,
        /// Position among the file's non-empty documents, from 1.
        index: usize,
        /// What is missing or wrong.
        problem: String,
    },
    /// The cluster does not serve an object's kind and nothing in the batch defines it.
    #[error("{object}: the cluster does not serve {api_version} {kind}: {hint}")]
    Unservable {
        /// `Kind namespace/name`.
        object: String,
        /// The object's API version.
        api_version: String,
        /// The object's kind.
        kind: String,
        /// What it means and what to do.
        hint: String,
    },
    /// An API request about one object failed.
    #[error("cannot {action} {object}")]
    Api {
        /// `apply`, `delete`, `read`, `list`, `watch`.
        action: &'static str,
        /// `Kind namespace/name`, or the resource for a list.
        object: String,
        /// The last failure.
        #[source]
        source: kube::Error,
    },
    /// Watching an object failed for good (not a transient failure).
    #[error("cannot watch {object}: check the permissions to list and watch it")]
    Watch {
        /// `Kind namespace/name`.
        object: String,
        /// What the watcher reported.
        #[source]
        source: kube::runtime::watcher::Error,
    },
    /// Waiting for an object's state took too long.
    #[error("{object} was not {state} after {}: check it with kubectl, then rerun", humantime::format_duration(*.after))]
    Timeout {
        /// `Kind namespace/name`.
        object: String,
        /// The awaited state (`Established`, `deleted`).
        state: &'static str,
        /// How long ferry waited.
        after: Duration,
    },
    /// Another error, in a named bundle file.
    #[error("in {file}")]
    InFile {
        /// The bundle file.
        file: String,
        /// The error.
        #[source]
        source: Box<ClusterError>,
    },
}

impl ClusterError {
    /// Wraps the error with the bundle file it arose from.
    pub fn in_file(self, file: &str) -> ClusterError {
        ClusterError::InFile {
            file: file.to_string(),
            source: Box::new(self),
        }
    }
}

/// `Kind namespace/name`, or `Kind name` for cluster-scoped objects.
pub(crate) fn describe(kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{kind} {ns}/{name}"),
        None => format!("{kind} {name}"),
    }
}
