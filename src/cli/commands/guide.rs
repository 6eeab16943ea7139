//! `ferry guide`: print a hop's migration guides from a bundle.

use crate::bundle::manifest::FileKind;
use crate::bundle::reader;
use crate::cli::args::GuideArgs;
use crate::cli::exit::UsageError;
use anyhow::Result;
use std::io::Write;

/// Prints the guides of the selected hop, each checked against the manifest.
pub fn run(args: &GuideArgs) -> Result<()> {
    let (manifest, _) = reader::read_unverified(&args.bundle)?;
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
        println!(
            "hop {} -> {} has no migration guide",
            hop.previous, hop.version
        );
        return Ok(());
    }
    let mut stdout = std::io::stdout().lock();
    for file in guides {
        let text = reader::read_payload_file(&args.bundle, &file.path)?;
        writeln!(
            stdout,
            "==> {} (hop {} -> {}) <==",
            file.path, hop.previous, hop.version
        )?;
        stdout.write_all(&text)?;
        writeln!(stdout)?;
    }
    Ok(())
}
