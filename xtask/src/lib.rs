//! The unp-lab runner as a library: the binary (`main.rs`) only parses the command line and
//! calls a command of [`cmd`]. See ARCHITECTURE.md beside this crate for the map.

pub mod cargo;
pub mod cmd;
pub mod cond;
pub mod course;
pub mod exercise;
pub mod grade;
pub mod kernel;
pub mod lessons;
pub mod net;
pub mod picture;
pub mod play;
pub mod scenario;
pub mod show;
pub mod supervise;
pub mod wire;
