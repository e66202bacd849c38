//! The command line every program of the course shares (xtask/ARCHITECTURE.md, "Contracts").
//!
//! Servers take `--port` and `--bind`; clients take the server's address like the book's
//! `tcpcli <IPaddress>`, plus `--port`. clap prints a usage message and exits 2 on bad arguments.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::path::{Path, PathBuf};

use clap::{Args, Parser};
use nix::sys::socket::{SockaddrIn, UnixAddr};

use crate::{err_msg, err_quit};

/// `tcpservNN [--port PORT] [--bind ADDR] [--backlog N]`
#[derive(Args, Debug, Clone)]
pub struct ServerArgs {
    /// Port to listen on; 0 lets the kernel choose a free one
    #[arg(long, default_value_t = crate::SERV_PORT)]
    pub port: u16,
    /// Local address to bind; the default is the wildcard address (INADDR_ANY), as in the book
    #[arg(long, default_value_t = Ipv4Addr::UNSPECIFIED)]
    pub bind: Ipv4Addr,
    /// The backlog passed to listen(2)
    #[arg(long, default_value_t = crate::LISTENQ)]
    #[arg(value_parser = clap::value_parser!(i32).range(0..))]
    pub backlog: i32,
}

/// `tcpcliNN <IPaddress> [--port PORT]`
#[derive(Args, Debug, Clone)]
pub struct ClientArgs {
    /// The server's IPv4 address, for example 127.0.0.1
    #[arg(value_name = "IPaddress")]
    pub addr: String,
    /// The server's port
    #[arg(long, default_value_t = crate::SERV_PORT)]
    pub port: u16,
}

impl ClientArgs {
    /// The server's socket address, `servaddr` in the book. Like the book's Inet_pton wrapper,
    /// an address that is not dotted-decimal IPv4 ("999.0.0.1", "::1", a host name) ends the
    /// program with `inet_pton error for ADDR` and exit status 1.
    pub fn servaddr(&self) -> SockaddrIn {
        let ip: Ipv4Addr = self
            .addr
            .parse()
            .unwrap_or_else(|_| err_quit(&format!("inet_pton error for {}", self.addr)));
        SockaddrIn::from(SocketAddrV4::new(ip, self.port))
    }
}

/// `unixstrservNN [--path PATH]`, `unixdgservNN [--path PATH]`: a Unix-domain server binds a
/// pathname, not an address and a port (UNP §15.2).
#[derive(Args, Debug, Clone)]
pub struct UnixServerArgs {
    /// The pathname to bind [default: the book's, /tmp/unix.str or /tmp/unix.dg]
    #[arg(long)]
    pub path: Option<PathBuf>,
}

/// `unixstrcliNN [--path PATH]`, `unixdgcliNN [--path PATH]`: the client names the server's
/// pathname.
#[derive(Args, Debug, Clone)]
pub struct UnixClientArgs {
    /// The server's pathname [default: the book's, /tmp/unix.str or /tmp/unix.dg]
    #[arg(long)]
    pub path: Option<PathBuf>,
}

impl UnixServerArgs {
    /// The pathname given, or the program's default (UNIXSTR_PATH, UNIXDG_PATH).
    pub fn path_or(&self, default: &str) -> PathBuf {
        self.path.clone().unwrap_or_else(|| default.into())
    }
}

impl UnixClientArgs {
    /// The pathname given, or the program's default (UNIXSTR_PATH, UNIXDG_PATH).
    pub fn path_or(&self, default: &str) -> PathBuf {
        self.path.clone().unwrap_or_else(|| default.into())
    }
}

/// The socket address of a pathname, `struct sockaddr_un`: one longer than sun_path's 108
/// bytes ends the program with `pathname too long: PATH`, exit 1.
pub fn unix_addr(path: &Path) -> UnixAddr {
    UnixAddr::new(path)
        .unwrap_or_else(|_| err_quit(&format!("pathname too long: {}", path.display())))
}

/// Parse the command line like clap's `Parser::parse`, but with the usage line in every error,
/// so that a mistyped value also shows how the program is called. Exits 2 on an error, and 0
/// after `--help`.
pub fn parse_args<T: Parser>() -> T {
    T::try_parse().unwrap_or_else(|e| {
        if !e.use_stderr() {
            e.exit(); // --help: print it on stdout and exit 0
        }
        let text = e.to_string();
        let message = if text.contains("Usage:") {
            text.trim_end().to_string()
        } else {
            let first = text.lines().next().unwrap_or("error: bad arguments");
            format!(
                "{first}\n\n{}\n\nFor more information, try '--help'.",
                T::command().render_usage()
            )
        };
        err_msg(&message);
        std::process::exit(2)
    })
}
