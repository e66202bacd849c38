//! udpserv06: a UDP server that counts the datagrams it receives (UNP §8.13, Figures 8.20 and
//! 8.22).
//!
//! Changes from udpserv01: `dg_echo` echoes nothing; it counts each datagram it reads, and
//! SIGINT prints the count and ends it. Compared with what udpcli06 sent, the count shows how
//! many datagrams the server's kernel dropped because the socket's receive buffer was full:
//! UDP has no flow control. `--rcvbuf BYTES` asks for a bigger buffer (SO_RCVBUF, Figure 8.22).

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::sync::atomic::{AtomicI64, Ordering};

use clap::Parser;
use nix::errno::Errno;
use nix::libc::c_int;
use nix::sys::signal::Signal;
use nix::sys::socket::{SockaddrIn, getsockopt, recvfrom, setsockopt, sockopt};
use unp::{_exit, MAXLINE, ServerArgs, err_sys, logln, parse_args, sig_write, signal, udp_bind};

/// Datagrams read so far; the SIGINT handler prints it.
static COUNT: AtomicI64 = AtomicI64::new(0);

#[derive(Parser)]
#[command(
    name = "udpserv06",
    about = "UDP server counting datagrams (UNP Figure 8.20)"
)]
struct Args {
    #[command(flatten)]
    server: ServerArgs,
    /// Ask for a receive buffer of BYTES (SO_RCVBUF); the book's Figure 8.22 asks 225280
    #[arg(long, value_name = "BYTES")]
    rcvbuf: Option<usize>,
}

fn main() {
    let args: Args = parse_args();
    let sockfd = udp_bind(&args.server);
    if let Some(n) = args.rcvbuf {
        // Linux doubles the value (for the kernel's bookkeeping) and caps the request at
        // net.core.rmem_max; getsockopt says what the socket got.
        setsockopt(&sockfd, sockopt::RcvBuf, &n).unwrap_or_else(|e| err_sys("setsockopt", e));
    }
    let got = getsockopt(&sockfd, sockopt::RcvBuf).unwrap_or_else(|e| err_sys("getsockopt", e));
    logln!("SO_RCVBUF is {got} bytes");
    dg_echo(sockfd.as_fd())
}

/// Read datagrams and count them, until SIGINT (Figure 8.20).
fn dg_echo(sockfd: BorrowedFd<'_>) -> ! {
    signal(Signal::SIGINT, recvfrom_int);
    let fd = sockfd.as_raw_fd();
    let mut mesg = vec![0u8; MAXLINE];
    loop {
        match recvfrom::<SockaddrIn>(fd, &mut mesg) {
            Ok(_) => {
                COUNT.fetch_add(1, Ordering::Relaxed);
            }
            Err(Errno::EINTR) => continue,
            Err(e) => err_sys("recvfrom", e),
        }
    }
}

/// SIGINT: print the count and end. The book's handler calls printf and exit, neither
/// async-signal-safe; this writes with write(2) and ends with _exit.
extern "C" fn recvfrom_int(_signo: c_int) {
    sig_write("received ", COUNT.load(Ordering::Relaxed), " datagrams\n");
    _exit(0)
}
