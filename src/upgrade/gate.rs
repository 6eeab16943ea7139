//! The migration-guide gate, a pure decision: may a hop start, or must the
//! operator act first? Showing guides and asking is the console's job.

use crate::bundle::manifest::Hop;
use crate::version::Version;

/// What the gate decided for one hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// The hop has no migration guide.
    NoGuide,
    /// The operator acknowledged this hop's guides in an earlier run.
    AlreadyAcknowledged,
    /// `--accept-guides` or `--accept-guide <this hop>` acknowledges it now.
    AcceptedByFlag,
    /// Show the guides and ask the operator (a terminal is attached).
    AskOperator,
    /// Nobody can be asked: stop before this hop.
    NeedsOperator,
}

/// How the operator said guides are handled in this run.
#[derive(Debug, Clone, Default)]
pub struct GuidePolicy {
    /// `--accept-guides`: every guide's steps are done.
    pub accept_all: bool,
    /// `--accept-guide HOP`: these hops' guide steps are done.
    pub accepted: Vec<String>,
    /// A terminal is attached to ask on.
    pub interactive: bool,
}

impl GuidePolicy {
    /// The gate for `hop`, given the hops acknowledged earlier (by version).
    pub fn decide(&self, hop: &Hop, acknowledged: &[String]) -> Gate {
        let version = hop.version.to_string();
        if hop.guides.is_empty() {
            Gate::NoGuide
        } else if acknowledged.contains(&version) {
            Gate::AlreadyAcknowledged
        } else if self.accept_all || self.accepted.iter().any(|a| names_hop(a, &hop.version)) {
            Gate::AcceptedByFlag
        } else if self.interactive {
            Gate::AskOperator
        } else {
            Gate::NeedsOperator
        }
    }
}

/// `1.2.2` names hop 1.2.2; `1.2` names the hop landing in minor 1.2.
fn names_hop(selector: &str, version: &Version) -> bool {
    match selector.parse::<Version>() {
        Ok(exact) => &exact == version,
        Err(_) => crate::version::Minor::parse(selector) == Some(version.minor_key()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hop(version: &str, guides: &[&str]) -> Hop {
        Hop {
            version: version.parse().unwrap(),
            previous: "1.0.0".parse().unwrap(),
            tag: version.into(),
            commit: None,
            published: None,
            prerelease: false,
            pin_reason: None,
            guides: guides.iter().map(|g| g.to_string()).collect(),
            steps: Vec::new(),
            files: Vec::new(),
            images: Vec::new(),
        }
    }

    #[test]
    fn decides_in_order_of_precedence() {
        let guided = hop("1.2.2", &["1.1-1.2.md"]);
        let quiet = GuidePolicy::default();
        assert_eq!(quiet.decide(&hop("1.1.0", &[]), &[]), Gate::NoGuide);
        assert_eq!(quiet.decide(&guided, &[]), Gate::NeedsOperator);
        assert_eq!(
            quiet.decide(&guided, &["1.2.2".into()]),
            Gate::AlreadyAcknowledged
        );
        let by_minor = GuidePolicy {
            accepted: vec!["1.2".into()],
            ..GuidePolicy::default()
        };
        assert_eq!(by_minor.decide(&guided, &[]), Gate::AcceptedByFlag);
        let other = GuidePolicy {
            accepted: vec!["1.3.0".into()],
            ..GuidePolicy::default()
        };
        assert_eq!(other.decide(&guided, &[]), Gate::NeedsOperator);
        let all = GuidePolicy {
            accept_all: true,
            ..GuidePolicy::default()
        };
        assert_eq!(all.decide(&guided, &[]), Gate::AcceptedByFlag);
        let tty = GuidePolicy {
            interactive: true,
            ..GuidePolicy::default()
        };
        assert_eq!(tty.decide(&guided, &[]), Gate::AskOperator);
    }
}
