//! The book's `lib/error.c`: how a failed call is reported.
//!
//! `err_sys("accept", e)` prints `accept error: Interrupted system call` and exits 1, as the
//! book's `err_sys("accept error")` prints the call and `strerror(errno)`.

use nix::errno::Errno;

/// A system call failed: print `<call> error: <strerror>` on stderr and exit 1.
pub fn err_sys(call: &str, e: Errno) -> ! {
    eprintln!("{call} error: {}", e.desc());
    std::process::exit(1)
}

/// A system call failed, and the caller goes on: print `<call> error: <strerror>` and return
/// (the book's err_ret).
pub fn err_ret(call: &str, e: Errno) {
    eprintln!("{call} error: {}", e.desc());
}

/// Something other than a system call went wrong: print the message and exit 1.
pub fn err_quit(msg: &str) -> ! {
    eprintln!("{msg}");
    std::process::exit(1)
}
