//! A study's CSV layout ([`Layout`]): the names of its group and x columns, its value columns
//! and its fixed text columns; pivoting a trial's [`Measurement`]s into one [`Row`] per model,
//! and converting rows to and from CSV fields.
//!
//! The trials CSV has one row per (trial, model), with the columns
//!
//! `<group>, <x>, trial, model, <values…>, <fixed…>, note, trial_rows`
//!
//! where `<values…>` are the metric names in layout order and `<fixed…>` the names of the fixed
//! text columns (the same text on every row, e.g. `precision = f64`). `trial_rows` is the number
//! of model rows of the trial, which lets a reader detect a trial cut short by a kill.
//!
//! # Machine-dependent columns
//!
//! A trial's numbers depend only on the configuration and its key, except what the machine
//! measures about itself: wall times, peak memory. A layout names those value columns with
//! [`Layout::with_machine_dependent`]; they are written like the others, and left out when two
//! runs are compared ([`Layout::comparable_columns`], [`crate::study::comparable_csv`]): every
//! other column of the sorted trials CSV is byte-identical whatever the thread count, the
//! shards or the interruptions. The declaration changes no number, so it is not part of the
//! study's fingerprint (results recorded before a column was declared stay resumable).

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::study::key::{Measurement, Row, TrialKey};

/// Column names that the runner writes itself; no layout column may take them.
pub const RESERVED_COLUMNS: [&str; 4] = ["trial", "model", "note", "trial_rows"];

/// The columns of a study's trials CSV (see the module doc). Part of the study's fingerprint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Layout {
    /// Name of the group column, e.g. `"design"`.
    pub group: String,
    /// Name of the x column, e.g. `"overlap"`, `"n"`, `"n_sources"`.
    pub x: String,
    /// Value columns in order: the metric names a trial reports, e.g. `["best_auc", "mu"]`.
    pub values: Vec<String>,
    /// Fixed text columns `(name, text)`, written after the value columns on every row.
    pub fixed: Vec<(String, String)>,
    /// Value columns measured on the machine (times, memory): exempt from determinism (see
    /// the module doc). Absent from `run.json` when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub machine_dependent: Vec<String>,
}

impl Layout {
    /// A layout with these group, x and value column names and no fixed column.
    pub fn new(group: &str, x: &str, values: &[&str]) -> Layout {
        Layout {
            group: group.into(),
            x: x.into(),
            values: values.iter().map(|v| v.to_string()).collect(),
            fixed: Vec::new(),
            machine_dependent: Vec::new(),
        }
    }

    /// The same layout with these value columns declared machine-dependent (wall times, peak
    /// memory: see the module doc). [`Layout::check`] fails unless each is a value column.
    pub fn with_machine_dependent(mut self, columns: &[&str]) -> Layout {
        for column in columns {
            if !self.machine_dependent.iter().any(|c| c == column) {
                self.machine_dependent.push(column.to_string());
            }
        }
        self
    }

    /// The same layout without the machine-dependent declaration: what identifies results
    /// (the fingerprint ignores the declaration).
    pub fn without_machine_dependent(&self) -> Layout {
        Layout { machine_dependent: Vec::new(), ..self.clone() }
    }

    /// Positions in [`Layout::header`] of the columns that must agree between two runs of one
    /// configuration: every column but the machine-dependent ones.
    pub fn comparable_columns(&self) -> Vec<usize> {
        let first_value = 4;
        (0..self.header().len())
            .filter(|&i| {
                i < first_value
                    || i >= first_value + self.values.len()
                    || !self.machine_dependent.contains(&self.values[i - first_value])
            })
            .collect()
    }

    /// The same layout with one more fixed text column `name` holding `text` on every row.
    pub fn with_fixed(mut self, name: &str, text: &str) -> Layout {
        self.fixed.push((name.into(), text.into()));
        self
    }

    /// Fails unless every column name is non-empty, free of control characters, distinct from
    /// the others and from [`RESERVED_COLUMNS`], there is at least one value column, and the
    /// fixed texts have no control characters.
    pub fn check(&self) -> Result<()> {
        if self.values.is_empty() {
            return Err(Error::parameter("layout values", "[]", "needs at least one column"));
        }
        let header = self.header();
        for (i, name) in header.iter().enumerate() {
            let reserved = RESERVED_COLUMNS.contains(&name.as_str());
            let own = i == 0 || i == 1 || (i >= 4 && i < header.len() - 2);
            if !own {
                continue;
            }
            if name.is_empty() || name.chars().any(char::is_control) {
                return Err(Error::parameter("layout column", format!("{name:?}"), "bad name"));
            }
            if reserved {
                return Err(Error::parameter(
                    "layout column",
                    name,
                    "is a name the runner writes itself (trial, model, note, trial_rows)",
                ));
            }
            if header[..i].contains(name) {
                return Err(Error::parameter("layout column", name, "appears twice"));
            }
        }
        if let Some(name) = self.machine_dependent.iter().find(|c| !self.values.contains(c)) {
            return Err(Error::parameter(
                "machine-dependent column",
                name,
                &format!("is not a value column of the layout {:?}", self.values),
            ));
        }
        if let Some((name, _)) = self.fixed.iter().find(|(_, t)| t.chars().any(char::is_control)) {
            return Err(Error::parameter(
                "layout fixed column",
                name,
                "text has control characters",
            ));
        }
        Ok(())
    }

    /// The CSV header, in column order (see the module doc).
    pub fn header(&self) -> Vec<String> {
        let mut header = vec![self.group.clone(), self.x.clone(), "trial".into(), "model".into()];
        header.extend(self.values.iter().cloned());
        header.extend(self.fixed.iter().map(|(name, _)| name.clone()));
        header.extend(["note".to_string(), "trial_rows".to_string()]);
        header
    }

    /// Pivots one trial's measurements into one row per model, models in order of first
    /// appearance. Values follow the layout's order; a metric the model did not report is NaN.
    /// The distinct non-empty notes of a model are joined with `"; "` in order of appearance.
    ///
    /// # Errors
    /// A metric that is not a value column, or one (model, metric) reported twice; the message
    /// names it.
    pub fn pivot(&self, key: &TrialKey, measured: &[Measurement]) -> Result<Vec<Row>> {
        let mut rows: Vec<(Row, Vec<bool>)> = Vec::new();
        for m in measured {
            let Some(column) = self.values.iter().position(|v| *v == m.metric) else {
                return Err(Error::parameter(
                    "metric",
                    format!("{:?} (model {:?})", m.metric, m.model),
                    &format!(
                        "is not a value column of the study's layout {:?}; add it to \
                         Layout::values",
                        self.values
                    ),
                ));
            };
            let slot = match rows.iter().position(|(r, _)| r.model == m.model) {
                Some(slot) => slot,
                None => {
                    rows.push((self.empty_row(key, &m.model), vec![false; self.values.len()]));
                    rows.len() - 1
                }
            };
            let (row, seen) = &mut rows[slot];
            if std::mem::replace(&mut seen[column], true) {
                return Err(Error::parameter(
                    "metric",
                    format!("{:?} (model {:?})", m.metric, m.model),
                    "was reported twice by one trial",
                ));
            }
            row.values[column].1 = m.value;
            let notes = &mut row.note;
            if !m.note.is_empty() && !notes.split("; ").any(|n| n == m.note) {
                if !notes.is_empty() {
                    notes.push_str("; ");
                }
                notes.push_str(&m.note);
            }
        }
        let n = rows.len();
        Ok(rows
            .into_iter()
            .map(|(mut row, _)| {
                row.trial_rows = n;
                row
            })
            .collect())
    }

    fn empty_row(&self, key: &TrialKey, model: &str) -> Row {
        Row {
            key: key.clone(),
            model: model.into(),
            values: self.values.iter().map(|v| (v.clone(), f64::NAN)).collect(),
            note: String::new(),
            trial_rows: 0,
        }
    }

    /// The CSV fields of a row, in [`Layout::header`] order; numbers in Rust's shortest
    /// round-trip form (reading them back gives the same bits), NaN as `NaN`.
    ///
    /// # Errors
    /// A row whose value columns are not this layout's (the message names them).
    pub fn fields(&self, row: &Row) -> Result<Vec<String>> {
        if row.values.len() != self.values.len()
            || row.values.iter().zip(&self.values).any(|((name, _), v)| name != v)
        {
            let names: Vec<&str> = row.values.iter().map(|(n, _)| n.as_str()).collect();
            return Err(Error::parameter(
                "row values",
                format!("{names:?} ({})", row.key.label()),
                &format!("do not match the layout's value columns {:?}", self.values),
            ));
        }
        let k = &row.key;
        let mut fields =
            vec![k.group.clone(), format!("{}", k.x), k.trial.to_string(), row.model.clone()];
        fields.extend(row.values.iter().map(|(_, v)| format!("{v}")));
        fields.extend(self.fixed.iter().map(|(_, text)| text.clone()));
        fields.extend([row.note.clone(), row.trial_rows.to_string()]);
        Ok(fields)
    }

    /// Parses the fields of one record; the error says which column is wrong.
    pub fn parse(&self, fields: &csv::StringRecord) -> std::result::Result<Row, String> {
        let header = self.header();
        if fields.len() != header.len() {
            return Err(format!("has {} fields, expected {}", fields.len(), header.len()));
        }
        let num = |i: usize| -> std::result::Result<f64, String> {
            fields[i].parse::<f64>().map_err(|_| format!("bad {} = {:?}", header[i], &fields[i]))
        };
        let int = |i: usize| -> std::result::Result<usize, String> {
            fields[i].parse::<usize>().map_err(|_| format!("bad {} = {:?}", header[i], &fields[i]))
        };
        let key = TrialKey::new(&fields[0], num(1)?, int(2)?);
        let first_value = 4;
        let mut values = Vec::with_capacity(self.values.len());
        for (j, name) in self.values.iter().enumerate() {
            values.push((name.clone(), num(first_value + j)?));
        }
        let first_fixed = first_value + self.values.len();
        for (j, (name, text)) in self.fixed.iter().enumerate() {
            if fields[first_fixed + j] != *text {
                return Err(format!("{name} = {:?}, expected {text:?}", &fields[first_fixed + j]));
            }
        }
        let last = header.len() - 1;
        let trial_rows = int(last)?;
        if trial_rows == 0 {
            return Err("trial_rows = 0".into());
        }
        Ok(Row {
            key,
            model: fields[3].to_string(),
            values,
            note: fields[last - 1].to_string(),
            trial_rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        Layout::new("design", "overlap", &["auc", "mu"]).with_fixed("precision", "f64")
    }

    #[test]
    fn header_and_checks() {
        let l = layout();
        assert_eq!(
            l.header(),
            ["design", "overlap", "trial", "model", "auc", "mu", "precision", "note", "trial_rows"]
        );
        assert!(l.check().is_ok());
        let bad = |l: Layout| l.check().unwrap_err().to_string();
        assert!(bad(Layout::new("g", "x", &[])).contains("at least one"));
        assert!(bad(Layout::new("g", "x", &["auc", "auc"])).contains("appears twice"));
        assert!(bad(Layout::new("g", "model", &["auc"])).contains("runner writes itself"));
        assert!(bad(Layout::new("g", "x", &["auc"]).with_fixed("x", "1")).contains("twice"));
        assert!(bad(Layout::new("", "x", &["auc"])).contains("bad name"));
        let timed = l.clone().with_machine_dependent(&["mu", "mu"]);
        assert_eq!(timed.machine_dependent, ["mu"]);
        assert!(bad(l.clone().with_machine_dependent(&["seconds"])).contains("not a value"));
    }

    #[test]
    fn machine_dependent_columns_are_left_out_of_comparisons_only() {
        let l = layout().with_machine_dependent(&["auc"]);
        assert!(l.check().is_ok());
        assert_eq!(l.header(), layout().header());
        let names: Vec<String> =
            l.comparable_columns().into_iter().map(|i| l.header()[i].clone()).collect();
        assert_eq!(
            names,
            ["design", "overlap", "trial", "model", "mu", "precision", "note", "trial_rows"]
        );
        assert_eq!(layout().comparable_columns().len(), layout().header().len());
        assert_eq!(l.without_machine_dependent(), layout());
        // Recorded in run.json when declared, absent (and read back empty) otherwise.
        let json = serde_json::to_string(&layout()).unwrap();
        assert!(!json.contains("machine_dependent"));
        assert_eq!(serde_json::from_str::<Layout>(&json).unwrap(), layout());
        let json = serde_json::to_string(&l).unwrap();
        assert_eq!(serde_json::from_str::<Layout>(&json).unwrap(), l);
    }

    #[test]
    fn pivot_fills_nan_joins_notes_and_names_unknown_metrics() {
        let l = layout();
        let key = TrialKey::new("blur", 0.5, 3);
        let measured = vec![
            Measurement::new("mtw", "auc", 0.9).with_note("iterations=3"),
            Measurement::new("lasso", "mu", 2.0),
            Measurement::new("mtw", "mu", 1.0).with_note("iterations=3"),
            Measurement::new("mtw", "mu_extra", 1.0),
        ];
        let err = l.pivot(&key, &measured).unwrap_err().to_string();
        assert!(err.contains("\"mu_extra\"") && err.contains("Layout::values"), "{err}");
        let mut measured = measured[..3].to_vec();
        measured.push(Measurement::new("lasso", "auc", 0.5).with_note("edge"));
        measured.push(Measurement::new("lasso", "auc", 0.5).with_note("edge"));
        let err = l.pivot(&key, &measured).unwrap_err().to_string();
        assert!(err.contains("twice"), "{err}");
        measured.pop();
        measured[1].note = "first".into();
        let rows = l.pivot(&key, &measured).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].model.as_str(), rows[0].note.as_str()), ("mtw", "iterations=3"));
        assert_eq!(rows[1].note, "first; edge");
        assert_eq!(rows[0].values, [("auc".to_string(), 0.9), ("mu".to_string(), 1.0)]);
        assert_eq!(rows[1].value("auc"), Some(0.5));
        assert!(rows.iter().all(|r| r.trial_rows == 2));

        // A model without one of the metrics gets NaN, written as such and read back.
        let only = l.pivot(&key, &[Measurement::new("zero", "mu", 0.0)]).unwrap();
        assert!(only[0].value("auc").unwrap().is_nan());
        let fields = l.fields(&only[0]).unwrap();
        assert_eq!(fields, ["blur", "0.5", "3", "zero", "NaN", "0", "f64", "", "1"]);
        let back = l.parse(&csv::StringRecord::from(fields.clone())).unwrap();
        assert!(back.value("auc").unwrap().is_nan() && back.value("mu") == Some(0.0));
        let mut wrong = fields;
        wrong[6] = "f32".into();
        let err = l.parse(&csv::StringRecord::from(wrong)).unwrap_err();
        assert!(err.contains("precision"), "{err}");
    }
}
