//! `ferry guide`: print a hop's migration guides from a bundle, each checked
//! against the manifest, the manifest against the trusted key when given.

use super::inspect::{read_manifest, Shown};
use crate::bundle::manifest::FileKind;
use crate::bundle::reader;
use crate::cli::args::GuideArgs;
use crate::cli::exit::UsageError;
use crate::cli::output::outln;
use crate::cli::settings::Globals;
use anyhow::Result;

/// Prints the guides of the selected hop.
pub async fn run(globals: &Globals, args: &GuideArgs) -> Result<()> {
    let Shown {
        manifest,
        verified,
        located,
    } = read_manifest(globals, &args.bundle, &args.trust).await?;
    let Some(hop) = manifest.find_hop(&args.hop) else {
        let hops: Vec<String> = manifest
            .hops
            .iter()
            .map(|h| h.version.to_string())
            .collect();
        return Err(UsageError(format!(
            "the bundle has no hop `{}`; its hops are {}",
            args.hop,
            hops.join(", ")
        ))
        .into());
    };
    let guides: Vec<_> = hop
        .files
        .iter()
        .filter(|f| f.kind == FileKind::Guide)
        .collect();
    if guides.is_empty() {
        return outln!(
            "hop {} -> {} has no migration guide",
            hop.previous,
            hop.version
        );
    }
    if !verified {
        warn_unverified(&args.bundle.display().to_string());
    }
    for file in guides {
        let text = reader::read_payload_file(&located.input, &file.path)?;
        outln!(
            "==> {} (hop {} -> {}){} <==",
            file.path,
            hop.previous,
            hop.version,
            if verified { "" } else { " UNVERIFIED" }
        )?;
        outln!("{}", String::from_utf8_lossy(&text))?;
    }
    Ok(())
}

/// The warning for guides whose bundle signature nobody checked.
fn warn_unverified(bundle: &str) {
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "warning: UNVERIFIED: the signature of {bundle} was not checked, so this guide may not \
         be what its author wrote. Check it before following any step: \
         ferry guide {bundle} HOP --pub KEY (or ferry verify {bundle} --pub KEY)"
    );
}
