//! What a failed TLS handshake means, for the clients that talk to GitHub,
//! registries and API servers: finds rustls's verdict inside an error chain
//! (through reqwest's, hyper's and kube-rs's layers and `io::Error`
//! wrappers) and says it in words an operator can act on.
//!
//! It also reads the PEM files of extra CAs (`--ca-cert`) once for every
//! client. Building TLS configurations is left to each client
//! (`fetch::http`, `registry::client`, `cluster::connect`).

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::error::Error;
use std::path::{Path, PathBuf};

/// A `--ca-cert` file that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot use the CA certificate file {}: {problem}; pass a PEM file holding the CA certificate(s)", path.display())]
pub struct CaFileError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub problem: String,
}

/// The certificates (DER) of a PEM file holding one or more `CERTIFICATE`
/// blocks; a file without any is an error, not an empty trust list.
pub fn read_ca_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, CaFileError> {
    let fail = |problem: String| CaFileError {
        path: path.to_path_buf(),
        problem,
    };
    let pem = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(format!("it is not valid PEM ({e})")))?;
    if certs.is_empty() {
        return Err(fail("it holds no PEM certificate".to_string()));
    }
    Ok(certs)
}

/// Why a TLS handshake failed, when rustls says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsFailure {
    /// The server's certificate did not verify against the trusted CAs.
    UntrustedCertificate {
        /// What is wrong with it, in words (`signed by a CA that is not trusted`).
        reason: String,
    },
    /// The server ended the handshake with an alert (often: a client
    /// certificate was required and none, or an unknown one, was sent).
    Refused {
        /// The alert, in words.
        alert: String,
    },
}

/// The TLS failure somewhere in `err`'s chain of causes, if any.
pub fn failure(err: &(dyn Error + 'static)) -> Option<TlsFailure> {
    find_rustls(err).and_then(describe)
}

/// The first `rustls::Error` in the chain, looking inside `io::Error`s too
/// (their `source()` skips the error they wrap).
fn find_rustls<'a>(err: &'a (dyn Error + 'static)) -> Option<&'a rustls::Error> {
    let mut next = Some(err);
    while let Some(current) = next {
        if let Some(found) = current.downcast_ref::<rustls::Error>() {
            return Some(found);
        }
        if let Some(inner) = current
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            if let Some(found) = find_rustls(inner) {
                return Some(found);
            }
        }
        next = current.source();
    }
    None
}

fn describe(err: &rustls::Error) -> Option<TlsFailure> {
    use rustls::{AlertDescription as Alert, CertificateError as Cert};
    match err {
        rustls::Error::InvalidCertificate(cert) => {
            let reason = match cert {
                Cert::UnknownIssuer => "it is signed by a CA that is not trusted".to_string(),
                Cert::NotValidForName | Cert::NotValidForNameContext { .. } => {
                    "it is not issued for this host name or address".to_string()
                }
                Cert::Expired | Cert::ExpiredContext { .. } => "it has expired".to_string(),
                Cert::NotValidYet | Cert::NotValidYetContext { .. } => {
                    "it is not valid yet (check the clock)".to_string()
                }
                Cert::Revoked => "it has been revoked".to_string(),
                Cert::BadSignature => "its signature does not verify".to_string(),
                other => format!("{other:?}"),
            };
            Some(TlsFailure::UntrustedCertificate { reason })
        }
        rustls::Error::AlertReceived(alert) => {
            let alert = match alert {
                Alert::CertificateRequired => "a client certificate is required".to_string(),
                Alert::BadCertificate | Alert::UnknownCA | Alert::CertificateUnknown => {
                    "it does not accept the client certificate".to_string()
                }
                Alert::HandshakeFailure => "handshake failure".to_string(),
                other => format!("{other:?}"),
            };
            Some(TlsFailure::Refused { alert })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_certificate_error_inside_io_errors() {
        let rustls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = std::io::Error::other(rustls);
        let outer = std::io::Error::other(io);
        assert_eq!(
            failure(&outer),
            Some(TlsFailure::UntrustedCertificate {
                reason: "it is signed by a CA that is not trusted".into()
            })
        );
    }

    #[test]
    fn a_server_alert_is_a_refusal_and_other_errors_are_none() {
        let alert = rustls::Error::AlertReceived(rustls::AlertDescription::CertificateRequired);
        assert_eq!(
            failure(&std::io::Error::other(alert)),
            Some(TlsFailure::Refused {
                alert: "a client certificate is required".into()
            })
        );
        assert_eq!(failure(&std::io::Error::other("refused")), None);
    }

    #[test]
    fn a_ca_file_without_certificates_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, "no certificate here\n").unwrap();
        let err = read_ca_file(&path).unwrap_err();
        assert_eq!(err.problem, "it holds no PEM certificate");
        assert!(read_ca_file(&dir.path().join("absent")).is_err());
    }
}
