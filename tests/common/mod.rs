//! What the integration tests share: finding the workspace's programs, starting a server on a
//! free port, and making sure that nothing a test started outlives it.
#![allow(dead_code)] // each test file uses its own part of this module

// The runner's socket-table reader, from its library rather than copied.
pub use xtask::kernel::sockdiag;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::Once;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::sys::wait::{Id, WaitPidFlag, waitid};
use nix::unistd::Pid;

/// The folder cargo builds the workspace's programs into: the test binary lives in its `deps/`.
pub fn bin_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary has a path");
    exe.parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps/")
        .to_path_buf()
}

/// A program of the workspace, built if it is not yet (`cargo test -p unp-lab` alone does not
/// build the other packages' programs; `cargo test --workspace` and nextest do).
pub fn bin(name: &str) -> PathBuf {
    static BUILD: Once = Once::new();
    BUILD.call_once(|| {
        // Orphans of the servers a test kills come back to this process, which reaps them.
        nix::sys::prctl::set_child_subreaper(true).expect("prctl(PR_SET_CHILD_SUBREAPER)");
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "--workspace", "--bins"])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "the workspace builds");
    });
    bin_dir().join(name)
}

/// `Command` for a program of the workspace. It dies with the test: a test process that is
/// killed (a harness's timeout, cargo-mutants) runs no Drop, and would leave it running.
pub fn cmd(name: &str) -> Command {
    let mut command = Command::new(bin(name));
    // SAFETY: between fork and exec the closure calls only prctl(2), which is async-signal-safe,
    // and allocates nothing. The signal comes when the thread that spawned the program ends:
    // the test's own thread, which outlives every program it starts.
    unsafe {
        command.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(std::io::Error::from)
        });
    }
    command
}

/// How long a test waits for a program to print a line or to end before it fails, saying what
/// it waited for. A broken program (one that never prints its first line, or never exits)
/// then fails its test well within a minute instead of hanging the whole run.
pub const LIMIT: Duration = Duration::from_secs(30);

/// The lines `from` produces, read by a thread of their own, so that waiting for one can have a
/// timeout ([`next_line`]). The channel closes at EOF.
pub fn lines_of(from: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut from = BufReader::new(from);
        loop {
            let mut line = String::new();
            match from.read_line(&mut line) {
                Ok(n) if n > 0 && tx.send(line).is_ok() => {}
                _ => return,
            }
        }
    });
    rx
}

/// The next line from `lines`, or "" at EOF (as `read_line` says it). Fails the test, naming
/// `what` it waited for, if no line comes within `limit`.
/// Fill `buf` from a pipe, failing (not hanging) if it is not full within LIMIT.
pub fn read_exact_within(from: &mut (impl Read + std::os::fd::AsFd), buf: &mut [u8], what: &str) {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    let deadline = Instant::now() + LIMIT;
    let mut got = 0;
    while got < buf.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(
            !left.is_zero(),
            "waited {LIMIT:?} for {what}; got {got} bytes"
        );
        let ms = u16::try_from(left.as_millis()).unwrap_or(u16::MAX);
        let mut fds = [PollFd::new(from.as_fd(), PollFlags::POLLIN)];
        if poll(&mut fds, PollTimeout::from(ms)).expect("poll") == 0 {
            continue;
        }
        let n = from.read(&mut buf[got..]).expect("read");
        assert!(n > 0, "{what}: the pipe closed after {got} bytes");
        got += n;
    }
}

pub fn next_line(lines: &Receiver<String>, what: &str, limit: Duration) -> String {
    match lines.recv_timeout(limit) {
        Ok(line) => line,
        Err(RecvTimeoutError::Disconnected) => String::new(),
        Err(RecvTimeoutError::Timeout) => {
            panic!(
                "timed out after {}s waiting for {what}",
                limit.as_secs_f64()
            )
        }
    }
}

/// Everything `from` produces up to EOF, read by a thread of its own: see [`output_within`].
fn all_of(from: Option<impl Read + Send + 'static>) -> Receiver<Vec<u8>> {
    let (tx, rx) = channel();
    if let Some(mut from) = from {
        std::thread::spawn(move || {
            let mut all = Vec::new();
            let _ = from.read_to_end(&mut all);
            let _ = tx.send(all);
        });
    } else {
        let _ = tx.send(Vec::new());
    }
    rx
}

/// Wait for `child` to end, within `limit`; past it, kill it (and its process group, if it leads
/// one) and fail the test naming `what`.
pub fn wait_within(child: &mut Child, what: &str, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() >= deadline {
            // Its process group too, if it leads one: a child it forked (stopped, say) may
            // hold its output open.
            let _ = killpg(Pid::from_raw(child.id() as i32), Signal::SIGKILL);
            let _ = child.kill();
            let _ = child.wait(); // SIGKILL cannot be caught: this returns at once
            panic!(
                "timed out after {}s waiting for {what}",
                limit.as_secs_f64()
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// `wait_with_output` with a timeout: what `child` printed on its piped stdout and stderr, and
/// how it ended, within [`LIMIT`].
pub fn output_within(mut child: Child, what: &str) -> Output {
    let (out, err) = (all_of(child.stdout.take()), all_of(child.stderr.take()));
    let status = wait_within(&mut child, what, LIMIT);
    // Its output ends with it, unless a process it forked still holds the pipe.
    let rest = |rx: Receiver<Vec<u8>>| {
        rx.recv_timeout(LIMIT)
            .unwrap_or_else(|_| panic!("{what}: its output never ended"))
    };
    Output {
        status,
        stdout: rest(out),
        stderr: rest(err),
    }
}

/// A running server, in a process group of its own with the children it forks.
/// Dropping it kills the whole group and reaps every member, so nothing outlives the test.
pub struct Server {
    pub child: Child,
    pub port: u16,
    lines: Receiver<String>,
}

impl Server {
    /// Start `name` on 127.0.0.1 and a free port, and read its first line: `listening on
    /// ADDR:PORT` for TCP, `bound to ADDR:PORT` for UDP.
    pub fn start(name: &str, extra: &[&str]) -> Server {
        let mut command = cmd(name);
        command
            .args(["--bind", "127.0.0.1", "--port", "0"])
            .args(extra);
        Server::spawn(command, name, LIMIT)
    }

    /// Start `command` as a server; fail the test within `limit` if it prints no first line.
    pub fn spawn(mut command: Command, name: &str, limit: Duration) -> Server {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("the server starts");
        let lines = lines_of(child.stdout.take().expect("piped"));
        let pgid = Pid::from_raw(child.id() as i32);
        let first = match lines.recv_timeout(limit) {
            Ok(line) => line,
            Err(e) => {
                end_group(pgid.as_raw());
                match e {
                    RecvTimeoutError::Timeout => panic!(
                        "timed out after {}s waiting for {name}'s first line (`listening on` \
                         or `bound to`)",
                        limit.as_secs_f64()
                    ),
                    RecvTimeoutError::Disconnected => panic!("{name} ended without a line"),
                }
            }
        };
        let port = ["listening on 127.0.0.1:", "bound to 127.0.0.1:"]
            .iter()
            .find_map(|prefix| first.trim().strip_prefix(prefix))
            .and_then(|p| p.parse().ok());
        let Some(port) = port else {
            end_group(pgid.as_raw());
            panic!("unexpected first line {first:?} from {name}");
        };
        Server { child, port, lines }
    }

    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// The next line the server prints ("" once it has ended), within [`LIMIT`].
    pub fn line(&mut self) -> String {
        next_line(&self.lines, "the server's next line", LIMIT)
    }

    /// What the server wrote on stderr; only after it has ended.
    pub fn stderr(&mut self) -> String {
        let all = all_of(self.child.stderr.take())
            .recv_timeout(LIMIT)
            .expect("the server's stderr ends with it");
        String::from_utf8_lossy(&all).into_owned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        end_group(self.pid());
    }
}

/// Kill process group `pgid` (a program a test started with `process_group(0)`, and every
/// child it forked), stopped members too, and reap them all: what each test's guard does when
/// it is dropped, on success or on panic.
pub fn end_group(pgid: i32) {
    let pgid = Pid::from_raw(pgid);
    let _ = killpg(pgid, Signal::SIGKILL);
    let _ = killpg(pgid, Signal::SIGCONT);
    // Reap the program and, since this process is their subreaper, its orphaned children.
    while waitid(Id::PGid(pgid), WaitPidFlag::WEXITED).is_ok() {}
}

/// One process as /proc shows it.
#[derive(Debug, Clone)]
pub struct Proc {
    pub pid: i32,
    pub ppid: i32,
    pub state: char,
}

/// The children of `pid`, from /proc.
pub fn children(pid: i32) -> Vec<Proc> {
    procfs::process::all_processes()
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|p| p.stat().ok())
        .filter(|s| s.ppid == pid)
        .map(|s| Proc {
            pid: s.pid,
            ppid: s.ppid,
            state: s.state,
        })
        .collect()
}

pub fn zombies(pid: i32) -> usize {
    children(pid).iter().filter(|p| p.state == 'Z').count()
}

pub fn state(pid: i32) -> Option<char> {
    procfs::process::Process::new(pid)
        .and_then(|p| p.stat())
        .ok()
        .map(|s| s.state)
}

/// Poll `what` until it holds; fail the test with `desc` after 10 s.
pub fn wait_for(desc: &str, mut what: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !what() {
        assert!(Instant::now() < deadline, "timed out waiting for {desc}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A port on 127.0.0.1 that nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    l.local_addr().expect("local_addr").port()
}

/// The first of `count` free ports in a row below the ephemeral range, for a program told to
/// bind a given port: other programs on this machine may hold any fixed one, and a port the
/// kernel hands out for port 0 (another test's connect) is never one of these.
pub fn free_ports_below_ephemeral(count: u16) -> u16 {
    let range = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .expect("ip_local_port_range");
    let low: u16 = range
        .split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .expect("low");
    let free = |p: u16| std::net::TcpListener::bind(("127.0.0.1", p)).is_ok();
    let start = 10_000 + (std::process::id() % 10_000) as u16;
    (start..low.saturating_sub(count))
        .chain(10_000..start)
        .find(|&p| (p..p + count).all(free))
        .expect("free ports below the ephemeral range")
}

/// TCP sockets on `port` (local or foreign) in `state`, with their Recv-Q. Read the way the
/// runner reads them (see its sockdiag.rs for why not from /proc/net/tcp).
pub fn tcp_sockets(port: u16, state: &str) -> Vec<u32> {
    sockdiag::dump(libc::AF_INET, libc::IPPROTO_TCP)
        .expect("a sock_diag dump")
        .into_iter()
        .filter(|s| sockdiag::tcp_state_name(s.state) == state)
        .filter(|s| s.local.port() == port || s.remote.port() == port)
        .map(|s| s.recv_q)
        .collect()
}

/// Sockets on `port` in LISTEN.
pub fn listeners(port: u16) -> usize {
    tcp_sockets(port, "LISTEN").len()
}

/// The one running child of a server (the one serving the current client).
pub fn only_child(pid: i32) -> i32 {
    let mut running = Vec::new();
    wait_for("one running child", || {
        running = children(pid)
            .into_iter()
            .filter(|p| p.state != 'Z')
            .collect();
        running.len() == 1
    });
    running[0].pid
}

/// Send everything, half-close, and return all that comes back.
pub fn echo_all(port: u16, data: &[u8]) -> Vec<u8> {
    let mut sock = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    sock.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut writer = sock.try_clone().expect("clone");
    let sent = data.to_vec();
    let t = std::thread::spawn(move || {
        writer.write_all(&sent).expect("write");
        writer
            .shutdown(std::net::Shutdown::Write)
            .expect("shutdown");
    });
    let mut back = Vec::new();
    sock.read_to_end(&mut back).expect("read to EOF");
    t.join().expect("writer");
    back
}

/// Wait for `child` to end by itself (its standard input may stay open), within [`LIMIT`].
pub fn ended(child: &mut Child, what: &str) -> ExitStatus {
    wait_within(child, what, LIMIT)
}

/// A temporary folder of a test's own, removed when the test ends, passed or failed.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// `unp-lab-TAG-PID-N` in the temporary folder, made empty.
    pub fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let name = format!("unp-lab-{tag}-{}-{n}", std::process::id());
        let dir = std::env::temp_dir().join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every TCP echo server of the course.
pub const SERVERS: [&str; 8] = [
    "iterserv",
    "tcpserv01",
    "tcpserv02",
    "tcpserv03",
    "tcpserv04",
    "tcpservselect01",
    "tcpservselect02",
    "tcpservpoll01",
];

/// Every lesson: a folder under crates/ with a scenario, by name.
pub fn lessons() -> Vec<String> {
    let crates = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crates");
    let mut names: Vec<String> = std::fs::read_dir(crates)
        .expect("crates/")
        .flatten()
        .filter(|e| e.path().join("scenario.toml").is_file())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}
