//! One split of the digits data as a multi-task problem.
//!
//! Task t is the regression of the indicator `y_i = 1{digit_i = digits[t]}` on the pixel
//! features, with one design shared by all tasks: the training samples of every selected digit
//! (n per digit, N = n T rows), standardised with the means and standard deviations of the
//! training rows only. The models have no intercept; since the standardised training columns
//! have mean 0 (constant columns are 0), fitting an intercept would give the same θ_t and add
//! the constant ȳ_t = 1/T to every task's score, which does not change the argmax prediction.

use nalgebra::{DMatrix, DVector};
use rand::Rng;

use mtw::data::{stratified_split, MfeatPix, Standardizer};
use mtw::model::Problem;
use mtw::{Result, Scalar};

/// The training problem and the validation set of one split.
pub struct SplitData<T: Scalar> {
    /// Training problem: shared standardised design (N × 240), one indicator target per task.
    pub problem: Problem<T>,
    /// Task index (position of the digit in the digit list) of each training row.
    pub train_labels: Vec<usize>,
    /// Validation design (standardised with the training statistics).
    pub validation: DMatrix<T>,
    /// Task index of each validation row.
    pub validation_labels: Vec<usize>,
}

/// Draws a split with `n` training samples per digit of `digits` from `rng` and builds the
/// problem (see the module doc).
pub fn split_data<T: Scalar, R: Rng + ?Sized>(
    data: &MfeatPix,
    digits: &[usize],
    n: usize,
    rng: &mut R,
) -> Result<SplitData<T>> {
    let split = stratified_split(data.labels(), digits, n, rng)?;
    let task_of = |row: usize| -> usize {
        let digit = data.labels()[row];
        digits.iter().position(|&d| d == digit).unwrap_or(usize::MAX)
    };
    let train_labels: Vec<usize> = split.train.iter().map(|&i| task_of(i)).collect();
    let validation_labels: Vec<usize> = split.validation.iter().map(|&i| task_of(i)).collect();
    let scaler = Standardizer::fit(data.pixels(), &split.train)?;
    let design: DMatrix<T> = scaler.transform(data.pixels(), &split.train)?;
    let validation: DMatrix<T> = scaler.transform(data.pixels(), &split.validation)?;
    let targets: Vec<DVector<T>> = (0..digits.len())
        .map(|t| {
            DVector::from_iterator(
                train_labels.len(),
                train_labels.iter().map(|&l| if l == t { T::one() } else { T::zero() }),
            )
        })
        .collect();
    let problem = Problem::shared_design(design, targets)?;
    Ok(SplitData { problem, train_labels, validation, validation_labels })
}
