//! A fast reader for the plain, block-style YAML that Kubernetes manifests
//! are written in: block mappings with simple keys, block sequences (also
//! at their key's indentation, and with a mapping starting on the `- `
//! line), one-line scalars that can only mean one thing, one-line flow
//! sequences of such scalars, `|` and `|-` literals, full-line comments and
//! `---` between documents.
//!
//! It never guesses. Anything outside that subset (anchors, tags, flow
//! mappings other than `{}`, nested flow collections, escapes, multi-line plain or
//! quoted scalars, folded scalars, plain scalars that YAML could resolve to
//! something other than a string, an integer, a boolean or null, tabs,
//! duplicate keys) makes [`documents`] return None, and the caller parses
//! the whole text with serde-saphyr instead. Whatever it returns is what
//! serde-saphyr returns for the same text; a differential fuzz target
//! checks that.

use serde_json::{Map, Value};

/// Nesting deeper than this is left to serde-saphyr and its budget.
const MAX_DEPTH: usize = 128;

/// Plain words that some YAML schema reads as a boolean, null or a float.
const AMBIGUOUS_WORDS: [&str; 12] = [
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf", "infinity",
];

/// The non-empty documents of `text`, or None when `text` is not entirely
/// within the subset this module reads.
pub(crate) fn documents(text: &str) -> Option<Vec<Value>> {
    if !has_plain_characters(text) {
        return None;
    }
    let lines: Vec<&str> = text.split('\n').collect();
    let mut documents = Vec::new();
    for segment in lines.split(|line| *line == "---") {
        if let Some(document) = Document::new(segment)?.root()? {
            documents.push(document);
        }
    }
    Some(documents)
}

/// No tab, carriage return or other control character, and none of the
/// characters that YAML 1.1 treats as line breaks or a byte order mark.
fn has_plain_characters(text: &str) -> bool {
    let no_controls = text.bytes().all(|b| b >= 0x20 || b == b'\n') && !text.contains('\u{7f}');
    no_controls
        && (text.is_ascii()
            || !text.contains(['\u{85}', '\u{2028}', '\u{2029}', '\u{feff}'])
                && !text.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c)))
}

/// One document's lines and where the reader stands.
struct Document<'a> {
    /// The lines as written (block literals read these).
    raw: &'a [&'a str],
    /// Each line as (indentation, content without trailing spaces); the
    /// line of a sequence item is rewritten to the item's own content.
    view: Vec<(usize, &'a str)>,
    pos: usize,
    depth: usize,
}

impl<'a> Document<'a> {
    fn new(raw: &'a [&'a str]) -> Option<Document<'a>> {
        let mut view = Vec::with_capacity(raw.len());
        for line in raw {
            if line.starts_with("...") || line.starts_with('%') || line.starts_with("---") {
                return None;
            }
            let content = line.trim_start_matches(' ');
            view.push((line.len() - content.len(), content.trim_end_matches(' ')));
        }
        Some(Document {
            raw,
            view,
            pos: 0,
            depth: 0,
        })
    }

    /// The document's mapping, None for an empty document; Err-like None
    /// (outer) for anything outside the subset.
    fn root(mut self) -> Option<Option<Value>> {
        let Some((indent, text)) = self.peek() else {
            return Some(None);
        };
        if is_item(text) {
            return None;
        }
        let root = self.mapping(indent)?;
        // Every line must belong to the root.
        self.peek().is_none().then_some(Some(root))
    }

    /// The next line with content, skipping blank lines and comments.
    fn peek(&mut self) -> Option<(usize, &'a str)> {
        while let Some(&(indent, text)) = self.view.get(self.pos) {
            if !text.is_empty() && !text.starts_with('#') {
                return Some((indent, text));
            }
            self.pos += 1;
        }
        None
    }

    /// The block node whose first line is the next one, at `indent`.
    fn node(&mut self, indent: usize, text: &str) -> Option<Value> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        let node = match is_item(text) {
            true => self.sequence(indent),
            false => self.mapping(indent),
        };
        self.depth -= 1;
        node
    }

    fn mapping(&mut self, indent: usize) -> Option<Value> {
        let mut map = Map::new();
        while let Some((at, text)) = self.peek() {
            if at < indent || (at == indent && is_item(text)) {
                break;
            }
            if at > indent {
                return None;
            }
            let (key, rest) = entry(text)?;
            self.pos += 1;
            let value = self.value(indent, rest)?;
            if map.insert(key.to_string(), value).is_some() {
                return None;
            }
        }
        Some(Value::Object(map))
    }

    /// The value of a mapping entry at `indent` whose text after the colon is `rest`.
    fn value(&mut self, indent: usize, rest: &str) -> Option<Value> {
        match rest {
            "" => Some(match self.peek() {
                Some((at, text)) if at > indent => self.node(at, text)?,
                Some((at, text)) if at == indent && is_item(text) => self.node(at, text)?,
                _ => Value::Null,
            }),
            "|" => self.literal(indent, false),
            "|-" => self.literal(indent, true),
            _ => scalar(rest),
        }
    }

    fn sequence(&mut self, indent: usize) -> Option<Value> {
        let mut items = Vec::new();
        while let Some((at, text)) = self.peek() {
            if at < indent || (at == indent && !is_item(text)) {
                break;
            }
            if at > indent {
                return None;
            }
            let rest = text[1..].trim_start_matches(' ');
            let column = indent + text.len() - rest.len();
            let item = if rest.is_empty() {
                self.pos += 1;
                match self.peek() {
                    Some((next, text)) if next > indent => self.node(next, text)?,
                    _ => Value::Null,
                }
            } else if rest.starts_with(['"', '\'', '#', '|', '>']) {
                self.pos += 1;
                match rest.starts_with(['"', '\'']) {
                    true => scalar(rest)?,
                    false => return None,
                }
            } else if is_item(rest) || rest.contains(": ") || rest.ends_with(':') {
                // The item's node starts on this line, at the item's column.
                self.view[self.pos] = (column, rest);
                self.node(column, rest)?
            } else {
                self.pos += 1;
                scalar(rest)?
            };
            items.push(item);
        }
        Some(Value::Array(items))
    }

    /// A `|` (or `|-`, `strip`) literal of an entry at `indent`: the lines
    /// after it that are indented further, as written.
    fn literal(&mut self, indent: usize, strip: bool) -> Option<Value> {
        let first = *self.raw.get(self.pos)?;
        let column = first.len() - first.trim_start_matches(' ').len();
        if first.trim_end_matches(' ').is_empty() || column <= indent {
            return None;
        }
        let mut text = String::new();
        while let Some(line) = self.raw.get(self.pos) {
            if line.trim_end_matches(' ').is_empty() {
                // Spaces beyond the content's indentation would be content.
                if line.len() > column {
                    return None;
                }
                text.push('\n');
            } else if line.len() - line.trim_start_matches(' ').len() < column {
                break;
            } else {
                text.push_str(&line[column..]);
                text.push('\n');
            }
            self.pos += 1;
        }
        let kept = text.trim_end_matches('\n').len();
        text.truncate(kept);
        if !strip {
            text.push('\n');
        }
        Some(Value::String(text))
    }
}

fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// A mapping entry `key: rest` or `key:`, with a key of the plain kind.
fn entry(text: &str) -> Option<(&str, &str)> {
    let (key, rest) = match text.find(": ") {
        Some(colon) => (&text[..colon], text[colon + 2..].trim_start_matches(' ')),
        None => (text.strip_suffix(':')?, ""),
    };
    let plain = key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && is_word(key)
        && !is_ambiguous(key);
    plain.then_some((key, rest))
}

/// Letters, digits and `_ . - /` only: the characters of keys and of plain
/// words inside flow sequences.
fn is_word(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-' | b'/'))
}

fn is_ambiguous(word: &str) -> bool {
    AMBIGUOUS_WORDS
        .iter()
        .any(|ambiguous| word.eq_ignore_ascii_case(ambiguous))
}

/// A one-line scalar: quoted without escapes, `[]`, `{}`, or plain.
fn scalar(text: &str) -> Option<Value> {
    let quoted = |quote: char| {
        let inner = text.strip_prefix(quote)?.strip_suffix(quote)?;
        let plain = !inner.contains(quote) && (quote == '\'' || !inner.contains('\\'));
        plain.then(|| Value::String(inner.to_string()))
    };
    match text.as_bytes().first()? {
        b'"' => quoted('"'),
        b'\'' => quoted('\''),
        b'[' => flow_sequence(text.strip_prefix('[')?.strip_suffix(']')?),
        b'{' => (text == "{}").then(|| Value::Object(Map::new())),
        _ => plain(text),
    }
}

/// The inside of a one-line flow sequence of quoted scalars and plain
/// words, such as `["get", "list"]` or `[get, list]`.
fn flow_sequence(inside: &str) -> Option<Value> {
    let mut items = Vec::new();
    let mut rest = inside.trim_start_matches(' ');
    while !rest.is_empty() {
        let (item, after) = match rest.as_bytes()[0] {
            quote @ (b'"' | b'\'') => {
                let close = rest[1..].find(char::from(quote))? + 1;
                (scalar(&rest[..=close])?, &rest[close + 1..])
            }
            _ => {
                let end = rest.find(',').unwrap_or(rest.len());
                let word = rest[..end].trim_end_matches(' ');
                if word.is_empty() || !is_word(word) {
                    return None;
                }
                (plain(word)?, &rest[end..])
            }
        };
        items.push(item);
        rest = after.trim_start_matches(' ');
        if let Some(next) = rest.strip_prefix(',') {
            rest = next.trim_start_matches(' ');
            if rest.is_empty() {
                return None;
            }
        } else if !rest.is_empty() {
            return None;
        }
    }
    Some(Value::Array(items))
}

/// A plain scalar that can only be a string, a decimal integer, `true`,
/// `false` or `null`.
fn plain(text: &str) -> Option<Value> {
    let printable = text.bytes().all(|b| (0x20..0x7f).contains(&b));
    if !printable || text.contains(": ") || text.contains(" #") || text.ends_with(':') {
        return None;
    }
    let first = text.as_bytes()[0];
    if first.is_ascii_alphabetic() || first == b'_' || first == b'/' {
        return match text {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            "null" => Some(Value::Null),
            _ if is_ambiguous(text) => None,
            _ => Some(Value::String(text.to_string())),
        };
    }
    if text == "~" {
        return Some(Value::Null);
    }
    // An option such as --log-level=debug or -v: never a number.
    let option = first == b'-'
        && text
            .as_bytes()
            .get(1)
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'-');
    if option {
        return Some(Value::String(text.to_string()));
    }
    let digits = text.strip_prefix('-').unwrap_or(text);
    let number_end = digits
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len());
    let (number, suffix) = digits.split_at(number_end);
    let canonical = number == "0" || (!number.is_empty() && !number.starts_with('0'));
    if !canonical {
        return None;
    }
    if suffix.is_empty() {
        return text.parse::<i64>().ok().map(Value::from);
    }
    // A quantity such as 96Mi or 30s: digits and letters, never a float's exponent.
    let quantity = digits.len() == text.len()
        && number != "0"
        && suffix.bytes().all(|b| b.is_ascii_alphabetic())
        && !suffix.starts_with(['e', 'E']);
    quantity.then(|| Value::String(text.to_string()))
}

#[cfg(test)]
#[path = "plain_yaml_tests.rs"]
mod tests;
