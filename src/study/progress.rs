//! The trial progress bar on stderr (trials done, rate, ETA), hidden when stderr is not a
//! terminal or when progress is switched off.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar over `total` trials, `done` of them already recorded.
pub fn trial_bar(total: usize, done: usize, enabled: bool) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
    bar.set_position(done as u64);
    if enabled && std::io::stderr().is_terminal() {
        let style = ProgressStyle::with_template(
            "{elapsed_precise} [{bar:40.cyan/blue}] {pos}/{len} trials  {per_sec}  ETA {eta}",
        );
        if let Ok(style) = style {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_draw_target(ProgressDrawTarget::stderr());
        // The rate and ETA should count only this invocation's trials.
        bar.reset_eta();
    }
    bar
}
