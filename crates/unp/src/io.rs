//! The book's `readn`, `writen` and `readline` (UNP §3.9), over raw descriptors.
//!
//! A stream socket's `read` may return fewer bytes than asked and `write` may write fewer than
//! given: the kernel's buffers are finite. These loops hide that, and restart a call a signal
//! interrupted (EINTR), exactly as the book's versions do.

use std::os::fd::BorrowedFd;

use nix::errno::Errno;
use nix::unistd::{read, write};

/// Read exactly `buf.len()` bytes unless EOF comes first; returns how many were read.
pub fn readn(fd: BorrowedFd<'_>, buf: &mut [u8]) -> nix::Result<usize> {
    let mut done = 0;
    while done < buf.len() {
        match read(fd, &mut buf[done..]) {
            Ok(0) => break, // EOF
            Ok(n) => done += n,
            Err(Errno::EINTR) => continue, // interrupted by a signal handler: call read again
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// Write all of `buf`, however many `write` calls that takes.
pub fn writen(fd: BorrowedFd<'_>, buf: &[u8]) -> nix::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        match write(fd, &buf[done..]) {
            Ok(n) => done += n,
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The book's buffered `readline` (Figure 3.18): one `read` fills a buffer of MAXLINE bytes,
/// and lines are handed out of it, instead of one `read` system call per byte.
///
/// The book keeps that buffer in static variables; here it is this struct, one per descriptor.
/// Bytes already buffered are never lost: the next call hands them out first.
pub struct Readline<'fd> {
    fd: BorrowedFd<'fd>,
    buf: Box<[u8; crate::MAXLINE]>,
    start: usize,
    end: usize,
}

impl<'fd> Readline<'fd> {
    pub fn new(fd: BorrowedFd<'fd>) -> Self {
        Readline {
            fd,
            buf: Box::new([0; crate::MAXLINE]),
            start: 0,
            end: 0,
        }
    }

    /// Append to `line` the bytes up to and including the next newline, or `maxlen` bytes
    /// if no newline comes before that, or whatever is left at EOF.
    /// Returns how many bytes were appended: 0 means EOF.
    pub fn readline(&mut self, line: &mut Vec<u8>, maxlen: usize) -> nix::Result<usize> {
        let mut n = 0;
        while n < maxlen {
            if self.start == self.end {
                match read(self.fd, &mut self.buf[..]) {
                    Ok(0) => break, // EOF: return what we have (0 if nothing)
                    Ok(got) => (self.start, self.end) = (0, got),
                    Err(Errno::EINTR) => continue,
                    Err(e) => return Err(e),
                }
            }
            let c = self.buf[self.start];
            self.start += 1;
            line.push(c);
            n += 1;
            if c == b'\n' {
                break;
            }
        }
        Ok(n)
    }

    /// True when bytes are waiting in the buffer: a `select` on the descriptor would not
    /// see them (UNP §6.5 warns about exactly this).
    pub fn has_buffered(&self) -> bool {
        self.start < self.end
    }
}
