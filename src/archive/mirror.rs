//! One `ferry mirror` run: list the repository's releases, decide per release
//! which assets, guides and repo files are new or changed, download only
//! those (in parallel, resumable, into the archive's blob store), then write
//! each release's index and `archive.json`. Indexes are written only after
//! their blobs are in place, so an interrupted run leaves nothing a later run
//! trusts; its finished downloads are found again by their cache keys.

use super::{Archive, ArchiveError, ArchiveInfo, ArchiveLock, AssetRecord, GuideRecord};
use super::{ReleaseIndex, StoredFile};
use crate::fetch::{DownloadRequest, Fetcher, HttpClient};
use crate::profile::{Profile, StepSpec};
use crate::source::github::{GitHubSource, ListedFile};
use crate::source::{Asset, Release};
use crate::version::Version;
use globset::{Glob, GlobMatcher};
use std::collections::HashMap;

/// What to mirror.
#[derive(Debug, Clone, Default)]
pub struct MirrorOptions {
    /// Only releases at or after this version.
    pub since: Option<Version>,
    /// Only releases at or before this version.
    pub until: Option<Version>,
    /// Only assets whose name matches this glob.
    pub assets: Option<String>,
    /// Parallel downloads.
    pub jobs: usize,
}

/// What a run changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MirrorReport {
    /// Releases in the archive's scope this run.
    pub releases: usize,
    /// Tags archived for the first time.
    pub new_releases: Vec<String>,
    /// Files added or replaced (`<tag>: asset <name>`, `<tag>: guide <name> (<branch>)`, ...).
    pub added: Vec<String>,
    /// Assets newly found deleted upstream (`<tag>: asset <name>`).
    pub deleted_upstream: Vec<String>,
}

/// A file to download and where its record goes.
struct Task {
    release: usize,
    target: Target,
    request: DownloadRequest,
}

enum Target {
    Asset(Asset),
    Guide {
        branch: String,
        name: String,
        sha: String,
    },
    RepoFile(String),
}

/// Mirrors the profile's repository from `source` into `archive`.
pub async fn mirror(
    archive: &Archive,
    source: &GitHubSource,
    http: HttpClient,
    profile: &Profile,
    options: &MirrorOptions,
) -> Result<MirrorReport, ArchiveError> {
    let _lock = ArchiveLock::acquire(archive.root())?;
    let repo = profile.repo_slug();
    if let Some(info) = archive.read_info()? {
        if info.repo != repo {
            return Err(ArchiveError::WrongRepo {
                dir: archive.root().to_path_buf(),
                found: info.repo,
                wanted: repo,
            });
        }
    }
    let glob = match &options.assets {
        Some(pattern) => Some(
            Glob::new(pattern)
                .map_err(|source| ArchiveError::BadGlob {
                    pattern: pattern.clone(),
                    source,
                })?
                .compile_matcher(),
        ),
        None => None,
    };
    let releases = in_scope(source.releases().await?, options);
    let mut listings: HashMap<String, Vec<ListedFile>> = HashMap::new();
    for (_, version) in &releases {
        let branch = profile.branch_for(version.minor_key());
        if let std::collections::hash_map::Entry::Vacant(entry) = listings.entry(branch) {
            let files = source
                .list_folder(&profile.guide_dir, entry.key())
                .await?
                .unwrap_or_default();
            entry.insert(files);
        }
    }

    let mut report = MirrorReport {
        releases: releases.len(),
        ..MirrorReport::default()
    };
    let mut indexes = Vec::new();
    let mut tasks = Vec::new();
    for (position, (release, version)) in releases.iter().enumerate() {
        let old = archive.read_release(&release.tag)?;
        if old.is_none() {
            report.new_releases.push(release.tag.clone());
        }
        let old = old.unwrap_or_else(|| ReleaseIndex::empty(release));
        let mut index = ReleaseIndex::empty(release);
        // Images are `mirror --images`' to decide; a plain run keeps them.
        index.images = old.images.clone();
        let mut add = |target: Target, request: DownloadRequest| {
            tasks.push(Task {
                release: position,
                target,
                request,
            })
        };
        plan_assets(
            archive,
            source,
            release,
            &old,
            glob.as_ref(),
            &mut index,
            &mut add,
        );
        for record in &index.assets {
            let was_deleted = old
                .assets
                .iter()
                .any(|a| a.id == record.id && a.deleted_upstream);
            if record.deleted_upstream && !was_deleted {
                report
                    .deleted_upstream
                    .push(format!("{}: asset {}", release.tag, record.name));
            }
        }
        let branch = profile.branch_for(version.minor_key());
        for file in listings.get(&branch).into_iter().flatten() {
            let kept = old
                .guides
                .iter()
                .find(|g| g.branch == branch && g.name == file.name && g.git_sha == file.sha);
            match kept.filter(|g| archive.has(&g.stored)) {
                Some(guide) => index.guides.push(guide.clone()),
                None => add(
                    Target::Guide {
                        branch: branch.clone(),
                        name: file.name.clone(),
                        sha: file.sha.clone(),
                    },
                    source.file_download(
                        &format!("{}/{}", profile.guide_dir, file.name),
                        &branch,
                        Some(&file.sha),
                    ),
                ),
            }
        }
        for path in repo_files_for(profile, version) {
            let kept = old.repo_files.iter().find(|f| f.path == path);
            match kept.filter(|f| archive.has(&f.stored)) {
                Some(file) => index.repo_files.push(file.clone()),
                None => add(
                    Target::RepoFile(path.clone()),
                    source.file_download(&path, &release.tag, None),
                ),
            }
        }
        indexes.push(index);
    }

    let fetcher = Fetcher::new(http, archive.cache().clone(), options.jobs);
    let requests = tasks.iter().map(|t| t.request.clone()).collect();
    let downloaded = fetcher.fetch_all(requests).await?;
    for (task, got) in tasks.into_iter().zip(downloaded) {
        let stored = archive.stored(&crate::fetch::CachedBlob {
            sha256: got.sha256,
            size: got.size,
            path: got.path,
        });
        let index = &mut indexes[task.release];
        let what = match &task.target {
            Target::Asset(asset) => format!("asset {}", asset.name),
            Target::Guide { branch, name, .. } => format!("guide {name} ({branch})"),
            Target::RepoFile(path) => format!("repo file {path}"),
        };
        report.added.push(format!("{}: {what}", index.tag));
        match task.target {
            Target::Asset(asset) => index.assets.push(record(&asset, stored)),
            Target::Guide { branch, name, sha } => index.guides.push(GuideRecord {
                branch,
                name,
                git_sha: sha,
                stored,
            }),
            Target::RepoFile(path) => index.repo_files.push(StoredFile { path, stored }),
        }
    }
    for index in &mut indexes {
        index
            .assets
            .sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        index.guides.sort_by(|a, b| a.name.cmp(&b.name));
        index.repo_files.sort_by(|a, b| a.path.cmp(&b.path));
        archive.write_release(index)?;
    }
    archive.write_info(&ArchiveInfo {
        repo,
        profile: profile.name.clone(),
        api: source.api().to_string(),
        web: source.web_repo_url(),
        guide_dir: profile.guide_dir.clone(),
        release_branch: profile.release_branch.clone(),
        last_run: humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
    })?;
    Ok(report)
}

/// Non-draft releases whose tag is a version within `--since` and `--until`.
fn in_scope(releases: Vec<Release>, options: &MirrorOptions) -> Vec<(Release, Version)> {
    releases
        .into_iter()
        .filter(|release| !release.draft)
        .filter_map(|release| {
            let version = release.tag.parse::<Version>().ok()?;
            options.covers(&version).then_some((release, version))
        })
        .collect()
}

impl MirrorOptions {
    /// Whether `version` is within `--since` and `--until`.
    pub fn covers(&self, version: &Version) -> bool {
        self.since.as_ref().is_none_or(|since| version >= since)
            && self.until.as_ref().is_none_or(|until| version <= until)
    }
}

/// Keeps unchanged assets, queues new or changed ones, and keeps (marked)
/// those gone upstream. Assets the glob leaves out keep their old records.
fn plan_assets(
    archive: &Archive,
    source: &GitHubSource,
    release: &Release,
    old: &ReleaseIndex,
    glob: Option<&GlobMatcher>,
    index: &mut ReleaseIndex,
    add: &mut impl FnMut(Target, DownloadRequest),
) {
    for asset in &release.assets {
        let wanted = glob.is_none_or(|g| g.is_match(&asset.name));
        let same = old.assets.iter().find(|r| r.matches(asset));
        match same.filter(|r| archive.has(&r.stored)) {
            Some(kept) => index.assets.push(AssetRecord {
                deleted_upstream: false,
                ..kept.clone()
            }),
            None if wanted => {
                if let Some(request) = source.asset_download(release, &asset.name) {
                    add(Target::Asset(asset.clone()), request);
                }
            }
            None => {
                let earlier = old.assets.iter().find(|r| r.name == asset.name);
                index.assets.extend(earlier.cloned());
            }
        }
    }
    for gone in &old.assets {
        if !release.assets.iter().any(|a| a.name == gone.name) {
            index.assets.push(AssetRecord {
                deleted_upstream: true,
                ..gone.clone()
            });
        }
    }
}

fn record(asset: &Asset, stored: super::StoredBlob) -> AssetRecord {
    AssetRecord {
        id: asset.id,
        name: asset.name.clone(),
        size: asset.size,
        updated_at: asset.updated_at.clone(),
        digest: asset.digest.clone(),
        url: asset.url.clone(),
        browser_download_url: asset.browser_download_url.clone(),
        stored,
        deleted_upstream: false,
    }
}

/// The repository files the recipe for `version` applies, in any variant.
fn repo_files_for(profile: &Profile, version: &Version) -> Vec<String> {
    let mut paths: Vec<String> = Vec::new();
    let steps = profile.recipe_for(version).map(|r| r.steps.as_slice());
    for step in steps.unwrap_or_default() {
        if let StepSpec::ApplyRepoFile { path, .. } = step {
            if !paths.contains(path) {
                paths.push(path.clone());
            }
        }
    }
    paths
}
