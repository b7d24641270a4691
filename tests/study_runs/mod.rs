//! Helpers of the study binaries' run tests (digits, MEG, kernel): kill a run once its first
//! rows are recorded, leave a partial line as a kill inside a write would, read the resume
//! counts, and compare runs without their machine-dependent columns.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `cmd` to completion; panics with its stderr unless it succeeds; returns the stderr.
pub fn ok(cmd: &mut Command) -> String {
    let out = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).output().expect("the study runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{cmd:?}: {stderr}");
    stderr
}

/// Runs `cmd` to completion; panics unless it exits with status 2 and a stderr containing
/// every one of `needles`.
pub fn refused(cmd: &mut Command, needles: &[&str]) -> String {
    let out: Output = cmd.stdout(Stdio::null()).stderr(Stdio::piped()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{cmd:?}: {stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "expected {needle:?} in: {stderr}");
    }
    stderr
}

/// Complete data rows (ended lines after the header) of a CSV file; 0 when it does not exist
/// yet.
pub fn data_rows(csv: &Path) -> usize {
    std::fs::read(csv).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count().saturating_sub(1))
}

/// Starts `cmd`, waits until `csv` holds at least one data row, then kills the child it
/// started (SIGKILL on Unix). Panics if the study ended by itself first, or after a minute
/// without a row (the child is killed first).
pub fn kill_after_first_rows(cmd: &mut Command, csv: &Path) {
    let mut child = cmd.stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let start = Instant::now();
    let waited = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Err(format!("the study ended ({status}) before the kill: use a longer run"));
        }
        if data_rows(csv) > 0 {
            break Ok(());
        }
        if start.elapsed() > Duration::from_secs(60) {
            break Err("no row after a minute".to_string());
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    child.kill().ok();
    let status = child.wait().unwrap();
    waited.unwrap();
    assert!(status.code().is_none(), "the study ended ({status}) before the kill");
}

/// Appends the first half of `line` without its line end: what a kill in the middle of a
/// write leaves.
pub fn append_partial_line(csv: &Path, line: &str) {
    let mut file = std::fs::OpenOptions::new().append(true).open(csv).unwrap();
    file.write_all(&line.as_bytes()[..line.len() / 2]).unwrap();
}

/// The last line of a text file.
pub fn last_line(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().last().unwrap().to_string()
}

/// `(run, resumed)` from the `"… N trials run, M resumed …"` line (`1 trial run` for one) of
/// `prefix` in stderr.
pub fn resume_counts(stderr: &str, prefix: &str) -> (usize, usize) {
    let is_count = |w: &[&str]| matches!(w, ["trial" | "trials", "run,"]);
    let line = stderr
        .lines()
        .find(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            l.starts_with(prefix) && words.windows(2).any(is_count)
        })
        .unwrap_or_else(|| panic!("no {prefix:?} summary line in: {stderr}"));
    let words: Vec<&str> = line.split_whitespace().collect();
    let at = words.windows(2).position(is_count).unwrap();
    assert!(words[at + 3].starts_with("resumed"), "{line}");
    let run: usize = words[at - 1].parse().unwrap();
    let resumed: usize = words[at + 2].parse().unwrap();
    (run, resumed)
}

/// The sorted trials of a complete run without its machine-dependent columns (the runner's
/// [`mtw::study::comparable_trials`]).
pub fn comparable(dir: &Path) -> String {
    let bytes = mtw::study::comparable_trials(dir).unwrap_or_else(|e| panic!("{dir:?}: {e}"));
    String::from_utf8(bytes).unwrap()
}
