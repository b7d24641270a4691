//! Warm-started regularization paths over a grid.
//!
//! Points are fitted in path order (µ outer, λ inner, both from large to small). Each fit
//! starts from the previous point of its row; the first point of a row starts from the first
//! point of the previous row (the neighbour with the next larger µ). What a warm start means
//! for a model is the estimator's business ([`Estimator::fit_from`]).

use crate::error::Result;
use crate::model::{Estimator, Fit, Problem};
use crate::scalar::Scalar;
use crate::select::grid::{Grid, Hyper};
use crate::select::Builder;

/// One fitted grid point.
#[derive(Clone, Debug)]
pub struct PathPoint<T: Scalar> {
    /// Index `(i, j)` on the (µ, λ) axes.
    pub index: (usize, usize),
    /// The hyperparameters.
    pub hyper: Hyper,
    /// The fit.
    pub fit: Fit<T>,
}

/// Fits every grid point with warm starts and hands each fit to `visit` as soon as it is
/// done (only two fits are kept alive, so long paths of large models stay cheap).
pub fn visit_path<T, B, V>(
    problem: &Problem<T>,
    grid: &Grid,
    builder: &B,
    mut visit: V,
) -> Result<()>
where
    T: Scalar,
    B: Builder<T> + ?Sized,
    V: FnMut((usize, usize), &Hyper, &Fit<T>) -> Result<()>,
{
    let mut row_head: Option<Fit<T>> = None;
    for i in 0..grid.mu().len() {
        let mut previous: Option<Fit<T>> = None;
        for j in 0..grid.lambda().len() {
            let hyper = grid.get(i, j);
            let estimator: Box<dyn Estimator<T>> = builder(&hyper)?;
            let start = previous.as_ref().or(row_head.as_ref());
            let fit = estimator.fit_from(problem, start)?;
            visit((i, j), &hyper, &fit)?;
            if j == 0 {
                row_head = Some(fit.clone());
            }
            previous = Some(fit);
        }
    }
    Ok(())
}

/// Fits every grid point with warm starts and returns them all, in path order.
pub fn fit_path<T, B>(problem: &Problem<T>, grid: &Grid, builder: &B) -> Result<Vec<PathPoint<T>>>
where
    T: Scalar,
    B: Builder<T> + ?Sized,
{
    let mut points = Vec::with_capacity(grid.mu().len() * grid.lambda().len());
    visit_path(problem, grid, builder, |index, hyper, fit| {
        points.push(PathPoint { index, hyper: *hyper, fit: fit.clone() });
        Ok(())
    })?;
    Ok(points)
}
