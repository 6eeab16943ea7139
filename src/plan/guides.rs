//! Matching migration guides to hops, a pure function.
//!
//! A guide is a file `X.Y-A.B.md` in the profile's guide folder on a hop's
//! target release branch. It belongs to every hop of the plan that it spans:
//! the hop starts at or after minor X.Y and lands at or before minor A.B. A
//! stale copy of an older hop's guide on a later branch (release-1.5 still
//! holds `1.3-1.4.md`) therefore never lands on the wrong hop, and a guide
//! that spans two minors (`1.15-1.17.md`) lands on both hops.

use super::PlannedHop;
use crate::profile::Profile;
use crate::version::Minor;
use serde::Serialize;

/// A migration guide attached to a hop, and where to fetch it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuideRef {
    /// File name (`1.15-1.17.md`).
    pub name: String,
    /// Branch it is read from.
    pub branch: String,
}

/// The guide file names found on one branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BranchListing {
    /// The branch.
    pub branch: String,
    /// File names in the guide folder (empty when the branch or folder is absent).
    pub files: Vec<String>,
}

/// Reads `1.15-1.17.md` as the minors it spans.
pub fn parse_guide_name(name: &str) -> Option<(Minor, Minor)> {
    let stem = name.strip_suffix(".md")?;
    let (from, to) = stem.split_once('-')?;
    let from = Minor::parse(from).filter(|_| from.matches('.').count() == 1)?;
    let to = Minor::parse(to).filter(|_| to.matches('.').count() == 1)?;
    (from < to).then_some((from, to))
}

/// The branches to list: each hop's target release branch, in hop order, once.
pub fn branches_to_search(profile: &Profile, hops: &[PlannedHop]) -> Vec<String> {
    let mut branches: Vec<String> = Vec::new();
    for hop in hops {
        let branch = profile.branch_for(hop.version.minor_key());
        if !branches.contains(&branch) {
            branches.push(branch);
        }
    }
    branches
}

/// Attaches every listed guide to the hops it spans. When a guide stands on
/// several branches, the copy on the branch of its own target minor wins,
/// else the first branch that has it.
pub fn attach(profile: &Profile, hops: &mut [PlannedHop], listings: &[BranchListing]) {
    let mut guides: Vec<(Minor, Minor, GuideRef)> = Vec::new();
    for listing in listings {
        for name in &listing.files {
            let Some((first, last)) = parse_guide_name(name) else {
                continue;
            };
            let own_branch = profile.branch_for(last) == listing.branch;
            match guides.iter_mut().find(|(_, _, g)| &g.name == name) {
                Some((_, _, existing)) if own_branch => existing.branch = listing.branch.clone(),
                Some(_) => {}
                None => guides.push((
                    first,
                    last,
                    GuideRef {
                        name: name.clone(),
                        branch: listing.branch.clone(),
                    },
                )),
            }
        }
    }
    guides.sort_by_key(|(first, last, _)| (*first, *last));
    for hop in hops.iter_mut() {
        let (start, end) = (hop.previous.minor_key(), hop.version.minor_key());
        hop.guides = guides
            .iter()
            .filter(|(first, last, _)| start < end && *first <= start && end <= *last)
            .map(|(_, _, guide)| guide.clone())
            .collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_guide_names() {
        let m = |s| Minor::parse(s).unwrap();
        assert_eq!(
            parse_guide_name("1.15-1.17.md"),
            Some((m("1.15"), m("1.17")))
        );
        assert_eq!(parse_guide_name("0.9-1.0.md"), Some((m("0.9"), m("1.0"))));
        assert_eq!(parse_guide_name("README.md"), None);
        assert_eq!(parse_guide_name("1.2-1.1.md"), None);
        assert_eq!(parse_guide_name("1.2.0-1.3.0.md"), None);
        assert_eq!(parse_guide_name("1.1-1.2.txt"), None);
    }
}
