//! A measured server, started by the runner's supervisor (`xtask::supervise::single`): in a
//! process group of its own, in the run's namespace, with the descriptor limit its user's shell
//! would give it; killed and reaped, with every child it forked, when dropped.
//!
//! A workspace program is started with `--port 0` and says where it listens on its first line.
//! Any other executable is started the book's way, with no options: it listens on port 9877,
//! which in the bench's own namespace is its alone; the bench waits until a connect succeeds.

use std::net::{Ipv4Addr, SocketAddrV4, TcpStream};
use std::os::fd::RawFd;
use std::path::Path;
use std::time::{Duration, Instant};

use xtask::supervise::single::Single;

use crate::design::{Design, Start};

/// The book's SERV_PORT, where a server started with no options listens.
const SERV_PORT: u16 = 9877;

/// How long a server may take to listen.
const START_LIMIT: Duration = Duration::from_secs(10);

pub struct Server {
    program: Single,
    pub port: u16,
}

impl Server {
    /// Start a design's server in namespace `ns` (None: this machine's network), programs of
    /// the workspace from the folder `bins`.
    pub fn start(
        d: &Design,
        bins: &Path,
        ns: Option<RawFd>,
        nofile: u64,
    ) -> Result<Server, String> {
        match &d.start {
            Start::Workspace { .. } => {
                let path = bins.join(&d.program);
                let args = ["--bind", "127.0.0.1", "--port", "0"];
                let program = Single::start(&path, &args, ns, Some(nofile))?;
                Server { program, port: 0 }.said_port(&path)
            }
            Start::Path(path) => {
                if ns.is_none() && answers(None, Duration::from_millis(200)) {
                    return Err(format!(
                        "port {SERV_PORT} is taken on this machine, and {} can listen on no \
                         other without namespaces",
                        path.display()
                    ));
                }
                let program = Single::start(path, &[], ns, Some(nofile))?;
                let mut server = Server {
                    program,
                    port: SERV_PORT,
                };
                server.listening(path, ns)?;
                Ok(server)
            }
        }
    }

    /// The port from the first line, `listening on ADDR:PORT`.
    fn said_port(mut self, path: &Path) -> Result<Server, String> {
        let Some(first) = self.program.first_line(START_LIMIT) else {
            let said = self.said();
            return Err(match self.ended() {
                Some(end) => format!("{} {end} before it listened{said}", path.display()),
                None => format!("{} did not say `listening on` in 10 s", path.display()),
            });
        };
        self.port = first
            .strip_prefix("listening on ")
            .and_then(|a| a.parse::<SocketAddrV4>().ok())
            .map(|a| a.port())
            .ok_or(format!(
                "its first line is `{first}`, not `listening on ADDR:PORT`"
            ))?;
        Ok(self)
    }

    /// Wait until a connect to port 9877 succeeds, or the server ends, or 10 s have passed.
    fn listening(&mut self, path: &Path, ns: Option<RawFd>) -> Result<(), String> {
        let deadline = Instant::now() + START_LIMIT;
        while Instant::now() < deadline && !crate::load::interrupted() {
            if answers(ns, Duration::from_millis(200)) {
                return Ok(());
            }
            if let Some(end) = self.ended() {
                let said = self.said();
                return Err(format!("{} {end} before it listened{said}", path.display()));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        Err(format!(
            "{} does not listen on port {SERV_PORT} after 10 s{}",
            path.display(),
            self.said()
        ))
    }

    pub fn pid(&self) -> i32 {
        self.program.pid()
    }

    /// How it ended, if it has, in the supervisor's words (`exited with status 1`).
    pub fn ended(&mut self) -> Option<String> {
        self.program.ended().map(|e| e.to_string())
    }

    /// `; it said: LINE` for the last line it wrote on standard error, if any.
    pub fn said(&self) -> String {
        self.program.said_since(0)
    }

    pub fn stderr_lines(&self) -> usize {
        self.program.stderr_lines()
    }

    pub fn said_since(&self, mark: usize) -> String {
        self.program.said_since(mark)
    }
}

/// Whether something accepts connections on 127.0.0.1:9877, seen from namespace `ns`. The
/// connection is closed at once: a server reads EOF, as from a client that changed its mind.
fn answers(ns: Option<RawFd>, limit: Duration) -> bool {
    let addr = (Ipv4Addr::LOCALHOST, SERV_PORT).into();
    let try_once = move || {
        if let Some(fd) = ns {
            xtask::net::ns::enter(fd)?;
        }
        TcpStream::connect_timeout(&addr, limit).map(drop)
    };
    std::thread::scope(|s| s.spawn(try_once).join().is_ok_and(|r| r.is_ok()))
}
