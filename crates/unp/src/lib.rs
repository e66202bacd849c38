//! `unp`: the book's `lib/` (UNP vol. 1, 3rd ed.) in Rust, on `nix` and `libc`.
//!
//! The lessons call the kernel through this crate and `nix`, never through `std::net`:
//! the standard library retries EINTR, ignores SIGPIPE and sends with MSG_NOSIGNAL,
//! which would hide exactly what chapters 5 and 6 teach (see xtask/ARCHITECTURE.md).
//!
//! | book (lib/)          | here                         |
//! |----------------------|------------------------------|
//! | `unp.h` constants    | [`SERV_PORT`], [`MAXLINE`], [`LISTENQ`] |
//! | `unp.h` pathnames    | [`UNIXSTR_PATH`], [`UNIXDG_PATH`], [`unix_addr`] |
//! | `error.c`            | [`err_sys`], [`err_ret`], [`err_quit`], [`err_msg`] |
//! | `printf`             | [`outln!`], [`logln!`]: no panic when stdout goes away |
//! | `readn.c`, `writen.c`, `readline.c` | [`readn`], [`writen`], [`Readline`] |
//! | `signal.c`, `signal_intr` | [`signal()`], [`signal_intr`], [`signal_default`] |
//! | `str_echo.c`, `str_cli.c` | [`str_echo`], [`str_cli`] |
//! | `Socket`/`Bind`/`Listen`, `Connect` | [`tcp_listen`], [`tcp_connect`], [`udp_bind`] |
//! | `Recvfrom` with flags | [`recvfrom_flags`] |
//! | `FD_SET` (§6.3)      | [`selectable`] |

mod cli;
mod echo;
mod error;
mod fdset;
mod io;
mod out;
mod signal;
mod sock;

pub use cli::{ClientArgs, ServerArgs, UnixClientArgs, UnixServerArgs, parse_args, unix_addr};
pub use echo::{str_cli, str_echo};
pub use error::{err_msg, err_quit, err_ret, err_sys};
pub use fdset::selectable;
pub use io::{Readline, readn, writen};
pub use out::{log_line, out_line};
pub use signal::{_exit, sig_write, signal, signal_default, signal_intr};
pub use sock::{recvfrom_flags, tcp_connect, tcp_listen, udp_bind};

/// The book's SERV_PORT: the port every server of the course listens on by default.
pub const SERV_PORT: u16 = 9877;
/// The book's MAXLINE: the largest line `str_cli` reads or sends at once.
pub const MAXLINE: usize = 4096;
/// The book's LISTENQ: the default backlog passed to `listen`.
pub const LISTENQ: i32 = 1024;
/// The book's UNIXSTR_PATH: where a Unix-domain stream server binds by default (§15.5).
pub const UNIXSTR_PATH: &str = "/tmp/unix.str";
/// The book's UNIXDG_PATH: where a Unix-domain datagram server binds by default (§15.6).
pub const UNIXDG_PATH: &str = "/tmp/unix.dg";
