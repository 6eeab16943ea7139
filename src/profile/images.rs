//! The `[images]` section of a profile: where a product's container images
//! are named beyond its manifests. `from_files` rules read files inside an
//! image the hop needs (Kyma: the charts inside the installer image) and
//! build references from their mappings; `extra` lists images by target
//! minor for anything neither finds. Applying the rules is `images`' job.

use crate::version::Minor;
use serde::Deserialize;

/// What a profile says about images.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImagesSpec {
    /// Rules for images named in files inside other images.
    pub from_files: Vec<FileRule>,
    /// Images named outright, by target-minor range.
    pub extra: Vec<ExtraImages>,
}

/// Read `files` inside every image of repository `image`, and build image
/// references from their YAML mappings by `conventions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRule {
    /// The repository whose images are read, `registry/path` without a tag
    /// (`eu.gcr.io/kyma-project/kyma-installer`).
    pub image: String,
    /// Glob over file paths inside the image (`kyma/injected/resources/**/values.yaml`).
    pub files: String,
    /// Dotted key in each file whose value fills `{registry}` (`global.containerRegistry.path`).
    pub registry_key: Option<String>,
    /// `{registry}` when the file does not set `registry_key`.
    pub default_registry: Option<String>,
    /// How mappings name images, tried in order; the first that fits a mapping wins.
    pub conventions: Vec<Convention>,
}

/// One way a YAML mapping names an image: it has every key of `fields`
/// with a scalar value; `template` builds the reference from them, from
/// `optional` keys (empty when absent) and from `{registry}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Convention {
    /// Keys the mapping must have.
    pub fields: Vec<String>,
    /// Keys used when present.
    #[serde(default)]
    pub optional: Vec<String>,
    /// The reference, with `{key}` placeholders (`{registry}/{dir}{name}:{version}`).
    pub template: String,
}

/// Images the hops landing in `first..=last` need, named outright.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraImages {
    /// First target minor.
    pub first: Minor,
    /// Last target minor.
    pub last: Minor,
    /// The references.
    pub refs: Vec<String>,
    /// Why (shown as the reason).
    pub reason: String,
}

impl ImagesSpec {
    /// The extra images for a hop landing in `minor`, with their reason.
    pub fn extra_for(&self, minor: Minor) -> impl Iterator<Item = (&str, &str)> {
        self.extra
            .iter()
            .filter(move |e| e.first <= minor && minor <= e.last)
            .flat_map(|e| e.refs.iter().map(move |r| (r.as_str(), e.reason.as_str())))
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawImages {
    #[serde(default)]
    from_files: Vec<RawFileRule>,
    #[serde(default)]
    extra: Vec<RawExtra>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFileRule {
    image: String,
    files: String,
    registry_key: Option<String>,
    default_registry: Option<String>,
    conventions: Vec<Convention>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExtra {
    minors: [String; 2],
    refs: Vec<String>,
    reason: String,
}

/// Checks and converts the raw section; the error says what is wrong.
pub(super) fn resolve(raw: RawImages) -> Result<ImagesSpec, String> {
    let from_files = raw
        .from_files
        .into_iter()
        .map(|rule| {
            globset::Glob::new(&rule.files)
                .map_err(|e| format!("images.from_files glob `{}`: {e}", rule.files))?;
            if rule.conventions.is_empty() {
                return Err(format!(
                    "images.from_files for {} has no conventions",
                    rule.image
                ));
            }
            for convention in &rule.conventions {
                check_template(convention)?;
            }
            Ok(FileRule {
                image: rule.image,
                files: rule.files,
                registry_key: rule.registry_key,
                default_registry: rule.default_registry,
                conventions: rule.conventions,
            })
        })
        .collect::<Result<_, String>>()?;
    let extra = raw
        .extra
        .into_iter()
        .map(|extra| {
            let minor = |text: &str| {
                Minor::parse(text)
                    .ok_or_else(|| format!("images.extra minor `{text}` is not MAJOR.MINOR"))
            };
            Ok(ExtraImages {
                first: minor(&extra.minors[0])?,
                last: minor(&extra.minors[1])?,
                refs: extra.refs,
                reason: extra.reason,
            })
        })
        .collect::<Result<_, String>>()?;
    Ok(ImagesSpec { from_files, extra })
}

/// Every `{placeholder}` of a template must be a field, an optional key or `registry`.
fn check_template(convention: &Convention) -> Result<(), String> {
    let mut rest = convention.template.as_str();
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            return Err(format!(
                "template `{}` has an unclosed {{",
                convention.template
            ));
        };
        let key = &rest[start + 1..start + len];
        let known = key == "registry"
            || convention.fields.iter().any(|f| f == key)
            || convention.optional.iter().any(|f| f == key);
        if !known {
            return Err(format!(
                "template `{}` uses {{{key}}}, which is neither in fields nor optional",
                convention.template
            ));
        }
        rest = &rest[start + len + 1..];
    }
    Ok(())
}
