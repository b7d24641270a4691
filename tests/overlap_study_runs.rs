//! Study runs that never lose work, on the real `overlap_study` binary: kill and resume,
//! thread count, shards and merge, a folder of another configuration.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const QUICK: [&str; 5] = ["--quick", "--trials", "3", "--overlaps", "0,0.5,1"];

fn command(out: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_overlap_study"));
    cmd.args(QUICK).arg("--out").arg(out).args(extra).stderr(Stdio::piped());
    cmd
}

fn run_ok(out: &Path, extra: &[&str]) -> String {
    let result = command(out, extra).output().expect("overlap_study runs");
    let stderr = String::from_utf8_lossy(&result.stderr).to_string();
    assert!(result.status.success(), "{extra:?}: {stderr}");
    stderr
}

/// The trials CSV with its data rows sorted (the header first).
fn sorted_trials(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("trials.csv")).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let header = lines.remove(0);
    // Timing columns differ between runs: compare everything else.
    let drop: Vec<usize> = header
        .split(',')
        .enumerate()
        .filter(|(_, c)| c.ends_with("seconds"))
        .map(|(i, _)| i)
        .collect();
    let strip = |line: &str| -> String {
        line.split(',')
            .enumerate()
            .filter(|(i, _)| !drop.contains(i))
            .map(|(_, f)| f)
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut rows: Vec<String> = lines.iter().map(|l| strip(l)).collect();
    rows.sort();
    rows.insert(0, strip(&header));
    rows
}

#[test]
fn one_and_two_threads_and_shards_give_the_same_rows() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two, sharded) =
        (dir.path().join("one"), dir.path().join("two"), dir.path().join("sh"));
    run_ok(&one, &["--threads", "1"]);
    run_ok(&two, &["--threads", "2"]);
    assert_eq!(sorted_trials(&one), sorted_trials(&two));
    assert_eq!(sorted_trials(&one).len(), 1 + 3 * 3 * 6);

    for shard in ["0/3", "1/3", "2/3"] {
        run_ok(&sharded, &["--shard", shard]);
    }
    run_ok(&sharded, &["--merge"]);
    assert_eq!(sorted_trials(&one), sorted_trials(&sharded));
    assert!(sharded.join("summary.csv").exists() && sharded.join("auc_vs_overlap.png").exists());
}

#[test]
fn a_missing_shard_and_another_configuration_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sh");
    run_ok(&out, &["--shard", "0/2"]);
    let merge = command(&out, &["--merge"]).output().unwrap();
    assert_eq!(merge.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&merge.stderr).to_lowercase().contains("shard"));

    let other = dir.path().join("other");
    run_ok(&other, &[]);
    let refused = command(&other, &["--seed", "7"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("seed"), "the message names the differing setting: {stderr}");
    run_ok(&other, &["--seed", "7", "--overwrite"]);
}

#[test]
fn killed_then_resumed_equals_uninterrupted() {
    let dir = tempfile::tempdir().unwrap();
    let (full, killed) = (dir.path().join("full"), dir.path().join("killed"));
    run_ok(&full, &["--threads", "1"]);

    let mut child = command(&killed, &["--threads", "1"]).spawn().unwrap();
    let start = Instant::now();
    let data_rows = |p: &Path| {
        std::fs::read_to_string(p.join("trials.csv"))
            .map_or(0, |t| t.lines().count().saturating_sub(1))
    };
    while data_rows(&killed) == 0 && start.elapsed() < Duration::from_secs(60) {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().ok(); // SIGKILL on Unix
    child.wait().unwrap();

    let stderr = run_ok(&killed, &["--threads", "1"]);
    assert!(stderr.contains(" run, ") && stderr.contains(" resumed, "), "{stderr}");
    assert_eq!(sorted_trials(&full), sorted_trials(&killed));
}

/// Trial 0 at overlap 0 of the default configuration: one of reweighted MTW's fits overflows
/// under the legacy momentum rules the study keeps (its objective ends at infinity). The trial
/// is recorded all the same, with the fit redone under the current rules and a note saying so.
#[test]
fn a_fit_that_overflows_under_the_legacy_momentum_is_refitted_and_noted() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["--models", "remtw", "--trials", "1", "--overlaps", "0", "--threads", "1"];
    let result = Command::new(env!("CARGO_BIN_EXE_overlap_study"))
        .args(args)
        .arg("--out")
        .arg(dir.path())
        .output()
        .expect("overlap_study runs");
    assert!(result.status.success(), "{}", String::from_utf8_lossy(&result.stderr));
    let text = std::fs::read_to_string(dir.path().join("trials.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = |name: &str| row[header.iter().position(|c| *c == name).unwrap()];
    assert_eq!(column("note"), "1 fits refitted with the current momentum rules");
    let auc: f64 = column("best_auc").parse().unwrap();
    assert!((0.0..=1.0).contains(&auc), "{auc}");
}
