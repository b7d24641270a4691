//! A study's identity (name, configuration, seed), its fingerprint, and the `run.json` record
//! written beside the results.
//!
//! The configuration is any `serde::Serialize` struct. It is stored as JSON, normalised by a
//! print-and-parse round trip so that a configuration read back from `run.json` compares equal
//! to the same configuration built in memory. The fingerprint is the 64-bit FNV-1a hash of the
//! canonical text (object keys sorted, no spaces) of `{"study", "seed", "config", "layout"}`,
//! in hex: the CSV [`Layout`] is part of what identifies the results.

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::study::layout::Layout;
use crate::study::shard::Shard;

/// What defines a study's results: its name, configuration, seed and CSV layout. Two runs with
/// equal `Study` values produce the same rows.
#[derive(Clone, Debug, PartialEq)]
pub struct Study {
    name: String,
    config: Value,
    seed: u64,
    layout: Option<Layout>,
    fingerprint: String,
}

impl Study {
    /// Records the configuration `config` (serialised to JSON) under `name` with `seed`.
    pub fn new<C: Serialize>(name: &str, config: &C, seed: u64) -> Result<Study> {
        if name.is_empty() {
            return Err(Error::parameter("study name", "\"\"", "must not be empty"));
        }
        let config = serde_json::to_value(config).map_err(|e| {
            Error::parameter("study config", name, &format!("not serialisable: {e}"))
        })?;
        Ok(Study::from_parts(name.to_string(), normalise(&config), seed, None))
    }

    /// The same study with its trials CSV laid out by `layout` (required by
    /// [`crate::study::run_trials`]; checked there). The fingerprint covers the layout.
    pub fn with_layout(self, layout: Layout) -> Study {
        Study::from_parts(self.name, self.config, self.seed, Some(layout))
    }

    fn from_parts(name: String, config: Value, seed: u64, layout: Option<Layout>) -> Study {
        // The machine-dependent declaration changes no number: not part of the identity.
        let identity = layout.as_ref().map(Layout::without_machine_dependent);
        let text = canonical_json(&serde_json::json!({
            "study": name, "seed": seed, "config": config, "layout": identity
        }));
        let fingerprint = format!("{:016x}", fnv1a64(text.as_bytes()));
        Study { name, config, seed, layout, fingerprint }
    }

    /// The study recorded in a run file.
    pub fn of_run_info(info: &RunInfo) -> Study {
        Study::from_parts(
            info.study.clone(),
            normalise(&info.config),
            info.seed,
            info.layout.clone(),
        )
    }

    /// The CSV layout, when one is attached.
    pub fn layout(&self) -> Option<&Layout> {
        self.layout.as_ref()
    }

    /// The CSV layout, checked ([`Layout::check`]).
    ///
    /// # Errors
    /// No layout attached (the message names the fix), or an invalid one.
    pub fn require_layout(&self) -> Result<&Layout> {
        let layout = self.layout.as_ref().ok_or_else(|| {
            Error::parameter(
                "study layout",
                &self.name,
                "is missing: attach the trials CSV columns with Study::with_layout(Layout::new(\
                 \"design\", \"overlap\", &[\"auc\", …]))",
            )
        })?;
        layout.check()?;
        Ok(layout)
    }

    /// Study name (`"overlap"`, `"digits"`, …).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The configuration as normalised JSON.
    pub fn config(&self) -> &Value {
        &self.config
    }

    /// The study seed every trial's random stream derives from.
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// 16 hex digits identifying (name, seed, configuration).
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Differences from `other` as `"setting: value here vs value there"` lines (empty when
    /// the studies are equal). Settings are named by their JSON path, e.g. `config.n_trials`.
    pub fn differences(&self, other: &Study) -> Vec<String> {
        let mut out = Vec::new();
        if self.name != other.name {
            out.push(format!("study: {:?} vs {:?}", self.name, other.name));
        }
        if self.seed != other.seed {
            out.push(format!("seed: {} vs {}", self.seed, other.seed));
        }
        json_differences("config", &self.config, &other.config, &mut out);
        let as_json = |l: &Option<Layout>| {
            let identity = l.as_ref().map(Layout::without_machine_dependent);
            serde_json::to_value(identity).unwrap_or(Value::Null)
        };
        json_differences("layout", &as_json(&self.layout), &as_json(&other.layout), &mut out);
        // Settings a user types (`config.quick`, `config.folds`) before the entries of a grid
        // they imply (`config.models[0][1].lambda_ratios`), which come by the dozen.
        out.sort_by_key(|d| nesting_depth(d));
        out
    }
}

/// The first few of `differences` joined for an error message, with a count of the rest:
/// a changed grid differs in every value, and a message listing them all is unreadable.
pub(crate) fn differences_text(differences: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut text = differences.iter().take(SHOWN).cloned().collect::<Vec<_>>().join("; ");
    if differences.len() > SHOWN {
        text.push_str(&format!("; and {} more", differences.len() - SHOWN));
    }
    text
}

/// A print-and-parse round trip (see the module doc).
fn normalise(value: &Value) -> Value {
    serde_json::from_str(&canonical_json(value)).unwrap_or_else(|_| value.clone())
}

/// JSON text with object keys sorted at every level and no whitespace.
pub fn canonical_json(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let items: Vec<String> = keys
                .iter()
                .map(|k| format!("{}:{}", Value::String((*k).clone()), canonical_json(&map[*k])))
                .collect();
            format!("{{{}}}", items.join(","))
        }
        Value::Array(items) => {
            format!("[{}]", items.iter().map(canonical_json).collect::<Vec<_>>().join(","))
        }
        other => other.to_string(),
    }
}

/// 64-bit FNV-1a.
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

/// Appends `"path: a vs b"` for every leaf where `a` and `b` differ.
fn json_differences(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(ma), Value::Object(mb)) => {
            let mut keys: Vec<&String> = ma.keys().chain(mb.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let sub = format!("{path}.{k}");
                match (ma.get(k), mb.get(k)) {
                    (Some(x), Some(y)) => json_differences(&sub, x, y, out),
                    (Some(x), None) => out.push(format!("{sub}: {} vs (absent)", shown(x))),
                    (None, Some(y)) => out.push(format!("{sub}: (absent) vs {}", shown(y))),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(xa), Value::Array(xb)) if xa.len() == xb.len() => {
            for (i, (x, y)) in xa.iter().zip(xb).enumerate() {
                json_differences(&format!("{path}[{i}]"), x, y, out);
            }
        }
        _ if a != b => out.push(format!("{path}: {} vs {}", shown(a), shown(b))),
        _ => {}
    }
}

/// How deep the setting a difference names lies: its `.` and `[` before the `:`.
fn nesting_depth(difference: &str) -> usize {
    let setting = difference.split(':').next().unwrap_or(difference);
    setting.chars().filter(|c| matches!(c, '.' | '[')).count()
}

/// A JSON value short enough for one difference of an error message: a long array or object
/// by its size (a grid of twelve ratios is unreadable inline), other long values cut.
fn shown(value: &Value) -> String {
    const LONGEST: usize = 60;
    let text = value.to_string();
    if text.chars().count() <= LONGEST {
        return text;
    }
    match value {
        Value::Array(items) => format!("[{} entries]", items.len()),
        Value::Object(fields) => format!("{{{} fields}}", fields.len()),
        _ => format!("{}…", text.chars().take(LONGEST - 1).collect::<String>()),
    }
}

/// The content of `run.json` (or `run.shard-K-of-N.json` for a shard).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RunInfo {
    /// Study name.
    pub study: String,
    /// [`Study::fingerprint`].
    pub fingerprint: String,
    /// Study seed.
    pub seed: u64,
    /// The configuration (JSON).
    pub config: Value,
    /// The trials CSV layout (`None` in files written before layouts existed).
    #[serde(default)]
    pub layout: Option<Layout>,
    /// `CARGO_PKG_VERSION` of the crate that wrote the results.
    pub crate_version: String,
    /// `git rev-parse HEAD` of the crate's source folder, when it is a repository
    /// ([`git_commit`]).
    pub git_commit: Option<String>,
    /// Worker threads of the rayon pool (the largest over shards for a merged run).
    pub threads: usize,
    /// UTC start of this invocation (the earliest over shards for a merged run).
    pub started: String,
    /// UTC end, `None` while running or after a kill.
    pub finished: Option<String>,
    /// Wall-clock seconds of this invocation (the sum over shards for a merged run).
    pub wall_seconds: f64,
    /// Wall-clock seconds of every invocation that recorded trials of this run, summed: a run
    /// resumed after a kill counts each earlier invocation up to its last recorded trial (the
    /// sum over shards for a merged run). Files written before this field existed read as 0.
    #[serde(default)]
    pub total_wall_seconds: f64,
    /// The distinct commits ([`git_commit`]) of those invocations, oldest first.
    #[serde(default)]
    pub commits: Vec<String>,
    /// Number of trials in the whole study (all shards).
    pub n_trials: usize,
    /// The shard this file describes, `None` for an unsharded or merged run.
    pub shard: Option<Shard>,
    /// Trials recorded so far in this run's CSV.
    pub trials_recorded: usize,
    /// Whether every trial of this run (or shard) is recorded.
    pub complete: bool,
    /// Shards whose trials are all recorded, as `"K/N"` (`"0/1"` for an unsharded run).
    pub shards_complete: Vec<String>,
}

impl RunInfo {
    /// Reads and parses a run file.
    pub fn read(path: &Path) -> Result<RunInfo> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        serde_json::from_str(&text).map_err(|e| Error::format(path, format!("not a run file: {e}")))
    }

    /// Seconds of every invocation so far: [`RunInfo::total_wall_seconds`], or
    /// [`RunInfo::wall_seconds`] for a file written before the total existed.
    pub fn seconds_so_far(&self) -> f64 {
        self.total_wall_seconds.max(self.wall_seconds)
    }

    /// The commits so far: [`RunInfo::commits`], or the single [`RunInfo::git_commit`] of a
    /// file written before the list existed.
    pub fn commits_so_far(&self) -> Vec<String> {
        if self.commits.is_empty() {
            self.git_commit.iter().cloned().collect()
        } else {
            self.commits.clone()
        }
    }

    /// Pretty JSON text of the record.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// `git rev-parse HEAD` of the crate's source folder (where the binary was built from), so
/// that a study run from another folder (a scratch space, a results repository) records the
/// code's commit, not that folder's; `None` when the source is not a git checkout, is gone, or
/// git is missing. Uncommitted changes are not detected.
pub fn git_commit() -> Option<String> {
    let source = env!("CARGO_MANIFEST_DIR");
    let out = std::process::Command::new("git")
        .args(["-C", source, "rev-parse", "HEAD"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!text.is_empty()).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Cfg {
        n_trials: usize,
        levels: Vec<f64>,
        name: &'static str,
    }

    #[test]
    fn a_long_list_of_differences_is_cut_with_a_count() {
        let few: Vec<String> = (0..3).map(|i| format!("config.grid[{i}]: 1 vs 2")).collect();
        assert_eq!(differences_text(&few), few.join("; "));
        let many: Vec<String> = (0..12).map(|i| format!("config.grid[{i}]: 1 vs 2")).collect();
        let text = differences_text(&many);
        assert!(text.starts_with(&many[..5].join("; ")), "{text}");
        assert!(text.ends_with("; and 7 more") && !text.contains("grid[5]"), "{text}");
    }

    #[test]
    fn top_level_settings_are_listed_before_grid_entries() {
        let a = serde_json::json!({ "grid": { "ratios": [1.0, 2.0] }, "quick": false });
        let b = serde_json::json!({ "grid": { "ratios": [1.0, 3.0] }, "quick": true });
        let study = |config: serde_json::Value| Study::new("toy", &config, 0).unwrap();
        let differences = study(a).differences(&study(b));
        assert_eq!(
            differences,
            ["config.quick: false vs true", "config.grid.ratios[1]: 2.0 vs 3.0"]
        );
    }

    #[test]
    fn long_values_in_a_difference_are_shown_by_their_size() {
        let grid = |n: usize| serde_json::json!({ "ratios": vec![0.123_456_789_f64; n] });
        let mut out = Vec::new();
        json_differences("config", &grid(12), &grid(2), &mut out);
        assert_eq!(out, ["config.ratios: [12 entries] vs [0.123456789,0.123456789]"]);
        let long = serde_json::json!("x".repeat(100));
        assert_eq!(shown(&long).chars().count(), 60);
        assert!(shown(&long).ends_with('…'));
    }

    #[test]
    fn fingerprint_is_stable_and_differences_are_named() {
        let a = Study::new("s", &Cfg { n_trials: 10, levels: vec![0.1, 0.25], name: "x" }, 1);
        let a = a.unwrap();
        let again = Study::new("s", &Cfg { n_trials: 10, levels: vec![0.1, 0.25], name: "x" }, 1);
        assert_eq!(a.fingerprint(), again.unwrap().fingerprint());
        assert_eq!(a.fingerprint().len(), 16);
        let b = Study::new("s", &Cfg { n_trials: 12, levels: vec![0.1, 0.5], name: "x" }, 2);
        let b = b.unwrap();
        assert_ne!(a.fingerprint(), b.fingerprint());
        let diff = a.differences(&b);
        assert_eq!(
            diff,
            ["seed: 1 vs 2", "config.n_trials: 10 vs 12", "config.levels[1]: 0.25 vs 0.5"]
        );
        // A configuration read back from its run file is the same study.
        let info = RunInfo {
            study: "s".into(),
            fingerprint: a.fingerprint().into(),
            seed: 1,
            config: serde_json::from_str(&a.config().to_string()).unwrap(),
            layout: None,
            crate_version: String::new(),
            git_commit: None,
            threads: 1,
            started: String::new(),
            finished: None,
            wall_seconds: 0.0,
            total_wall_seconds: 0.0,
            commits: vec![],
            n_trials: 0,
            shard: None,
            trials_recorded: 0,
            complete: false,
            shards_complete: vec![],
        };
        let back: RunInfo = serde_json::from_str(&info.to_json()).unwrap();
        assert_eq!(Study::of_run_info(&back), a);
    }

    #[test]
    fn the_layout_is_part_of_the_fingerprint() {
        let cfg = Cfg { n_trials: 1, levels: vec![], name: "x" };
        let bare = Study::new("s", &cfg, 1).unwrap();
        assert!(bare.require_layout().unwrap_err().to_string().contains("with_layout"));
        let a = bare.clone().with_layout(Layout::new("design", "overlap", &["auc"]));
        let b = bare.clone().with_layout(Layout::new("design", "n", &["auc"]));
        assert!(a.require_layout().is_ok());
        assert_ne!(a.fingerprint(), bare.fingerprint());
        assert_ne!(a.fingerprint(), b.fingerprint());
        assert_eq!(a.differences(&b), [r#"layout.x: "overlap" vs "n""#]);
        assert_eq!(a.differences(&bare).len(), 1);
        // Declaring machine-dependent columns changes neither the fingerprint nor the
        // differences.
        let timed = bare.with_layout(Layout::new("design", "overlap", &["auc", "seconds"]));
        let declared = Study::of_run_info(&RunInfo {
            layout: timed.layout().map(|l| l.clone().with_machine_dependent(&["seconds"])),
            ..info_of(&timed)
        });
        assert_eq!(declared.fingerprint(), timed.fingerprint());
        assert!(declared.differences(&timed).is_empty());
    }

    fn info_of(study: &Study) -> RunInfo {
        RunInfo {
            study: study.name().into(),
            fingerprint: study.fingerprint().into(),
            seed: study.seed(),
            config: study.config().clone(),
            layout: study.layout().cloned(),
            crate_version: String::new(),
            git_commit: None,
            threads: 1,
            started: String::new(),
            finished: None,
            wall_seconds: 0.0,
            total_wall_seconds: 0.0,
            commits: vec![],
            n_trials: 0,
            shard: None,
            trials_recorded: 0,
            complete: false,
            shards_complete: vec![],
        }
    }

    #[test]
    fn the_commit_is_read_from_the_source_folder() {
        let source = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        if source.join(".git").exists() {
            let commit = git_commit().expect("a commit in a git checkout");
            assert_eq!(commit.len(), 40, "{commit}");
            assert!(commit.chars().all(|c| c.is_ascii_hexdigit()), "{commit}");
        }
    }

    #[test]
    fn canonical_json_sorts_keys() {
        let v: Value = serde_json::from_str(r#"{"b": [1, {"z": 1, "a": 2}], "a": "x"}"#).unwrap();
        assert_eq!(canonical_json(&v), r#"{"a":"x","b":[1,{"a":2,"z":1}]}"#);
    }
}
