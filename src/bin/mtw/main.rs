//! The `mtw` command line: fit a model or compute a barycenter from `.npy` files, or build the
//! template MEG operators (`meg-forward`).
//!
//! Exit status: 0 on success, 2 with a one-line message on bad input or a failed fit.

mod args;
mod barycenter;
mod fit;
mod inputs;
mod meg_forward;

use clap::Parser;

use args::{Cli, Command};

fn main() {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = parse_args();
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

/// Parses the arguments; a usage error becomes one line on stderr and exit status 2.
fn parse_args() -> Cli {
    use clap::error::ErrorKind;
    match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            e.exit()
        }
        Err(e) => {
            let text = e.to_string();
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("invalid arguments");
            let first = first.trim_start_matches("error: ");
            eprintln!("mtw: error: {first} (see mtw --help)");
            std::process::exit(2);
        }
    }
}
