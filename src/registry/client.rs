//! One connection setting shared by pulling and pushing: the oci-client
//! client (plain HTTP for the hosts named insecure), the credentials found
//! on this machine, and the retry policy that tells failures worth another
//! try (connection errors, 5xx, 429) from final ones (denied, not found).

use super::auth::Credentials;
use super::error::RegistryError;
use crate::fetch::Reporter;
use crate::images::reference;
use crate::tls::TlsFailure;
use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// Attempts per request before giving up.
const ATTEMPTS: u32 = 6;

/// A registry client with credentials and retries.
pub(super) struct Connection {
    /// The protocol client.
    pub(super) client: Client,
    credentials: Credentials,
    /// Where retries and progress are reported.
    pub(super) reporter: Arc<dyn Reporter>,
}

impl Connection {
    /// A client speaking plain HTTP to `insecure` hosts, trusting the CAs of
    /// `ca_cert` next to the system's, with this machine's credentials.
    pub(super) fn new(
        insecure: &[String],
        ca_cert: Option<&Path>,
        reporter: Arc<dyn Reporter>,
    ) -> Result<Connection, RegistryError> {
        let extra_root_certificates = match ca_cert {
            Some(path) => crate::tls::read_ca_file(path)?
                .into_iter()
                .map(|der| Certificate {
                    encoding: CertificateEncoding::Der,
                    data: der.to_vec(),
                })
                .collect(),
            None => Vec::new(),
        };
        // reqwest (inside oci-client) builds its TLS with the process-wide provider.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let config = ClientConfig {
            protocol: ClientProtocol::HttpsExcept(insecure.to_vec()),
            platform_resolver: None,
            // A blob goes up as one streamed PUT, not one PATCH per 4 MiB.
            use_monolithic_push: true,
            connect_timeout: Some(Duration::from_secs(30)),
            read_timeout: Some(Duration::from_secs(300)),
            extra_root_certificates,
            ..ClientConfig::default()
        };
        Ok(Connection {
            client: Client::new(config),
            credentials: Credentials::load()?,
            reporter,
        })
    }

    /// The credentials for `at`'s registry, or anonymous.
    pub(super) fn auth_for(&self, at: &Reference) -> RegistryAuth {
        match self.credentials.for_host(at.registry()) {
            Some((user, password)) => RegistryAuth::Basic(user.clone(), password.clone()),
            None => RegistryAuth::Anonymous,
        }
    }

    /// Runs `call` until it succeeds, retrying what may go away by itself.
    pub(super) async fn retrying<T, F, Fut>(
        &self,
        name: &str,
        at: &Reference,
        what: &str,
        call: F,
    ) -> Result<T, RegistryError>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T, OciDistributionError>>,
    {
        let mut failures = 0;
        loop {
            match call().await {
                Ok(value) => return Ok(value),
                Err(err) => {
                    failures += 1;
                    let (retry, error) = classify(name, at, &err, failures);
                    if !retry {
                        return Err(error);
                    }
                    let wait = backoff(failures);
                    self.reporter
                        .retrying(what, failures, wait, &err.to_string());
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }
}

/// Backoff before retry `failures`: 200 ms doubling, at most 10 s.
pub(super) fn backoff(failures: u32) -> Duration {
    let factor = 2u32.saturating_pow(failures.saturating_sub(1));
    Duration::from_millis(200)
        .saturating_mul(factor)
        .min(Duration::from_secs(10))
}

/// Whether to try again, and the error to give if not.
pub(super) fn classify(
    image: &str,
    at: &Reference,
    err: &OciDistributionError,
    failures: u32,
) -> (bool, RegistryError) {
    let registry = at.registry().to_string();
    let denied = |detail: String| RegistryError::Denied {
        image: image.to_string(),
        registry: registry.clone(),
        detail,
    };
    let not_found = || RegistryError::NotFound {
        image: image.to_string(),
        what: reference::full(at),
        registry: registry.clone(),
    };
    let unavailable = |detail: String| RegistryError::Unavailable {
        image: image.to_string(),
        registry: registry.clone(),
        attempts: failures,
        detail,
    };
    if let Some(failure) = crate::tls::failure(err) {
        let problem = match failure {
            TlsFailure::UntrustedCertificate { reason } => {
                format!("its certificate is not trusted: {reason}")
            }
            TlsFailure::Refused { alert } => format!("it refused the TLS handshake: {alert}"),
        };
        return (
            false,
            RegistryError::Tls {
                image: image.to_string(),
                registry,
                problem,
            },
        );
    }
    let transient = match err {
        OciDistributionError::UnauthorizedError { .. }
        | OciDistributionError::AuthenticationFailure(_) => {
            return (false, denied(err.to_string()))
        }
        OciDistributionError::ImageManifestNotFoundError(_) => return (false, not_found()),
        OciDistributionError::RegistryError { envelope, .. } => {
            let codes: Vec<&OciErrorCode> = envelope.errors.iter().map(|e| &e.code).collect();
            if codes.iter().any(|c| {
                matches!(
                    c,
                    OciErrorCode::ManifestUnknown
                        | OciErrorCode::BlobUnknown
                        | OciErrorCode::NameUnknown
                        | OciErrorCode::NotFound
                )
            }) {
                return (false, not_found());
            }
            if codes
                .iter()
                .any(|c| matches!(c, OciErrorCode::Unauthorized | OciErrorCode::Denied))
            {
                return (false, denied(envelope.to_string()));
            }
            codes
                .iter()
                .any(|c| matches!(c, OciErrorCode::Toomanyrequests))
        }
        OciDistributionError::ServerError { code, message, .. } => match code {
            401 | 403 => return (false, denied(format!("{code} {message}"))),
            404 => return (false, not_found()),
            429 | 500..=599 => true,
            _ => false,
        },
        OciDistributionError::RequestError(request) => match request.status().map(|s| s.as_u16()) {
            Some(401 | 403) => return (false, denied(request.to_string())),
            Some(404) => return (false, not_found()),
            Some(code) => code == 429 || code >= 500,
            None => true,
        },
        OciDistributionError::IoError(_) => true,
        _ => false,
    };
    let detail = crate::fetch::root_cause(err);
    (transient && failures < ATTEMPTS, unavailable(detail))
}
