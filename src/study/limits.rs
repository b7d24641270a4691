//! How many trials one study run may list.

use crate::error::{Error, Result};

/// The most trials one run accepts: far beyond any run a machine finishes (the default digits
/// run has 200, the overlap run 500), and small enough that listing the trials' keys cannot
/// exhaust memory, which a typing slip such as `--splits 99999999999999` would otherwise do.
pub const MAX_TRIALS: usize = 1_000_000;

/// The `repeats × cells` trials of a run, `repeats` being the value of flag `flag` (trials
/// or splits per cell) and `cells` the number of settings each is repeated at.
///
/// # Errors
/// [`Error::Parameter`] naming `flag` when the product exceeds [`MAX_TRIALS`].
pub fn trial_count(flag: &str, repeats: usize, cells: usize) -> Result<usize> {
    match repeats.checked_mul(cells) {
        Some(n) if n <= MAX_TRIALS => Ok(n),
        _ => Err(Error::parameter(
            flag,
            repeats,
            &format!("gives {repeats} × {cells} trials; a run takes at most {MAX_TRIALS}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::{trial_count, MAX_TRIALS};

    #[test]
    fn counts_up_to_the_limit_and_refuses_beyond_or_on_overflow() {
        assert_eq!(trial_count("--splits", 50, 4).unwrap(), 200);
        assert_eq!(trial_count("--splits", MAX_TRIALS, 1).unwrap(), MAX_TRIALS);
        let beyond = trial_count("--splits", MAX_TRIALS, 2).unwrap_err().to_string();
        assert!(beyond.contains("--splits") && beyond.contains("at most"), "{beyond}");
        let overflow = trial_count("trials", usize::MAX, 3).unwrap_err().to_string();
        assert!(overflow.contains("trials"), "{overflow}");
    }
}
