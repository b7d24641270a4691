//! Merging shards: `trials.shard-K-of-N.csv` for K = 0..N−1 into `trials.csv`, `run.json` and
//! `summary.csv`, identical to what one unsharded run writes.
//!
//! Checks, each failing with a message naming the shard: every shard file agrees on N; all N
//! shards are present and complete; they share one study, seed and configuration (and equal
//! `study` when given); no trial appears in two shards; together they hold the study's
//! `n_trials` trials.

use std::collections::HashMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::io::atomic::write_atomic;
use crate::study::config::{differences_text, RunInfo, Study};
use crate::study::key::{sort_canonical, Row};
use crate::study::runner::{recorded_layout, run_files};
use crate::study::shard::{trials_file, Shard};
use crate::study::summary::{summarize, write_summary_csv, SUMMARY_FILE};
use crate::study::table::{read_trials, write_trials};

/// What a merge produced.
#[derive(Debug)]
pub struct MergeOutcome {
    /// All rows, canonical order (as written to `trials.csv`).
    pub rows: Vec<Row>,
    /// The merged `run.json`.
    pub info: RunInfo,
}

/// Merges the shards found in `out_dir` (see the module doc for the checks).
pub fn merge_shards(out_dir: &Path, study: Option<&Study>) -> Result<MergeOutcome> {
    let mut shards: Vec<(Shard, RunInfo)> = Vec::new();
    for path in run_files(out_dir)? {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if let Some(shard) = Shard::of_run_file(&name) {
            let info = RunInfo::read(&path)?;
            if info.shard != Some(shard) {
                return Err(Error::format(&path, format!("describes shard {:?}", info.shard)));
            }
            shards.push((shard, info));
        }
    }
    if shards.is_empty() {
        return Err(Error::Empty(format!("no shard run files in {}", out_dir.display())));
    }
    let count = shards[0].0.count;
    if let Some((other, _)) = shards.iter().find(|(s, _)| s.count != count) {
        return Err(Error::format(
            out_dir,
            format!("shards of different counts: {} and {}", shards[0].0, other),
        ));
    }
    let present: Vec<usize> = shards.iter().map(|(s, _)| s.index).collect();
    let missing: Vec<String> =
        (0..count).filter(|k| !present.contains(k)).map(|k| format!("{k}/{count}")).collect();
    if !missing.is_empty() {
        return Err(Error::format(
            out_dir,
            format!("cannot merge: shard(s) {} missing (no run file)", missing.join(", ")),
        ));
    }
    let reference = match study {
        Some(s) => s.clone(),
        None => Study::of_run_info(&shards[0].1),
    };
    let layout = match study {
        Some(s) => s.require_layout()?,
        None => recorded_layout(&out_dir.join(shards[0].0.run_file()), &shards[0].1)?,
    };
    for (shard, info) in &shards {
        let differences = Study::of_run_info(info).differences(&reference);
        if !differences.is_empty() {
            return Err(Error::format(
                out_dir.join(shard.run_file()),
                format!(
                    "shard {shard} has another configuration; differing settings (shard vs \
                     expected): {}",
                    differences_text(&differences)
                ),
            ));
        }
        if !info.complete {
            return Err(Error::format(
                out_dir.join(shard.run_file()),
                format!("shard {shard} is not complete; run it again to finish it"),
            ));
        }
    }

    // Gather rows, refusing a trial recorded by two shards.
    let mut owner: HashMap<String, Shard> = HashMap::new();
    let mut rows: Vec<Row> = Vec::new();
    for (shard, _) in &shards {
        let path = out_dir.join(shard.trials_file());
        let loaded = read_trials(&path, layout)?;
        if loaded.repaired() {
            return Err(Error::format(&path, "has partial or incomplete trials; rerun the shard"));
        }
        for row in &loaded.rows {
            if let Some(first) = owner.get(&row.key.label()) {
                if first != shard {
                    return Err(Error::format(
                        &path,
                        format!("trial {} is also in shard {first}", row.key.label()),
                    ));
                }
            } else {
                owner.insert(row.key.label(), *shard);
            }
        }
        rows.extend(loaded.rows);
    }
    let n_trials = shards[0].1.n_trials;
    if owner.len() != n_trials {
        return Err(Error::format(
            out_dir,
            format!("the shards hold {} trials but the study has {n_trials}", owner.len()),
        ));
    }
    sort_canonical(&mut rows);

    let info = merged_info(&shards, n_trials);
    write_trials(&out_dir.join(trials_file(None)), &rows, layout)?;
    write_summary_csv(&out_dir.join(SUMMARY_FILE), &summarize(&rows))?;
    write_atomic(&out_dir.join("run.json"), info.to_json().as_bytes())?;
    Ok(MergeOutcome { rows, info })
}

/// Every shard's commits, each once, in order of first appearance.
fn merged_commits(shards: &[(Shard, RunInfo)]) -> Vec<String> {
    let mut commits: Vec<String> = Vec::new();
    for commit in shards.iter().flat_map(|(_, i)| i.commits_so_far()) {
        if !commits.contains(&commit) {
            commits.push(commit);
        }
    }
    commits
}

/// The run record of the merged result: earliest start, latest end, summed wall time, largest
/// thread count, every shard listed as complete.
fn merged_info(shards: &[(Shard, RunInfo)], n_trials: usize) -> RunInfo {
    let first = &shards[0].1;
    let mut labels: Vec<(usize, String)> =
        shards.iter().map(|(s, _)| (s.index, s.to_string())).collect();
    labels.sort();
    let commits: Vec<&Option<String>> = shards.iter().map(|(_, i)| &i.git_commit).collect();
    if commits.iter().any(|c| *c != commits[0]) {
        eprintln!("the shards were run from different git commits; run.json keeps shard 0's");
    }
    RunInfo {
        threads: shards.iter().map(|(_, i)| i.threads).max().unwrap_or(0),
        started: shards.iter().map(|(_, i)| i.started.clone()).min().unwrap_or_default(),
        finished: shards.iter().filter_map(|(_, i)| i.finished.clone()).max(),
        wall_seconds: shards.iter().map(|(_, i)| i.wall_seconds).sum(),
        total_wall_seconds: shards.iter().map(|(_, i)| i.seconds_so_far()).sum(),
        commits: merged_commits(shards),
        git_commit: shards
            .iter()
            .find(|(s, _)| s.index == 0)
            .and_then(|(_, i)| i.git_commit.clone()),
        n_trials,
        shard: None,
        trials_recorded: n_trials,
        complete: true,
        shards_complete: labels.into_iter().map(|(_, l)| l).collect(),
        ..first.clone()
    }
}
