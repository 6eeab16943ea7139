//! `ferry images`: a bundle's container images, for operators who copy
//! them with their own tools.

use super::inspect::{read_manifest, Shown};
use crate::bundle::manifest::Manifest;
use crate::cli::args::ImagesArgs;
use crate::cli::output::{human_size, outln, print_json};
use crate::cli::settings::Globals;
use crate::images::reference;
use anyhow::Result;
use serde_json::json;

/// Prints the image list.
pub async fn run(globals: &Globals, args: &ImagesArgs) -> Result<()> {
    let Shown {
        manifest, verified, ..
    } = read_manifest(globals, &args.bundle, &args.trust).await?;
    let rows = rows(&manifest, args.registry.as_deref())?;
    if args.json {
        return print_json(&json!({
            "signature_verified": verified,
            "images": rows,
        }));
    }
    if rows.is_empty() {
        return outln!(
            "{} carries no images (it was built without --images)",
            args.bundle.display()
        );
    }
    for row in &rows {
        outln!(
            "{}  {}  {:>9}  hops {}",
            row["reference"].as_str().unwrap_or_default(),
            row["digest"].as_str().unwrap_or_default(),
            human_size(row["size"].as_u64().unwrap_or_default()),
            row["hops"]
                .as_array()
                .map(|hops| hops
                    .iter()
                    .filter_map(|h| h.as_str())
                    .collect::<Vec<_>>()
                    .join(","))
                .unwrap_or_default()
        )?;
        if let Some(site) = row["relocated"].as_str() {
            outln!("    -> {site}")?;
        }
    }
    if !verified {
        outln!("(signature not checked: pass --pub KEY)")?;
    }
    Ok(())
}

/// One JSON object per bundled image: reference, digest, size, the hops
/// that need it, and its name on the site registry when one is given.
fn rows(manifest: &Manifest, site: Option<&str>) -> Result<Vec<serde_json::Value>> {
    let Some(layout) = &manifest.images else {
        return Ok(Vec::new());
    };
    layout
        .images
        .iter()
        .map(|image| {
            let hops: Vec<String> = manifest
                .hops
                .iter()
                .filter(|hop| hop.images.iter().any(|i| i.reference == image.reference))
                .map(|hop| hop.version.to_string())
                .collect();
            let relocated = site
                .map(|site| reference::relocated(&image.reference, site))
                .transpose()?;
            Ok(json!({
                "reference": image.reference,
                "digest": image.digest,
                "media_type": image.media_type,
                "size": image.size,
                "platforms": image.platforms,
                "hops": hops,
                "relocated": relocated,
            }))
        })
        .collect()
}
