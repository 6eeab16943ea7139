//! Product profiles: everything ferry knows about one product (repository,
//! release branches, guide folder, pinned pre-releases, per-version recipes,
//! how the cluster reports its version), read from TOML.
//!
//! Profiles are data: `bundles/kyma.toml` is built in, any other file can be
//! named with `--profile FILE`. This module parses and validates them; it does
//! not plan (see `plan`) or talk to a network.

mod images;
mod spec;

pub use images::{Convention, ExtraImages, FileRule, ImagesSpec};
pub use spec::{Recipe, StepSpec};

use crate::recipe::ClusterSpec;
use crate::version::{Minor, Version};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Built-in profiles: (name, TOML text).
const BUILT_IN: &[(&str, &str)] = &[("kyma", include_str!("../../bundles/kyma.toml"))];

/// A validated product profile.
#[derive(Debug, Clone)]
pub struct Profile {
    /// Product name (`kyma`).
    pub name: String,
    /// Human name (`Kyma`).
    pub display_name: String,
    /// Repository owner.
    pub owner: String,
    /// Repository name.
    pub repo: String,
    /// Release branch template with `{major}` and `{minor}`.
    pub release_branch: String,
    /// Folder of migration guides on each release branch.
    pub guide_dir: String,
    /// Minors (an inclusive range) that have no release branch at all.
    pub minors_without_branch: Option<(Minor, Minor)>,
    /// Version-like tags that are not releases of the product.
    pub ignore_tags: Vec<String>,
    /// Pre-releases pinned as the landing release of a minor.
    pub pins: Vec<Pin>,
    /// Cluster-side facts, copied into every bundle.
    pub cluster: ClusterSpec,
    /// Recipes by target minor range.
    pub recipes: Vec<Recipe>,
    /// Where container images are named beyond the manifests.
    pub images: ImagesSpec,
}

/// A minor whose hop lands on a named release instead of its newest final patch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// The minor.
    pub minor: Minor,
    /// The release to land on.
    pub version: Version,
    /// Why (shown in plans).
    pub reason: String,
}

/// A profile that cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// Neither a built-in name nor a readable file.
    #[error("no profile `{0}`: built-in profiles are {built_in}; or pass a path to a .toml file", built_in = built_in_names())]
    Unknown(String),
    /// The file could not be read.
    #[error("cannot read profile {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The TOML does not match the profile schema.
    #[error("profile {origin} is not valid")]
    Parse {
        /// Where it came from.
        origin: String,
        /// The cause.
        #[source]
        source: toml::de::Error,
    },
    /// The TOML parses but says something impossible.
    #[error("profile {origin}: {problem}")]
    Invalid {
        /// Where it came from.
        origin: String,
        /// What is wrong.
        problem: String,
    },
}

fn built_in_names() -> String {
    BUILT_IN
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    product: RawProduct,
    #[serde(default)]
    pin: Vec<RawPin>,
    cluster: ClusterSpec,
    recipe: Vec<spec::RawRecipe>,
    #[serde(default)]
    images: images::RawImages,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProduct {
    name: String,
    display_name: Option<String>,
    repo: String,
    release_branch: String,
    guide_dir: String,
    #[serde(default)]
    minors_without_branch: Option<[String; 2]>,
    #[serde(default)]
    ignore_tags: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPin {
    minor: String,
    tag: String,
    reason: String,
}

impl Profile {
    /// Loads a built-in profile by name, or a profile file by path.
    pub fn load(name_or_path: &str) -> Result<Profile, ProfileError> {
        if let Some((_, text)) = BUILT_IN.iter().find(|(name, _)| *name == name_or_path) {
            return Profile::parse(text, &format!("built-in `{name_or_path}`"));
        }
        let path = Path::new(name_or_path);
        let looks_like_path = path.extension().is_some() || name_or_path.contains('/');
        if !looks_like_path && !path.exists() {
            return Err(ProfileError::Unknown(name_or_path.to_string()));
        }
        let text = std::fs::read_to_string(path).map_err(|source| ProfileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Profile::parse(&text, &path.display().to_string())
    }

    /// Parses and validates profile TOML; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Profile, ProfileError> {
        let raw: RawProfile = toml::from_str(text).map_err(|source| ProfileError::Parse {
            origin: origin.to_string(),
            source,
        })?;
        let invalid = |problem: String| ProfileError::Invalid {
            origin: origin.to_string(),
            problem,
        };
        let (owner, repo) = raw
            .product
            .repo
            .split_once('/')
            .filter(|(o, r)| !o.is_empty() && !r.is_empty() && !r.contains('/'))
            .ok_or_else(|| invalid(format!("repo `{}` must be OWNER/NAME", raw.product.repo)))?;
        let pins = raw
            .pin
            .iter()
            .map(|pin| {
                let minor = Minor::parse(&pin.minor).ok_or_else(|| {
                    invalid(format!("pin minor `{}` is not MAJOR.MINOR", pin.minor))
                })?;
                let version: Version = pin
                    .tag
                    .parse()
                    .map_err(|e: crate::version::VersionError| invalid(e.to_string()))?;
                if version.minor_key() != minor {
                    return Err(invalid(format!(
                        "pin for minor {minor} names {version}, which belongs to minor {}",
                        version.minor_key()
                    )));
                }
                Ok(Pin {
                    minor,
                    version,
                    reason: pin.reason.clone(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let recipes = spec::resolve_recipes(raw.recipe).map_err(invalid)?;
        let images = images::resolve(raw.images).map_err(invalid)?;
        let minors_without_branch = match &raw.product.minors_without_branch {
            None => None,
            Some([first, last]) => {
                let parse = |text: &String| {
                    Minor::parse(text).ok_or_else(|| {
                        invalid(format!(
                            "minors_without_branch: `{text}` is not MAJOR.MINOR"
                        ))
                    })
                };
                Some((parse(first)?, parse(last)?))
            }
        };
        Ok(Profile {
            display_name: raw
                .product
                .display_name
                .unwrap_or_else(|| raw.product.name.clone()),
            name: raw.product.name,
            owner: owner.to_string(),
            repo: repo.to_string(),
            release_branch: raw.product.release_branch,
            guide_dir: raw.product.guide_dir.trim_matches('/').to_string(),
            minors_without_branch,
            ignore_tags: raw.product.ignore_tags,
            pins,
            cluster: raw.cluster,
            recipes,
            images,
        })
    }

    /// `owner/name` of the product's repository.
    pub fn repo_slug(&self) -> String {
        format!("{}/{}", self.owner, self.repo)
    }

    /// The release branch a version is cut from (`release-1.2`).
    pub fn branch_for(&self, minor: Minor) -> String {
        branch_name(&self.release_branch, minor)
    }

    /// Whether the profile says `minor` has no release branch (`minors_without_branch`).
    pub fn has_no_branch(&self, minor: Minor) -> bool {
        self.minors_without_branch
            .is_some_and(|(first, last)| first <= minor && minor <= last)
    }

    /// The recipe for hops landing on `version`, if the profile has one.
    pub fn recipe_for(&self, version: &Version) -> Option<&Recipe> {
        let minor = version.minor_key();
        self.recipes
            .iter()
            .find(|r| r.first <= minor && minor <= r.last)
    }

    /// The pin for a minor, if any.
    pub fn pin_for(&self, minor: Minor) -> Option<&Pin> {
        self.pins.iter().find(|pin| pin.minor == minor)
    }
}

/// A release branch template (`release-{major}.{minor}`) filled in for `minor`.
pub fn branch_name(template: &str, minor: Minor) -> String {
    template
        .replace("{major}", &minor.major.to_string())
        .replace("{minor}", &minor.minor.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_kyma_profile_loads() {
        let profile = Profile::load("kyma").unwrap();
        assert_eq!(profile.repo_slug(), "kyma-project/kyma");
        assert_eq!(
            profile.branch_for(Minor {
                major: 1,
                minor: 17
            }),
            "release-1.17"
        );
        let pin = profile
            .pin_for(Minor {
                major: 1,
                minor: 16,
            })
            .unwrap();
        assert_eq!(pin.version.to_string(), "1.16.0-rc4");
        let recipe = profile.recipe_for(&"1.12.0".parse().unwrap()).unwrap();
        assert_eq!(recipe.name, "replace installer Deployment, new Tiller");
        assert!(profile.recipe_for(&"2.0.0".parse().unwrap()).is_none());
    }

    #[test]
    fn unknown_name_is_a_clear_error() {
        let err = Profile::load("nosuch").unwrap_err();
        assert!(
            err.to_string().contains("built-in profiles are kyma"),
            "{err}"
        );
    }

    #[test]
    fn overlapping_recipes_are_refused() {
        let text = include_str!("../../bundles/kyma.toml").replace(
            "minors = [\"1.10\", \"1.10\"]",
            "minors = [\"1.9\", \"1.10\"]",
        );
        let err = Profile::parse(&text, "test").unwrap_err();
        assert!(err.to_string().contains("overlap"), "{err}");
    }

    #[test]
    fn pin_must_belong_to_its_minor() {
        let text = include_str!("../../bundles/kyma.toml")
            .replace("tag = \"1.16.0-rc4\"", "tag = \"1.17.0-rc1\"");
        let err = Profile::parse(&text, "test").unwrap_err();
        assert!(err.to_string().contains("belongs to minor 1.17"), "{err}");
    }
}
