//! `Catalogue::kyma()`: the public Kyma 1.x history (see KYMA-FACTS) as data:
//! which tags, releases, pre-releases, branches, migration guides and assets
//! exist, and when each release was published. File contents come from
//! `content.rs`.

use super::catalogue::{fake_commit, Catalogue, SimAsset, SimRelease, SimTag};
use super::{clock, content, repo_files};
use bytes::Bytes;
use ferry_formats::version::Version;

/// Final releases and their publication days. Not monotonic where the
/// history is not: 1.7.0 before 1.6.0, 1.18.0 before 1.17.1.
const FINALS: &[(&str, &str)] = &[
    ("0.7.0", "2019-01-10"),
    ("0.8.0", "2019-02-07"),
    ("0.8.1", "2019-02-20"),
    ("0.9.0", "2019-03-07"),
    ("1.0.0", "2019-03-28"),
    ("1.1.0", "2019-04-25"),
    ("1.2.0", "2019-05-23"),
    ("1.2.1", "2019-06-04"),
    ("1.2.2", "2019-06-12"),
    ("1.3.0", "2019-06-27"),
    ("1.4.0", "2019-07-25"),
    ("1.4.1", "2019-08-06"),
    ("1.5.0", "2019-08-29"),
    ("1.6.0", "2019-10-08"),
    ("1.7.0", "2019-10-03"),
    ("1.7.1", "2019-10-17"),
    ("1.8.0", "2019-11-14"),
    ("1.9.0", "2019-12-12"),
    ("1.10.0", "2020-01-23"),
    ("1.11.0", "2020-02-27"),
    ("1.11.1", "2020-03-10"),
    ("1.12.0", "2020-04-09"),
    ("1.13.0", "2020-05-14"),
    ("1.14.0", "2020-06-18"),
    ("1.15.0", "2020-07-23"),
    ("1.15.1", "2020-08-06"),
    ("1.17.0", "2020-10-22"),
    ("1.17.1", "2020-12-03"),
    ("1.18.0", "2020-11-26"),
    ("1.18.1", "2020-12-10"),
    ("1.18.2", "2021-01-07"),
    ("1.19.0", "2021-01-21"),
    ("1.19.1", "2021-02-04"),
    ("1.19.2", "2021-02-25"),
    ("1.20.0", "2021-03-04"),
    ("1.21.0", "2021-04-08"),
    ("1.21.1", "2021-04-22"),
    ("1.21.2", "2021-05-06"),
    ("1.22.0", "2021-05-20"),
    ("1.22.1", "2021-06-03"),
    ("1.23.0", "2021-06-24"),
    ("1.23.1", "2021-07-08"),
    ("1.24.0", "2021-07-29"),
    ("1.24.1", "2021-08-19"),
    ("1.24.2", "2021-09-02"),
    ("1.24.3", "2021-09-23"),
    ("1.24.4", "2021-10-07"),
    ("1.24.5", "2021-10-21"),
    ("1.24.6", "2021-11-04"),
    ("1.24.7", "2021-11-18"),
    ("1.24.8", "2021-12-02"),
    ("1.24.9", "2021-12-16"),
    ("1.24.10", "2022-01-20"),
    ("1.24.11", "2022-02-17"),
];

/// Release candidates per minor: (minor, first rc number, last rc number).
/// Published four days apart, the last four days before the minor's `.0`.
const RCS: &[(u64, u32, u32)] = &[
    (0, 1, 2),
    (1, 1, 1),
    (2, 0, 2),
    (3, 1, 2),
    (4, 1, 1),
    (5, 1, 2),
    (6, 1, 3),
    (7, 1, 1),
    (8, 1, 2),
    (9, 1, 1),
    (10, 1, 2),
    (11, 1, 2),
    (12, 1, 1),
    (13, 1, 2),
    (14, 1, 2),
    (15, 1, 2),
    (17, 1, 2),
    (18, 1, 1),
    (19, 1, 2),
    (20, 1, 1),
    (21, 1, 2),
    (22, 1, 1),
    (23, 1, 1),
    (24, 1, 2),
];

/// 1.16 never had a final release: only these candidates.
const RCS_1_16: &[(&str, &str)] = &[
    ("1.16.0-rc1", "2020-08-20"),
    ("1.16.0-rc2", "2020-08-27"),
    ("1.16.0-rc3", "2020-09-03"),
    ("1.16.0-rc4", "2020-09-10"),
];

/// Releases whose tags are not versions: (tag, day).
const STRAY_RELEASES: &[(&str, &str)] = &[("0.4-rc", "2018-09-01"), ("v0.5.0", "2018-10-15")];

/// A tag with no release.
const STRAY_TAG: &str = "0.90.0";

/// The one draft release: (tag, creation day).
const DRAFT: (&str, &str) = ("1.25.0", "2022-03-10");

/// Migration guides per release branch.
const GUIDES: &[(&str, &[&str])] = &[
    ("release-1.0", &["0.9-1.0.md"]),
    ("release-1.2", &["1.1-1.2.md"]),
    ("release-1.3", &["1.2-1.3.md"]),
    ("release-1.4", &["1.3-1.4.md"]),
    ("release-1.5", &["1.3-1.4.md"]),
    ("release-1.6", &["1.5-1.6.md"]),
    ("release-1.8", &["1.7-1.8.md"]),
    ("release-1.10", &["1.9-1.10.md"]),
    ("release-1.11", &["1.10-1.11.md"]),
    ("release-1.12", &["1.11-1.12.md"]),
    ("release-1.14", &["1.13-1.14.md"]),
    ("release-1.16", &["1.15-1.16.md"]),
    ("release-1.17", &["1.15-1.17.md"]),
    ("release-1.18", &["1.15-1.17.md", "1.17-1.18.md"]),
    ("release-1.19", &["1.18-1.19.md"]),
    ("release-1.20", &["1.19-1.20.md"]),
    ("release-1.21", &["1.20-1.21.md"]),
    ("release-1.23", &["1.22-1.23.md"]),
];

/// Where migration guides live in the repository.
pub const GUIDES_DIR: &str = "docs/migration-guides";
/// Where the Tiller manifest lives in the repository.
pub const TILLER_PATH: &str = "installation/resources/tiller.yaml";

/// A day plus a time of day derived from the tag, as RFC 3339.
fn timestamp(tag: &str, day: &str) -> String {
    let h = fake_commit(tag);
    let n = u64::from_str_radix(&h[..8], 16).unwrap_or(0);
    format!(
        "{day}T{:02}:{:02}:{:02}Z",
        8 + n % 10,
        (n / 10) % 60,
        (n / 600) % 60
    )
}

/// Shifts an RFC 3339 timestamp by a number of seconds (may be negative).
fn shift(ts: &str, secs: i64) -> String {
    let base = clock::parse_rfc3339(ts).unwrap_or(0) as i64;
    clock::rfc3339(u64::try_from(base + secs).unwrap_or(0))
}

/// Release asset names for a version, per the facts table.
pub fn asset_names(v: &Version) -> &'static [&'static str] {
    match (v.major, v.minor) {
        (0, _) | (1, 0..=1) => &[
            "kyma-config-local.yaml",
            "kyma-installer-local.yaml",
            "kyma-config-cluster.yaml",
            "kyma-installer-cluster.yaml",
        ],
        (1, 2..=14) => &[
            "kyma-config-local.yaml",
            "kyma-installer-local.yaml",
            "kyma-installer-cluster.yaml",
        ],
        _ => &[
            "kyma-config-local.yaml",
            "kyma-installer.yaml",
            "kyma-installer-cr-local.yaml",
            "kyma-installer-cr-cluster.yaml",
        ],
    }
}

/// Content of one asset of a Kyma release.
pub fn asset_content(v: &Version, tag: &str, name: &str) -> String {
    match name {
        "kyma-config-local.yaml" => content::overrides(v, tag, false),
        "kyma-config-cluster.yaml" => content::overrides(v, tag, true),
        "kyma-installer.yaml" => content::installer(v, tag),
        "kyma-installer-local.yaml" => {
            content::installer(v, tag) + &content::installation(v, tag, false, false)
        }
        "kyma-installer-cluster.yaml" => {
            content::installer(v, tag) + &content::installation(v, tag, true, false)
        }
        "kyma-installer-cr-local.yaml" => content::installation(v, tag, false, true),
        "kyma-installer-cr-cluster.yaml" => content::installation(v, tag, true, true),
        _ => String::new(),
    }
}

/// Builds a Kyma-like release for `tag` (assets per version range, notes,
/// cut from `release-X.Y`), with ids starting at `first_id`.
pub fn kyma_release(tag: &str, published_at: &str, first_id: u64) -> SimRelease {
    let version = tag.parse::<Version>().ok();
    let names: &[&str] = version.as_ref().map(asset_names).unwrap_or(&[]);
    let uploaded = shift(published_at, -600);
    let assets = names
        .iter()
        .zip(first_id + 1..)
        .filter_map(|(name, id)| {
            let v = version.as_ref()?;
            Some(SimAsset::yaml(
                id,
                name.to_string(),
                Bytes::from(asset_content(v, tag, name)),
                uploaded.clone(),
            ))
        })
        .collect();
    SimRelease {
        id: first_id,
        tag: tag.to_string(),
        name: tag.to_string(),
        prerelease: tag.contains("rc"),
        draft: false,
        published_at: published_at.to_string(),
        body: content::release_notes(tag, version.as_ref()),
        target_commitish: version
            .as_ref()
            .map(|v| format!("release-{}.{}", v.major, v.minor))
            .unwrap_or_else(|| "main".to_string()),
        assets,
    }
}

/// The files of a branch (or of a tag cut from it).
fn branch_tree(catalogue: &mut Catalogue, git_ref: &str, v: &Version, guides: &[&str]) {
    catalogue.set_file(git_ref, "README.md", repo_files::readme(git_ref));
    catalogue.set_file(git_ref, TILLER_PATH, repo_files::tiller(v));
    for guide in guides {
        catalogue.set_file(
            git_ref,
            &format!("{GUIDES_DIR}/{guide}"),
            repo_files::guide(guide),
        );
    }
}

/// Every (tag, RFC 3339 time) of the Kyma history, finals, rcs and strays.
fn all_releases() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = FINALS
        .iter()
        .map(|(tag, day)| (tag.to_string(), timestamp(tag, day)))
        .collect();
    for &(minor, first, last) in RCS {
        let Some(&(_, day)) = FINALS.iter().find(|(t, _)| *t == format!("1.{minor}.0")) else {
            continue;
        };
        for rc in first..=last {
            let tag = format!("1.{minor}.0-rc{rc}");
            let final_ts = timestamp(&tag, day);
            let days_before = i64::from(last - rc + 1) * 4;
            out.push((tag, shift(&final_ts, -days_before * 86_400)));
        }
    }
    for (tag, day) in RCS_1_16.iter().chain(STRAY_RELEASES) {
        out.push((tag.to_string(), timestamp(tag, day)));
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

impl Catalogue {
    /// The built-in Kyma 1.x history (see KYMA-FACTS).
    pub fn kyma() -> Catalogue {
        let mut c = Catalogue {
            owner: "kyma-project".to_string(),
            repo: "kyma".to_string(),
            default_branch: "main".to_string(),
            ..Catalogue::default()
        };
        let latest = Version::new(1, 25, 0);
        c.add_branch("main");
        branch_tree(&mut c, "main", &latest, &[]);
        let minors = (7..=9).map(|m| (0, m)).chain((0..=25).map(|m| (1, m)));
        for (major, minor) in minors {
            let branch = format!("release-{major}.{minor}");
            let guides = GUIDES
                .iter()
                .find(|(b, _)| *b == branch)
                .map(|(_, g)| *g)
                .unwrap_or(&[]);
            c.add_branch(&branch);
            branch_tree(&mut c, &branch, &Version::new(major, minor, 0), guides);
        }
        let mut next_id = 15_000_000;
        for (tag, ts) in all_releases() {
            let release = kyma_release(&tag, &ts, next_id);
            next_id += 100;
            let source = release.target_commitish.clone();
            c.add_release(release);
            let tree = c.tree(&source).cloned().unwrap_or_default();
            c.trees.insert(tag, tree);
        }
        let rc0 = c.commit_of("1.2.2").map(str::to_string);
        if let (Some(commit), Some(tag)) = (rc0, c.tags.iter_mut().find(|t| t.name == "1.2.0-rc0"))
        {
            tag.commit = commit;
        }
        c.tags.push(SimTag {
            name: STRAY_TAG.to_string(),
            commit: fake_commit(&format!("tag:{STRAY_TAG}")),
        });
        let main_tree = c.tree("main").cloned().unwrap_or_default();
        c.trees.insert(STRAY_TAG.to_string(), main_tree);
        let mut draft = kyma_release(DRAFT.0, &timestamp(DRAFT.0, DRAFT.1), next_id);
        draft.draft = true;
        draft.name = format!("{} (draft)", DRAFT.0);
        c.add_release(draft);
        c
    }

    /// Adds a Kyma-like release for `tag` (new release upstream): assets per
    /// version range, a tag, and the tag's tree copied from its branch
    /// (the branch is created if missing). Returns it for further changes.
    pub fn add_kyma_release(&mut self, tag: &str, published_at: &str) -> &mut SimRelease {
        let release = kyma_release(tag, published_at, self.fresh_id());
        let branch = release.target_commitish.clone();
        if self.tree(&branch).is_none() {
            let v = tag.parse::<Version>().unwrap_or(Version::new(0, 0, 0));
            self.add_branch(&branch);
            branch_tree(self, &branch, &v, &[]);
        }
        let tree = self.tree(&branch).cloned().unwrap_or_default();
        self.trees.insert(tag.to_string(), tree);
        self.add_release(release)
    }
}
