//! Freeze and rollback defence, pure: a bundle's signed `created` and
//! `expires` times against the clock. An expired bundle (or one made before
//! bundles carried an expiry) is refused unless the operator allows it;
//! whether a cluster already ran a newer bundle is the upgrade runner's
//! question, answered with [`created_seconds`].

use super::manifest::Manifest;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long a bundle stays valid unless `bundle --expires` says otherwise.
pub const DEFAULT_VALIDITY: Duration = Duration::from_secs(90 * 24 * 3600);

/// Where a verified bundle stands in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    /// Within its validity.
    Valid {
        /// When it expires (RFC 3339).
        expires: String,
    },
    /// Expired, or without an expiry, and allowed by the operator.
    ExpiredButAllowed {
        /// When it expired (RFC 3339), or `None` for a bundle without one.
        expires: Option<String>,
    },
}

/// Why a bundle is too old to use.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FreshnessError {
    /// Past its `expires` time.
    #[error("the bundle expired at {expires} (created {created}); an old bundle may be replayed to hold a site back. Ask for a fresh bundle, or pass --allow-expired if you know this one is current")]
    Expired {
        /// When it was made.
        created: String,
        /// When it expired.
        expires: String,
    },
    /// Made by a ferry that wrote no expiry.
    #[error("the bundle carries no creation or expiry time (made by a ferry before 0.2), so its age cannot be checked; rebuild it, or pass --allow-expired to use it anyway")]
    NoExpiry,
    /// A time that is not RFC 3339.
    #[error("the manifest's {field} time `{value}` is not an RFC 3339 time")]
    BadTime {
        /// `created` or `expires`.
        field: &'static str,
        /// What it says.
        value: String,
    },
}

/// Checks `manifest`'s validity at `now`; an expired bundle passes only
/// when `allow_expired`.
pub fn check(
    manifest: &Manifest,
    now: SystemTime,
    allow_expired: bool,
) -> Result<Freshness, FreshnessError> {
    let (Some(created), Some(expires)) = (&manifest.created, &manifest.expires) else {
        return if allow_expired {
            Ok(Freshness::ExpiredButAllowed { expires: None })
        } else {
            Err(FreshnessError::NoExpiry)
        };
    };
    parse("created", created)?;
    if now <= parse("expires", expires)? {
        return Ok(Freshness::Valid {
            expires: expires.clone(),
        });
    }
    if allow_expired {
        return Ok(Freshness::ExpiredButAllowed {
            expires: Some(expires.clone()),
        });
    }
    Err(FreshnessError::Expired {
        created: created.clone(),
        expires: expires.clone(),
    })
}

/// `created` as seconds since the epoch (0 for a bundle without one).
pub fn created_seconds(manifest: &Manifest) -> Result<i64, FreshnessError> {
    match &manifest.created {
        Some(created) => Ok(seconds(parse("created", created)?)),
        None => Ok(0),
    }
}

/// RFC 3339 (UTC, seconds) of `seconds` since the epoch.
pub fn format_time(seconds: i64) -> String {
    let time = UNIX_EPOCH + Duration::from_secs(seconds.max(0) as u64);
    humantime::format_rfc3339_seconds(time).to_string()
}

fn parse(field: &'static str, value: &str) -> Result<SystemTime, FreshnessError> {
    humantime::parse_rfc3339(value).map_err(|_| FreshnessError::BadTime {
        field,
        value: value.to_string(),
    })
}

fn seconds(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(created: Option<&str>, expires: Option<&str>) -> Manifest {
        let mut manifest = super::super::tests::fixtures::Fixture::new().manifest;
        manifest.created = created.map(str::to_string);
        manifest.expires = expires.map(str::to_string);
        manifest
    }

    fn at(text: &str) -> SystemTime {
        humantime::parse_rfc3339(text).unwrap()
    }

    #[test]
    fn a_bundle_is_valid_until_it_expires_then_only_when_allowed() {
        let m = manifest(Some("2026-01-01T00:00:00Z"), Some("2026-04-01T00:00:00Z"));
        assert!(matches!(
            check(&m, at("2026-03-31T23:59:59Z"), false),
            Ok(Freshness::Valid { .. })
        ));
        assert!(matches!(
            check(&m, at("2026-04-01T00:00:01Z"), false),
            Err(FreshnessError::Expired { .. })
        ));
        assert_eq!(
            check(&m, at("2026-04-01T00:00:01Z"), true),
            Ok(Freshness::ExpiredButAllowed {
                expires: Some("2026-04-01T00:00:00Z".into())
            })
        );
    }

    #[test]
    fn a_bundle_without_times_counts_as_expired() {
        let m = manifest(None, None);
        let now = SystemTime::now();
        assert_eq!(check(&m, now, false), Err(FreshnessError::NoExpiry));
        assert!(check(&m, now, true).is_ok());
        assert_eq!(created_seconds(&m), Ok(0));
    }

    #[test]
    fn a_time_that_does_not_parse_is_refused_even_when_allowed() {
        let m = manifest(Some("yesterday"), Some("2026-04-01T00:00:00Z"));
        assert!(matches!(
            check(&m, SystemTime::now(), true),
            Err(FreshnessError::BadTime {
                field: "created",
                ..
            })
        ));
    }

    #[test]
    fn times_round_trip_through_seconds() {
        let m = manifest(Some(&format_time(1_700_000_000)), None);
        assert_eq!(created_seconds(&m), Ok(1_700_000_000));
    }
}
