//! The commands of `cargo xtask`, one module each with its `Args` and a `run` function.

pub mod bench;
pub mod check;
pub mod diff;
pub mod exercise;
pub mod guard;
pub mod notes;
pub mod run;
pub mod watch;
