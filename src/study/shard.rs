//! Shards: `--shard K/N` runs the trials whose position in the study's key list is ≡ K mod N.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Shard K of N (0 ≤ K < N).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shard {
    /// K, the shard's index.
    pub index: usize,
    /// N, the number of shards.
    pub count: usize,
}

impl Shard {
    /// Shard `index` of `count`; fails unless `count ≥ 1` and `index < count`.
    pub fn new(index: usize, count: usize) -> Result<Shard> {
        if count == 0 {
            return Err(Error::parameter("shard count", 0, "must be at least 1"));
        }
        if index >= count {
            return Err(Error::parameter(
                "shard",
                format!("{index}/{count}"),
                "index K of K/N must be below N (shards are numbered 0..N-1)",
            ));
        }
        Ok(Shard { index, count })
    }

    /// Whether the trial at `position` in the key list belongs to this shard.
    pub fn contains(&self, position: usize) -> bool {
        position % self.count == self.index
    }

    /// `trials.shard-K-of-N.csv`.
    pub fn trials_file(&self) -> String {
        format!("trials.shard-{}-of-{}.csv", self.index, self.count)
    }

    /// `run.shard-K-of-N.json`.
    pub fn run_file(&self) -> String {
        format!("run.shard-{}-of-{}.json", self.index, self.count)
    }

    /// Recognises `run.shard-K-of-N.json` file names.
    pub fn of_run_file(name: &str) -> Option<Shard> {
        let inner = name.strip_prefix("run.shard-")?.strip_suffix(".json")?;
        let (k, n) = inner.split_once("-of-")?;
        Shard::new(k.parse().ok()?, n.parse().ok()?).ok()
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = Error;

    /// Parses `"K/N"`, e.g. `"1/3"`.
    fn from_str(text: &str) -> Result<Shard> {
        let bad = || Error::parameter("shard", text, "expected K/N with integers 0 <= K < N");
        let (k, n) = text.trim().split_once('/').ok_or_else(bad)?;
        let k = k.trim().parse().map_err(|_| bad())?;
        let n = n.trim().parse().map_err(|_| bad())?;
        Shard::new(k, n)
    }
}

/// `trials.csv` for an unsharded run, else the shard's file.
pub fn trials_file(shard: Option<Shard>) -> String {
    shard.map_or_else(|| "trials.csv".to_string(), |s| s.trials_file())
}

/// `run.json` for an unsharded run, else the shard's file.
pub fn run_file(shard: Option<Shard>) -> String {
    shard.map_or_else(|| "run.json".to_string(), |s| s.run_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_membership() {
        let s: Shard = "1/3".parse().unwrap();
        assert_eq!(s, Shard { index: 1, count: 3 });
        assert_eq!(s.to_string(), "1/3");
        assert!(s.contains(1) && s.contains(4) && !s.contains(3));
        for bad in ["3/3", "1/0", "1", "a/2", "-1/2", ""] {
            let err = bad.parse::<Shard>().unwrap_err().to_string();
            assert!(err.contains("shard"), "{bad}: {err}");
        }
        assert_eq!(Shard::of_run_file(&s.run_file()), Some(s));
        assert_eq!(Shard::of_run_file("run.json"), None);
        assert_eq!(Shard::of_run_file("run.shard-3-of-3.json"), None);
        assert_eq!(trials_file(None), "trials.csv");
        assert_eq!(trials_file(Some(s)), "trials.shard-1-of-3.csv");
    }
}
