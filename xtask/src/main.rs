//! The unp-lab runner. `cargo xtask run ch5-sigchld` builds a lesson, plays its scenario, and
//! after each step shows the processes and sockets as the kernel has them.
//!
//! Exit status: 0 when every check held; 1 when a check failed, a step timed out, a program
//! did not build or start, or the port is in use; 2 for a usage mistake (an unknown lesson, a
//! scenario file with an error); 130 when interrupted (SIGINT, SIGTERM, SIGHUP).

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use xtask::{cmd, lessons};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "Play the unp-lab lessons and show the kernel's view of them"
)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Build a lesson and play its scenario step by step
    Run(cmd::run::Args),
    /// List the lessons in course order
    List,
    /// Show what a lesson changed: each program's diff against its closest ancestor
    Diff(cmd::diff::Args),
    /// Keep course-notes/ true to the code: transcripts and code references
    Notes(cmd::notes::Args),
    /// Undo each line a lesson teaches, in a scratch copy, and show that a check catches it
    Guard(cmd::guard::Args),
    /// Make your own copy of a lesson with the lines it teaches undone, as tasks to write
    Exercise(cmd::exercise::Args),
    /// Grade your copy of a lesson (made by `exercise`) from the kernel's state: a task a line
    Check(cmd::check::Args),
    /// Show the ps and netstat tables of a port or a process tree, live, until Ctrl-C
    Watch(cmd::watch::Args),
    /// Measure the server designs side by side, as the book's Figure 30.1 (ratios to fork)
    Bench(cmd::bench::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.task {
        Task::Run(args) => cmd::run::run(args),
        Task::Diff(args) => cmd::diff::run(args),
        Task::Watch(args) => cmd::watch::run(args),
        Task::Exercise(args) => cmd::exercise::run(args),
        Task::Check(args) => cmd::check::run(args),
        Task::Notes(args) => cmd::notes::run(args),
        Task::Guard(args) => cmd::guard::run(args),
        Task::Bench(args) => cmd::bench::run(args),
        Task::List => {
            print!("{}", lessons::list());
            ExitCode::SUCCESS
        }
    }
}
