//! Release versions: parsing release tags, ordering them, and grouping by minor.
//!
//! Tags in the wild are irregular (`1.16.0-rc4`, `v0.5.0`, `0.4-rc`). A tag is a
//! version only when it reads `MAJOR.MINOR.PATCH` with an optional leading `v`
//! and an optional pre-release suffix; everything else is ignored by planning.
//! Pre-release suffixes order by their numeric tail, so `rc10` follows `rc4`.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A release version such as `1.2.2` or `1.16.0-rc4`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version {
    /// Major number.
    pub major: u64,
    /// Minor number.
    pub minor: u64,
    /// Patch number.
    pub patch: u64,
    /// Pre-release suffix without the dash (`rc4`), if any.
    pub pre: Option<String>,
}

/// A `MAJOR.MINOR` pair: the unit upgrades step through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Minor {
    /// Major number.
    pub major: u64,
    /// Minor number.
    pub minor: u64,
}

/// Why a string is not a version.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("`{input}` is not a version (expected MAJOR.MINOR.PATCH, e.g. 1.2.0 or 1.16.0-rc4)")]
pub struct VersionError {
    /// The rejected input.
    pub input: String,
}

impl Version {
    /// Builds a final (non pre-release) version.
    pub fn new(major: u64, minor: u64, patch: u64) -> Self {
        Version {
            major,
            minor,
            patch,
            pre: None,
        }
    }

    /// True when this version carries a pre-release suffix.
    pub fn is_prerelease(&self) -> bool {
        self.pre.is_some()
    }

    /// The minor this version belongs to.
    pub fn minor_key(&self) -> Minor {
        Minor {
            major: self.major,
            minor: self.minor,
        }
    }
}

impl Minor {
    /// Parses `1.16` (a full version such as `1.16.2` is accepted and truncated).
    pub fn parse(input: &str) -> Option<Minor> {
        let trimmed = input.trim().trim_start_matches('v');
        let mut parts = trimmed.splitn(3, '.');
        let major = parts.next()?.parse().ok()?;
        let minor_part = parts.next()?;
        let minor_digits: String = minor_part
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        if minor_digits.len() != minor_part.len() && parts.next().is_none() {
            return None;
        }
        Some(Minor {
            major,
            minor: minor_digits.parse().ok()?,
        })
    }
}

impl fmt::Display for Minor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

fn parse_number(part: &str) -> Option<u64> {
    if part.is_empty() || !part.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if part.len() > 1 && part.starts_with('0') {
        return None;
    }
    part.parse().ok()
}

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = || VersionError {
            input: input.to_string(),
        };
        let body = input.strip_prefix('v').unwrap_or(input);
        let (core, pre) = match body.split_once('-') {
            Some((core, pre)) => {
                let valid = !pre.is_empty()
                    && pre
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
                if !valid {
                    return Err(err());
                }
                (core, Some(pre.to_string()))
            }
            None => (body, None),
        };
        let numbers: Vec<&str> = core.split('.').collect();
        if numbers.len() != 3 {
            return Err(err());
        }
        let major = parse_number(numbers[0]).ok_or_else(err)?;
        let minor = parse_number(numbers[1]).ok_or_else(err)?;
        let patch = parse_number(numbers[2]).ok_or_else(err)?;
        Ok(Version {
            major,
            minor,
            patch,
            pre,
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if let Some(pre) = &self.pre {
            write!(f, "-{pre}")?;
        }
        Ok(())
    }
}

/// Splits a pre-release label into its alphabetic head and numeric tail: `rc10` -> (`rc`, 10).
fn pre_parts(pre: &str) -> (&str, Option<u64>) {
    let digits_start = pre
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit())
        .last()
        .map(|(i, _)| i);
    match digits_start {
        Some(i) => (&pre[..i], pre[i..].parse().ok()),
        None => (pre, None),
    }
}

fn compare_pre(a: &Option<String>, b: &Option<String>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(a), Some(b)) => {
            let (head_a, num_a) = pre_parts(a);
            let (head_b, num_b) = pre_parts(b);
            head_a
                .cmp(head_b)
                .then(num_a.cmp(&num_b))
                .then_with(|| a.cmp(b))
        }
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| compare_pre(&self.pre, &other.pre))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Serialize for Version {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        s.parse().unwrap()
    }

    #[test]
    fn parses_plain_and_prerelease_tags() {
        assert_eq!(v("1.2.3"), Version::new(1, 2, 3));
        assert_eq!(v("v0.5.0"), Version::new(0, 5, 0));
        assert_eq!(v("1.16.0-rc4").pre.as_deref(), Some("rc4"));
        assert_eq!(v("1.16.0-rc4").to_string(), "1.16.0-rc4");
    }

    #[test]
    fn rejects_stray_tags() {
        for bad in [
            "0.4-rc",
            "1.2",
            "master-abc123",
            "1.2.x",
            "",
            "1.02.0",
            "1.2.3-",
        ] {
            assert!(bad.parse::<Version>().is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn orders_by_number_then_prerelease_tail() {
        assert!(v("1.16.0-rc4") < v("1.16.0-rc10"));
        assert!(v("1.16.0-rc4") < v("1.16.0"));
        assert!(v("1.15.1") < v("1.16.0-rc1"));
        assert!(v("1.9.0") < v("1.10.0"));
        assert!(v("0.90.0") < v("1.0.0"));
    }

    #[test]
    fn minor_parses_short_and_full_forms() {
        assert_eq!(
            Minor::parse("1.16"),
            Some(Minor {
                major: 1,
                minor: 16
            })
        );
        assert_eq!(Minor::parse("1.2.2"), Some(Minor { major: 1, minor: 2 }));
        assert_eq!(Minor::parse("x"), None);
    }
}
