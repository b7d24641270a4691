//! The trials CSV: reading it back with crash recovery, appending a finished trial's rows
//! (flushed at once), and rewriting it in canonical order. Its columns are the study's
//! [`Layout`]; a file whose header differs is refused.
//!
//! Recovery rules, applied on every read:
//! 1. bytes after the last newline are a line cut by a kill: dropped, never parsed;
//! 2. a trial with fewer rows than its `trial_rows` column says was cut between rows: all its
//!    rows are dropped (it will be rerun);
//! 3. a trial with more rows than `trial_rows` was written twice (two runs on one folder):
//!    refused with an error naming the trial.
//!
//! Text fields never contain line breaks (control characters are written as spaces), so a
//! newline always ends a record and rule 1 is exact.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::io::atomic::write_atomic;
use crate::study::key::{sort_canonical, Row};
use crate::study::layout::Layout;

/// What reading a trials CSV found.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Rows of completely recorded trials, in file order.
    pub rows: Vec<Row>,
    /// Whether a partial last line was dropped.
    pub dropped_partial_line: bool,
    /// Labels of trials dropped because some of their rows are missing.
    pub dropped_incomplete: Vec<String>,
}

impl Loaded {
    /// Whether recovery changed anything (the file should then be rewritten).
    pub fn repaired(&self) -> bool {
        self.dropped_partial_line || !self.dropped_incomplete.is_empty()
    }
}

/// Reads a trials CSV laid out by `layout` with the recovery rules of the module doc; a missing
/// file reads empty.
pub fn read_trials(path: &Path, layout: &Layout) -> Result<Loaded> {
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Loaded::default()),
        Err(e) => return Err(Error::io(path, e)),
    };
    let mut loaded = Loaded::default();
    let complete_len = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    loaded.dropped_partial_line = complete_len < bytes.len();
    let text = &bytes[..complete_len];
    if text.is_empty() {
        return Ok(loaded);
    }
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(text);
    let header = reader.headers().map_err(|e| Error::format(path, format!("header: {e}")))?;
    let expected = layout.header();
    if header.iter().ne(expected.iter().map(String::as_str)) {
        return Err(Error::format(
            path,
            format!(
                "header is {:?}, expected the layout's {:?}",
                header.iter().collect::<Vec<_>>(),
                expected
            ),
        ));
    }
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| Error::format(path, format!("line {line}: {e}")))?;
        let row =
            layout.parse(&record).map_err(|e| Error::format(path, format!("line {line}: {e}")))?;
        rows.push(row);
    }
    // Count rows per trial and check against the trial_rows column.
    let mut counts: HashMap<String, (usize, usize)> = HashMap::new();
    for row in &rows {
        let entry = counts.entry(row.key.label()).or_insert((0, row.trial_rows));
        entry.0 += 1;
        if entry.1 != row.trial_rows {
            return Err(Error::format(
                path,
                format!(
                    "trial {} has rows saying {} and {} rows",
                    row.key.label(),
                    entry.1,
                    row.trial_rows
                ),
            ));
        }
    }
    let mut incomplete: Vec<String> = Vec::new();
    for (label, &(count, expected)) in &counts {
        if count > expected {
            return Err(Error::format(
                path,
                format!(
                    "trial {label} has {count} rows but says {expected}: recorded twice \
                     (did two runs write to this folder at once?)"
                ),
            ));
        }
        if count < expected {
            incomplete.push(label.clone());
        }
    }
    incomplete.sort();
    rows.retain(|r| {
        let (count, expected) = counts[&r.key.label()];
        count == expected
    });
    loaded.rows = rows;
    loaded.dropped_incomplete = incomplete;
    Ok(loaded)
}

/// The CSV text (header and rows) of `rows`, in the given order.
pub fn csv_text(rows: &[Row], layout: &Layout) -> Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| Error::Format { path: "<memory>".into(), reason: e.to_string() };
    writer.write_record(layout.header()).map_err(fail)?;
    for row in rows {
        writer.write_record(sanitised_fields(row, layout)?).map_err(fail)?;
    }
    writer
        .into_inner()
        .map_err(|e| Error::Format { path: "<memory>".into(), reason: e.to_string() })
}

/// The CSV text of `rows` in canonical order without the layout's machine-dependent columns
/// ([`Layout::comparable_columns`]): two runs of one configuration give the same bytes,
/// whatever their thread counts, shards or interruptions.
pub fn comparable_csv(rows: &[Row], layout: &Layout) -> Result<Vec<u8>> {
    let keep = layout.comparable_columns();
    let pick =
        |fields: Vec<String>| -> Vec<String> { keep.iter().map(|&i| fields[i].clone()).collect() };
    let mut sorted = rows.to_vec();
    sort_canonical(&mut sorted);
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| Error::Format { path: "<memory>".into(), reason: e.to_string() };
    writer.write_record(pick(layout.header())).map_err(fail)?;
    for row in &sorted {
        writer.write_record(pick(sanitised_fields(row, layout)?)).map_err(fail)?;
    }
    writer
        .into_inner()
        .map_err(|e| Error::Format { path: "<memory>".into(), reason: e.to_string() })
}

/// Rewrites the whole file atomically with `rows`.
pub fn write_trials(path: &Path, rows: &[Row], layout: &Layout) -> Result<()> {
    write_atomic(path, &csv_text(rows, layout)?)
}

/// The row's fields with control characters (line breaks included) replaced by spaces.
fn sanitised_fields(row: &Row, layout: &Layout) -> Result<Vec<String>> {
    Ok(layout
        .fields(row)?
        .into_iter()
        .map(|f| f.chars().map(|c| if c.is_control() { ' ' } else { c }).collect())
        .collect())
}

/// Appends rows to a trials CSV from many threads: each call writes one trial's rows and
/// flushes them to the file before returning.
pub struct TrialWriter {
    path: PathBuf,
    layout: Layout,
    writer: Mutex<csv::Writer<File>>,
}

impl TrialWriter {
    /// Opens `path` for appending; creates it with the layout's header when it is missing or
    /// empty.
    pub fn open(path: &Path, layout: &Layout) -> Result<TrialWriter> {
        let exists = fs::metadata(path).map(|m| m.len() > 0).unwrap_or(false);
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| Error::io(path, e))?;
        let mut writer = csv::WriterBuilder::new().has_headers(false).from_writer(file);
        if !exists {
            writer.write_record(layout.header()).map_err(|e| Error::format(path, e.to_string()))?;
            writer.flush().map_err(|e| Error::io(path, e))?;
        }
        Ok(TrialWriter {
            path: path.to_path_buf(),
            layout: layout.clone(),
            writer: Mutex::new(writer),
        })
    }

    /// Writes one trial's rows and flushes them (rows not matching the layout are refused
    /// before anything is written).
    pub fn append(&self, rows: &[Row]) -> Result<()> {
        let records: Vec<Vec<String>> =
            rows.iter().map(|r| sanitised_fields(r, &self.layout)).collect::<Result<_>>()?;
        let mut writer = self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for record in records {
            writer.write_record(record).map_err(|e| Error::format(&self.path, e.to_string()))?;
        }
        writer.flush().map_err(|e| Error::io(&self.path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::key::{Measurement, TrialKey};

    fn layout() -> Layout {
        Layout::new("design", "overlap", &["auc", "mu"])
    }

    fn trial(trial: usize, n: usize) -> Vec<Row> {
        let measured: Vec<Measurement> = (0..n)
            .map(|i| {
                Measurement::new(format!("m{i}"), "auc", 0.1 * i as f64)
                    .with_note("a, \"quoted\"\nnote")
            })
            .collect();
        layout().pivot(&TrialKey::new("g", 0.5, trial), &measured).unwrap()
    }

    #[test]
    fn recovery_drops_partial_line_and_incomplete_trials() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trials.csv");
        let writer = TrialWriter::open(&path, &layout()).unwrap();
        writer.append(&trial(0, 2)).unwrap();
        writer.append(&trial(1, 3)).unwrap();
        drop(writer);
        let full = read_trials(&path, &layout()).unwrap();
        assert_eq!(full.rows.len(), 5);
        assert!(!full.repaired());
        assert_eq!(full.rows[0].note, "a, \"quoted\" note");
        assert!(full.rows[0].value("mu").unwrap().is_nan());
        // Cut inside the last line: the partial line goes, and trial 1 (now 2 of 3 rows) too.
        let bytes = fs::read(&path).unwrap();
        fs::write(&path, &bytes[..bytes.len() - 4]).unwrap();
        let cut = read_trials(&path, &layout()).unwrap();
        assert!(cut.dropped_partial_line);
        assert_eq!(cut.dropped_incomplete, vec![TrialKey::new("g", 0.5, 1).label()]);
        assert_eq!(cut.rows, full.rows[..2].to_vec());
        // A trial written twice is refused.
        let writer = TrialWriter::open(&path, &layout()).unwrap();
        fs::write(&path, csv_text(&full.rows, &layout()).unwrap()).unwrap();
        writer.append(&trial(0, 2)).unwrap();
        let err = read_trials(&path, &layout()).unwrap_err().to_string();
        assert!(err.contains("recorded twice"), "{err}");
        // A foreign header (another layout included) is refused; a missing file reads empty.
        fs::write(&path, "a,b\n1,2\n").unwrap();
        assert!(read_trials(&path, &layout()).unwrap_err().to_string().contains("header"));
        fs::write(&path, csv_text(&full.rows, &layout()).unwrap()).unwrap();
        let other = Layout::new("design", "n", &["auc", "mu"]);
        let err = read_trials(&path, &other).unwrap_err().to_string();
        assert!(err.contains("header") && err.contains("\"n\""), "{err}");
        assert!(read_trials(&dir.path().join("none.csv"), &layout()).unwrap().rows.is_empty());
    }

    #[test]
    fn comparable_csv_sorts_and_drops_machine_dependent_columns() {
        let timed = layout().with_machine_dependent(&["mu"]);
        let mut rows = trial(1, 2);
        rows.extend(trial(0, 1));
        let text = String::from_utf8(comparable_csv(&rows, &timed).unwrap()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "design,overlap,trial,model,auc,note,trial_rows");
        assert_eq!(lines[1], "g,0.5,0,m0,0,\"a, \"\"quoted\"\" note\",1");
        assert!(lines[2].starts_with("g,0.5,1,m0,0,") && lines[3].starts_with("g,0.5,1,m1,0.1,"));
        // Another value in the machine-dependent column compares equal, in another one not.
        let mut other = rows.clone();
        other[0].values[1].1 = 42.0;
        assert_eq!(comparable_csv(&other, &timed).unwrap(), text.as_bytes());
        other[0].values[0].1 = 42.0;
        assert_ne!(comparable_csv(&other, &timed).unwrap(), text.as_bytes());
    }
}
