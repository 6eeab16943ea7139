//! `ferry publish`: a bundle into an OCI registry as an artifact, for the
//! air-gapped side to pull as `oci://HOST/REPO:TAG`.

use crate::bundle::input::BundleInput;
use crate::bundle::parts::{self, PartIndex};
use crate::cli::args::PublishArgs;
use crate::cli::exit::UsageError;
use crate::cli::output::{human_size, outln, print_json};
use crate::cli::settings::{load_signing_key, Globals};
use crate::registry::artifact::{self, ArtifactSettings, PartFile};
use anyhow::{Context as _, Result};

/// Publishes and prints where the bundle went.
pub async fn run(globals: &Globals, args: &PublishArgs) -> Result<()> {
    if artifact::strip_scheme(&args.target).is_none() {
        return Err(UsageError(format!(
            "{} is not a registry reference; write oci://HOST[:PORT]/REPOSITORY:TAG",
            args.target
        ))
        .into());
    }
    let (index, files, signature) = match BundleInput::locate(&args.bundle, None)? {
        BundleInput::Parts(split) => {
            let files = split
                .parts
                .parts
                .iter()
                .map(|part| PartFile {
                    path: split.index.with_file_name(&part.name),
                    offset: 0,
                })
                .collect();
            let signature_file = parts::signature_path(&split.index);
            let signature = std::fs::read_to_string(&signature_file)
                .with_context(|| format!("cannot read {}", signature_file.display()))?;
            (split.parts, files, signature)
        }
        BundleInput::File(path) => {
            let Some(key) = &args.key else {
                return Err(UsageError(
                    "publishing a bundle file signs its part index: pass --key KEY (or publish the NAME.parts of a split bundle)".into(),
                )
                .into());
            };
            let key = load_signing_key(key)?;
            let index = parts::index_of(&path, args.part_size)?;
            let signature = parts::sign_index(&index, &key)?;
            let files = ranges(&path, &index);
            (index, files, signature)
        }
    };
    let settings = ArtifactSettings {
        insecure: args.oci.oci_insecure.clone(),
        ca_cert: args.oci.oci_ca_cert.clone(),
        jobs: 4,
    };
    let progress = globals.progress();
    let published = artifact::publish(
        &settings,
        progress,
        &args.target,
        &index,
        &files,
        &signature,
    )
    .await?;
    if args.json {
        return print_json(&serde_json::json!({
            "reference": published.reference,
            "digest": published.digest,
            "bundle": index.bundle,
            "sha256": index.sha256,
            "parts": index.parts.len(),
            "uploaded": published.uploaded,
            "uploaded_bytes": published.uploaded_bytes,
            "present": published.present,
        }));
    }
    outln!(
        "published {} ({}) as {}@{}: {} parts, {} uploaded ({}), {} already there",
        index.bundle,
        human_size(index.size),
        args.target,
        published.digest,
        index.parts.len(),
        published.uploaded,
        human_size(published.uploaded_bytes),
        published.present
    )?;
    outln!(
        "on the other side: ferry verify {} --pub KEY (or apply, push, inspect)",
        args.target
    )
}

/// The parts of one bundle file, as ranges of it.
fn ranges(path: &std::path::Path, index: &PartIndex) -> Vec<PartFile> {
    (0..index.parts.len() as u64)
        .map(|number| PartFile {
            path: path.to_path_buf(),
            offset: number * index.part_size,
        })
        .collect()
}
