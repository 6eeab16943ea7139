//! The retry policy as pure functions: which failed responses are worth
//! another try, how long to back off, how long a GitHub rate limit lasts,
//! and where the next page is.
//!
//! It decides; it never sleeps or sends. `http` and `download` act on the
//! decisions.

use super::report::RateLimitKind;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::StatusCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Added to a primary limit's reset time, so clock skew does not wake us early.
pub(crate) const RESET_MARGIN: Duration = Duration::from_secs(1);

/// GitHub asks for at least a minute after a secondary limit without `Retry-After`.
pub(crate) const SECONDARY_DEFAULT_WAIT: Duration = Duration::from_secs(60);

/// What to do with a response whose status the caller did not accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// A transient failure: back off and try again (counts as a retry).
    Retry,
    /// Rate limited: wait, then try again (does not count as a retry).
    RateLimited {
        /// Which limit.
        kind: RateLimitKind,
        /// How long to wait.
        wait: Duration,
    },
    /// Do not try again.
    Fail,
}

/// Classifies a response status the caller did not accept. `message` is
/// GitHub's `message` from the error body (empty when there is none).
pub(crate) fn classify(
    status: StatusCode,
    headers: &HeaderMap,
    message: &str,
    now: SystemTime,
) -> Verdict {
    if status.is_server_error() {
        return Verdict::Retry;
    }
    if status != StatusCode::FORBIDDEN && status != StatusCode::TOO_MANY_REQUESTS {
        return Verdict::Fail;
    }
    if let Some(value) = header_str(headers, RETRY_AFTER.as_str()) {
        let wait = value
            .parse::<u64>()
            .map(Duration::from_secs)
            .unwrap_or(SECONDARY_DEFAULT_WAIT);
        return Verdict::RateLimited {
            kind: RateLimitKind::Secondary,
            wait,
        };
    }
    if header_str(headers, "x-ratelimit-remaining") == Some("0") {
        let wait = header_str(headers, "x-ratelimit-reset")
            .and_then(|v| v.parse::<u64>().ok())
            .map(|reset| until_unix(reset, now) + RESET_MARGIN)
            .unwrap_or(SECONDARY_DEFAULT_WAIT);
        return Verdict::RateLimited {
            kind: RateLimitKind::Primary,
            wait,
        };
    }
    if message
        .to_ascii_lowercase()
        .contains("secondary rate limit")
    {
        return Verdict::RateLimited {
            kind: RateLimitKind::Secondary,
            wait: SECONDARY_DEFAULT_WAIT,
        };
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        Verdict::Retry
    } else {
        Verdict::Fail
    }
}

/// Whether a transport error may go away on its own (connection refused or
/// reset, timeout, body cut short), as opposed to a bad URL or redirect loop.
pub(crate) fn is_transient(error: &reqwest::Error) -> bool {
    !(error.is_builder() || error.is_redirect())
}

/// Exponential backoff: `initial` before retry 1, doubling, capped at `max`.
pub(crate) fn backoff(initial: Duration, max: Duration, retry: u32) -> Duration {
    let factor = 2u32.saturating_pow(retry.saturating_sub(1));
    initial.saturating_mul(factor).min(max)
}

/// The time from `now` until the unix time `reset` (zero if it passed).
fn until_unix(reset: u64, now: SystemTime) -> Duration {
    let reset = UNIX_EPOCH + Duration::from_secs(reset);
    reset.duration_since(now).unwrap_or(Duration::ZERO)
}

/// The `rel="next"` target of a `Link` header, if any.
pub(crate) fn next_link(link: &str) -> Option<&str> {
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let target = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim();
            p == "rel=\"next\"" || p == "rel=next"
        });
        is_next.then_some(target)
    })
}

/// GitHub's `message` from a JSON error body, if it has one.
pub(crate) fn github_message(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct ErrorBody {
        message: String,
    }
    serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .map(|b| b.message)
}

fn header_str<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn server_errors_retry_and_client_errors_fail() {
        let now = SystemTime::now();
        let none = HeaderMap::new();
        assert_eq!(
            classify(StatusCode::BAD_GATEWAY, &none, "", now),
            Verdict::Retry
        );
        assert_eq!(
            classify(StatusCode::TOO_MANY_REQUESTS, &none, "", now),
            Verdict::Retry
        );
        assert_eq!(
            classify(StatusCode::FORBIDDEN, &none, "Resource not accessible", now),
            Verdict::Fail
        );
        assert_eq!(
            classify(StatusCode::NOT_FOUND, &none, "", now),
            Verdict::Fail
        );
        assert_eq!(
            classify(StatusCode::UNAUTHORIZED, &none, "", now),
            Verdict::Fail
        );
    }

    #[test]
    fn rate_limits_wait_for_the_right_time() {
        let now = UNIX_EPOCH + Duration::from_secs(1_000);
        assert_eq!(
            classify(
                StatusCode::FORBIDDEN,
                &headers(&[("retry-after", "7")]),
                "",
                now
            ),
            Verdict::RateLimited {
                kind: RateLimitKind::Secondary,
                wait: Duration::from_secs(7)
            }
        );
        let primary = headers(&[
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1030"),
        ]);
        assert_eq!(
            classify(StatusCode::FORBIDDEN, &primary, "", now),
            Verdict::RateLimited {
                kind: RateLimitKind::Primary,
                wait: Duration::from_secs(30) + RESET_MARGIN
            }
        );
        let past = headers(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "10")]);
        assert_eq!(
            classify(StatusCode::TOO_MANY_REQUESTS, &past, "", now),
            Verdict::RateLimited {
                kind: RateLimitKind::Primary,
                wait: RESET_MARGIN
            }
        );
        let remaining = headers(&[("x-ratelimit-remaining", "12")]);
        assert_eq!(
            classify(StatusCode::FORBIDDEN, &remaining, "", now),
            Verdict::Fail
        );
        assert_eq!(
            classify(
                StatusCode::FORBIDDEN,
                &HeaderMap::new(),
                "You have exceeded a secondary rate limit.",
                now
            ),
            Verdict::RateLimited {
                kind: RateLimitKind::Secondary,
                wait: SECONDARY_DEFAULT_WAIT
            }
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let ms = Duration::from_millis;
        let waits: Vec<_> = (1..=7).map(|r| backoff(ms(250), ms(8000), r)).collect();
        assert_eq!(
            waits,
            [250, 500, 1000, 2000, 4000, 8000, 8000].map(ms).to_vec()
        );
        assert_eq!(backoff(ms(250), ms(8000), 200), ms(8000));
    }

    #[test]
    fn next_link_finds_rel_next_among_others() {
        let link = "<https://api.github.com/r?page=1>; rel=\"prev\", \
                    <https://api.github.com/r?page=3>; rel=\"next\", \
                    <https://api.github.com/r?page=9>; rel=\"last\"";
        assert_eq!(next_link(link), Some("https://api.github.com/r?page=3"));
        assert_eq!(next_link("<https://x/?page=1>; rel=\"prev\""), None);
        assert_eq!(next_link("garbage"), None);
    }

    #[test]
    fn github_message_reads_the_error_body() {
        assert_eq!(
            github_message(br#"{"message":"Bad credentials","documentation_url":"x"}"#),
            Some("Bad credentials".to_string())
        );
        assert_eq!(github_message(b"<html>"), None);
    }
}
