//! `cargo xtask bench`: the course's server designs side by side, as the book's Figure 30.1.
//! The bench is a package of its own (xtask/bench/, `unp-bench`), built in release only when
//! asked for, so that the runner's binary does not build what only the bench uses. This
//! command runs it through cargo with the arguments as they were typed, and exits as it did.

use std::ffi::OsString;
use std::process::ExitCode;

use crate::cargo::{self, BuildError};
use crate::lessons;
use crate::supervise;

#[derive(clap::Args)]
#[command(disable_help_flag = true)]
pub struct Args {
    /// The bench's own arguments (`--quick`, `--json`, `--server NAME=PATH`, ...; `--help`)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<OsString>,
}

pub fn run(args: Args) -> ExitCode {
    // Ctrl-C reaches the bench too (the terminal's foreground group): it kills and reaps its
    // servers and exits 130; this process only waits for it.
    supervise::catch_signals();
    let mut cmd = cargo::command(&lessons::root(), "run", None);
    cmd.args(["--release", "--package", "unp-bench", "--"])
        .args(&args.args);
    match cargo::exit_code(cmd) {
        Ok(code) => ExitCode::from(code),
        Err(BuildError::Interrupted) => ExitCode::from(130),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
