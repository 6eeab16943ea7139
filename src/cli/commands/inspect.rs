//! `ferry inspect`: what a bundle says it holds (not verified).

use crate::bundle::reader;
use crate::cli::args::InspectArgs;
use crate::cli::output::{human_size, list_or_dash, print_json};
use anyhow::Result;

/// Prints the manifest.
pub fn run(args: &InspectArgs) -> Result<()> {
    let (manifest, signer) = reader::read_unverified(&args.bundle)?;
    if args.json {
        return print_json(&manifest);
    }
    println!(
        "{}: {} {} -> {} ({} variant), {} hops, {} payload",
        args.bundle.display(),
        manifest.product,
        manifest.from,
        manifest.to,
        manifest.variant,
        manifest.hops.len(),
        human_size(manifest.payload_size())
    );
    match signer {
        Some(signer) => println!(
            "signed by key {} \"{}\" (not checked here: run ferry verify --pub KEY)",
            signer.key_id, signer.trusted_comment
        ),
        None => println!("NOT SIGNED"),
    }
    println!("repository {}", manifest.repo);
    println!();
    println!("base {} (merge base for overrides)", manifest.base.version);
    for file in &manifest.base.files {
        println!("   {:>10}  {}", human_size(file.size), file.path);
    }
    for (number, hop) in manifest.hops.iter().enumerate() {
        println!();
        let pre = if hop.prerelease { " (pre-release)" } else { "" };
        println!(
            "{}. {} -> {}{pre}  tag {}",
            number + 1,
            hop.previous,
            hop.version,
            hop.tag
        );
        if let Some(commit) = &hop.commit {
            println!("   commit {commit}");
        }
        println!("   guides: {}", list_or_dash(&hop.guides));
        for file in &hop.files {
            println!("   {:>10}  {}", human_size(file.size), file.path);
        }
    }
    Ok(())
}
