//! `cargo xtask <command>`: the commands maintainers run.
//!
//! Each command lives in its own module; this file only dispatches.

mod generate;
mod recover;
mod test;
mod update;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command>

commands:
  recover [--check]   rebuild spec/dixa-v1.json from spec/sources/ (--check: fail on drift)
  generate            normalize the spec, regenerate dixa-client, print what changed
  update <spec.json> [--note TEXT]...
                      take Dixa's new spec: validate, store, regenerate, write the API changelog
  check               fail with a unified diff if any committed artifact drifted
  test [ARGS]         the whole test suite, Redis tests included (provides redis-server)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = workspace_root();
    let result = match args.first().map(String::as_str) {
        Some("recover") => recover::run(&root, args.iter().any(|a| a == "--check")),
        Some("generate") => generate::run(&root, false),
        Some("test") => test::run(&root, &args[1..]),
        Some("update") => update::run(&root, &args[1..]),
        // Both halves run even when the first fails, so one CI run shows
        // every stale artifact and every fix command.
        Some("check") => {
            let results = [recover::run(&root, true), generate::run(&root, true), update::check(&root)];
            let errors: Vec<String> = results.into_iter().filter_map(Result::err).collect();
            if errors.is_empty() {
                Ok(())
            } else {
                Err(errors.join("\n\n"))
            }
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: xtask lives one level below it.
fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask sits inside the workspace").to_path_buf()
}
