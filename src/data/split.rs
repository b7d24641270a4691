//! Seeded class-stratified splits: for each selected class, a uniformly random subset of
//! `n_train` of its samples goes to training and the rest of the class to validation.

use rand::Rng;

use crate::error::{Error, Result};

/// Row indices of a training / validation split (disjoint; both ordered class by class in the
/// order the classes were given, increasing within a class).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    /// Training rows.
    pub train: Vec<usize>,
    /// Validation rows.
    pub validation: Vec<usize>,
}

/// Splits the samples of `classes` (labels as in `labels[i]`): per class, `n_train` samples
/// drawn uniformly without replacement from `rng` go to training, the others to validation.
/// Samples of classes not listed are left out of both sets.
///
/// Errors ([`Error::Parameter`]): no class, a class listed twice, `n_train = 0`, or a class
/// with fewer than `n_train + 1` samples (its validation set would be empty).
pub fn stratified_split<R: Rng + ?Sized>(
    labels: &[usize],
    classes: &[usize],
    n_train: usize,
    rng: &mut R,
) -> Result<Split> {
    if classes.is_empty() {
        return Err(Error::parameter("classes", "[]", "a split needs at least one class"));
    }
    if n_train == 0 {
        return Err(Error::parameter("n_train", 0, "needs at least one training sample"));
    }
    let mut split = Split { train: Vec::new(), validation: Vec::new() };
    for (k, &class) in classes.iter().enumerate() {
        if classes[..k].contains(&class) {
            return Err(Error::parameter("classes", class, "is listed twice"));
        }
        let members: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == class).collect();
        if members.len() <= n_train {
            return Err(Error::parameter(
                "n_train",
                n_train,
                &format!(
                    "class {class} has {} samples; n_train must leave at least one for \
                     validation",
                    members.len()
                ),
            ));
        }
        let mut chosen = vec![false; members.len()];
        for i in rand::seq::index::sample(rng, members.len(), n_train) {
            chosen[i] = true;
        }
        for (&row, &is_train) in members.iter().zip(&chosen) {
            if is_train {
                split.train.push(row);
            } else {
                split.validation.push(row);
            }
        }
    }
    Ok(split)
}
