//! Command-line parsing shared by the binaries: usage errors as one line and exit status 2.

use clap::error::ErrorKind;
use clap::Parser;

/// Parses the process arguments into `P`. Help and version requests print and exit as usual
/// (so does a bare command that clap answers with its help); any other usage error becomes one
/// line, `<program>: error: <clap's message with its lines joined> (see <program> --help)`,
/// and exit status 2.
pub fn parse_args<P: Parser>(program: &str) -> P {
    match P::try_parse() {
        Ok(parsed) => parsed,
        Err(e) if shown_as_is(e.kind()) => e.exit(),
        Err(e) => {
            let help = format!("{program}{} --help", subcommand::<P>());
            eprintln!("{program}: error: {} (see {help})", one_line(&e.to_string()));
            std::process::exit(2);
        }
    }
}

/// `" <name>"` when the first argument names one of `P`'s subcommands, else empty: the help
/// to point to.
fn subcommand<P: Parser>() -> String {
    let first = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    match first {
        Some(name) if P::command().find_subcommand(&name).is_some() => format!(" {name}"),
        _ => String::new(),
    }
}

fn shown_as_is(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    )
}

/// clap's message without its usage and "try --help" lines, the rest joined by spaces.
fn one_line(text: &str) -> String {
    let kept: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more"))
        .collect();
    let joined = kept.join(" ");
    let joined = joined.trim_start_matches("error: ");
    if joined.is_empty() {
        "invalid arguments".to_string()
    } else {
        joined.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn keeps_every_line_of_the_message_but_usage() {
        let text = "error: the following required arguments were not provided:\n  --target \
                    <Y.npy>\n  --out <DIR>\n\nUsage: mtw fit --design <X.npy>\n\nFor more \
                    information, try '--help'.\n";
        assert_eq!(
            one_line(text),
            "the following required arguments were not provided: --target <Y.npy> --out <DIR>"
        );
    }
}
