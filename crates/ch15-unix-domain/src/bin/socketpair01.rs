//! socketpair01: a stream pipe between a parent and its child (UNP §15.3, socketpair).
//!
//! Two Unix-domain sockets connected to each other, with no name, no file, no bind or connect;
//! after fork each process keeps one end, like a pipe's, but one that reads and writes. The
//! child echoes with `str_echo`, the parent sends with `str_cli`: no server to find.

use std::os::fd::AsFd;

use clap::Parser;
use nix::sys::socket::{AddressFamily, SockFlag, SockType, socketpair};
use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork};
use unp::{_exit, err_sys, outln, parse_args, str_cli, str_echo};

#[derive(Parser)]
#[command(
    name = "socketpair01",
    about = "Echo over a socketpair: the parent sends stdin, its child echoes (UNP §15.3)"
)]
struct Args {}

fn main() {
    let _args: Args = parse_args();
    let pair = socketpair(
        AddressFamily::Unix,
        SockType::Stream,
        None,
        SockFlag::empty(),
    );
    let (parent_end, child_end) = pair.unwrap_or_else(|e| err_sys("socketpair", e));
    // SAFETY: this program has one thread, so the child gets a consistent copy of it.
    match unsafe { fork() } {
        Ok(ForkResult::Child) => {
            drop(parent_end); // each process closes the end it does not use, as with a pipe
            str_echo(child_end.as_fd());
            _exit(0)
        }
        Ok(ForkResult::Parent { child }) => {
            drop(child_end);
            str_cli(parent_end.as_fd());
            // Closing our end is the child's EOF: its str_echo returns and it exits.
            drop(parent_end);
            waitpid(child, None).unwrap_or_else(|e| err_sys("waitpid", e));
            outln!("child {child} terminated");
        }
        Err(e) => err_sys("fork", e),
    }
}
