//! `unp-bench`: the course's server designs side by side, as the book's chapter 30 table (UNP
//! Figure 30.1) compares them, and any other echo server beside them (`--server NAME=PATH`).
//! `cargo xtask bench` builds this package in release and runs it.
//!
//! The modules follow a run: [`args`] says how long and how hard, [`design`] which servers,
//! [`run`] starts each in a namespace of its own ([`server`]) and drives it with the load client
//! ([`load`]) while [`usage`] counts what it costs; [`report`] shows it as a table or as JSON.

mod args;
mod cservers;
mod design;
mod load;
mod report;
mod run;
mod server;
mod usage;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    run::run(args::Args::parse())
}
