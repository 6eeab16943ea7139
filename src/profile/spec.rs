//! Recipe specifications as a profile states them: a target-minor range and
//! the ordered steps, each naming a release asset, a repository file, an
//! object to delete, or a wait. Validated here; turned into concrete bundle
//! steps by `plan`.

use crate::recipe::{ObjectRef, Variant};
use crate::version::Minor;
use serde::Deserialize;

/// The steps of every hop whose target minor lies in `first..=last`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipe {
    /// A short name shown in plans.
    pub name: String,
    /// First target minor covered.
    pub first: Minor,
    /// Last target minor covered.
    pub last: Minor,
    /// The steps, in order.
    pub steps: Vec<StepSpec>,
}

/// One recipe step as the profile states it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepSpec {
    /// Apply the release asset with this name.
    ApplyAsset {
        /// Asset name.
        asset: String,
        /// Variant the step is for.
        variant: Variant,
    },
    /// Apply a release asset of user-tunable overrides, merged three ways.
    ApplyOverrides {
        /// Asset name.
        asset: String,
        /// Label selector of the override objects in the cluster.
        selector: String,
        /// Variant the step is for.
        variant: Variant,
    },
    /// Apply a file from the repository at the release tag.
    ApplyRepoFile {
        /// Path in the repository.
        path: String,
        /// Variant the step is for.
        variant: Variant,
    },
    /// Delete an object and wait until it is gone.
    Delete {
        /// The object.
        object: ObjectRef,
        /// Variant the step is for.
        variant: Variant,
    },
    /// Wait for the installer to finish.
    WaitInstalled {
        /// Variant the step is for.
        variant: Variant,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRecipe {
    name: String,
    minors: [String; 2],
    steps: Vec<RawStep>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    apply: Option<String>,
    apply_repo_file: Option<String>,
    apply_overrides: Option<String>,
    selector: Option<String>,
    delete: Option<String>,
    api_version: Option<String>,
    namespace: Option<String>,
    name: Option<String>,
    wait: Option<String>,
    #[serde(default = "all_variants")]
    variant: Variant,
}

fn all_variants() -> Variant {
    Variant::All
}

fn resolve_step(raw: RawStep, recipe: &str) -> Result<StepSpec, String> {
    let variant = raw.variant;
    let actions = [
        raw.apply.is_some(),
        raw.apply_repo_file.is_some(),
        raw.apply_overrides.is_some(),
        raw.delete.is_some(),
        raw.wait.is_some(),
    ];
    if actions.iter().filter(|set| **set).count() != 1 {
        return Err(format!(
            "recipe `{recipe}`: each step needs exactly one of apply, apply_repo_file, apply_overrides, delete, wait"
        ));
    }
    let object_fields = raw.api_version.is_some() || raw.namespace.is_some() || raw.name.is_some();
    if raw.delete.is_none() && object_fields {
        return Err(format!(
            "recipe `{recipe}`: api_version/namespace/name belong to delete steps"
        ));
    }
    if raw.apply_overrides.is_none() && raw.selector.is_some() {
        return Err(format!(
            "recipe `{recipe}`: selector belongs to apply_overrides steps"
        ));
    }
    if let Some(asset) = raw.apply_overrides {
        let Some(selector) = raw.selector else {
            return Err(format!(
                "recipe `{recipe}`: apply_overrides `{asset}` needs a selector (e.g. \"installer=overrides\")"
            ));
        };
        return Ok(StepSpec::ApplyOverrides {
            asset,
            selector,
            variant,
        });
    }
    if let Some(asset) = raw.apply {
        return Ok(StepSpec::ApplyAsset { asset, variant });
    }
    if let Some(path) = raw.apply_repo_file {
        if path.split('/').any(|part| part.is_empty() || part == "..") {
            return Err(format!(
                "recipe `{recipe}`: repo file `{path}` must be a relative path"
            ));
        }
        return Ok(StepSpec::ApplyRepoFile { path, variant });
    }
    if let Some(kind) = raw.delete {
        let (Some(api_version), Some(name)) = (raw.api_version, raw.name) else {
            return Err(format!(
                "recipe `{recipe}`: delete `{kind}` needs api_version and name"
            ));
        };
        let object = ObjectRef {
            api_version,
            kind,
            namespace: raw.namespace,
            name,
        };
        return Ok(StepSpec::Delete { object, variant });
    }
    match raw.wait.as_deref() {
        Some("installed") => Ok(StepSpec::WaitInstalled { variant }),
        other => Err(format!(
            "recipe `{recipe}`: unknown wait `{}` (expected \"installed\")",
            other.unwrap_or_default()
        )),
    }
}

pub(super) fn resolve_recipes(raw: Vec<RawRecipe>) -> Result<Vec<Recipe>, String> {
    let mut recipes = Vec::new();
    for recipe in raw {
        let parse = |text: &str| {
            Minor::parse(text)
                .ok_or_else(|| format!("recipe `{}`: `{text}` is not MAJOR.MINOR", recipe.name))
        };
        let first = parse(&recipe.minors[0])?;
        let last = parse(&recipe.minors[1])?;
        if first > last {
            return Err(format!("recipe `{}`: minors run backwards", recipe.name));
        }
        let steps = recipe
            .steps
            .into_iter()
            .map(|step| resolve_step(step, &recipe.name))
            .collect::<Result<Vec<_>, _>>()?;
        recipes.push(Recipe {
            name: recipe.name,
            first,
            last,
            steps,
        });
    }
    recipes.sort_by_key(|r| r.first);
    for pair in recipes.windows(2) {
        if pair[1].first <= pair[0].last {
            return Err(format!(
                "recipes `{}` and `{}` overlap at {}",
                pair[0].name, pair[1].name, pair[1].first
            ));
        }
    }
    Ok(recipes)
}

impl StepSpec {
    /// The release asset this step applies, if it applies one.
    pub fn asset(&self) -> Option<&str> {
        match self {
            StepSpec::ApplyAsset { asset, .. } | StepSpec::ApplyOverrides { asset, .. } => {
                Some(asset)
            }
            _ => None,
        }
    }

    /// The variant this step is for.
    pub fn variant(&self) -> Variant {
        match self {
            StepSpec::ApplyAsset { variant, .. }
            | StepSpec::ApplyRepoFile { variant, .. }
            | StepSpec::ApplyOverrides { variant, .. }
            | StepSpec::Delete { variant, .. }
            | StepSpec::WaitInstalled { variant } => *variant,
        }
    }
}
