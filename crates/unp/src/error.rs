//! The book's `lib/error.c`: how a failed call is reported.
//!
//! `err_sys("accept", e)` prints `accept error: Interrupted system call` and exits 1, as the
//! book's `err_sys("accept error")` prints the call and `strerror(errno)`.
//!
//! Each message goes to standard error in one `write(2)`, built whole first, as the book's
//! `err_doit` builds it with `snprintf` before one `fputs`: `eprintln!` writes a line in pieces,
//! and the lines of 300 server children that fail at once would interleave mid-line.

use std::os::fd::AsFd;

use nix::errno::Errno;

/// A system call failed: print `<call> error: <strerror>` on stderr and exit 1.
pub fn err_sys(call: &str, e: Errno) -> ! {
    err_ret(call, e);
    std::process::exit(1)
}

/// A system call failed, and the caller goes on: print `<call> error: <strerror>` and return
/// (the book's err_ret).
pub fn err_ret(call: &str, e: Errno) {
    err_msg(&format!("{call} error: {}", e.desc()));
}

/// Something other than a system call went wrong: print the message and exit 1.
pub fn err_quit(msg: &str) -> ! {
    err_msg(msg);
    std::process::exit(1)
}

/// Something other than a system call went wrong, and the caller goes on: print the message
/// and return (the book's err_msg).
pub fn err_msg(msg: &str) {
    let line = format!("{msg}\n");
    // If standard error is gone too, there is nowhere left to say so: the message is lost.
    let _ = crate::writen(std::io::stderr().as_fd(), line.as_bytes());
}
