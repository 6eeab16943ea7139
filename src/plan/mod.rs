//! Hop planning, a pure function: releases and a profile in, ordered hops out.
//!
//! Upgrades go minor by minor; each intermediate hop lands on the newest final
//! patch of its minor (or the release the profile pins), the last hop on
//! exactly `--to`. Guides are attached by `guides`; downloading is `fetch`'s.

pub mod guides;

use crate::profile::{Profile, StepSpec};
use crate::recipe::Variant;
use crate::source::Release;
use crate::version::{Minor, Version};
use std::collections::BTreeMap;

/// A planned upgrade from one release to another.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The release the cluster runs now; its assets are the merge base.
    pub base: PlannedRelease,
    /// The hops, in order.
    pub hops: Vec<PlannedHop>,
    /// The variant(s) the plan carries assets for.
    pub variant: Variant,
}

/// The starting release and the assets kept as the merge base.
#[derive(Debug, Clone)]
pub struct PlannedRelease {
    /// Parsed version.
    pub version: Version,
    /// The release.
    pub release: Release,
    /// Asset names to carry.
    pub assets: Vec<String>,
}

/// One hop of a plan.
#[derive(Debug, Clone)]
pub struct PlannedHop {
    /// The version the hop starts from.
    pub previous: Version,
    /// The version it lands on.
    pub version: Version,
    /// The release it lands on.
    pub release: Release,
    /// Why the profile pinned this release, when it did.
    pub pin_reason: Option<String>,
    /// Name of the profile recipe used.
    pub recipe: String,
    /// The recipe's steps needed for the plan's variant(s), in order.
    pub steps: Vec<StepSpec>,
    /// Release assets the steps use.
    pub assets: Vec<String>,
    /// Repository files (at the tag) the steps use.
    pub repo_files: Vec<String>,
    /// Migration guides to follow before this hop (filled by [`guides::attach`]).
    pub guides: Vec<guides::GuideRef>,
}

/// Why no plan could be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PlanError {
    /// A requested version has no release.
    #[error("{which} version {version} is not a release of {repo}{hint}")]
    NoSuchRelease {
        /// `--from` or `--to`.
        which: &'static str,
        /// The version asked for.
        version: Version,
        /// The repository.
        repo: String,
        /// Nearby releases, as a hint.
        hint: String,
    },
    /// `--to` is older than `--from`.
    #[error("refusing to downgrade from {from} to {to}: upgrades only go forward; restoring a backup is the only way back")]
    Downgrade {
        /// Start.
        from: Version,
        /// Requested target.
        to: Version,
    },
    /// A minor on the way has no usable release.
    #[error("cannot upgrade through minor {minor}: {detail}; pin a release for it in the profile ([[pin]] minor = \"{minor}\")")]
    Gap {
        /// The minor.
        minor: Minor,
        /// What exists there.
        detail: String,
    },
    /// The profile pins a release that does not exist.
    #[error("the profile pins {version} for minor {minor}, but there is no such release")]
    PinMissing {
        /// The minor.
        minor: Minor,
        /// The pinned version.
        version: Version,
    },
    /// No recipe covers a hop's target.
    #[error("the profile has no recipe for target version {version}; add a [[recipe]] covering minor {}", version.minor_key())]
    NoRecipe {
        /// The hop's target.
        version: Version,
    },
    /// A recipe names an asset the release does not have.
    #[error("release {tag} has no asset `{asset}`, which recipe `{recipe}` applies (assets: {available})")]
    MissingAsset {
        /// The release tag.
        tag: String,
        /// The missing asset.
        asset: String,
        /// The recipe.
        recipe: String,
        /// What the release has.
        available: String,
    },
}

/// The releases a profile considers, by version: drafts, ignored tags and
/// tags that are not versions are left out.
pub fn index_releases(profile: &Profile, releases: &[Release]) -> BTreeMap<Version, Release> {
    let mut index = BTreeMap::new();
    for release in releases {
        if release.draft || profile.ignore_tags.contains(&release.tag) {
            continue;
        }
        if let Ok(version) = release.tag.parse::<Version>() {
            index.entry(version).or_insert_with(|| release.clone());
        }
    }
    index
}

/// Plans the hops from `from` to `to` for `variant`.
pub fn plan(
    profile: &Profile,
    releases: &[Release],
    from: &Version,
    to: &Version,
    variant: Variant,
) -> Result<Plan, PlanError> {
    let index = index_releases(profile, releases);
    let lookup = |which: &'static str, version: &Version| {
        index
            .get(version)
            .cloned()
            .ok_or_else(|| PlanError::NoSuchRelease {
                which,
                version: version.clone(),
                repo: profile.repo_slug(),
                hint: nearby_hint(&index, version),
            })
    };
    let from_release = lookup("--from", from)?;
    let to_release = lookup("--to", to)?;
    if to < from {
        return Err(PlanError::Downgrade {
            from: from.clone(),
            to: to.clone(),
        });
    }
    let targets = hop_targets(profile, &index, from, to)?;
    let mut hops = Vec::new();
    let mut previous = from.clone();
    for target in targets {
        let release = if &target == to {
            to_release.clone()
        } else {
            lookup("pinned", &target)?
        };
        let hop = plan_hop(profile, previous.clone(), target.clone(), release, variant)?;
        previous = target;
        hops.push(hop);
    }
    let base_assets = match profile.recipe_for(from) {
        Some(recipe) => steps_for(&recipe.steps, variant)
            .iter()
            .filter_map(|step| step.asset())
            .filter(|asset| from_release.asset(asset).is_some())
            .map(str::to_string)
            .collect(),
        None => Vec::new(),
    };
    Ok(Plan {
        base: PlannedRelease {
            version: from.clone(),
            release: from_release,
            assets: dedup(base_assets),
        },
        hops,
        variant,
    })
}

/// The version each hop lands on, in order.
fn hop_targets(
    profile: &Profile,
    index: &BTreeMap<Version, Release>,
    from: &Version,
    to: &Version,
) -> Result<Vec<Version>, PlanError> {
    if from == to {
        return Ok(Vec::new());
    }
    let (from_minor, to_minor) = (from.minor_key(), to.minor_key());
    if from_minor == to_minor {
        return Ok(vec![to.clone()]);
    }
    let mut minors: Vec<Minor> = index
        .keys()
        .map(Version::minor_key)
        .filter(|m| from_minor < *m && *m <= to_minor)
        .collect();
    minors.dedup();
    let mut targets = Vec::new();
    let mut previous = from_minor;
    for minor in minors {
        if minor.major == previous.major && minor.minor != previous.minor + 1 {
            let missing = Minor {
                major: previous.major,
                minor: previous.minor + 1,
            };
            return Err(PlanError::Gap {
                minor: missing,
                detail: "it has no release at all".to_string(),
            });
        }
        previous = minor;
        if minor == to_minor {
            targets.push(to.clone());
        } else if let Some(pin) = profile.pin_for(minor) {
            if !index.contains_key(&pin.version) {
                return Err(PlanError::PinMissing {
                    minor,
                    version: pin.version.clone(),
                });
            }
            targets.push(pin.version.clone());
        } else {
            let newest_final = index
                .keys()
                .filter(|v| v.minor_key() == minor && !v.is_prerelease())
                .max();
            match newest_final {
                Some(version) => targets.push(version.clone()),
                None => {
                    let pre: Vec<String> = index
                        .keys()
                        .filter(|v| v.minor_key() == minor)
                        .map(Version::to_string)
                        .collect();
                    return Err(PlanError::Gap {
                        minor,
                        detail: format!(
                            "it has no final release, only pre-releases ({})",
                            pre.join(", ")
                        ),
                    });
                }
            }
        }
    }
    Ok(targets)
}

fn plan_hop(
    profile: &Profile,
    previous: Version,
    version: Version,
    release: Release,
    variant: Variant,
) -> Result<PlannedHop, PlanError> {
    let recipe = profile
        .recipe_for(&version)
        .ok_or_else(|| PlanError::NoRecipe {
            version: version.clone(),
        })?;
    let steps = steps_for(&recipe.steps, variant);
    let mut assets = Vec::new();
    let mut repo_files = Vec::new();
    for step in &steps {
        match step {
            StepSpec::ApplyAsset { asset, .. } | StepSpec::ApplyOverrides { asset, .. } => {
                if release.asset(asset).is_none() {
                    return Err(PlanError::MissingAsset {
                        tag: release.tag.clone(),
                        asset: asset.clone(),
                        recipe: recipe.name.clone(),
                        available: release
                            .assets
                            .iter()
                            .map(|a| a.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                    });
                }
                assets.push(asset.clone());
            }
            StepSpec::ApplyRepoFile { path, .. } => repo_files.push(path.clone()),
            StepSpec::Delete { .. } | StepSpec::WaitInstalled { .. } => {}
        }
    }
    let pin_reason = profile
        .pin_for(version.minor_key())
        .filter(|pin| pin.version == version)
        .map(|pin| pin.reason.clone());
    Ok(PlannedHop {
        previous,
        version,
        release,
        pin_reason,
        recipe: recipe.name.clone(),
        steps,
        assets: dedup(assets),
        repo_files: dedup(repo_files),
        guides: Vec::new(),
    })
}

fn steps_for(steps: &[StepSpec], variant: Variant) -> Vec<StepSpec> {
    steps
        .iter()
        .filter(|step| step.variant().is_needed_for(variant))
        .cloned()
        .collect()
}

fn dedup(items: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::BTreeSet::new();
    items
        .into_iter()
        .filter(|item| seen.insert(item.clone()))
        .collect()
}

fn nearby_hint(index: &BTreeMap<Version, Release>, version: &Version) -> String {
    let same_minor: Vec<String> = index
        .keys()
        .filter(|v| v.minor_key() == version.minor_key())
        .map(Version::to_string)
        .collect();
    if same_minor.is_empty() {
        match (index.keys().next(), index.keys().next_back()) {
            (Some(first), Some(last)) => format!(" (releases run from {first} to {last})"),
            _ => " (the repository has no releases)".to_string(),
        }
    } else {
        format!(
            " (minor {} has: {})",
            version.minor_key(),
            same_minor.join(", ")
        )
    }
}

#[cfg(test)]
mod tests;
