use super::*;
use crate::cluster::yaml::saphyr_documents;
use proptest::prelude::*;

/// serde-saphyr's documents of `text` without the empty ones.
fn slow(text: &str) -> Vec<Value> {
    let documents = saphyr_documents(text).expect("text the fast reader accepts is YAML");
    documents.into_iter().filter(|doc| !doc.is_null()).collect()
}

/// The property: whatever the fast reader returns, serde-saphyr returns too.
/// True when the fast reader took the text.
fn agrees(text: &str) -> bool {
    match documents(text) {
        Some(fast) => {
            assert_eq!(fast, slow(text), "for:\n{text}");
            true
        }
        None => false,
    }
}

const MANIFEST: &str = r#"# a leading comment
apiVersion: apps/v1
kind: Deployment
metadata:
  name: kyma-installer
  namespace: kyma-installer
  labels:
    app.kubernetes.io/name: installer
    kyma-project.io/installation: ""
    empty: ''
  annotations: {}
spec:
  replicas: 1
  offset: -3
  zero: 0
  paused: false
  ready: true
  nothing: null
  tilde: ~
  missing:
  selector:
    matchLabels:
      name: kyma-installer
  template:
    spec:
      containers:
      - name: kyma-installer-container
        image: eu.gcr.io/kyma-project/kyma-installer:1.2.0
        args:
        - --log-level=debug
        - -v
        -   spaced item
        - "quoted: with a colon"
        - 'single # not a comment'
        resources:
          limits:
            memory: 96Mi
            cpu: 100m
        env: []
        verbs: ["get", 'list', watch, 3]
        ports:
          - containerPort: 8080
            protocol: TCP
        command:
        -
        - - nested
          - items
      volumes:
      - name: a
        configMap:
          name: b
---

---
apiVersion: v1
kind: ConfigMap
metadata:
  name: scripts
data:
  run.sh: |
    #!/bin/sh
    echo "one: two" # stays

      indented more
  trimmed: |-
    no newline at the end
  url: http://example.com:8080/path#frag
  sentence: words with  two spaces and a-dash
  unicode: "grüße"
"#;

#[test]
fn manifests_in_the_subset_read_as_serde_saphyr_reads_them() {
    assert!(agrees(MANIFEST));
    let docs = documents(MANIFEST).unwrap();
    assert_eq!(docs.len(), 2);
    let container = &docs[0]["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["ports"][0]["containerPort"], 8080);
    assert_eq!(container["command"][1][1], "items");
    assert_eq!(
        container["verbs"],
        serde_json::json!(["get", "list", "watch", 3])
    );
    assert_eq!(container["args"][0], "--log-level=debug");
    assert_eq!(
        docs[1]["data"]["run.sh"],
        "#!/bin/sh\necho \"one: two\" # stays\n\n  indented more\n"
    );
    for text in [
        "",
        "---\n",
        "# only a comment\n",
        "a: 1",
        "---\na:\n- 1\n- 2\nb: 3\n",
    ] {
        assert!(agrees(text), "{text:?}");
    }
}

#[test]
fn everything_outside_the_subset_is_left_to_serde_saphyr() {
    let outside = [
        "a: &x 1\nb: *x\n",
        "a: !!str 1\n",
        "a: [1, [2]]\n",
        "a: [a,]\n",
        "a: [a b]\n",
        "a: [\"x\", ]\n",
        "a: {b: 1}\n",
        "a: \"esc\\n\"\n",
        "a: 'it''s'\n",
        "a: \"two\n  lines\"\n",
        "a: plain\n  continued\n",
        "a: >\n  folded\n",
        "a: |+\n  kept\n",
        "a: |2\n  indicated\n",
        "a: yes\n",
        "a: Off\n",
        "a: True\n",
        "a: NULL\n",
        "a: 1.5\n",
        "a: .inf\n",
        "a: 0x1F\n",
        "a: 007\n",
        "a: 1e3\n",
        "a: 1_000\n",
        "a: 12:30\n",
        "a: 2001-12-14\n",
        "a: 99999999999999999999\n",
        "a: b: c\n",
        "a: b #comment\n",
        "a: #comment\n",
        "a:\tb\n",
        "a: b\r\n",
        "a: 1\na: 2\n",
        "\"a\": 1\n",
        "1: one\n",
        "yes: 1\n",
        "? a\n: b\n",
        "%YAML 1.2\n---\na: 1\n",
        "a: 1\n...\n",
        "--- a: 1\n",
        "- a\n- b\n",
        "plain scalar\n",
        "a:\n    b: 1\n  c: 2\n",
        "a:\n  b\n",
        "a: @x\n",
        "a: `x`\n",
        "a: |\n\n  leading blank\n",
        "a: |\nb: 1\n",
        "a: caf\u{e9}\n",
    ];
    for text in outside {
        assert_eq!(documents(text), None, "{text:?}");
    }
}

#[test]
fn the_sandbox_manifests_take_the_fast_path() {
    let objects = ferry_sandbox::github::synthetic_objects_yaml("1.2.0", 400);
    assert!(agrees(&objects));
    let mut fast = 0;
    for minor in [0u64, 1, 4, 8, 12, 16, 18, 24] {
        let version = crate::version::Version::new(1, minor, 0);
        let tag = version.to_string();
        for name in ferry_sandbox::github::asset_names(&version) {
            let text = ferry_sandbox::github::asset_content(&version, &tag, name);
            fast += usize::from(agrees(&text));
        }
    }
    assert!(fast > 0, "no Kyma asset took the fast path");
}

/// Scalars and line shapes near the subset's edges.
const TOKENS: [&str; 42] = [
    "1", "-1", "0", "-0", "007", "1.5", "1e3", "1E", "1x", "96Mi", "0Gi", "12:30", "0x1F", "true",
    "True", "[1, 2]", "[a, 'b']", "yes", "no", "on", "null", "Null", "~", "", "[]", "{}", "[a]",
    "\"q\"", "'q'", "\"a: b\"", "a b", "a: b", "a #b", "a#b", "|", "|-", ">", "&x v", "*x", "!t v",
    "- x", "k:",
];

/// One change to a line of a manifest: replace the value after its colon,
/// add an entry after it, or replace its content.
#[derive(Debug, Clone)]
enum LineEdit {
    Value(prop::sample::Index, usize),
    Entry(prop::sample::Index, usize),
    Content(prop::sample::Index, usize),
}

fn line_edits() -> impl Strategy<Value = Vec<LineEdit>> {
    let token = 0..TOKENS.len();
    let edit = prop_oneof![
        3 => (any::<prop::sample::Index>(), token.clone()).prop_map(|(at, t)| LineEdit::Value(at, t)),
        1 => (any::<prop::sample::Index>(), token.clone()).prop_map(|(at, t)| LineEdit::Entry(at, t)),
        1 => (any::<prop::sample::Index>(), token).prop_map(|(at, t)| LineEdit::Content(at, t)),
    ];
    prop::collection::vec(edit, 1..4)
}

fn apply_line_edits(text: &str, edits: &[LineEdit]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for edit in edits {
        let (LineEdit::Value(at, t) | LineEdit::Entry(at, t) | LineEdit::Content(at, t)) = edit;
        let i = at.index(lines.len());
        let line = lines[i].clone();
        let indent = &line[..line.len() - line.trim_start().len()];
        match edit {
            LineEdit::Value(..) => {
                if let Some(colon) = line.find(':') {
                    lines[i] = format!("{}: {}", &line[..colon], TOKENS[*t]);
                }
            }
            LineEdit::Entry(..) => lines.insert(i + 1, format!("{indent}extra: {}", TOKENS[*t])),
            LineEdit::Content(..) => lines[i] = format!("{indent}{}", TOKENS[*t]),
        }
    }
    lines.join("\n") + "\n"
}

/// The fuzz target of the fast path: manifests changed line by line near
/// the subset's edges, and byte-level edits, read by the fast reader give
/// exactly what serde-saphyr gives, or are left to it.
#[test]
fn fuzz_plain_yaml_agrees_with_serde_saphyr() {
    let input = (line_edits(), crate::fuzz::edits());
    let taken = std::cell::Cell::new(0u32);
    crate::fuzz::runner(256)
        .run(&input, |(line_edits, byte_edits)| {
            let edited = apply_line_edits(MANIFEST, &line_edits);
            taken.set(taken.get() + u32::from(agrees(&edited)));
            let bytes = crate::fuzz::apply(&byte_edits, edited.as_bytes());
            if let Ok(text) = std::str::from_utf8(&bytes) {
                agrees(text);
            }
            Ok(())
        })
        .unwrap();
    // The edits must leave much of the input in the subset, or the target
    // would test nothing.
    assert!(
        taken.get() > 20,
        "only {} edited manifests took the fast path",
        taken.get()
    );
}
