//! The one way the runner calls cargo: `run`, `check`, `guard`, `notes` and the bench all build
//! through here, so that a failed build and an interrupted one read the same everywhere.

use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::Ordering;

use crate::lessons;
use crate::supervise::INTERRUPTED;

/// Why a build gave no programs.
#[derive(Debug, PartialEq)]
pub enum BuildError {
    /// cargo could not be started at all.
    NoCargo(String),
    /// The code did not compile (cargo printed why, above).
    Failed(String),
    /// Ctrl-C (or SIGTERM, SIGHUP) while cargo ran: not the code's fault.
    Interrupted,
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::NoCargo(e) => write!(f, "cannot run cargo: {e}"),
            BuildError::Failed(what) => {
                write!(
                    f,
                    "cargo could not build {what} (see the compiler's errors above)"
                )
            }
            BuildError::Interrupted => write!(f, "interrupted"),
        }
    }
}

/// `cargo SUBCOMMAND --quiet` in the workspace `root`, with the cargo that runs this runner
/// (the `CARGO` variable cargo sets), building into `target` when given.
pub fn command(root: &Path, subcommand: &str, target: Option<&Path>) -> Command {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"));
    let mut cmd = Command::new(cargo);
    cmd.arg(subcommand).arg("--quiet").current_dir(root);
    if let Some(target) = target {
        cmd.env("CARGO_TARGET_DIR", target);
    }
    cmd
}

/// Run a cargo command to the end; tell a failed build from an interrupted one. `what` names
/// what was being built, for the error.
pub fn status(mut cmd: Command, what: &str) -> Result<(), BuildError> {
    let status = cmd
        .status()
        .map_err(|e| BuildError::NoCargo(e.to_string()))?;
    // Ctrl-C reaches cargo too (it is in the terminal's foreground group): it dies of SIGINT,
    // or exits with 130, and this runner's handler has set the flag.
    let killed = matches!(
        status.signal(),
        Some(libc::SIGINT | libc::SIGTERM | libc::SIGHUP)
    );
    if INTERRUPTED.load(Ordering::SeqCst) || killed || status.code() == Some(130) {
        return Err(BuildError::Interrupted);
    }
    if status.success() {
        Ok(())
    } else {
        Err(BuildError::Failed(what.to_string()))
    }
}

/// Run a cargo command whose program's own exit status is the answer (`cargo run` of a tool
/// of the workspace): that status, 130 when interrupted, 128 + N when killed by signal N.
pub fn exit_code(mut cmd: Command) -> Result<u8, BuildError> {
    let status = cmd
        .status()
        .map_err(|e| BuildError::NoCargo(e.to_string()))?;
    if INTERRUPTED.load(Ordering::SeqCst) {
        return Err(BuildError::Interrupted);
    }
    Ok(match (status.code(), status.signal()) {
        (Some(code), _) => u8::try_from(code).unwrap_or(1),
        (None, Some(sig)) => u8::try_from(128 + sig).unwrap_or(1),
        (None, None) => 1,
    })
}

/// Build the programs of these workspace packages (debug, as the runner is built); return the
/// folder they are in.
pub fn build_lessons(packages: &[String]) -> Result<PathBuf, BuildError> {
    let mut cmd = command(&lessons::root(), "build", None);
    cmd.arg("--bins");
    for p in packages {
        cmd.args(["--package", p]);
    }
    status(cmd, &packages.join(", "))?;
    Ok(bin_dir())
}

/// Build the named programs in release (for measuring); return the folder they are in.
pub fn build_release(bins: &[(String, String)]) -> Result<PathBuf, BuildError> {
    let mut cmd = command(&lessons::root(), "build", None);
    cmd.arg("--release");
    for (package, bin) in bins {
        cmd.args(["--package", package, "--bin", bin]);
    }
    let names: Vec<&str> = bins.iter().map(|(_, b)| b.as_str()).collect();
    status(cmd, &names.join(", "))?;
    // This runner is target/<profile>/xtask; the release programs are in target/release.
    Ok(bin_dir()
        .parent()
        .map(|t| t.join("release"))
        .unwrap_or_else(|| lessons::root().join("target/release")))
}

/// Where cargo puts the workspace's programs: the same profile folder as this runner.
pub fn bin_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| lessons::root().join("target/debug"))
}

/// A build's programs held for one run: hard links (copies where a link cannot be made) in a
/// folder of the run's own, so that a build that relinks a program meanwhile (another run's,
/// a test's, with other features) never replaces it under the run. Removed when dropped; the
/// keeper removes it after a runner killed with SIGKILL.
pub struct Held {
    pub dir: PathBuf,
}

impl Held {
    /// Hold `programs` of the folder `bins`.
    pub fn new(bins: &Path, programs: &[String]) -> std::io::Result<Held> {
        let dir = held_dir(bins, std::process::id());
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        for program in programs {
            let (from, to) = (bins.join(program), dir.join(program));
            if std::fs::hard_link(&from, &to).is_err() {
                std::fs::copy(&from, &to)?;
            }
        }
        Ok(Held { dir })
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Where the run whose runner is `pid` holds its programs.
pub fn held_dir(bins: &Path, pid: u32) -> PathBuf {
    held_base(bins).join(pid.to_string())
}

/// The folder of every run's held programs; each run's is named after its runner's pid.
pub fn held_base(bins: &Path) -> PathBuf {
    bins.join(".held")
}
