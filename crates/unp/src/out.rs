//! Printing on standard output without a panic, where `println!` would panic.
//!
//! A Rust program starts with SIGPIPE ignored, so a write to a pipe nobody reads any more
//! (`tcpserv01 | head -1`) returns EPIPE instead of killing the process, and `println!` turns
//! that error, and ENOSPC from `>/dev/full`, into a panic with a backtrace. These two macros
//! print a line like `println!`, built whole and handed to one `write(2)`, and say what
//! happens when standard output has gone away. (A closed standard output is not an error:
//! Rust's runtime opens /dev/null in its place before `main`.)
//!
//! - [`outln!`](crate::outln): the program's output is its work (a client's echoes, a tool's
//!   report): it stops with `write error: <strerror>`, exit 1, as it stops when its socket
//!   fails, where the book's C program would die of SIGPIPE without a word.
//! - [`logln!`](crate::logln): a server's log line (`listening on`, `connection from`): the
//!   line is lost and the server goes on serving, as the book's servers, which never look at
//!   what printf returns.

use std::fmt::Arguments;
use std::os::fd::AsFd;

/// Print a line on standard output; if it cannot be written, `write error: <strerror>` on
/// standard error and exit 1.
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::out_line(format_args!($($arg)*))
    };
}

/// Print a server's log line on standard output; if it cannot be written, it is lost.
#[macro_export]
macro_rules! logln {
    ($($arg:tt)*) => {
        $crate::log_line(format_args!($($arg)*))
    };
}

/// What [`outln!`](crate::outln) calls.
pub fn out_line(args: Arguments<'_>) {
    write_line(args).unwrap_or_else(|e| crate::err_sys("write", e));
}

/// What [`logln!`](crate::logln) calls.
pub fn log_line(args: Arguments<'_>) {
    let _ = write_line(args);
}

fn write_line(args: Arguments<'_>) -> nix::Result<()> {
    let line = format!("{args}\n");
    crate::writen(std::io::stdout().as_fd(), line.as_bytes())
}
