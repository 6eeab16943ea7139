//! The part index of a split bundle as data: the parts in order with their
//! sizes and SHA-256, the whole bundle's, and the text ferry signs (the
//! `sha256sum` lines; the sizes travel in the signature's trusted comment).

/// One part of a split bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Its file name, next to the index.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Lower-case hex SHA-256 of its bytes.
    pub sha256: String,
}

/// What the signed part index says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartIndex {
    /// The bundle's file name.
    pub bundle: String,
    /// The bundle's size in bytes.
    pub size: u64,
    /// Lower-case hex SHA-256 of the whole bundle.
    pub sha256: String,
    /// The size of every part but the last.
    pub part_size: u64,
    /// The parts, in order.
    pub parts: Vec<Part>,
}

impl PartIndex {
    /// The index text: `sha256sum` lines for every part, then the bundle.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        for part in &self.parts {
            text.push_str(&format!("{}  {}\n", part.sha256, part.name));
        }
        text.push_str(&format!("{}  {}\n", self.sha256, self.bundle));
        text
    }

    /// The trusted comment that binds the sizes to the index.
    pub fn trusted_comment(&self) -> String {
        format!(
            "ferry parts {}: {} bytes in parts of {} bytes",
            self.bundle, self.size, self.part_size
        )
    }

    /// Parses the index `text` with its signed `comment`, checking that
    /// they describe the same parts.
    pub(crate) fn parse(text: &str, comment: &str) -> Result<PartIndex, String> {
        let malformed = |problem: String| problem;
        let mut lines: Vec<(String, String)> = Vec::new();
        for line in text.lines() {
            let (sha256, name) = line
                .split_once("  ")
                .filter(|(sha, name)| is_sha256(sha) && is_plain_name(name))
                .ok_or_else(|| malformed(format!("line {:?}", line)))?;
            lines.push((sha256.to_string(), name.to_string()));
        }
        let (sha256, bundle) = lines
            .pop()
            .ok_or_else(|| malformed("no lines".to_string()))?;
        let (size, part_size) = parse_comment(comment, &bundle)
            .ok_or_else(|| malformed(format!("trusted comment {comment:?}")))?;
        let count = size.div_ceil(part_size).max(1);
        if lines.len() as u64 != count {
            return Err(malformed(format!(
                "{} part lines for {count} parts",
                lines.len()
            )));
        }
        let parts = lines
            .into_iter()
            .enumerate()
            .map(|(i, (sha256, name))| {
                let expected = part_name(&bundle, i + 1);
                let size = if (i as u64) + 1 < count {
                    part_size
                } else {
                    size - part_size * (count - 1)
                };
                (name == expected)
                    .then_some(Part { name, size, sha256 })
                    .ok_or_else(|| malformed(format!("part {} is not named {expected}", i + 1)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PartIndex {
            bundle,
            size,
            sha256,
            part_size,
            parts,
        })
    }
}

/// `NAME.part-0001` for part 1 of `NAME`.
pub fn part_name(bundle: &str, number: usize) -> String {
    format!("{bundle}.part-{number:04}")
}

fn is_sha256(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A file name with no directory part, as the index may name.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

/// `(size, part_size)` from `ferry parts NAME: SIZE bytes in parts of PART bytes`.
fn parse_comment(comment: &str, bundle: &str) -> Option<(u64, u64)> {
    let rest = comment.strip_prefix(&format!("ferry parts {bundle}: "))?;
    let (size, rest) = rest.split_once(" bytes in parts of ")?;
    let part = rest.strip_suffix(" bytes")?;
    let (size, part): (u64, u64) = (size.parse().ok()?, part.parse().ok()?);
    (part > 0).then_some((size, part))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "0000000000000000000000000000000000000000000000000000000000000000";

    fn parse(text: &str, comment: &str) -> Result<PartIndex, String> {
        PartIndex::parse(text, comment)
    }

    #[test]
    fn the_index_round_trips_and_derives_part_sizes_from_the_comment() {
        let text = format!("{SHA}  b.part-0001\n{SHA}  b.part-0002\n{SHA}  b\n");
        let index = parse(&text, "ferry parts b: 150 bytes in parts of 100 bytes").unwrap();
        let sizes: Vec<u64> = index.parts.iter().map(|p| p.size).collect();
        assert_eq!(sizes, [100, 50]);
        assert_eq!(index.to_text(), text);
        assert_eq!(
            index.trusted_comment(),
            "ferry parts b: 150 bytes in parts of 100 bytes"
        );
    }

    #[test]
    fn an_index_that_is_not_ferrys_is_malformed() {
        let two = format!("{SHA}  b.part-0001\n{SHA}  b.part-0002\n{SHA}  b\n");
        for (text, comment) in [
            (
                two.clone(),
                "ferry parts b: 350 bytes in parts of 100 bytes",
            ),
            (
                two.clone(),
                "ferry parts c: 150 bytes in parts of 100 bytes",
            ),
            (two.clone(), "ferry parts b: 150 bytes in parts of 0 bytes"),
            (
                two.replace("b.part-0002", "../b.part-0002"),
                "ferry parts b: 150 bytes in parts of 100 bytes",
            ),
            (
                two.replace("b.part-0002", "b.part-0003"),
                "ferry parts b: 150 bytes in parts of 100 bytes",
            ),
            (
                two.replacen("00", "0", 1),
                "ferry parts b: 150 bytes in parts of 100 bytes",
            ),
            (
                String::new(),
                "ferry parts b: 0 bytes in parts of 100 bytes",
            ),
        ] {
            assert!(parse(&text, comment).is_err(), "{text:?} {comment}");
        }
    }
}
