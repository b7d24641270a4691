//! The `mtw` command line: fit a model or compute a barycenter from `.npy` files, or build the
//! template MEG operators (`meg-forward`).
//!
//! Exit status: 0 on success, 2 with a one-line message on bad input or a failed fit.

mod args;
mod barycenter;
mod fit;
mod inputs;
mod meg_forward;

use args::{Cli, Command};

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli: Cli = mtw::study::parse_args("mtw");
    let result = match cli.command {
        Command::Fit(args) => fit::run(&args),
        Command::Barycenter(args) => barycenter::run(&args),
        Command::MegForward(args) => meg_forward::run(&args),
    };
    if let Err(error) = result {
        eprintln!("mtw: error: {error}");
        std::process::exit(2);
    }
}
