//! Command-line flags of `digits_study` and the configuration they define.

use std::path::PathBuf;

use clap::{Parser, ValueEnum};

use mtw::data::MfeatPix;
use mtw::study::Shard;
use mtw::{Error, Result};

use crate::digits::config::{DigitsConfig, GridSpec, MODELS};

/// Floating-point precision of the fits.
#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Precision {
    F64,
    F32,
}

impl Precision {
    /// The smallest tolerance a fit at this precision can meet: [`mtw::Scalar::default_tol`]
    /// (1e-8 in f64, 1e-5 in f32). A relative duality gap of 1e-8 is below f32's resolution
    /// (ε ≈ 1.2e-7): f32 fits asked for it would run to their iteration caps.
    pub fn tol_floor(self) -> f64 {
        match self {
            Precision::F64 => 1e-8,
            Precision::F32 => 1e-5,
        }
    }
}

/// Regenerates section 4.2 of the paper (Figure 3): misclassification of handwritten digits
/// 0–5 against the number of training samples per digit, for the independent Lasso, group
/// Lasso, Dirty model, multi-level Lasso, MTW and reweighted MTW, each selected by
/// cross-validation. Rerunning the same command resumes an interrupted run.
#[derive(Parser, Debug)]
#[command(name = "digits_study", version, allow_negative_numbers = true)]
pub struct Cli {
    /// Random training/validation splits per training size [default: 50; --quick: 1].
    #[arg(long)]
    pub splits: Option<usize>,
    /// Training samples per digit, comma-separated [default: 10,15,20,50; --quick: 10].
    #[arg(long, value_delimiter = ',')]
    pub sizes: Option<Vec<usize>>,
    /// Digits used as tasks, comma-separated (at least two, distinct, 0–9).
    #[arg(long, value_delimiter = ',', default_value = "0,1,2,3,4,5")]
    pub digits: Vec<usize>,
    /// Cross-validation folds [default: 5; --quick: 2].
    #[arg(long)]
    pub folds: Option<usize>,
    /// Study seed (every split and fold derives from it and the trial's key).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Models to compare, comma-separated, among lasso, group-lasso, dirty, mll, mtw and remtw
    /// (tables and charts list them in this order, whatever order they are given in)
    /// [default: all six].
    #[arg(long, value_delimiter = ',')]
    pub models: Option<Vec<String>>,
    /// Floating-point precision of the fits.
    #[arg(long, value_enum, default_value_t = Precision::F64)]
    pub precision: Precision,
    /// Smoke run: small grids, fewer splits, sizes and folds (explicit flags still win).
    #[arg(long)]
    pub quick: bool,
    /// Output folder.
    #[arg(long, default_value = "results/digits_study")]
    pub out: PathBuf,
    /// Worker threads (default: all cores). Results do not depend on it.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Replace results of another configuration found in the output folder.
    #[arg(long)]
    pub overwrite: bool,
    /// Run only shard K of N (trials at positions ≡ K mod N), into its own files; `--merge`
    /// combines the shards once all are done.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Merge the complete shards found in `--out` into one set of outputs (refuses a missing
    /// shard, an incomplete one and one of another configuration).
    #[arg(long, conflicts_with = "shard")]
    pub merge: bool,
    /// Only rewrite summary.csv, splits.csv, paired.csv and the figures from the recorded
    /// results.
    #[arg(long, conflicts_with_all = ["merge", "shard"])]
    pub plot_only: bool,
    /// The mfeat-pix data file [default: the vendored data/mfeat-pix.txt].
    #[arg(long, value_name = "FILE")]
    pub data: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

impl Cli {
    /// The data file to read.
    pub fn data_path(&self) -> PathBuf {
        self.data.clone().unwrap_or_else(|| mtw::data::default_data_dir().join(MfeatPix::FILE_NAME))
    }

    /// The study configuration of these flags, validated; `data_id` identifies the data file.
    pub fn config(&self, data_id: String) -> Result<DigitsConfig> {
        let quick = self.quick;
        let default_sizes = if quick { vec![10] } else { vec![10, 15, 20, 50] };
        let sizes = self.sizes.clone().unwrap_or(default_sizes);
        let splits = self.splits.unwrap_or(if quick { 1 } else { 50 });
        let folds = self.folds.unwrap_or(if quick { 2 } else { 5 });
        check_digits(&self.digits)?;
        check_sizes(&sizes, self.digits.len(), folds)?;
        if splits == 0 {
            return Err(Error::parameter("--splits", 0, "needs at least one split"));
        }
        mtw::study::trial_count("--splits", splits, sizes.len())?;
        let precision = match self.precision {
            Precision::F64 => "f64",
            Precision::F32 => "f32",
        };
        // Every tolerance is raised to the precision's floor, so run.json records those used.
        let floor = self.precision.tol_floor();
        let mut mtw = DigitsConfig::mtw_settings(quick);
        for tol in [&mut mtw.tol, &mut mtw.tol_ot, &mut mtw.tol_reweighting] {
            *tol = tol.max(floor);
        }
        Ok(DigitsConfig {
            data: data_id,
            digits: self.digits.clone(),
            coefficient_split: (sizes[0], 0),
            sizes,
            splits,
            folds,
            precision: precision.into(),
            quick,
            cv_metric: "misclassification",
            models: select_models(DigitsConfig::grids(quick), self.models.as_deref())?,
            mtw,
            baseline_tol: f64::max(1e-8, floor),
            mll_tol: f64::max(1e-4, floor),
        })
    }
}

/// The grids of the models named by `--models` (all when `None`), in chart order.
fn select_models(
    grids: Vec<(String, GridSpec)>,
    names: Option<&[String]>,
) -> Result<Vec<(String, GridSpec)>> {
    let Some(names) = names else { return Ok(grids) };
    if names.is_empty() {
        return Err(Error::parameter("--models", "[]", "give at least one model"));
    }
    for (k, name) in names.iter().enumerate() {
        if !MODELS.contains(&name.as_str()) {
            return Err(Error::parameter(
                "--models",
                name,
                &format!("is not a model of the study (expected some of {})", MODELS.join(",")),
            ));
        }
        if names[..k].contains(name) {
            return Err(Error::parameter("--models", name, "is listed twice"));
        }
    }
    Ok(grids.into_iter().filter(|(m, _)| names.contains(m)).collect())
}

/// At least two distinct digits, each 0–9.
fn check_digits(digits: &[usize]) -> Result<()> {
    if digits.len() < 2 {
        return Err(Error::parameter(
            "--digits",
            format!("{digits:?}"),
            "needs at least two digits (one task per digit, classified by argmax)",
        ));
    }
    for (k, &d) in digits.iter().enumerate() {
        if d >= MfeatPix::N_CLASSES {
            return Err(Error::parameter("--digits", d, "digits are 0 to 9"));
        }
        if digits[..k].contains(&d) {
            return Err(Error::parameter("--digits", d, "is listed twice"));
        }
    }
    Ok(())
}

/// Sizes: distinct, `1 ≤ n < 200` (validation keeps `200 − n` per digit), and enough training
/// rows (`n · T`) for the folds.
fn check_sizes(sizes: &[usize], n_tasks: usize, folds: usize) -> Result<()> {
    if sizes.is_empty() {
        return Err(Error::parameter("--sizes", "[]", "needs at least one training size"));
    }
    if folds < 2 {
        return Err(Error::parameter("--folds", folds, "cross-validation needs at least 2"));
    }
    for (k, &n) in sizes.iter().enumerate() {
        if n == 0 || n >= MfeatPix::PER_CLASS {
            return Err(Error::parameter(
                "--sizes",
                n,
                &format!(
                    "training samples per digit must be 1 to {} (each digit keeps at least one \
                     validation sample)",
                    MfeatPix::PER_CLASS - 1
                ),
            ));
        }
        if n * n_tasks < folds {
            return Err(Error::parameter(
                "--sizes",
                n,
                &format!("{} training rows cannot be cut into {folds} folds", n * n_tasks),
            ));
        }
        if sizes[..k].contains(&n) {
            return Err(Error::parameter("--sizes", n, "is listed twice"));
        }
    }
    Ok(())
}
