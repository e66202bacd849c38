//! The command line every program of the course shares (DESIGN.md, "Contracts").
//!
//! Servers take `--port` and `--bind`; clients take the server's address like the book's
//! `tcpcli <IPaddress>`, plus `--port`. clap prints a usage message and exits 2 on bad arguments.

use std::net::Ipv4Addr;

use clap::Args;

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
    #[arg(long, default_value_t = crate::LISTENQ, value_parser = clap::value_parser!(i32).range(0..))]
    pub backlog: i32,
}

/// `tcpcliNN <IPaddress> [--port PORT]`
#[derive(Args, Debug, Clone)]
pub struct ClientArgs {
    /// The server's IPv4 address, for example 127.0.0.1
    #[arg(value_name = "IPaddress")]
    pub addr: Ipv4Addr,
    /// The server's port
    #[arg(long, default_value_t = crate::SERV_PORT)]
    pub port: u16,
}
