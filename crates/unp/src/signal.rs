//! The book's `lib/signal.c` (UNP §5.8): install a handler with `sigaction`, and what a
//! handler may safely do.

use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};

/// A signal handler as the kernel calls it: `void handler(int signo)`.
pub type Sigfunc = extern "C" fn(libc::c_int);

/// The book's `Signal(signo, func)`: install `func` with SA_RESTART, so that a slow system call
/// (`accept`, `read`) the signal interrupts is restarted by the kernel instead of failing with
/// EINTR. Returns the previous action, as the book's version does.
pub fn signal(signo: Signal, func: Sigfunc) -> SigAction {
    install(signo, func, SaFlags::SA_RESTART)
}

/// The book's `signal_intr`: the same without SA_RESTART. A slow system call interrupted by
/// this signal fails with EINTR, which is what the book's servers saw on systems whose
/// `signal` did not restart (UNP §5.9).
pub fn signal_intr(signo: Signal, func: Sigfunc) -> SigAction {
    install(signo, func, SaFlags::empty())
}

/// Give `signo` back its default action (SIG_DFL).
///
/// A Rust program starts with SIGPIPE ignored: the runtime sets SIG_IGN before `main`, so that
/// a write to a closed pipe returns EPIPE instead of killing the process. A C program, like the
/// book's, starts with the default action, which terminates the process. A lesson about SIGPIPE
/// calls this first, so that the kernel's signal does what the book says (§5.13).
pub fn signal_default(signo: Signal) {
    let act = SigAction::new(SigHandler::SigDfl, SaFlags::empty(), SigSet::empty());
    // SAFETY: the default action runs no code of this program, so nothing can be unsafe in it.
    if let Err(e) = unsafe { sigaction(signo, &act) } {
        crate::err_sys("sigaction", e);
    }
}

fn install(signo: Signal, func: Sigfunc, flags: SaFlags) -> SigAction {
    // No other signal is blocked while the handler runs (an empty mask), as in the book.
    let act = SigAction::new(SigHandler::Handler(func), flags, SigSet::empty());
    // SAFETY: the handlers the lessons install only call async-signal-safe functions
    // (wait, waitpid, write) and touch no Rust state that main also uses.
    match unsafe { sigaction(signo, &act) } {
        Ok(old) => old,
        Err(e) => crate::err_sys("sigaction", e),
    }
}

/// Print `prefix`, the number `n`, then `suffix`, on standard output, from a signal handler.
///
/// The book's `sig_chld` calls `printf`, and says that it should not (§5.8): `printf` is not
/// async-signal-safe. Neither is `println!`: it locks stdout and may allocate. This builds the
/// line in a buffer on the stack and hands it to one `write(2)`, which is safe. The caller's
/// `errno` is saved and restored, since `write` may change it.
pub fn sig_write(prefix: &str, n: i64, suffix: &str) {
    let saved = nix::errno::Errno::last();
    let mut buf = [0u8; 128];
    let line = sig_line(prefix, n, suffix, &mut buf);
    // A failed write cannot be reported from here; the line is simply lost.
    let _ = nix::unistd::write(std::io::stdout(), line);
    saved.set();
}

/// The line `sig_write` writes, built in `buf`: cut at its 128 bytes rather than overflow it.
fn sig_line<'b>(prefix: &str, n: i64, suffix: &str, buf: &'b mut [u8; 128]) -> &'b [u8] {
    let mut len = 0;
    for part in [
        prefix.as_bytes(),
        itoa(n, &mut [0u8; 20]),
        suffix.as_bytes(),
    ] {
        let take = part.len().min(buf.len() - len);
        buf[len..len + take].copy_from_slice(&part[..take]);
        len += take;
    }
    &buf[..len]
}

/// Format `n` in decimal into `digits`, without allocating.
fn itoa(n: i64, digits: &mut [u8; 20]) -> &[u8] {
    let mut i = digits.len();
    let mut v = n.unsigned_abs();
    loop {
        i -= 1;
        digits[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    if n < 0 {
        i -= 1;
        digits[i] = b'-';
    }
    &digits[i..]
}

/// The child's way out after `fork` (`_exit(2)`): unlike `exit`, it runs no exit handlers and
/// flushes no buffers the child inherited from its parent, so nothing the parent had buffered
/// is written twice.
pub fn _exit(status: i32) -> ! {
    // SAFETY: _exit ends the process at once; no Rust state is observed after it.
    unsafe { libc::_exit(status) }
}

#[cfg(test)]
mod tests {
    use super::{itoa, sig_line};

    #[test]
    fn itoa_formats_like_printf() {
        for n in [0, 7, -7, 42, 1_234_567, i64::MAX, i64::MIN] {
            assert_eq!(itoa(n, &mut [0; 20]), n.to_string().as_bytes());
        }
    }

    #[test]
    fn sig_line_joins_its_parts_and_cuts_what_does_not_fit() {
        let mut buf = [0; 128];
        assert_eq!(
            sig_line("child ", 4242, " terminated\n", &mut buf),
            b"child 4242 terminated\n"
        );
        let long = "x".repeat(120);
        let line = sig_line(&long, -123_456, " terminated\n", &mut buf).to_vec();
        assert_eq!(line.len(), 128, "cut at the buffer's size, not beyond it");
        assert_eq!(&line[..120], long.as_bytes());
        assert_eq!(&line[120..], b"-123456 ");
    }
}
