//! ch4-elementary: what the lesson's step-by-step programs share (UNP §4.2–4.10).
//!
//! `stepserv`, `stepcli` and `getpeer` make one system call per line typed on their standard
//! input, so that a scenario (or a student at a terminal) can look at the kernel's tables
//! between two calls. After `fork`, parent and child share that standard input, as they share
//! every descriptor: so it is read one byte at a time, never into a buffer of the process's own
//! that would swallow a line meant for the other.

use nix::errno::Errno;
use nix::sys::socket::SockaddrIn;
use unp::{err_msg, err_sys};

/// Wait for the next line on standard input, and return its first word (the call to make) and
/// the rest. Empty lines are skipped. `None` at EOF.
pub fn next_command() -> Option<(String, String)> {
    loop {
        let line = next_line()?;
        let line = line.trim();
        if let Some(word) = line.split_whitespace().next() {
            let rest = line[word.len()..].trim().to_string();
            return Some((word.to_string(), rest));
        }
    }
}

/// Wait until the line typed names `call` (any other line is refused with a message on
/// stderr); `false` at EOF.
pub fn wait_for(call: &str) -> bool {
    while let Some((word, _)) = next_command() {
        if word == call {
            return true;
        }
        err_msg(&format!("next call is {call}; type `{call}`"));
    }
    false
}

/// One line from fd 0, without its newline; `None` at EOF. Read with one `read(2)` per byte (as
/// the book's naive `readline` of Figure 3.17), so that nothing after the newline is taken from
/// the pipe.
pub fn next_line() -> Option<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match nix::unistd::read(std::io::stdin(), &mut byte) {
            Ok(0) if line.is_empty() => return None,
            Ok(0) => break,
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) => line.push(byte[0]),
            Err(Errno::EINTR) => continue,
            Err(e) => err_sys("read", e),
        }
    }
    Some(String::from_utf8_lossy(&line).into_owned())
}

/// `ADDR:PORT`, as the book's `sock_ntop` prints a socket address.
pub fn sock_ntop(addr: &SockaddrIn) -> String {
    format!("{}:{}", addr.ip(), addr.port())
}

/// `ctime(time(NULL))`: the local time as "Tue Dec  1 17:52:42 2026\n".
pub fn ctime_now() -> String {
    let mut buf = [0 as libc::c_char; 26];
    // SAFETY: time(NULL) only reads the clock; ctime_r writes at most 26 bytes into `buf`,
    // which has 26, and returns null or `buf`, NUL-terminated.
    let s = unsafe {
        let ticks = libc::time(std::ptr::null_mut());
        if libc::ctime_r(&ticks, buf.as_mut_ptr()).is_null() {
            return String::from("?\n");
        }
        std::ffi::CStr::from_ptr(buf.as_ptr())
    };
    s.to_string_lossy().into_owned()
}
