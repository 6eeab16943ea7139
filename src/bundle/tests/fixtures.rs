//! Test fixtures: a small manifest with real payload files on disk, a fresh
//! unencrypted key pair, and a tool to craft (possibly malicious) archives.

use crate::bundle::manifest::{BaseRelease, FileEntry, FileKind, Hop, Manifest, SCHEMA_VERSION};
use crate::bundle::sign::{self, PublicKey, SecretKey};
use crate::bundle::writer::PayloadFile;
use crate::recipe::{ClusterSpec, ObjectRef, Step, Variant};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// A path long enough to need GNU long-name headers (over 100 bytes).
pub const LONG_PATH: &str = "hops/1.1.0/guides/a-rather-long-directory-name-for-testing-gnu-long-names/and-an-even-longer-file-name-1.0-1.1.md";

/// Lower-case hex SHA-256.
pub fn sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn object(kind: &str, name: &str) -> ObjectRef {
    ObjectRef {
        api_version: "v1".into(),
        kind: kind.into(),
        namespace: Some("default".into()),
        name: name.into(),
    }
}

fn entry(path: &str, kind: FileKind, data: &[u8]) -> FileEntry {
    FileEntry {
        path: path.into(),
        kind,
        size: data.len() as u64,
        sha256: sha256(data),
        source: format!("https://example.test/{path}"),
    }
}

/// A manifest: the first file is the base release's, the rest one hop's.
pub fn manifest(files: &[(&str, &[u8])]) -> Manifest {
    let mut entries = files
        .iter()
        .map(|(path, data)| entry(path, FileKind::Asset, data));
    let base_files = entries.next().into_iter().collect();
    Manifest {
        schema: SCHEMA_VERSION,
        product: "kyma".into(),
        repo: "kyma-project/kyma".into(),
        from: "1.0.0".parse().unwrap(),
        to: "1.1.0".parse().unwrap(),
        variant: Variant::All,
        source_date_epoch: 1_600_000_000,
        created: Some("2020-09-13T12:26:40Z".into()),
        expires: Some("2020-12-12T12:26:40Z".into()),
        cluster: ClusterSpec {
            version_deployment: object("Deployment", "kyma-installer"),
            version_container: "kyma-installer-container".into(),
            installation: object("Installation", "kyma-installation"),
            action_label: "action".into(),
            action_value: "install".into(),
            success_state: "Installed".into(),
            error_state: "Error".into(),
            progress_state: "InProgress".into(),
            default_namespace: "default".into(),
            local_marker: None,
            registry_overrides: Vec::new(),
        },
        base: BaseRelease {
            version: "1.0.0".parse().unwrap(),
            tag: "1.0.0".into(),
            files: base_files,
        },
        hops: vec![Hop {
            version: "1.1.0".parse().unwrap(),
            previous: "1.0.0".parse().unwrap(),
            tag: "1.1.0".into(),
            commit: None,
            published: Some("2020-03-01T00:00:00Z".into()),
            prerelease: false,
            pin_reason: None,
            guides: vec![],
            steps: vec![Step::WaitInstalled {
                variant: Variant::All,
            }],
            files: entries.collect(),
            images: Vec::new(),
        }],
        images: None,
    }
}

/// The standard payload: small files, one empty, one over a tar block, one long name.
pub fn sample_files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "base/1.0.0/assets/kyma-config-local.yaml",
            b"overrides: base\n".to_vec(),
        ),
        (
            "hops/1.1.0/assets/kyma-installer-cluster.yaml",
            (0..3000u32).map(|i| (i % 251) as u8).collect(),
        ),
        ("hops/1.1.0/notes/RELEASE.md", Vec::new()),
        (LONG_PATH, b"# Migrate 1.0 to 1.1\n".to_vec()),
    ]
}

/// A temp dir with payload files, a key pair and a manifest describing them.
pub struct Fixture {
    /// Holds everything; removed on drop.
    pub dir: TempDir,
    /// The signing key.
    pub key: SecretKey,
    /// Its public half.
    pub public: PublicKey,
    /// The public key file (`k.pub`).
    pub public_path: PathBuf,
    /// The manifest.
    pub manifest: Manifest,
    /// The payload files on disk.
    pub payload: Vec<PayloadFile>,
    /// The payload contents, by bundle path.
    pub files: Vec<(String, Vec<u8>)>,
}

impl Fixture {
    /// The standard fixture.
    pub fn new() -> Fixture {
        Fixture::with_files(sample_files())
    }

    /// A fixture with tiny payload files, for a bundle of a few KiB.
    pub fn tiny() -> Fixture {
        Fixture::with_files(vec![
            ("base/1.0.0/assets/base.yaml", b"base: 1\n".to_vec()),
            ("hops/1.1.0/assets/a.yaml", b"kind: ConfigMap\n".to_vec()),
            ("hops/1.1.0/notes/RELEASE.md", Vec::new()),
        ])
    }

    /// A fixture holding `files`.
    pub fn with_files(files: Vec<(&str, Vec<u8>)>) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let keys = sign::generate_keypair(&dir.path().join("k"), None, false).unwrap();
        let key = sign::load_secret_key(&keys.secret, None).unwrap();
        let public = sign::load_public_key(&keys.public).unwrap();
        let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, d)| (*p, d.as_slice())).collect();
        let manifest = manifest(&refs);
        let src = dir.path().join("src");
        let payload = files
            .iter()
            .enumerate()
            .map(|(i, (path, data))| {
                let source = src.join(format!("file-{i}"));
                std::fs::create_dir_all(&src).unwrap();
                std::fs::write(&source, data).unwrap();
                PayloadFile {
                    path: path.to_string(),
                    source,
                }
            })
            .collect();
        Fixture {
            dir,
            key,
            public,
            public_path: keys.public,
            manifest,
            payload,
            files: files.into_iter().map(|(p, d)| (p.to_string(), d)).collect(),
        }
    }

    /// A path inside the fixture's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes the bundle to `name` in the fixture's directory.
    pub fn write(&self, name: &str) -> PathBuf {
        let out = self.path(name);
        crate::bundle::write_bundle(
            &self.manifest,
            &self.payload,
            &self.key,
            &out,
            crate::bundle::WriteOptions::default(),
        )
        .unwrap();
        out
    }

    /// The entries of a correct bundle, in order, for crafting variants.
    pub fn entries(&self) -> Vec<Raw> {
        let mut entries: Vec<Raw> = crate::bundle::signed_head(&self.manifest, &self.key)
            .unwrap()
            .into_iter()
            .map(|(name, data)| Raw::file(name, data))
            .collect();
        let mut files = self.files.clone();
        files.sort();
        entries.extend(files.into_iter().map(|(p, d)| Raw::file(&p, d)));
        entries
    }
}

/// One archive entry to craft, with full control of path, type and size.
#[derive(Debug, Clone)]
pub struct Raw {
    /// Path bytes as written into the header.
    pub path: String,
    /// Type flag.
    pub kind: tar::EntryType,
    /// Data written after the header.
    pub data: Vec<u8>,
    /// Header size, when it should lie about the data.
    pub size: Option<u64>,
    /// Link target, for links.
    pub link: Option<String>,
}

impl Raw {
    /// A regular file.
    pub fn file(path: &str, data: Vec<u8>) -> Raw {
        Raw {
            path: path.into(),
            kind: tar::EntryType::Regular,
            data,
            size: None,
            link: None,
        }
    }

    /// A non-file entry without data.
    pub fn special(path: &str, kind: tar::EntryType, link: Option<&str>) -> Raw {
        Raw {
            path: path.into(),
            kind,
            data: Vec::new(),
            size: None,
            link: link.map(str::to_string),
        }
    }
}

/// Builds a gzip'd tar from raw entries, writing path bytes directly into
/// the headers (so `..` and absolute paths get through) except for long
/// names, which go through the builder's GNU long-name support.
pub fn craft(entries: &[Raw]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for raw in entries {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(raw.kind);
        header.set_size(raw.size.unwrap_or(raw.data.len() as u64));
        header.set_mode(0o644);
        header.set_mtime(1_600_000_000);
        if let Some(link) = &raw.link {
            header.set_link_name_literal(link).unwrap();
        }
        if raw.path.len() < 100 {
            let name = &mut header.as_gnu_mut().unwrap().name;
            name[..raw.path.len()].copy_from_slice(raw.path.as_bytes());
            header.set_cksum();
            builder.append(&header, raw.data.as_slice()).unwrap();
        } else {
            builder
                .append_data(&mut header, &raw.path, raw.data.as_slice())
                .unwrap();
        }
    }
    let tar = builder.into_inner().unwrap();
    crate::bundle::gzip::compress_member(&tar, 6).unwrap()
}

/// Writes crafted bytes next to the fixture and returns the path.
pub fn write_crafted(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Verifies `bytes` as a bundle file, catching any panic as a failure.
pub fn verdict(fx: &Fixture, bytes: &[u8]) -> Result<(), crate::bundle::VerifyError> {
    let path = write_crafted(fx.dir.path(), "swept.tar.gz", bytes);
    let result =
        std::panic::catch_unwind(|| crate::bundle::verify_bundle(&path, &fx.public).map(drop));
    match result {
        Ok(result) => result,
        Err(_) => panic!("verification panicked"),
    }
}

/// The decompressed bytes of a gzip file (any reader will do here).
pub fn inflate(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::MultiGzDecoder::new(bytes), &mut out).unwrap();
    out
}
