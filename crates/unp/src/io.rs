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
}

#[cfg(test)]
mod tests {
    //! Property tests: however the same bytes are chunked by the writer, readline hands out
    //! the same lines (each ending at a newline, or at maxlen bytes, or at EOF), and readn the
    //! same bytes. A small xorshift generator keeps the cases reproducible without a dependency.
    use std::os::fd::{AsFd, OwnedFd};

    use super::{Readline, readn, writen};

    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    /// Write `data` into a pipe in chunks of random sizes from another thread; return the
    /// read end.
    fn chunked(data: &[u8], rng: &mut Rng) -> OwnedFd {
        let (r, w) = nix::unistd::pipe().expect("pipe");
        let mut chunks = Vec::new();
        let mut at = 0;
        while at < data.len() {
            let n = (1 + rng.below(3000)).min(data.len() - at);
            chunks.push(data[at..at + n].to_vec());
            at += n;
        }
        std::thread::spawn(move || {
            for c in chunks {
                writen(w.as_fd(), &c).expect("write");
            }
        });
        r
    }

    /// The lines readline must return: split at each newline (kept), or after maxlen bytes.
    fn expected(data: &[u8], maxlen: usize) -> Vec<Vec<u8>> {
        let mut lines = Vec::new();
        let mut line = Vec::new();
        for &b in data {
            line.push(b);
            if b == b'\n' || line.len() == maxlen {
                lines.push(std::mem::take(&mut line));
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }

    fn random_data(rng: &mut Rng) -> Vec<u8> {
        let len = rng.below(20_000);
        let newline_every = 1 + rng.below(200);
        (0..len)
            .map(|_| {
                if rng.below(newline_every) == 0 {
                    b'\n'
                } else {
                    rng.below(256) as u8
                }
            })
            .collect()
    }

    #[test]
    fn readline_gives_the_same_lines_however_the_bytes_are_chunked() {
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        for case in 0..300 {
            let data = random_data(&mut rng);
            let maxlen = 1 + rng.below(5000);
            let fd = chunked(&data, &mut rng);
            let mut reader = Readline::new(fd.as_fd());
            let mut got = Vec::new();
            loop {
                let mut line = Vec::new();
                if reader.readline(&mut line, maxlen).expect("readline") == 0 {
                    break;
                }
                got.push(line);
            }
            assert!(
                got == expected(&data, maxlen),
                "case {case}: maxlen {maxlen}"
            );
        }
    }

    #[test]
    fn readn_gives_the_same_bytes_however_they_are_chunked() {
        let mut rng = Rng(0x5eed_1234_abcd_0002);
        for case in 0..300 {
            let data = random_data(&mut rng);
            let fd = chunked(&data, &mut rng);
            let mut got = Vec::new();
            loop {
                let mut buf = vec![0u8; 1 + rng.below(4000)];
                let n = readn(fd.as_fd(), &mut buf).expect("readn");
                got.extend_from_slice(&buf[..n]);
                if n < buf.len() {
                    break; // only EOF makes readn return short
                }
            }
            assert!(got == data, "case {case}");
        }
    }
}
