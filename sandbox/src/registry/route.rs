//! Turns a request path into what it addresses. Repository names contain
//! slashes (`kyma/kyma-project/kyma-installer`), so the path is split at
//! the last `/manifests/`, `/blobs/uploads/`, `/blobs/` or `/tags/list`
//! rather than by a router's parameters; names, tags and digests are
//! checked against the distribution spec's grammar.

use super::store::ManifestRef;
use ferry_formats::oci::Digest;

/// What a path addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    /// `/v2/`: the API version check.
    Base,
    /// `/v2/<name>/manifests/<tag|digest>`.
    Manifest {
        /// The repository.
        name: String,
        /// The tag or digest.
        reference: ManifestRef,
    },
    /// `/v2/<name>/blobs/<digest>`.
    Blob {
        /// The repository.
        name: String,
        /// The blob.
        digest: Digest,
    },
    /// `/v2/<name>/blobs/uploads/`: opening an upload (or a mount).
    Uploads {
        /// The repository.
        name: String,
    },
    /// `/v2/<name>/blobs/uploads/<id>`: an upload session.
    Upload {
        /// The repository.
        name: String,
        /// The session.
        id: String,
    },
    /// `/v2/<name>/tags/list`.
    Tags {
        /// The repository.
        name: String,
    },
}

/// A path that addresses nothing valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RouteError {
    /// Not an API path at all.
    NotFound,
    /// A repository name outside the grammar.
    NameInvalid(String),
    /// A malformed digest.
    DigestInvalid(String),
    /// A malformed tag.
    TagInvalid(String),
    /// Percent-encoding that is not UTF-8.
    BadEncoding,
}

impl RouteError {
    /// The spec's error code and the HTTP status.
    pub(crate) fn code_and_status(&self) -> (&'static str, u16) {
        match self {
            RouteError::NotFound => ("NOT_FOUND", 404),
            RouteError::NameInvalid(_) => ("NAME_INVALID", 400),
            RouteError::DigestInvalid(_) => ("DIGEST_INVALID", 400),
            RouteError::TagInvalid(_) => ("MANIFEST_INVALID", 400),
            RouteError::BadEncoding => ("UNSUPPORTED", 400),
        }
    }

    /// A message for the error envelope.
    pub(crate) fn message(&self) -> String {
        match self {
            RouteError::NotFound => "no such API path".into(),
            RouteError::NameInvalid(name) => format!("invalid repository name {name:?}"),
            RouteError::DigestInvalid(digest) => format!("invalid digest {digest:?}"),
            RouteError::TagInvalid(tag) => format!("invalid tag {tag:?}"),
            RouteError::BadEncoding => "the path is not UTF-8".into(),
        }
    }
}

/// Parses a request path (without the query).
pub(crate) fn route(raw_path: &str) -> Result<Route, RouteError> {
    let path = percent_decode(raw_path)?;
    let rest = match path.strip_prefix("/v2") {
        Some("" | "/") => return Ok(Route::Base),
        Some(rest) => rest.strip_prefix('/').ok_or(RouteError::NotFound)?,
        None => return Err(RouteError::NotFound),
    };
    if let Some((name, id)) = rest.rsplit_once("/blobs/uploads/") {
        let name = repository(name)?;
        if id.is_empty() {
            return Ok(Route::Uploads { name });
        }
        if id.contains('/') {
            return Err(RouteError::NotFound);
        }
        return Ok(Route::Upload {
            name,
            id: id.to_string(),
        });
    }
    if let Some(name) = rest.strip_suffix("/blobs/uploads") {
        return Ok(Route::Uploads {
            name: repository(name)?,
        });
    }
    if let Some(name) = rest.strip_suffix("/tags/list") {
        return Ok(Route::Tags {
            name: repository(name)?,
        });
    }
    // Whichever keyword comes last ends the name.
    match (rest.rfind("/manifests/"), rest.rfind("/blobs/")) {
        (Some(m), b) if b.is_none_or(|b| m > b) => Ok(Route::Manifest {
            name: repository(&rest[..m])?,
            reference: manifest_ref(&rest[m + "/manifests/".len()..])?,
        }),
        (_, Some(b)) => Ok(Route::Blob {
            name: repository(&rest[..b])?,
            digest: digest_of(&rest[b + "/blobs/".len()..])?,
        }),
        _ => Err(RouteError::NotFound),
    }
}

/// A digest, or [`RouteError::DigestInvalid`].
pub(crate) fn digest_of(text: &str) -> Result<Digest, RouteError> {
    Digest::parse(text).map_err(|_| RouteError::DigestInvalid(text.to_string()))
}

/// A tag (`[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`) or a digest.
fn manifest_ref(text: &str) -> Result<ManifestRef, RouteError> {
    if text.contains(':') {
        return digest_of(text).map(ManifestRef::Digest);
    }
    let mut chars = text.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if first_ok && rest_ok && text.len() <= 128 {
        Ok(ManifestRef::Tag(text.to_string()))
    } else {
        Err(RouteError::TagInvalid(text.to_string()))
    }
}

/// A repository name: `/`-separated components of lowercase letters and
/// digits, joined inside by `.`, `_`, `__` or dashes.
fn repository(name: &str) -> Result<String, RouteError> {
    let component_ok = |part: &str| {
        let bytes = part.as_bytes();
        let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
        let separators_ok = part
            .split(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
            .all(|sep| {
                sep.is_empty()
                    || sep == "."
                    || sep == "_"
                    || sep == "__"
                    || sep.bytes().all(|b| b == b'-')
            });
        bytes.first().is_some_and(alnum) && bytes.last().is_some_and(alnum) && separators_ok
    };
    if name.len() <= 255 && name.split('/').all(component_ok) {
        Ok(name.to_string())
    } else {
        Err(RouteError::NameInvalid(name.to_string()))
    }
}

/// Decodes `%XX` escapes; the result must be UTF-8.
fn percent_decode(path: &str) -> Result<String, RouteError> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let escaped = bytes
            .get(at + 1..at + 3)
            .filter(|_| bytes[at] == b'%')
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                at += 3;
            }
            None => {
                out.push(bytes[at]);
                at += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| RouteError::BadEncoding)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn names_with_slashes_split_at_the_last_keyword() {
        assert_eq!(route("/v2/"), Ok(Route::Base));
        assert_eq!(route("/v2"), Ok(Route::Base));
        assert_eq!(
            route("/v2/kyma/kyma-project/kyma-installer/manifests/1.3.0"),
            Ok(Route::Manifest {
                name: "kyma/kyma-project/kyma-installer".into(),
                reference: ManifestRef::Tag("1.3.0".into()),
            })
        );
        assert_eq!(
            route(&format!(
                "/v2/a/blobs/b/blobs/{}",
                DIGEST.replace(':', "%3A")
            )),
            Ok(Route::Blob {
                name: "a/blobs/b".into(),
                digest: Digest::parse(DIGEST).unwrap(),
            })
        );
        assert_eq!(
            route("/v2/docker.io/library/busybox/blobs/uploads/"),
            Ok(Route::Uploads {
                name: "docker.io/library/busybox".into()
            })
        );
        assert_eq!(
            route("/v2/x/y/blobs/uploads/upload-1"),
            Ok(Route::Upload {
                name: "x/y".into(),
                id: "upload-1".into()
            })
        );
        assert_eq!(
            route("/v2/x/tags/list"),
            Ok(Route::Tags { name: "x".into() })
        );
        assert!(matches!(
            route(&format!("/v2/x/manifests/{DIGEST}")),
            Ok(Route::Manifest {
                reference: ManifestRef::Digest(_),
                ..
            })
        ));
    }

    #[test]
    fn bad_names_tags_and_digests_are_refused_not_panicked_on() {
        for (path, code) in [
            ("/v2/Upper/manifests/1", "NAME_INVALID"),
            ("/v2/a//b/manifests/1", "NAME_INVALID"),
            ("/v2/-a/manifests/1", "NAME_INVALID"),
            ("/v2/a/manifests/.bad", "MANIFEST_INVALID"),
            ("/v2/a/manifests/sha256:short", "DIGEST_INVALID"),
            ("/v2/a/blobs/nodigest", "DIGEST_INVALID"),
            ("/v2/a/blobs/uploads/x/y", "NOT_FOUND"),
            ("/v3/a", "NOT_FOUND"),
            ("/v2/a/%FF/manifests/1", "UNSUPPORTED"),
            ("/v2/a/%", "NOT_FOUND"),
            ("/v2/a/elsewhere", "NOT_FOUND"),
        ] {
            let err = route(path).expect_err(path);
            assert_eq!(err.code_and_status().0, code, "{path}");
        }
        assert!(route("/v2/a__b/c.d/e--f_g/manifests/v1.0_rc-1").is_ok());
        assert!(matches!(
            route(&format!("/v2/a/manifests/b/blobs/{DIGEST}")),
            Ok(Route::Blob { name, .. }) if name == "a/manifests/b"
        ));
    }
}
