//! Reading files out of an image: its layers (gzip'd or plain tar, from the
//! cache) applied in order, later layers replacing earlier files and OCI
//! whiteouts (`.wh.NAME`) removing them. Only regular files whose path
//! matches the glob are kept, each within a size cap.

use flate2::read::MultiGzDecoder;
use globset::GlobMatcher;
use std::collections::BTreeMap;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// Largest file read out of an image.
pub const FILE_CAP: u64 = 4 * 1024 * 1024;
/// Most bytes read out of one image in all.
pub const TOTAL_CAP: u64 = 64 * 1024 * 1024;

/// A layer that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    /// The layer is not a (gzip'd) tar.
    #[error("layer {path} of {image} cannot be read as a tar archive")]
    Layer {
        /// The image.
        image: String,
        /// The cached layer.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The glob does not compile.
    #[error("the file pattern `{0}` is not a valid glob")]
    Glob(String),
    /// More than the caps allow.
    #[error("{image}: {path} (or the files matching the rule together) exceed {limit} bytes")]
    TooLarge {
        /// The image.
        image: String,
        /// The file.
        path: String,
        /// The cap.
        limit: u64,
    },
}

/// The files of `image` (its cached `layers`, in order) whose paths match `glob`.
pub fn read_matching(
    image: &str,
    layers: &[PathBuf],
    glob: &str,
) -> Result<BTreeMap<String, Vec<u8>>, FilesError> {
    let matcher = globset::Glob::new(glob)
        .map_err(|_| FilesError::Glob(glob.to_string()))?
        .compile_matcher();
    let mut files = BTreeMap::new();
    let mut total = 0u64;
    for layer in layers {
        read_layer(image, layer, &matcher, &mut files, &mut total)?;
    }
    Ok(files)
}

fn read_layer(
    image: &str,
    path: &Path,
    matcher: &GlobMatcher,
    files: &mut BTreeMap<String, Vec<u8>>,
    total: &mut u64,
) -> Result<(), FilesError> {
    let layer_err = |source| FilesError::Layer {
        image: image.to_string(),
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(layer_err)?;
    let mut magic = [0u8; 2];
    let gzipped = file.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
    let file = std::fs::File::open(path).map_err(layer_err)?;
    let reader: Box<dyn Read> = if gzipped {
        Box::new(MultiGzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(BufReader::new(file))
    };
    let mut archive = tar::Archive::new(reader);
    for entry in archive.entries().map_err(layer_err)? {
        let mut entry = entry.map_err(layer_err)?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let name = raw
            .trim_start_matches("./")
            .trim_start_matches('/')
            .to_string();
        if let Some((dir, whited)) = whiteout(&name) {
            let gone = if dir.is_empty() {
                whited.to_string()
            } else {
                format!("{dir}/{whited}")
            };
            files.retain(|path, _| path != &gone && !path.starts_with(&format!("{gone}/")));
            continue;
        }
        if entry.header().entry_type() != tar::EntryType::Regular || !matcher.is_match(&name) {
            continue;
        }
        let size = entry.size();
        *total += size;
        if size > FILE_CAP || *total > TOTAL_CAP {
            return Err(FilesError::TooLarge {
                image: image.to_string(),
                path: name,
                limit: if size > FILE_CAP { FILE_CAP } else { TOTAL_CAP },
            });
        }
        let mut data = Vec::with_capacity(size as usize);
        entry
            .by_ref()
            .take(size)
            .read_to_end(&mut data)
            .map_err(layer_err)?;
        files.insert(name, data);
    }
    Ok(())
}

/// `("dir", "name")` of an OCI whiteout `dir/.wh.name`.
fn whiteout(path: &str) -> Option<(&str, &str)> {
    let (dir, file) = path.rsplit_once('/').unwrap_or(("", path));
    file.strip_prefix(".wh.")
        .filter(|name| !name.starts_with(".wh."))
        .map(|name| (dir, name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn layer(dir: &Path, name: &str, files: &[(&str, &[u8])]) -> PathBuf {
        let path = dir.join(name);
        let out = flate2::write::GzEncoder::new(
            std::fs::File::create(&path).unwrap(),
            flate2::Compression::fast(),
        );
        let mut tar = tar::Builder::new(out);
        for (name, data) in files {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            tar.append_data(&mut header, name, *data).unwrap();
        }
        tar.into_inner().unwrap().finish().unwrap().flush().unwrap();
        path
    }

    #[test]
    fn later_layers_win_and_whiteouts_remove() {
        let dir = tempfile::tempdir().unwrap();
        let base = layer(
            dir.path(),
            "a",
            &[
                ("kyma/injected/resources/a/values.yaml", b"old"),
                ("kyma/injected/resources/b/values.yaml", b"b"),
                ("kyma/bin/operator", b"binary"),
            ],
        );
        let top = layer(
            dir.path(),
            "b",
            &[
                ("./kyma/injected/resources/a/values.yaml", b"new"),
                ("kyma/injected/resources/.wh.b", b""),
            ],
        );
        let files = read_matching(
            "img",
            &[base, top],
            "kyma/injected/resources/**/values.yaml",
        )
        .unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files["kyma/injected/resources/a/values.yaml"], b"new");
    }

    #[test]
    fn a_layer_that_is_not_tar_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let junk = dir.path().join("junk");
        std::fs::write(&junk, vec![7u8; 2048]).unwrap();
        let err = read_matching("img", &[junk], "**").unwrap_err();
        assert!(err.to_string().contains("img"), "{err}");
    }
}
