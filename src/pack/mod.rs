//! The connected-side pipeline: from a profile and two versions to a signed
//! bundle. Lists releases, plans, finds guides, downloads everything through
//! `fetch`, then lays out the manifest and hands the files to `bundle`.
//!
//! The layout decided here (`hops/<version>/assets/<name>` and friends) and
//! the timestamp rule (the newest release date, or `SOURCE_DATE_EPOCH`) make
//! a rebuild of the same range byte-identical.

mod images;
mod mirror_images;
pub mod origin;

pub use images::ImageOptions;
pub use mirror_images::{mirror_images, ImageMirrorReport};

use crate::bundle::freshness::format_time;
use crate::bundle::manifest::{BaseRelease, FileEntry, FileKind, Hop, Manifest, SCHEMA_VERSION};
use crate::bundle::sign::SecretKey;
use crate::bundle::writer::{write_bundle, BundleError, PayloadFile, WriteOptions, WriteSummary};
use crate::bundle::{MemberStore, StoredMembers};
use crate::fetch::{Cache, Downloaded, Fetcher};
use crate::plan::guides::{self, BranchListing};
use crate::plan::{self, Plan, PlannedHop};
use crate::profile::{Profile, StepSpec};
use crate::recipe::{Step, Variant};
use crate::source::github::ListedFile;
use crate::source::GuideListing;
use crate::version::{Minor, Version};
use origin::{Obtain, Origin, OriginError};
use std::collections::HashMap;
use std::path::Path;

/// A plan with its guides attached, and the git blob ids of those guides.
pub struct ResolvedPlan {
    /// The plan.
    pub plan: Plan,
    /// Git blob id per (branch, guide name), for cache keys.
    guide_blobs: HashMap<(String, String), String>,
}

/// Why a bundle could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// Reading from GitHub or the archive failed.
    #[error(transparent)]
    Source(#[from] OriginError),
    /// The archive could not be read or written.
    #[error(transparent)]
    Archive(#[from] crate::archive::ArchiveError),
    /// No plan.
    #[error(transparent)]
    Plan(#[from] plan::PlanError),
    /// A download failed.
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
    /// Writing the bundle failed.
    #[error(transparent)]
    Bundle(#[from] crate::bundle::writer::BundleError),
    /// The cache could not store release notes.
    #[error(transparent)]
    Cache(#[from] crate::fetch::CacheError),
    /// A hop's release branch does not exist.
    #[error("release branch {branch} (of the hop to {version}) does not exist in the repository; fix `release_branch` in the profile (now \"{template}\"), or, if that minor really has no branch, cover it with `minors_without_branch`")]
    MissingBranch {
        /// The branch name the profile gave.
        branch: String,
        /// The hop's version.
        version: Version,
        /// The profile's `release_branch` template.
        template: String,
    },
    /// The guide folder exists on no branch searched, nor on any other release branch.
    #[error("the guide folder {dir} exists neither on {} nor on any other release branch; fix `guide_dir` in the profile", branches.join(", "))]
    NoGuideFolder {
        /// The profile's `guide_dir`.
        dir: String,
        /// The hops' branches, which exist but lack the folder.
        branches: Vec<String>,
    },
    /// Nothing to bundle.
    #[error("--from and --to are both {0}: there is nothing to bundle")]
    Empty(Version),
    /// A hop's image could not be resolved or pulled.
    #[error("hop {hop}: image {reference} ({reason}) cannot be pulled")]
    Image {
        /// The hop.
        hop: String,
        /// The image.
        reference: String,
        /// Where it was found.
        reason: String,
        /// Why.
        #[source]
        source: Box<crate::registry::RegistryError>,
    },
    /// Pulling images failed.
    #[error(transparent)]
    Registry(#[from] crate::registry::RegistryError),
    /// Files inside an image could not be read.
    #[error(transparent)]
    ImageFiles(#[from] crate::registry::files::FilesError),
    /// A file inside an image that a profile rule reads is not YAML.
    #[error(transparent)]
    Chart(#[from] crate::images::charts::ChartError),
    /// A file a hop applies is not valid YAML (its images cannot be found).
    #[error(transparent)]
    Yaml(#[from] Box<crate::cluster::ClusterError>),
    /// A downloaded file could not be read back.
    #[error("cannot read {path}")]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// `SOURCE_DATE_EPOCH` is set but not a number.
    #[error("SOURCE_DATE_EPOCH must be whole seconds since 1970, not `{0}`")]
    BadEpoch(String),
}

/// Lists releases and guides and makes the plan.
pub async fn resolve_plan(
    source: &Origin,
    profile: &Profile,
    from: &Version,
    to: &Version,
    variant: Variant,
) -> Result<ResolvedPlan, PackError> {
    let releases = source.releases().await?;
    let mut plan = plan::plan(profile, &releases, from, to, variant)?;
    let listings = guide_listings(source, profile, &plan, &releases).await?;
    let mut guide_blobs = HashMap::new();
    for (branch, files) in &listings {
        for file in files {
            guide_blobs.insert((branch.clone(), file.name.clone()), file.sha.clone());
        }
    }
    let listings: Vec<BranchListing> = listings
        .into_iter()
        .map(|(branch, files)| BranchListing {
            branch,
            files: files.into_iter().map(|f| f.name).collect(),
        })
        .collect();
    guides::attach(profile, &mut plan.hops, &listings);
    Ok(ResolvedPlan { plan, guide_blobs })
}

/// Lists the guide folder on each hop's target branch, refusing a profile
/// whose `release_branch` or `guide_dir` names nothing:
///
/// - a missing branch is an error, unless `minors_without_branch` covers its minor;
/// - a branch without the folder is fine (git keeps no empty folders, so a
///   release with no guide looks like that), as long as the folder exists
///   somewhere: on another hop's branch, else on the nearest other release
///   branch (earlier ones first). Found nowhere, `guide_dir` is wrong.
async fn guide_listings(
    source: &Origin,
    profile: &Profile,
    plan: &Plan,
    releases: &[crate::source::Release],
) -> Result<Vec<(String, Vec<ListedFile>)>, PackError> {
    let mut listings = Vec::new();
    let mut without_folder = Vec::new();
    for hop in &plan.hops {
        let minor = hop.version.minor_key();
        let branch = profile.branch_for(minor);
        if listings.iter().any(|(b, _)| *b == branch) || without_folder.contains(&branch) {
            continue;
        }
        match source.guide_listing(&profile.guide_dir, &branch).await? {
            GuideListing::Files(files) => listings.push((branch, files)),
            GuideListing::NoFolder => without_folder.push(branch),
            GuideListing::NoBranch if profile.has_no_branch(minor) => {}
            GuideListing::NoBranch => {
                return Err(PackError::MissingBranch {
                    branch,
                    version: hop.version.clone(),
                    template: profile.release_branch.clone(),
                })
            }
        }
    }
    if listings.is_empty() && !without_folder.is_empty() {
        let searched: Vec<Minor> = plan.hops.iter().map(|h| h.version.minor_key()).collect();
        let start = searched.first().copied();
        let mut others: Vec<Minor> = releases
            .iter()
            .filter_map(|r| r.tag.parse::<Version>().ok())
            .map(|v| v.minor_key())
            .filter(|m| !searched.contains(m) && !profile.has_no_branch(*m))
            .collect();
        others.sort();
        others.dedup();
        // Nearest first: earlier minors newest first, then later ones oldest first.
        let (earlier, later): (Vec<Minor>, Vec<Minor>) = others
            .into_iter()
            .partition(|m| start.is_some_and(|s| *m < s));
        let mut found = false;
        for minor in earlier.into_iter().rev().chain(later) {
            let branch = profile.branch_for(minor);
            if let GuideListing::Files(_) =
                source.guide_listing(&profile.guide_dir, &branch).await?
            {
                found = true;
                break;
            }
        }
        if !found {
            return Err(PackError::NoGuideFolder {
                dir: profile.guide_dir.clone(),
                branches: without_folder,
            });
        }
    }
    Ok(listings)
}

/// One payload file still to be downloaded, with where it goes in the bundle.
struct Wanted {
    path: String,
    kind: FileKind,
    source_url: String,
    obtain: Obtain,
}

/// A bundle's files downloaded and its hops laid out, before images.
struct Collected {
    base_files: Vec<FileEntry>,
    hops: Vec<Hop>,
    payload: Vec<PayloadFile>,
}

/// Downloads every file the plan needs and lays out the manifest's hops.
async fn collect(
    source: &Origin,
    fetcher: &Fetcher,
    profile: &Profile,
    resolved: &ResolvedPlan,
) -> Result<Collected, PackError> {
    let plan = &resolved.plan;
    let base_dir = format!("base/{}", plan.base.version);
    let base_wanted = wanted_assets(source, &base_dir, &plan.base.release, &plan.base.assets)?;
    let hop_wanted: Vec<Vec<Wanted>> = plan
        .hops
        .iter()
        .map(|hop| wanted_for_hop(source, profile, resolved, hop))
        .collect::<Result<_, _>>()?;

    let all: Vec<&Wanted> = base_wanted
        .iter()
        .chain(hop_wanted.iter().flatten())
        .collect();
    let mut downloaded = obtain_all(fetcher, &all).await?.into_iter();
    let mut payload = Vec::new();
    let mut take = |wanted: &[Wanted], payload: &mut Vec<PayloadFile>| -> Vec<FileEntry> {
        wanted
            .iter()
            .zip(downloaded.by_ref())
            .map(|(w, d)| entry(w, d, payload))
            .collect()
    };
    let base_files = take(&base_wanted, &mut payload);
    let mut hops: Vec<Hop> = Vec::new();
    for (hop, wanted) in plan.hops.iter().zip(&hop_wanted) {
        let mut files = take(wanted, &mut payload);
        files.push(release_notes(fetcher, source, hop, &mut payload)?);
        let previous_files = hops.last().map_or(&base_files, |previous| &previous.files);
        hops.push(manifest_hop(hop, files, previous_files));
    }
    Ok(Collected {
        base_files,
        hops,
        payload,
    })
}

/// The images each hop needs, found and resolved to digests, for `ferry plan
/// --images`: the hops' files are downloaded, but of the images only the
/// manifests and the layers the profile's rules read are pulled.
pub async fn plan_images(
    source: &Origin,
    fetcher: &Fetcher,
    profile: &Profile,
    resolved: &ResolvedPlan,
    options: &ImageOptions,
) -> Result<(Vec<Hop>, Vec<crate::registry::PulledImage>), PackError> {
    let Collected {
        mut hops, payload, ..
    } = collect(source, fetcher, profile, resolved).await?;
    let pulled = images::find_images(options, profile, &mut hops, &payload).await?;
    Ok((hops, pulled))
}

/// How [`build_bundle`] writes.
#[derive(Clone, Copy)]
pub struct BuildOptions<'a> {
    /// Replace an existing output file (`--force`).
    pub replace: bool,
    /// Carry the hops' container images (`--images`).
    pub images: Option<&'a ImageOptions>,
    /// How long after its creation the bundle expires (`--expires`).
    pub valid_for: std::time::Duration,
    /// The creation time to record (`--created`, seconds since 1970);
    /// `None`: `SOURCE_DATE_EPOCH`, else the clock.
    pub created: Option<i64>,
}

impl Default for BuildOptions<'_> {
    fn default() -> Self {
        BuildOptions {
            replace: false,
            images: None,
            valid_for: crate::bundle::freshness::DEFAULT_VALIDITY,
            created: None,
        }
    }
}

/// Downloads everything the plan needs and writes the signed bundle to
/// `output`, replacing an existing file only when `replace`.
pub async fn build_bundle(
    source: &Origin,
    fetcher: &Fetcher,
    profile: &Profile,
    resolved: &ResolvedPlan,
    key: &SecretKey,
    output: &Path,
    options: BuildOptions<'_>,
) -> Result<(Manifest, WriteSummary), PackError> {
    let BuildOptions {
        replace,
        images,
        valid_for,
        created,
    } = options;
    let created = match created {
        Some(created) => created,
        None => creation_time()?,
    };
    let expires = created.saturating_add(i64::try_from(valid_for.as_secs()).unwrap_or(i64::MAX));
    let plan = &resolved.plan;
    let Some(last) = plan.hops.last() else {
        return Err(PackError::Empty(plan.base.version.clone()));
    };
    let Collected {
        base_files,
        mut hops,
        mut payload,
    } = collect(source, fetcher, profile, resolved).await?;
    let image_layout = match images {
        Some(wanted) => Some(images::pack_images(wanted, profile, &mut hops, &mut payload).await?),
        None => None,
    };
    let manifest = Manifest {
        schema: SCHEMA_VERSION,
        product: profile.name.clone(),
        repo: profile.repo_slug(),
        from: plan.base.version.clone(),
        to: last.version.clone(),
        variant: plan.variant,
        source_date_epoch: source_date_epoch(plan)?,
        created: Some(format_time(created)),
        expires: Some(format_time(expires)),
        cluster: profile.cluster.clone(),
        base: BaseRelease {
            version: plan.base.version.clone(),
            tag: plan.base.release.tag.clone(),
            files: base_files,
        },
        hops,
        images: image_layout,
    };
    let members = CachedMembers(fetcher.cache());
    let reporter = fetcher.reporter();
    let progress = |done, total| reporter.packing(done, total);
    let options = WriteOptions {
        store: Some(&members),
        progress: Some(&progress),
        replace,
    };
    let summary = match write_bundle(&manifest, &payload, key, output, options) {
        // The damaged copy is dropped from the cache by now: compress afresh.
        Err(BundleError::DamagedMembers { path, file }) => {
            tracing::warn!(
                "the cached compressed copy of {path} ({}) was damaged; compressing it again",
                file.display()
            );
            write_bundle(&manifest, &payload, key, output, options)?
        }
        written => written?,
    };
    Ok((manifest, summary))
}

/// The download cache as the place to keep compressed payload members.
struct CachedMembers<'a>(&'a Cache);

impl MemberStore for CachedMembers<'_> {
    fn find(&self, key: &str) -> Option<StoredMembers> {
        self.0.lookup(key).map(|blob| StoredMembers {
            path: blob.path,
            sha256: blob.sha256,
            size: blob.size,
        })
    }

    fn temp_file(&self) -> std::io::Result<tempfile::NamedTempFile> {
        self.0.temp_file()
    }

    fn keep(
        &self,
        key: &str,
        file: tempfile::TempPath,
        sha256: &str,
        size: u64,
    ) -> std::io::Result<()> {
        self.0
            .commit(key, &file, sha256, size)
            .map(drop)
            .map_err(std::io::Error::other)
    }

    fn forget(&self, key: &str) {
        self.0.forget(key);
    }
}

fn entry(wanted: &Wanted, got: Downloaded, payload: &mut Vec<PayloadFile>) -> FileEntry {
    payload.push(PayloadFile {
        path: wanted.path.clone(),
        source: got.path,
    });
    FileEntry {
        path: wanted.path.clone(),
        kind: wanted.kind,
        size: got.size,
        sha256: got.sha256,
        source: wanted.source_url.clone(),
    }
}

fn hop_dir(hop: &PlannedHop) -> String {
    format!("hops/{}", hop.version)
}

/// Downloads what must be downloaded; stored files are taken as they are.
/// Results in input order.
async fn obtain_all(fetcher: &Fetcher, wanted: &[&Wanted]) -> Result<Vec<Downloaded>, PackError> {
    let requests = wanted
        .iter()
        .filter_map(|w| match &w.obtain {
            Obtain::Download(request) => Some(request.clone()),
            Obtain::Stored(_) => None,
        })
        .collect();
    let mut fetched = fetcher.fetch_all(requests).await?.into_iter();
    let mut result = Vec::with_capacity(wanted.len());
    for w in wanted {
        match &w.obtain {
            Obtain::Download(_) => result.extend(fetched.next()),
            Obtain::Stored(blob) => result.push(Downloaded {
                sha256: blob.sha256.clone(),
                size: blob.size,
                path: blob.path.clone(),
                from_cache: true,
            }),
        }
    }
    Ok(result)
}

/// The assets `names` of `release`, placed under `dir/assets/`.
fn wanted_assets(
    source: &Origin,
    dir: &str,
    release: &crate::source::Release,
    names: &[String],
) -> Result<Vec<Wanted>, PackError> {
    let mut wanted = Vec::new();
    for name in names {
        if let (Some(obtain), Some(asset)) = (source.asset(release, name)?, release.asset(name)) {
            wanted.push(Wanted {
                path: format!("{dir}/assets/{name}"),
                kind: FileKind::Asset,
                source_url: asset.browser_download_url.clone(),
                obtain,
            });
        }
    }
    Ok(wanted)
}

fn wanted_for_hop(
    source: &Origin,
    profile: &Profile,
    resolved: &ResolvedPlan,
    hop: &PlannedHop,
) -> Result<Vec<Wanted>, PackError> {
    let dir = hop_dir(hop);
    let mut wanted = wanted_assets(source, &dir, &hop.release, &hop.assets)?;
    for path in &hop.repo_files {
        wanted.push(Wanted {
            path: format!("{dir}/repo/{path}"),
            kind: FileKind::RepoFile,
            source_url: source.file_web_url(path, &hop.release.tag),
            obtain: source.file(path, &hop.release.tag, None)?,
        });
    }
    for guide in &hop.guides {
        let repo_path = format!("{}/{}", profile.guide_dir, guide.name);
        let blob = resolved
            .guide_blobs
            .get(&(guide.branch.clone(), guide.name.clone()));
        wanted.push(Wanted {
            path: format!("{dir}/guides/{}", guide.name),
            kind: FileKind::Guide,
            source_url: source.file_web_url(&repo_path, &guide.branch),
            obtain: source.file(&repo_path, &guide.branch, blob.map(String::as_str))?,
        });
    }
    Ok(wanted)
}

fn release_notes(
    fetcher: &Fetcher,
    source: &Origin,
    hop: &PlannedHop,
    payload: &mut Vec<PayloadFile>,
) -> Result<FileEntry, PackError> {
    let title = hop.release.name.as_deref().unwrap_or(&hop.release.tag);
    let body = hop.release.body.as_deref().unwrap_or("").trim_end();
    let text = format!("# {title}\n\n{body}\n");
    let blob = fetcher.cache().put_bytes(
        &format!("notes:{}", source.release_web_url(&hop.release.tag)),
        text.as_bytes(),
    )?;
    let path = format!("{}/RELEASE_NOTES.md", hop_dir(hop));
    payload.push(PayloadFile {
        path: path.clone(),
        source: blob.path,
    });
    Ok(FileEntry {
        path,
        kind: FileKind::Notes,
        size: blob.size,
        sha256: blob.sha256,
        source: source.release_web_url(&hop.release.tag),
    })
}

/// The bundle path of the previous release's asset `name`, if the bundle carries it.
fn previous_asset(previous_files: &[FileEntry], name: &str) -> Option<String> {
    previous_files
        .iter()
        .find(|f| f.kind == FileKind::Asset && f.path.rsplit('/').next() == Some(name))
        .map(|f| f.path.clone())
}

fn manifest_hop(hop: &PlannedHop, files: Vec<FileEntry>, previous_files: &[FileEntry]) -> Hop {
    let dir = hop_dir(hop);
    let steps = hop
        .steps
        .iter()
        .map(|step| match step {
            StepSpec::ApplyAsset { asset, variant } => Step::Apply {
                path: format!("{dir}/assets/{asset}"),
                variant: *variant,
            },
            StepSpec::ApplyOverrides {
                asset,
                selector,
                variant,
            } => Step::ApplyOverrides {
                path: format!("{dir}/assets/{asset}"),
                base_path: previous_asset(previous_files, asset),
                selector: selector.clone(),
                variant: *variant,
            },
            StepSpec::ApplyRepoFile { path, variant } => Step::Apply {
                path: format!("{dir}/repo/{path}"),
                variant: *variant,
            },
            StepSpec::Delete { object, variant } => Step::Delete {
                object: object.clone(),
                variant: *variant,
            },
            StepSpec::WaitInstalled { variant } => Step::WaitInstalled { variant: *variant },
        })
        .collect();
    Hop {
        version: hop.version.clone(),
        previous: hop.previous.clone(),
        tag: hop.release.tag.clone(),
        commit: hop.release.commit.clone(),
        published: hop.release.published_at.clone(),
        prerelease: hop.version.is_prerelease(),
        pin_reason: hop.pin_reason.clone(),
        guides: hop.guides.iter().map(|g| g.name.clone()).collect(),
        steps,
        files,
        images: Vec::new(),
    }
}

/// When this bundle is made: `SOURCE_DATE_EPOCH` when set (so a rebuild
/// can be byte-identical), else the clock.
fn creation_time() -> Result<i64, PackError> {
    if let Ok(text) = std::env::var("SOURCE_DATE_EPOCH") {
        return text.trim().parse().map_err(|_| PackError::BadEpoch(text));
    }
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Ok(since.as_secs() as i64)
}

/// `SOURCE_DATE_EPOCH` when set, else the newest publication date in the plan, else 0.
fn source_date_epoch(plan: &Plan) -> Result<i64, PackError> {
    if let Ok(text) = std::env::var("SOURCE_DATE_EPOCH") {
        return text.trim().parse().map_err(|_| PackError::BadEpoch(text));
    }
    let newest = std::iter::once(&plan.base.release)
        .chain(plan.hops.iter().map(|hop| &hop.release))
        .filter_map(|release| release.published_at.as_deref())
        .filter_map(|date| humantime::parse_rfc3339(date).ok())
        .filter_map(|time| time.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|since| since.as_secs() as i64)
        .max();
    Ok(newest.unwrap_or(0))
}
