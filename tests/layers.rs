//! The architecture as a test: ferry's top-level modules import only the
//! layers below them (the table in ARCHITECTURE.md), and no crate of the
//! workspace has an import circle between sibling modules.
//!
//! It reads the sources as text: every `crate::` and `super::` path in
//! non-test code (test files, `#[cfg(test)]` modules and comments left
//! out), braces expanded, resolved to the module file it names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// ferry's layers, bottom first: a module may import its own layer's
/// modules only where the table in ARCHITECTURE.md allows (never), and
/// every layer below. `version` and `oci` are re-exports of ferry-formats.
const LAYERS: &[&[&str]] = &[
    &["version", "oci", "recipe", "tls", "process"],
    &["fetch", "profile", "bundle", "cluster"],
    &["source", "images"],
    &["plan", "registry"],
    &["archive"],
    &["pack", "upgrade"],
    &["cli"],
];

/// Modules outside the layers: the crate root and test-only code.
const UNLAYERED: &[&str] = &["", "main", "fuzz"];

type Module = Vec<String>;

/// Every non-test source file of a crate, by module path.
fn modules(src: &Path) -> BTreeMap<Module, String> {
    let mut found = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "tests") {
                    stack.push(path);
                }
                continue;
            }
            let Some(module) = module_of(src, &path) else {
                continue;
            };
            let text = std::fs::read_to_string(&path).unwrap();
            found.insert(module, without_tests_or_comments(&text));
        }
    }
    found
}

/// The module path of a source file; None for test files.
fn module_of(src: &Path, file: &Path) -> Option<Module> {
    let name = file.file_name()?.to_str()?;
    let stem = name.strip_suffix(".rs")?;
    if stem.ends_with("tests") || stem.ends_with("test_support") || stem.ends_with("_test") {
        return None;
    }
    let mut module: Module = file
        .parent()?
        .strip_prefix(src)
        .ok()?
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if !matches!(stem, "mod" | "lib") {
        module.push(stem.to_string());
    }
    Some(module)
}

/// `text` without comments and without the items after `#[cfg(test)]`.
fn without_tests_or_comments(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(|line| line.split_once("//").map_or(line, |(code, _)| code))
        .collect();
    let mut kept = String::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() != "#[cfg(test)]" {
            kept.push_str(lines[i]);
            kept.push('\n');
            i += 1;
            continue;
        }
        // Skip the next item: one line ending in `;`, or a braced block.
        i += 1;
        let mut depth = 0i32;
        let mut opened = false;
        while i < lines.len() {
            let line = lines[i];
            i += 1;
            depth += line.matches('{').count() as i32 - line.matches('}').count() as i32;
            opened |= line.contains('{');
            if (opened && depth <= 0) || (!opened && line.trim_end().ends_with(';')) {
                break;
            }
        }
    }
    kept
}

/// Every `crate::...` and `super::...` path in `code`, braces expanded,
/// as (number of `super`s, or None for `crate`; segments).
fn paths(code: &str) -> Vec<(Option<usize>, Vec<String>)> {
    let mut found = Vec::new();
    let bytes = code.as_bytes();
    let mut at = 0;
    while let Some(offset) = code[at..].find(['c', 's']) {
        let start = at + offset;
        at = start + 1;
        let boundary = start == 0 || (!is_ident(bytes[start - 1]) && bytes[start - 1] != b':');
        if !boundary {
            continue;
        }
        let rest = &code[start..];
        let (supers, mut tail) = if let Some(tail) = rest.strip_prefix("crate::") {
            (None, tail)
        } else if rest.starts_with("super::") {
            let mut tail = rest;
            let mut count = 0;
            while let Some(next) = tail.strip_prefix("super::") {
                tail = next;
                count += 1;
            }
            (Some(count), tail)
        } else {
            continue;
        };
        let mut prefix = Vec::new();
        loop {
            let len = tail.bytes().take_while(|b| is_ident(*b)).count();
            if len > 0 {
                prefix.push(tail[..len].to_string());
                tail = &tail[len..];
                match tail.strip_prefix("::") {
                    Some(next) => tail = next,
                    None => break,
                }
            } else if tail.starts_with('{') {
                for group in expand_group(tail) {
                    found.push((supers, [prefix.clone(), group].concat()));
                }
                prefix.clear();
                break;
            } else {
                break;
            }
        }
        if !prefix.is_empty() {
            found.push((supers, prefix));
        }
    }
    found
}

/// The paths inside a `{a, b::{c, d}}` group that `text` starts with.
fn expand_group(text: &str) -> Vec<Vec<String>> {
    let mut depth = 0;
    let mut end = text.len();
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    end = i;
                    break;
                }
            }
            _ => {}
        }
    }
    let body = &text[1..end.max(1)];
    let mut parts = Vec::new();
    let (mut depth, mut current) = (0, String::new());
    for c in body.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if c == ',' && depth == 0 {
            parts.push(std::mem::take(&mut current));
        } else {
            current.push(c);
        }
    }
    parts.push(current);
    let mut out = Vec::new();
    for part in parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        let part = part.split(" as ").next().unwrap_or(part);
        match part.split_once('{') {
            Some((head, _)) => {
                let head: Vec<String> = head
                    .split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                let group = &part[part.find('{').unwrap_or(0)..];
                for inner in expand_group(group) {
                    out.push([head.clone(), inner].concat());
                }
            }
            None => out.push(part.split("::").map(|s| s.trim().to_string()).collect()),
        }
    }
    out
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The module files each module names, at the level where they are siblings.
fn edges(modules: &BTreeMap<Module, String>) -> BTreeSet<(Module, Module)> {
    let mut edges = BTreeSet::new();
    for (module, code) in modules {
        // `super` is the parent module, for `a/b.rs` (`a::b`) and `a/mod.rs` (`a`) alike.
        let parent: Module = module[..module.len().saturating_sub(1)].to_vec();
        for (supers, segments) in paths(code) {
            let mut base = match supers {
                None => Vec::new(),
                Some(count) => {
                    let keep = parent.len().saturating_sub(count - 1);
                    parent[..keep].to_vec()
                }
            };
            base.extend(segments);
            let Some(target) = (1..=base.len())
                .rev()
                .map(|n| base[..n].to_vec())
                .find(|prefix| modules.contains_key(prefix))
            else {
                continue;
            };
            if target.starts_with(module) || module.starts_with(&target) {
                continue; // a module and its own ancestors or descendants
            }
            let common = module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            edges.insert((module[..=common].to_vec(), target[..=common].to_vec()));
        }
    }
    edges
}

/// The import circles among `edges`, each as its modules.
fn circles(edges: &BTreeSet<(Module, Module)>) -> Vec<Vec<String>> {
    let mut graph: BTreeMap<&Module, Vec<&Module>> = BTreeMap::new();
    for (from, to) in edges {
        graph.entry(from).or_default().push(to);
        graph.entry(to).or_default();
    }
    let mut found = Vec::new();
    for start in graph.keys() {
        // A circle through `start` is a path from one of its targets back to it.
        let mut seen = BTreeSet::new();
        let mut stack: Vec<(&Module, Vec<&Module>)> = vec![(start, vec![start])];
        while let Some((node, path)) = stack.pop() {
            for next in &graph[node] {
                if next == start {
                    let mut names: Vec<String> = path.iter().map(|m| m.join("::")).collect();
                    names.sort();
                    if !found.contains(&names) {
                        found.push(names);
                    }
                } else if seen.insert(*next) {
                    stack.push((next, [path.clone(), vec![next]].concat()));
                }
            }
        }
    }
    found
}

fn crate_src(dir: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)
}

#[test]
fn no_crate_of_the_workspace_has_an_import_circle() {
    for dir in ["src", "formats/src", "sandbox/src"] {
        let src = crate_src(dir);
        let modules = modules(&src);
        assert!(modules.len() > 5, "{dir}: {} modules", modules.len());
        let circles = circles(&edges(&modules));
        assert!(circles.is_empty(), "{dir}: import circles {circles:?}");
    }
}

#[test]
fn the_circle_finder_finds_circles() {
    let module = |name: &str| vec![name.to_string()];
    let mut edges = BTreeSet::new();
    edges.insert((module("a"), module("b")));
    edges.insert((module("b"), module("c")));
    assert!(circles(&edges).is_empty());
    edges.insert((module("c"), module("a")));
    assert_eq!(circles(&edges), [["a", "b", "c"]]);
    let code = "use super::{x::{A, B}, y};\nfn f() { crate::z::w(); }\n";
    let found: Vec<_> = paths(code)
        .into_iter()
        .map(|(s, p)| (s, p.join("::")))
        .collect();
    assert_eq!(
        found,
        [
            (Some(1), "x::A".to_string()),
            (Some(1), "x::B".to_string()),
            (Some(1), "y".to_string()),
            (None, "z::w".to_string()),
        ]
    );
}

#[test]
fn ferry_modules_import_only_the_layers_below_them() {
    let src = crate_src("src");
    let modules = modules(&src);
    let layer_of = |name: &str| LAYERS.iter().position(|layer| layer.contains(&name));
    let mut wrong = Vec::new();
    for (module, code) in &modules {
        let own = module.first().map_or("", String::as_str);
        if UNLAYERED.contains(&own) {
            continue;
        }
        let Some(own_layer) = layer_of(own) else {
            wrong.push(format!(
                "{own} is in no layer: add it to LAYERS and ARCHITECTURE.md"
            ));
            continue;
        };
        for (supers, segments) in paths(code) {
            let Some(target) = segments.first().filter(|_| supers.is_none()) else {
                continue;
            };
            if target == own {
                continue;
            }
            match layer_of(target) {
                Some(layer) if layer < own_layer => {}
                _ => wrong.push(format!("{} imports crate::{target}", module.join("::"))),
            }
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(wrong.is_empty(), "imports against the layers: {wrong:#?}");
}
