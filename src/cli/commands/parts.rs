//! `ferry split` and `ferry join`: a bundle in parts for media with a
//! file-size limit, and the parts checked and joined on the other side.

use crate::bundle::parts::{self, PartIndex};
use crate::cli::args::{JoinArgs, SplitArgs};
use crate::cli::output::{human_size, outln, print_json};
use crate::cli::settings::load_signing_key;
use crate::cli::trust::required_keyring;
use anyhow::Result;
use serde_json::json;

/// The index as JSON: the bundle, its digest and every part.
pub(super) fn index_json(index: &PartIndex) -> serde_json::Value {
    json!({
        "bundle": index.bundle,
        "size": index.size,
        "sha256": index.sha256,
        "part_size": index.part_size,
        "parts": index.parts.iter().map(|p| json!({
            "name": p.name, "size": p.size, "sha256": p.sha256,
        })).collect::<Vec<_>>(),
    })
}

/// Writes the parts and the signed index next to the bundle.
pub fn run_split(args: &SplitArgs) -> Result<()> {
    let key = load_signing_key(&args.key)?;
    let index = parts::split(&args.bundle, args.size, &key, args.force)?;
    if args.json {
        return print_json(&index_json(&index));
    }
    for part in &index.parts {
        outln!("{:>10}  {}", human_size(part.size), part.name)?;
    }
    outln!(
        "{} parts of at most {}, index {} (signed by key {})",
        index.parts.len(),
        human_size(index.part_size),
        parts::index_path(&args.bundle).display(),
        key.key_id()
    )?;
    outln!("sha256 {} (the whole bundle)", index.sha256)?;
    Ok(())
}

/// Verifies the index, checks every part and writes the joined bundle.
pub fn run_join(args: &JoinArgs) -> Result<()> {
    let keyring = required_keyring(&args.trust)?;
    let (index, key) = parts::read_index(&args.index, &keyring)?;
    let output = match &args.output {
        Some(output) => output.clone(),
        None => args.index.with_file_name(&index.bundle),
    };
    parts::join(&args.index, &index, &output)?;
    if args.json {
        let mut value = index_json(&index);
        value["output"] = json!(output);
        return print_json(&value);
    }
    outln!(
        "OK: {} parts checked against {} (signed by key {}), joined into {} ({})",
        index.parts.len(),
        args.index.display(),
        key.key_id(),
        output.display(),
        human_size(index.size)
    )?;
    outln!("sha256 {}", index.sha256)?;
    Ok(())
}
