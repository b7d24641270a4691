//! The trial progress bar on stderr (trials done, rate, ETA), hidden when stderr is not a
//! terminal or when progress is switched off.

use std::fmt::Write;
use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

/// A bar over `total` trials, `done` of them already recorded.
pub fn trial_bar(total: usize, done: usize, enabled: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
    bar.set_position(done as u64);
    if enabled && std::io::stderr().is_terminal() {
        let style = ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40.cyan/blue}] {pos}/{len} trials  {rate}  ETA {eta}",
        );
        if let Ok(style) = style {
            let rate = |state: &ProgressState, w: &mut dyn Write| {
                let _ = w.write_str(&rate_text(state.per_sec()));
            };
            bar.set_style(style.with_key("rate", rate).progress_chars("=> "));
        }
        bar.set_draw_target(ProgressDrawTarget::stderr());
        // The rate and ETA should count only this invocation's trials.
        bar.reset_eta();
    }
    bar
}

/// The pace in the unit that reads best: trials per second when trials are quick, seconds
/// (or minutes) per trial when they are slow; blank until a trial has finished.
fn rate_text(per_sec: f64) -> String {
    if !(per_sec.is_finite() && per_sec > 0.0) {
        String::new()
    } else if per_sec >= 1.0 {
        format!("{per_sec:.1} trials/s")
    } else if per_sec >= 1.0 / 120.0 {
        format!("{:.0} s/trial", 1.0 / per_sec)
    } else {
        format!("{:.1} min/trial", 1.0 / per_sec / 60.0)
    }
}

#[cfg(test)]
mod tests {
    use super::rate_text;

    #[test]
    fn the_rate_reads_in_the_unit_that_fits() {
        assert_eq!(rate_text(12.34), "12.3 trials/s");
        assert_eq!(rate_text(1.0 / 76.4), "76 s/trial");
        assert_eq!(rate_text(1.0 / 600.0), "10.0 min/trial");
        assert_eq!(rate_text(0.0), "");
        assert_eq!(rate_text(f64::NAN), "");
    }
}
