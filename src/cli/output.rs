//! Everything ferry prints on stdout goes through here: lines (`outln!`),
//! JSON objects, sizes. A closed stdout (the reader went away, as with
//! `ferry plan | head -1`) is the typed [`StdoutClosed`], which `cli::main`
//! turns into a quiet exit instead of a panic.

use serde::Serialize;
use std::io::Write;

/// Stdout was closed by its reader; nothing more can be shown there.
#[derive(Debug, thiserror::Error)]
#[error("standard output was closed")]
pub struct StdoutClosed;

/// Writes one formatted line to stdout, returning `anyhow::Result<()>`.
macro_rules! outln {
    () => {
        $crate::cli::output::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::output::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use outln;

/// Writes to stdout; a broken pipe becomes [`StdoutClosed`].
pub fn write_stdout(text: std::fmt::Arguments<'_>) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_fmt(text).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe => Err(StdoutClosed.into()),
        Err(err) => Err(anyhow::Error::new(err).context("cannot write to standard output")),
    }
}

/// `1.5 MiB`-style size.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Prints a successful command's result as one pretty JSON object on stdout,
/// with `"ok": true` added (see [`json_failure`] for the other case).
pub fn print_json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut value = serde_json::to_value(value)?;
    if let Some(object) = value.as_object_mut() {
        // A command that reports its own verdict (`mirror verify`) keeps it.
        object.entry("ok").or_insert(serde_json::Value::Bool(true));
    }
    outln!("{}", serde_json::to_string_pretty(&value)?)
}

/// The JSON object a `--json` command prints when it fails: `ok: false`,
/// the error, its causes and the exit code.
pub fn json_failure(err: &anyhow::Error, exit_code: i32) -> serde_json::Value {
    serde_json::json!({
        "ok": false,
        "error": err.to_string(),
        "causes": err.chain().skip(1).map(|cause| cause.to_string()).collect::<Vec<_>>(),
        "root_cause": err.root_cause().to_string(),
        "exit_code": exit_code,
    })
}

/// `a, b, c`, or `-` when empty.
pub fn list_or_dash(items: &[String]) -> String {
    if items.is_empty() {
        "-".to_string()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_read_naturally() {
        assert_eq!(super::human_size(512), "512 B");
        assert_eq!(super::human_size(1536), "1.5 KiB");
        assert_eq!(super::human_size(3 * 1024 * 1024 * 1024), "3.0 GiB");
    }

    #[test]
    fn failures_carry_the_error_and_its_causes() {
        let err = anyhow::anyhow!("root cause").context("top");
        let value = super::json_failure(&err, 1);
        assert_eq!(value["ok"], false);
        assert_eq!(value["error"], "top");
        assert_eq!(value["causes"][0], "root cause");
        assert_eq!(value["exit_code"], 1);
    }
}
