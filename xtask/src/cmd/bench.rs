//! `cargo xtask bench`: the course's server designs side by side, as the book's chapter 30
//! table (UNP Figure 30.1) compares them: how many connections a second, how many bytes a
//! second, how long one echo takes, how many clients at once, and at what cost in CPU time,
//! processes and memory.
//!
//! Each design's server is built in release and started in a network namespace of its own
//! (only its loopback: nothing leaves the machine, and TIME_WAITs of one run never crowd the
//! next), or, where no namespace can be made, on 127.0.0.1 with a free port. The load client
//! is this module: threads that enter the server's namespace, then connect with blocking
//! sockets whose every wait has a timeout. Every echoed byte is compared with what was sent;
//! every failure is counted by kind and shown. The client uses std's sockets, unlike the
//! lessons: it teaches nothing, and what std hides (EINTR retried, SIGPIPE ignored) is what a
//! load client wants.
//!
//! A round runs each design once, in an order that rotates from round to round, so that a
//! slow moment of the machine (two cores shared with others) falls on every design in turn.
//! Each figure is then also given as a ratio to the fork server's in the same round, with the
//! median, the smallest and the largest over the rounds.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, SocketAddrV4, TcpStream};
use std::os::fd::RawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::resource::{Resource, getrlimit, setrlimit};
use nix::sys::signal::{Signal, killpg};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use crate::lessons;
use crate::net::ns::{self, HostSpec, Net};
use crate::supervise::{self, INTERRUPTED};

#[derive(clap::Args)]
pub struct Args {
    /// A short run (3 rounds of short phases, under a minute): a smoke test, not for reading
    #[arg(long)]
    quick: bool,
    /// Print the results as JSON on standard output (progress still goes to standard error)
    #[arg(long)]
    json: bool,
    /// How many rounds (default 5; 3 with --quick)
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=50))]
    rounds: Option<u16>,
    /// N, the concurrent clients of the "N clients" columns (default 50)
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=200))]
    clients: Option<u16>,
    /// The most clients the "held" column opens (default 2000; 1100 with --quick)
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=30000))]
    held_cap: Option<u32>,
}

/// A server design: the row's name, the program that is it, and where the book has it.
struct Design {
    name: &'static str,
    program: &'static str,
    book: &'static str,
}

/// The rows, in the order the course meets them.
const DESIGNS: [Design; 4] = [
    design("iterative", "iterserv", "§4.8"),
    design("fork", "tcpserv04", "§5.10"),
    design("select", "tcpservselect01", "§6.8"),
    design("poll", "tcpservpoll01", "§6.11"),
];

const fn design(name: &'static str, program: &'static str, book: &'static str) -> Design {
    Design {
        name,
        program,
        book,
    }
}

/// The row every ratio is taken against, as the book's table measures against its own.
const BASE: &str = "fork";

/// The figures each run of a design gives: a key (for JSON), a column heading, and a unit.
struct Metric {
    key: &'static str,
    heading: &'static str,
    unit: Unit,
}

#[derive(Clone, Copy, PartialEq)]
enum Unit {
    /// A rate or a count: 12.3k.
    Count,
    /// Megabytes (10^6 bytes) a second.
    MBps,
    /// Microseconds.
    Micros,
    /// Bytes of memory.
    Bytes,
}

const CONN_1: usize = 0;
const CONN_N: usize = 1;
const MB_1: usize = 2;
const MB_N: usize = 3;
const RTT_50: usize = 4;
const RTT_99: usize = 5;
const HELD: usize = 6;
const CPU: usize = 7;
const PROCS: usize = 8;
const MEM: usize = 9;
const M: usize = 10;

const METRICS: [Metric; M] = [
    metric("conn_per_s_1", "conn/s 1", Unit::Count),
    metric("conn_per_s_n", "conn/s N", Unit::Count),
    metric("mb_per_s_1", "MB/s 1", Unit::MBps),
    metric("mb_per_s_n", "MB/s N", Unit::MBps),
    metric("rtt_p50_us", "RTT p50", Unit::Micros),
    metric("rtt_p99_us", "RTT p99", Unit::Micros),
    metric("held", "held", Unit::Count),
    metric("cpu_us_per_conn", "CPU/conn", Unit::Micros),
    metric("procs_peak", "procs", Unit::Count),
    metric("memory_peak_bytes", "memory", Unit::Bytes),
];

const fn metric(key: &'static str, heading: &'static str, unit: Unit) -> Metric {
    Metric { key, heading, unit }
}

/// How long and how hard: the full run, or `--quick`.
#[derive(Clone, Copy)]
struct Plan {
    quick: bool,
    rounds: usize,
    clients: usize,
    /// How long each timed phase sends.
    phase: Duration,
    /// The longest any single wait may take (a connect, a read, a write): beyond it, a timeout.
    timeout: Duration,
    /// The most clients the "held" phase opens, and how long it may take.
    held_cap: usize,
    held_time: Duration,
}

impl Plan {
    fn new(args: &Args) -> Plan {
        let quick = args.quick;
        Plan {
            quick,
            rounds: usize::from(args.rounds.unwrap_or(if quick { 3 } else { 5 })),
            clients: usize::from(args.clients.unwrap_or(50)),
            phase: Duration::from_millis(if quick { 200 } else { 1000 }),
            timeout: Duration::from_secs(1),
            // Past FD_SETSIZE (1024), so that select's limit shows; --quick just past it.
            held_cap: args
                .held_cap
                .map_or(if quick { 1100 } else { 2000 }, |c| c as usize),
            held_time: Duration::from_secs(if quick { 4 } else { 10 }),
        }
    }
}

pub fn run(args: Args) -> ExitCode {
    let plan = Plan::new(&args);
    supervise::take_charge();
    let started = Instant::now();
    let found: Vec<Option<String>> = DESIGNS
        .iter()
        .map(|d| lessons::package_of(d.program))
        .collect();
    for (d, p) in DESIGNS.iter().zip(&found) {
        if p.is_none() {
            eprintln!(
                "bench: {} ({}): not built yet: no crate of this workspace has \
                 src/bin/{}.rs; its row stays empty",
                d.name, d.program, d.program
            );
        }
    }
    let bins = match build(&found) {
        Ok(dir) => dir,
        Err(e) => return fail(&e),
    };
    // As the runner does: descriptors this process inherited (cargo's jobserver pipe) are not
    // passed on to the servers, where they would take places in select's fd_set.
    crate::cmd::run::inherit_nothing();
    let nofile = match raise_nofile() {
        Ok(limit) => limit,
        Err(e) => return fail(&format!("getrlimit(RLIMIT_NOFILE): {e}")),
    };
    let network = match namespaces_here() {
        Ok(()) => Network::Namespaces,
        Err(e) => {
            let why = match crate::net::may_fall_back(&e) {
                Ok(why) => why,
                Err(refused) => return fail(&refused),
            };
            eprintln!("bench: note: {why}: the servers listen on 127.0.0.1, free ports");
            Network::Loopback
        }
    };
    let built: Vec<usize> = (0..DESIGNS.len()).filter(|&i| found[i].is_some()).collect();
    eprintln!(
        "bench: {} rounds, N = {} clients, phases of {:.1} s, every wait at most {} s; {}",
        plan.rounds,
        plan.clients,
        plan.phase.as_secs_f64(),
        plan.timeout.as_secs(),
        network.words()
    );
    let mut results: Vec<Vec<Option<RunResult>>> = vec![vec![None; plan.rounds]; DESIGNS.len()];
    'rounds: for round in 0..plan.rounds {
        for k in 0..built.len() {
            let i = built[(round + k) % built.len()];
            let d = &DESIGNS[i];
            eprint!(
                "round {}/{} · {:<9} ({}):",
                round + 1,
                plan.rounds,
                d.name,
                d.program
            );
            let t = Instant::now();
            let r = measure(&bins.join(d.program), &plan, network, nofile);
            eprintln!(" {:.1} s", t.elapsed().as_secs_f64());
            if let Some(f) = r.failure.as_ref().filter(|_| !interrupted()) {
                eprintln!("  {}: {f}", d.name);
            }
            results[i][round] = Some(r);
            if interrupted() {
                break 'rounds;
            }
        }
    }
    if interrupted() {
        eprintln!("bench: interrupted; every server is killed and reaped");
        return ExitCode::from(130);
    }
    let report = Report {
        plan,
        network,
        found,
        results,
        seconds: started.elapsed().as_secs_f64(),
    };
    if args.json {
        println!("{}", report.json());
    } else {
        print!("{}", report.table());
    }
    eprintln!("bench: done in {:.1} s", report.seconds);
    let corrupt: u64 = report
        .all_errors()
        .map(|e| e.count[Kind::Corrupt as usize])
        .sum();
    let failed = report.all_runs().any(|r| r.failure.is_some());
    if corrupt > 0 {
        return fail(&format!(
            "{corrupt} echoes came back different from what was sent"
        ));
    }
    if failed {
        return fail("a server could not be measured (see above)");
    }
    ExitCode::SUCCESS
}

/// Ctrl-C, SIGTERM or SIGHUP came: every loop ends at its next turn, every server is killed.
fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("error: {msg}");
    ExitCode::FAILURE
}

/// Build the designs' programs in release; return the folder they are in.
fn build(found: &[Option<String>]) -> Result<PathBuf, String> {
    let bins: Vec<(String, String)> = DESIGNS
        .iter()
        .zip(found)
        .filter_map(|(d, p)| Some((p.clone()?, d.program.to_string())))
        .collect();
    let t = Instant::now();
    eprint!("bench: cargo build --release of the servers...");
    let dir = crate::cargo::build_release(&bins).map_err(|e| e.to_string())?;
    eprintln!(" {:.1} s", t.elapsed().as_secs_f64());
    Ok(dir)
}

/// Raise this process's descriptor limit to its hard limit (the load client holds every
/// connection of the "held" phase), and return the soft limit as it was: the servers get
/// that one, the limit they would have if started from the same shell.
fn raise_nofile() -> nix::Result<u64> {
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
    setrlimit(Resource::RLIMIT_NOFILE, hard, hard)?;
    Ok(soft)
}

#[derive(Clone, Copy, PartialEq)]
enum Network {
    /// Each run of a design in a network namespace of its own.
    Namespaces,
    /// This machine's loopback, free ports.
    Loopback,
}

impl Network {
    fn words(self) -> &'static str {
        match self {
            Network::Namespaces => "each server in a network namespace of its own (loopback only)",
            Network::Loopback => "on this machine's 127.0.0.1",
        }
    }
}

/// Whether namespaces can be made: without root, the bench first enters a user namespace of
/// its own (which must happen while the process has one thread: before any client runs).
fn namespaces_here() -> io::Result<()> {
    crate::net::own_namespaces()?;
    drop(host_net()?);
    Ok(())
}

/// One host with only its loopback, for one run of one design. A wide range of ephemeral
/// ports, as a load test needs: each connection the client closes first leaves a TIME_WAIT.
fn host_net() -> io::Result<Net> {
    Net::build(&[HostSpec {
        name: "bench".into(),
        addr: Ipv4Addr::LOCALHOST,
        sysctls: vec![("net.ipv4.ip_local_port_range".into(), "1024 65535".into())],
        routes: Vec::new(),
    }])
}

/// Everything one run of one design gave.
#[derive(Clone, Default)]
struct RunResult {
    values: [Option<f64>; M],
    /// What stopped the "held" phase.
    held_stop: Option<String>,
    /// Errors of each phase, by phase name.
    errors: Vec<(&'static str, Errors)>,
    /// Why the run could not be completed (the server did not start, or ended).
    failure: Option<String>,
}

/// Run one design once: start its server, drive it through every phase, kill it.
fn measure(path: &Path, plan: &Plan, network: Network, nofile: u64) -> RunResult {
    let mut r = RunResult::default();
    let net = match network {
        Network::Namespaces => match host_net() {
            Ok(net) => Some(net),
            Err(e) => {
                r.failure = Some(format!("cannot make its network namespace: {e}"));
                return r;
            }
        },
        Network::Loopback => None,
    };
    let ns = net
        .as_ref()
        .and_then(|n| n.hosts.first())
        .and_then(|h| h.ns.as_ref())
        .map(|ns| ns.raw_fd());
    let mut server = match Server::start(path, ns, nofile) {
        Ok(s) => s,
        Err(e) => {
            r.failure = Some(e);
            return r;
        }
    };
    let t = Target {
        addr: SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, server.port)),
        ns,
        timeout: plan.timeout,
    };
    let sampler = Sampler::start(server.pid);
    if let Err(e) = phases(&t, plan, &mut server, &sampler, &mut r) {
        let said = server.said();
        r.failure = Some(match server.ended() {
            Some(end) => format!("{e}: the server {end}{said}"),
            None => format!("{e}{said}"),
        });
    }
    let (procs, memory) = sampler.finish();
    r.values[PROCS] = Some(procs as f64);
    r.values[MEM] = Some(memory as f64);
    drop(server);
    drop(net);
    r
}

/// The phases of one run, in order; an error when the server stops answering.
fn phases(
    t: &Target,
    plan: &Plan,
    server: &mut Server,
    sampler: &Sampler,
    r: &mut RunResult,
) -> Result<(), String> {
    let n = plan.clients;
    let step = |what: &str| eprint!(" {what}");
    ready(t)?;
    let cpu0 = cpu_ticks(server.pid)?;
    step("conn/s 1");
    let c1 = conn_rate(t, 1, plan.phase);
    step("N");
    let cn = conn_rate(t, n, plan.phase);
    // The fork server's children count in its cutime and cstime once it has reaped them.
    wait_reaped(server.pid, Duration::from_secs(3));
    let cpu1 = cpu_ticks(server.pid)?;
    let conns = c1.connects + cn.connects;
    let seconds = (cpu1 - cpu0) as f64 / procfs::ticks_per_second() as f64;
    r.values[CONN_1] = Some(c1.conns_per_s());
    r.values[CONN_N] = Some(cn.conns_per_s());
    r.values[CPU] = (conns > 0).then(|| seconds * 1e6 / conns as f64);
    r.errors.push(("conn/s 1", c1.errors));
    r.errors.push(("conn/s N", cn.errors));
    ready(t)?;
    step("RTT");
    let (mut rtts, errors) = latency(t, plan.phase);
    rtts.sort_by(f64::total_cmp);
    r.values[RTT_50] = percentile(&rtts, 0.50);
    r.values[RTT_99] = percentile(&rtts, 0.99);
    r.errors.push(("RTT", errors));
    ready(t)?;
    step("MB/s 1");
    let m1 = throughput(t, 1, plan.phase);
    r.values[MB_1] = Some(m1.mb_per_s());
    r.errors.push(("MB/s 1", m1.errors));
    ready(t)?;
    step("N");
    let mn = throughput(t, n, plan.phase);
    r.values[MB_N] = Some(mn.mb_per_s());
    r.errors.push(("MB/s N", mn.errors));
    ready(t)?;
    step("held");
    let mark = server.stderr_lines();
    sampler.pause();
    let h = held(t, plan.held_cap, plan.held_time, || sampler.sample_now());
    r.values[HELD] = Some(h.held as f64);
    let mut stop = h.stop;
    if let Some(end) = server.ended() {
        stop += &format!(" (the server {end})");
    }
    stop += &server.said_since(mark);
    r.held_stop = Some(stop);
    r.errors.push(("held", h.errors));
    Ok(())
}

/// Where the load goes: the server's address, the namespace it is in, the longest wait.
#[derive(Clone, Copy)]
struct Target {
    addr: SocketAddr,
    ns: Option<RawFd>,
    timeout: Duration,
}

impl Target {
    /// A connected socket, every later read and write bounded by the timeout.
    fn connect(&self) -> io::Result<TcpStream> {
        let s = TcpStream::connect_timeout(&self.addr, self.timeout)?;
        s.set_read_timeout(Some(self.timeout))?;
        s.set_write_timeout(Some(self.timeout))?;
        // Each line is sent at once, as a person's typing would be.
        s.set_nodelay(true)?;
        Ok(s)
    }

    /// Run `f` on a thread that has entered the server's namespace: the sockets it opens are
    /// in that namespace for good, and 127.0.0.1 is the server's loopback.
    fn spawn<'s, T: Send + 's>(
        &self,
        scope: &'s std::thread::Scope<'s, '_>,
        f: impl FnOnce() -> T + Send + 's,
    ) -> std::thread::ScopedJoinHandle<'s, io::Result<T>> {
        let ns = self.ns;
        scope.spawn(move || {
            if let Some(fd) = ns {
                ns::enter(fd)?;
            }
            Ok(f())
        })
    }
}

/// Kinds of failure, each counted apart.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    /// The bytes that came back are not the bytes sent.
    Corrupt = 0,
    /// A wait ran out of time.
    Timeout,
    /// The connection was reset (ECONNRESET, EPIPE).
    Reset,
    /// The server closed the connection before the whole echo came back.
    Closed,
    /// connect failed.
    Connect,
    Other,
}

/// Each kind: its JSON key, and its name for one and for several.
const KINDS: [(Kind, &str, &str, &str); 6] = [
    (Kind::Corrupt, "corrupt", "corrupt echo", "corrupt echoes"),
    (Kind::Timeout, "timeout", "timeout", "timeouts"),
    (Kind::Reset, "reset", "reset", "resets"),
    (Kind::Closed, "closed", "early close", "early closes"),
    (
        Kind::Connect,
        "connect",
        "failed connect",
        "failed connects",
    ),
    (Kind::Other, "other", "other error", "other errors"),
];

/// One failure: its kind and what happened, in words.
#[derive(Debug)]
struct Failure {
    kind: Kind,
    what: String,
}

impl Failure {
    fn new(kind: Kind, what: String) -> Failure {
        Failure { kind, what }
    }

    /// A failed system call, sorted by what it says about the connection.
    fn io(call: &str, e: io::Error) -> Failure {
        let kind = match e.kind() {
            ErrorKind::WouldBlock | ErrorKind::TimedOut => Kind::Timeout,
            ErrorKind::ConnectionReset | ErrorKind::BrokenPipe | ErrorKind::ConnectionAborted => {
                Kind::Reset
            }
            ErrorKind::UnexpectedEof => Kind::Closed,
            _ if call == "connect" => Kind::Connect,
            _ => Kind::Other,
        };
        let what = match kind {
            Kind::Timeout => format!("{call}: no answer within the timeout"),
            _ => format!("{call}: {e}"),
        };
        Failure { kind, what }
    }
}

/// The failures of one phase: how many of each kind, and the first one's words.
#[derive(Clone, Debug, Default)]
struct Errors {
    count: [u64; 6],
    first: Option<String>,
}

impl Errors {
    fn add(&mut self, f: Failure) {
        self.count[f.kind as usize] += 1;
        self.first.get_or_insert(f.what);
    }

    fn merge(&mut self, other: Errors) {
        for (a, b) in self.count.iter_mut().zip(other.count) {
            *a += b;
        }
        if self.first.is_none() {
            self.first = other.first;
        }
    }

    fn total(&self) -> u64 {
        self.count.iter().sum()
    }
}

/// What a timed phase did: successes, connections made, bytes echoed, over how long.
#[derive(Default)]
struct Phase {
    ok: u64,
    connects: u64,
    bytes: u64,
    seconds: f64,
    errors: Errors,
}

impl Phase {
    /// Connections a second that echoed their line.
    fn conns_per_s(&self) -> f64 {
        self.per_s(self.ok)
    }

    /// Megabytes (10^6 bytes) a second echoed right.
    fn mb_per_s(&self) -> f64 {
        self.per_s(self.bytes) / 1e6
    }

    fn per_s(&self, n: u64) -> f64 {
        if self.seconds > 0.0 {
            n as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// The payload of a one-line echo: distinct for every line, so that a line echoed to the wrong
/// client or out of turn is caught too.
fn line(tag: &str, client: usize, i: u64) -> Vec<u8> {
    format!("{tag} client {client} line {i}\n").into_bytes()
}

/// The unit of the connection-rate phases: connect, one line echoed, close. The client closes
/// its sending half (shutdown), then reads to the server's EOF: exactly the line must come
/// back, nothing more. Returns whether the connect itself succeeded.
fn conn_once(t: &Target, payload: &[u8]) -> (bool, Result<(), Failure>) {
    let mut s = match t.connect() {
        Ok(s) => s,
        Err(e) => return (false, Err(Failure::io("connect", e))),
    };
    let result = (|| {
        s.write_all(payload).map_err(|e| Failure::io("write", e))?;
        s.shutdown(Shutdown::Write)
            .map_err(|e| Failure::io("shutdown", e))?;
        let back = read_to_eof(&mut s, payload.len())?;
        check(&back, payload)
    })();
    (true, result)
}

/// Read until EOF, but fail as soon as more than `limit` bytes came.
fn read_to_eof(s: &mut TcpStream, limit: usize) -> Result<Vec<u8>, Failure> {
    let mut back = Vec::with_capacity(limit);
    let mut buf = [0u8; 512];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return Ok(back),
            Ok(n) => {
                back.extend_from_slice(&buf[..n]);
                if back.len() > limit {
                    return Err(Failure::new(
                        Kind::Corrupt,
                        format!("{} bytes came back for {limit} sent", back.len()),
                    ));
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(Failure::io("read", e)),
        }
    }
}

/// The echo must be the line, byte for byte.
fn check(back: &[u8], sent: &[u8]) -> Result<(), Failure> {
    if back == sent {
        return Ok(());
    }
    if back.len() < sent.len() && sent.starts_with(back) {
        return Err(Failure::new(
            Kind::Closed,
            format!(
                "the server closed after {} of {} bytes",
                back.len(),
                sent.len()
            ),
        ));
    }
    let at = back.iter().zip(sent).take_while(|(a, b)| a == b).count();
    Err(Failure::new(
        Kind::Corrupt,
        format!("echo differs from the line sent at byte {at}"),
    ))
}

/// Connections a second: `clients` threads, each connecting, echoing a line and closing, again
/// and again until the phase's time is up.
fn conn_rate(t: &Target, clients: usize, time: Duration) -> Phase {
    let start = Instant::now();
    let deadline = start + time;
    let mut phase = Phase::default();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients)
            .map(|c| {
                t.spawn(s, move || {
                    let mut p = Phase::default();
                    let mut refused = 0;
                    for i in 0.. {
                        if Instant::now() >= deadline || interrupted() {
                            break;
                        }
                        let (connected, result) = conn_once(t, &line("conn", c, i));
                        p.connects += u64::from(connected);
                        match result {
                            Ok(()) => p.ok += 1,
                            Err(f) => {
                                refused = if connected { 0 } else { refused + 1 };
                                p.errors.add(f);
                            }
                        }
                        // A server that refuses every connection is not measured at full
                        // speed for the rest of the phase: a hundred in a row are enough.
                        if refused >= 100 {
                            break;
                        }
                    }
                    p
                })
            })
            .collect();
        gather(&mut phase, handles);
    });
    phase.seconds = start.elapsed().as_secs_f64();
    phase
}

/// Add each client thread's phase to the whole; a client that could not run is an error.
fn gather(phase: &mut Phase, handles: Vec<std::thread::ScopedJoinHandle<'_, io::Result<Phase>>>) {
    for h in handles {
        match h.join() {
            Ok(Ok(p)) => {
                phase.ok += p.ok;
                phase.connects += p.connects;
                phase.bytes += p.bytes;
                phase.errors.merge(p.errors);
            }
            Ok(Err(e)) => phase
                .errors
                .add(Failure::new(Kind::Other, format!("setns: {e}"))),
            Err(_) => phase
                .errors
                .add(Failure::new(Kind::Other, "a client thread panicked".into())),
        }
    }
}

/// Round-trip times of a one-line echo on one connection, in microseconds, line after line
/// until the phase's time is up.
fn latency(t: &Target, time: Duration) -> (Vec<f64>, Errors) {
    let deadline = Instant::now() + time;
    std::thread::scope(|s| {
        let h = t.spawn(s, move || {
            let mut rtts = Vec::new();
            let mut errors = Errors::default();
            let mut s = match t.connect() {
                Ok(s) => s,
                Err(e) => {
                    errors.add(Failure::io("connect", e));
                    return (rtts, errors);
                }
            };
            let mut back = Vec::new();
            let result = (|| {
                for i in 0.. {
                    if Instant::now() >= deadline || interrupted() {
                        break;
                    }
                    let sent = line("rtt", 0, i);
                    let t0 = Instant::now();
                    s.write_all(&sent).map_err(|e| Failure::io("write", e))?;
                    back.resize(sent.len(), 0);
                    s.read_exact(&mut back)
                        .map_err(|e| Failure::io("read", e))?;
                    rtts.push(t0.elapsed().as_secs_f64() * 1e6);
                    check(&back, &sent)?;
                }
                s.shutdown(Shutdown::Write)
                    .map_err(|e| Failure::io("shutdown", e))?;
                check(&read_to_eof(&mut s, 0)?, b"")
            })();
            if let Err(f) = result {
                errors.add(f);
            }
            (rtts, errors)
        });
        match h.join() {
            Ok(Ok(r)) => r,
            Ok(Err(e)) => (Vec::new(), one_error(format!("setns: {e}"))),
            Err(_) => (Vec::new(), one_error("the client thread panicked".into())),
        }
    })
}

fn one_error(what: String) -> Errors {
    let mut e = Errors::default();
    e.add(Failure::new(Kind::Other, what));
    e
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let rank = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted.get(rank.min(last)).copied()
}

/// The byte stream the throughput phases send: byte i is i mod 251. 251 is prime, so no
/// chunk size lines up with it, and a chunk echoed twice, lost or out of order is caught.
const PERIOD: usize = 251;
const CHUNK: usize = 64 * 1024;

fn pattern() -> Vec<u8> {
    (0..PERIOD + CHUNK).map(|i| (i % PERIOD) as u8).collect()
}

/// Echo throughput: `conns` connections, each with a writer sending the pattern until the
/// phase's time is up while a reader checks every byte that comes back. Bytes a second over
/// the time until the last connection that succeeded had its echo back.
fn throughput(t: &Target, conns: usize, time: Duration) -> Phase {
    let start = Instant::now();
    let deadline = start + time;
    let pat = pattern();
    let pat = &pat;
    let mut phase = Phase::default();
    let mut last_ok = None;
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..conns)
            .map(|_| t.spawn(s, move || stream_once(t, deadline, pat)))
            .collect();
        for h in handles {
            match h.join() {
                Ok(Ok((bytes, result, finished))) => {
                    phase.bytes += bytes;
                    phase.connects += 1;
                    match result {
                        Ok(()) => {
                            phase.ok += 1;
                            last_ok = last_ok.max(Some(finished));
                        }
                        Err(f) => phase.errors.add(f),
                    }
                }
                Ok(Err(e)) => phase
                    .errors
                    .add(Failure::new(Kind::Other, format!("setns: {e}"))),
                Err(_) => phase
                    .errors
                    .add(Failure::new(Kind::Other, "a client thread panicked".into())),
            }
        }
    });
    let end = last_ok.unwrap_or(deadline.max(start));
    phase.seconds = end.duration_since(start).as_secs_f64().max(1e-3);
    phase
}

/// One connection of the throughput phase: the bytes that came back right, how it ended, and
/// when.
fn stream_once(t: &Target, deadline: Instant, pat: &[u8]) -> (u64, Result<(), Failure>, Instant) {
    let mut reader = match t.connect() {
        Ok(s) => s,
        Err(e) => return (0, Err(Failure::io("connect", e)), Instant::now()),
    };
    let mut writer = match reader.try_clone() {
        Ok(w) => w,
        Err(e) => return (0, Err(Failure::io("dup", e)), Instant::now()),
    };
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let sending = s.spawn(|| {
            let mut sent = 0u64;
            while Instant::now() < deadline && !stop.load(Ordering::SeqCst) && !interrupted() {
                let at = (sent % PERIOD as u64) as usize;
                match writer.write(&pat[at..at + CHUNK]) {
                    Ok(n) => sent += n as u64,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(e) => {
                        // Unblock the reader: this connection is over.
                        let _ = writer.shutdown(Shutdown::Both);
                        return Err(Failure::io("write", e));
                    }
                }
            }
            let _ = writer.shutdown(Shutdown::Write);
            Ok(sent)
        });
        let mut got = 0u64;
        let mut buf = vec![0u8; CHUNK];
        let read_result = loop {
            match reader.read(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    let at = (got % PERIOD as u64) as usize;
                    // A slice comparison is a memcmp: fast even in a debug build.
                    if buf[..n] != pat[at..at + n] {
                        let i = buf[..n]
                            .iter()
                            .zip(&pat[at..])
                            .take_while(|(a, b)| a == b)
                            .count();
                        stop.store(true, Ordering::SeqCst);
                        let _ = reader.shutdown(Shutdown::Both);
                        break Err(Failure::new(
                            Kind::Corrupt,
                            format!(
                                "echo differs from the bytes sent at byte {}",
                                got + i as u64
                            ),
                        ));
                    }
                    got += n as u64;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => {
                    stop.store(true, Ordering::SeqCst);
                    let _ = reader.shutdown(Shutdown::Both);
                    break Err(Failure::io("read", e));
                }
            }
        };
        let finished = Instant::now();
        let sent = sending.join().unwrap_or_else(|_| {
            Err(Failure::new(
                Kind::Other,
                "the writer thread panicked".into(),
            ))
        });
        // A corrupt echo first, then the writer's failure (the reader's is then only its
        // consequence), then the reader's, then a count that does not match.
        let result = match (read_result, sent) {
            (Err(f), _) if f.kind == Kind::Corrupt => Err(f),
            (_, Err(f)) => Err(f),
            (Err(f), _) => Err(f),
            (Ok(()), Ok(sent)) if sent == got => Ok(()),
            (Ok(()), Ok(sent)) => Err(Failure::new(
                Kind::Closed,
                format!("the server closed after {got} of {sent} bytes"),
            )),
        };
        (got, result, finished)
    })
}

/// What the "held" phase found.
struct Held {
    held: usize,
    stop: String,
    errors: Errors,
}

/// The most clients held at once: open connections one after another, each echoing a line,
/// keeping them all open, until the cap, the time limit, or a failure; then every one held
/// echoes a second line, so that a server that dropped old clients to take new ones does not
/// count them. `at_peak` runs while all of them are connected (to count processes and memory).
fn held(t: &Target, cap: usize, limit: Duration, at_peak: impl FnOnce() + Send) -> Held {
    let deadline = Instant::now() + limit;
    std::thread::scope(|s| {
        let h = t.spawn(s, move || {
            let mut errors = Errors::default();
            let mut conns: Vec<TcpStream> = Vec::new();
            let stop = loop {
                let n = conns.len();
                if n >= cap {
                    break format!("the cap ({cap})");
                }
                if Instant::now() >= deadline || interrupted() {
                    break format!("the time limit ({} s)", limit.as_secs());
                }
                let mut s = match t.connect() {
                    Ok(s) => s,
                    Err(e) if e.raw_os_error() == Some(libc::EMFILE) => {
                        errors.add(Failure::io("connect", e));
                        break "the load client's descriptor limit (EMFILE)".to_string();
                    }
                    Err(e) => {
                        let f = Failure::io("connect", e);
                        let why = format!("client {}: {}", n + 1, f.what);
                        errors.add(f);
                        break why;
                    }
                };
                match echo_line(&mut s, &line("held", n, 0)) {
                    Ok(()) => conns.push(s),
                    Err(f) => {
                        let why = format!("client {}: {}", n + 1, f.what);
                        errors.add(f);
                        break why;
                    }
                }
            };
            at_peak();
            let mut held = 0;
            for (n, s) in conns.iter_mut().enumerate() {
                match echo_line(s, &line("held", n, 1)) {
                    Ok(()) => held += 1,
                    Err(f) => errors.add(f),
                }
            }
            Held { held, stop, errors }
        });
        match h.join() {
            Ok(Ok(h)) => h,
            Ok(Err(e)) => Held {
                held: 0,
                stop: format!("setns: {e}"),
                errors: one_error(format!("setns: {e}")),
            },
            Err(_) => Held {
                held: 0,
                stop: "the client thread panicked".into(),
                errors: one_error("the client thread panicked".into()),
            },
        }
    })
}

/// Send one line and read its echo back.
fn echo_line(s: &mut TcpStream, sent: &[u8]) -> Result<(), Failure> {
    s.write_all(sent).map_err(|e| Failure::io("write", e))?;
    let mut back = vec![0u8; sent.len()];
    let mut got = 0;
    while got < back.len() {
        match s.read(&mut back[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(Failure::io("read", e)),
        }
    }
    check(&back[..got], sent)
}

/// Wait until the server answers a one-line echo again: between phases, the iterative server
/// may still be working through the clients a phase left in its queue. At most 10 s.
fn ready(t: &Target) -> Result<(), String> {
    let patient = Target {
        timeout: Duration::from_secs(5),
        ..*t
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut last = String::new();
    while Instant::now() < deadline && !interrupted() {
        let result = std::thread::scope(|s| {
            patient
                .spawn(s, || conn_once(&patient, b"ready?\n").1)
                .join()
        });
        match result {
            Ok(Ok(Ok(()))) => return Ok(()),
            Ok(Ok(Err(f))) => last = f.what,
            Ok(Err(e)) => last = format!("setns: {e}"),
            Err(_) => last = "the client thread panicked".into(),
        }
    }
    if interrupted() {
        return Err("interrupted".into());
    }
    Err(format!("the server no longer answers ({last})"))
}

/// utime + stime + cutime + cstime of a process, in clock ticks: its own CPU time and that of
/// the children it has waited for.
fn cpu_ticks(pid: i32) -> Result<u64, String> {
    let stat = procfs::process::Process::new(pid)
        .and_then(|p| p.stat())
        .map_err(|e| format!("cannot read /proc/{pid}/stat: {e}"))?;
    let children = (stat.cutime + stat.cstime).max(0) as u64;
    Ok(stat.utime + stat.stime + children)
}

/// Wait (at most `limit`) until `pid` has no child left, running or zombie.
fn wait_reaped(pid: i32, limit: Duration) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        let any = procfs::process::all_processes()
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|p| p.stat().ok())
            .any(|s| s.ppid == pid);
        if !any {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The processes of the server's process group (itself and the children it forked), and
/// their memory: the sum of their proportional set sizes (Pss, /proc/PID/smaps_rollup), in
/// which a page shared by k processes counts 1/k in each, so that a fork server's children
/// are not each charged the whole program.
fn group_usage(pgid: i32) -> (usize, u64) {
    let mut procs = 0;
    let mut pss = 0;
    for p in procfs::process::all_processes()
        .into_iter()
        .flatten()
        .flatten()
    {
        let Ok(stat) = p.stat() else { continue };
        if stat.pgrp != pgid || stat.state == 'Z' {
            continue;
        }
        procs += 1;
        if let Ok(r) = p.smaps_rollup() {
            pss += r
                .memory_map_rollup
                .0
                .iter()
                .filter_map(|m| m.extension.map.get("Pss"))
                .sum::<u64>();
        }
    }
    (procs, pss)
}

/// Samples the server group's process count and memory every 100 ms, keeping the peaks.
struct Sampler {
    pgid: i32,
    peaks: Arc<Mutex<(usize, u64)>>,
    paused: Arc<AtomicBool>,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sampler {
    fn start(pgid: i32) -> Sampler {
        let peaks = Arc::new(Mutex::new((0, 0)));
        let paused = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel::<()>();
        let (p, z) = (Arc::clone(&peaks), Arc::clone(&paused));
        let thread = std::thread::spawn(move || {
            loop {
                if !z.load(Ordering::SeqCst) {
                    record(&p, group_usage(pgid));
                }
                match rx.recv_timeout(Duration::from_millis(100)) {
                    Err(RecvTimeoutError::Timeout) => {}
                    _ => return,
                }
            }
        });
        Sampler {
            pgid,
            peaks,
            paused,
            stop: Some(tx),
            thread: Some(thread),
        }
    }

    /// Stop sampling by itself: with a thousand children, a scan costs the server CPU time.
    fn pause(&self) {
        self.paused.store(true, Ordering::SeqCst);
    }

    fn sample_now(&self) {
        record(&self.peaks, group_usage(self.pgid));
    }

    /// The peak process count and the peak memory.
    fn finish(mut self) -> (usize, u64) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        *self.peaks.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn record(peaks: &Mutex<(usize, u64)>, (procs, pss): (usize, u64)) {
    let mut p = peaks.lock().unwrap_or_else(|e| e.into_inner());
    p.0 = p.0.max(procs);
    p.1 = p.1.max(pss);
}

/// A server design's program, running in a process group of its own. Dropping it kills the
/// group (the server and every child it forked) and reaps them all.
struct Server {
    pid: i32,
    port: u16,
    /// The last lines it wrote on standard error, and how many there were.
    stderr: Arc<Mutex<(Vec<String>, usize)>>,
    ending: Option<String>,
}

impl Server {
    /// Start it on port 0 in namespace `ns`, and read the port from its first line.
    fn start(path: &Path, ns: Option<RawFd>, nofile: u64) -> Result<Server, String> {
        let mut cmd = Command::new(path);
        cmd.args(["--bind", "127.0.0.1", "--port", "0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        // SAFETY: the closure runs in the child between fork and exec and only makes system
        // calls (setns, prctl, setrlimit), which are async-signal-safe. The server enters its
        // namespace before exec; it gets the descriptor limit its user's shell would give it;
        // and if the bench is killed with SIGKILL and cannot clean up, the kernel kills it.
        unsafe {
            cmd.pre_exec(move || {
                if let Some(fd) = ns {
                    ns::enter(fd)?;
                }
                let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE)?;
                setrlimit(Resource::RLIMIT_NOFILE, nofile, hard)?;
                nix::sys::prctl::set_pdeathsig(Signal::SIGKILL).map_err(io::Error::from)
            });
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", path.display()))?;
        let mut server = Server {
            pid: child.id() as i32,
            port: 0,
            stderr: Arc::default(),
            ending: None,
        };
        // `child` is dropped without waiting: Drop reaps the server with waitpid.
        let (tx, rx) = mpsc::channel();
        if let Some(out) = child.stdout.take() {
            // Read every line it prints for as long as it runs: the fork server prints one per
            // child it reaps, and a full pipe would stop it in its SIGCHLD handler.
            std::thread::spawn(move || {
                let mut lines = BufReader::new(out).lines();
                if let Some(Ok(first)) = lines.next() {
                    let _ = tx.send(first);
                }
                for _ in lines.map_while(Result::ok) {}
            });
        }
        if let Some(err) = child.stderr.take() {
            let keep = Arc::clone(&server.stderr);
            std::thread::spawn(move || {
                for l in BufReader::new(err).lines().map_while(Result::ok) {
                    let mut k = keep.lock().unwrap_or_else(|e| e.into_inner());
                    k.1 += 1;
                    k.0.push(l);
                    if k.0.len() > 3 {
                        k.0.remove(0);
                    }
                }
            });
        }
        let first = match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(line) => line,
            Err(_) => {
                let said = server.said();
                return Err(match server.ended() {
                    Some(end) => format!("{} {end} before it listened{said}", path.display()),
                    None => format!("{} did not say `listening on` in 10 s", path.display()),
                });
            }
        };
        server.port = first
            .strip_prefix("listening on ")
            .and_then(|a| a.parse::<SocketAddrV4>().ok())
            .map(|a| a.port())
            .ok_or(format!(
                "its first line is `{first}`, not `listening on ADDR:PORT`"
            ))?;
        Ok(server)
    }

    /// How it ended, if it has (reaping it).
    fn ended(&mut self) -> Option<String> {
        if self.ending.is_none() {
            self.ending = match waitpid(Pid::from_raw(self.pid), Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(_, code)) => Some(format!("exited with status {code}")),
                Ok(WaitStatus::Signaled(_, sig, _)) => Some(format!("was killed by {sig}")),
                _ => None,
            };
        }
        self.ending.clone()
    }

    /// `; it said: LINE` for the last line it wrote on standard error, if any.
    fn said(&self) -> String {
        self.said_since(0)
    }

    /// How many lines it has written on standard error so far.
    fn stderr_lines(&self) -> usize {
        self.stderr.lock().unwrap_or_else(|e| e.into_inner()).1
    }

    /// `; it said: LINE` for the last line it wrote on standard error after the first `mark`.
    fn said_since(&self, mark: usize) -> String {
        let k = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
        match (k.0.last(), k.1.saturating_sub(mark)) {
            (None, _) | (_, 0) => String::new(),
            (Some(l), 1) => format!("; it said: {l}"),
            (Some(l), n) => format!("; it said {n} lines on stderr, the last: {l}"),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = killpg(Pid::from_raw(self.pid), Signal::SIGKILL); // ESRCH: already gone
        // The server first; then its children, which came to us (the subreaper) when it died.
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                Err(Errno::ECHILD) => return,
                Ok(WaitStatus::StillAlive) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(2));
                }
                Ok(WaitStatus::StillAlive) | Err(_) => return,
                Ok(_) => {}
            }
        }
    }
}

/// Everything a bench run found, and how to show it.
struct Report {
    plan: Plan,
    network: Network,
    /// Each design's package, or None while it is not in the workspace.
    found: Vec<Option<String>>,
    /// results[design][round].
    results: Vec<Vec<Option<RunResult>>>,
    seconds: f64,
}

/// The median, the smallest and the largest of some values.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Spread {
    median: f64,
    min: f64,
    max: f64,
}

impl Spread {
    fn of(values: impl IntoIterator<Item = f64>) -> Option<Spread> {
        let mut v: Vec<f64> = values.into_iter().filter(|x| x.is_finite()).collect();
        if v.is_empty() {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let mid = v.len() / 2;
        let median = if v.len() % 2 == 1 {
            v[mid]
        } else {
            (v[mid - 1] + v[mid]) / 2.0
        };
        Some(Spread {
            median,
            min: v[0],
            max: v[v.len() - 1],
        })
    }
}

impl Report {
    fn base(&self) -> usize {
        DESIGNS.iter().position(|d| d.name == BASE).unwrap_or(0)
    }

    fn all_runs(&self) -> impl Iterator<Item = &RunResult> {
        self.results.iter().flatten().flatten()
    }

    fn all_errors(&self) -> impl Iterator<Item = &Errors> {
        self.all_runs()
            .flat_map(|r| r.errors.iter().map(|(_, e)| e))
    }

    /// A design's metric over the rounds.
    fn spread(&self, d: usize, m: usize) -> Option<Spread> {
        Spread::of(self.results[d].iter().flatten().filter_map(|r| r.values[m]))
    }

    /// The design's metric divided by the fork server's in the same round, over the rounds.
    fn ratio(&self, d: usize, m: usize) -> Option<Spread> {
        let base = &self.results[self.base()];
        Spread::of(self.results[d].iter().zip(base).filter_map(|(r, b)| {
            let (v, b) = (r.as_ref()?.values[m]?, b.as_ref()?.values[m]?);
            (b != 0.0).then_some(v / b)
        }))
    }

    /// A design's errors, phase by phase, summed over the rounds.
    fn errors(&self, d: usize) -> BTreeMap<usize, (&'static str, Errors)> {
        let mut by_phase: BTreeMap<usize, (&'static str, Errors)> = BTreeMap::new();
        for r in self.results[d].iter().flatten() {
            for (i, (phase, e)) in r.errors.iter().enumerate() {
                by_phase
                    .entry(i)
                    .or_insert((phase, Errors::default()))
                    .1
                    .merge(e.clone());
            }
        }
        by_phase
    }

    fn table(&self) -> String {
        let p = &self.plan;
        let n = p.clients;
        let mut out = String::new();
        let rounds = self.results[self.base()].iter().flatten().count();
        let rounds_words = if rounds == 1 {
            "1 round"
        } else {
            "{rounds} rounds"
        };
        let rounds_words = rounds_words.replace("{rounds}", &rounds.to_string());
        out += &format!(
            "Server designs side by side (UNP Figure 30.1): {rounds_words}, N = {n} clients.\n"
        );
        out += &format!("{}\n\n", machine_line(self.network, p));
        let rows = |cell: &dyn Fn(usize, usize) -> String, cols: &[usize]| -> Vec<Vec<String>> {
            let top: Vec<String> = cols.iter().map(|&m| heading(m, n).0).collect();
            let mut rows = Vec::new();
            if top.iter().any(|h| !h.is_empty()) {
                rows.push(std::iter::once(String::new()).chain(top).collect());
            }
            rows.push(
                std::iter::once("design".to_string())
                    .chain(cols.iter().map(|&m| heading(m, n).1))
                    .collect(),
            );
            for (d, design) in DESIGNS.iter().enumerate() {
                let mut row = vec![design.name.to_string()];
                match self.found[d] {
                    None => row.push(format!("not built yet: {} is not here", design.program)),
                    Some(_) => row.extend(cols.iter().map(|&m| cell(d, m))),
                }
                rows.push(row);
            }
            rows
        };
        out += "Measured (the median over the rounds):\n";
        let all: Vec<usize> = (0..M).collect();
        let measured = |d: usize, m: usize| match self.spread(d, m) {
            Some(s) => show(s.median, METRICS[m].unit),
            None => "-".into(),
        };
        out += &grid(&rows(&measured, &all));
        out +=
            "\nRatio to fork in the same round: the median over the rounds (smallest-largest):\n";
        let ratios = |d: usize, m: usize| match self.ratio(d, m) {
            None => "-".to_string(),
            Some(_) if d == self.base() => "1".to_string(),
            Some(s) => {
                // One form for the three figures of a cell, chosen by the median.
                let small = s.median < 0.095;
                let [med, lo, hi] = [s.median, s.min, s.max].map(|v| ratio(v, small));
                if lo == hi {
                    med
                } else {
                    format!("{med} ({lo}-{hi})")
                }
            }
        };
        for group in [
            &[CONN_1, CONN_N, MB_1, MB_N][..],
            &[RTT_50, RTT_99, HELD][..],
            &[CPU, PROCS, MEM][..],
        ] {
            out += &grid(&rows(&ratios, group));
            out += "\n";
        }
        out += &format!(
            "Most clients held at once (cap {}, {} s), and what stopped it:\n",
            p.held_cap,
            p.held_time.as_secs()
        );
        for (d, design) in DESIGNS.iter().enumerate() {
            if self.found[d].is_none() {
                continue;
            }
            let mut stops: Vec<(String, Vec<String>)> = Vec::new();
            for r in self.results[d].iter().flatten() {
                let held = r.values[HELD].map_or("-".into(), |v| format!("{v}"));
                let why = r
                    .held_stop
                    .clone()
                    .or(r.failure.clone())
                    .unwrap_or_default();
                match stops.iter_mut().find(|(w, _)| *w == why) {
                    Some((_, h)) => h.push(held),
                    None => stops.push((why, vec![held])),
                }
            }
            for (why, held) in stops {
                let text = format!("{}: {why}", held.join(", "));
                out += &wrap(&format!("  {:<10}", design.name), &text);
            }
        }
        out += &format!(
            "\nErrors, summed over the rounds (every byte echoed is checked; a wait over {} s \
             is a timeout):\n",
            p.timeout.as_secs()
        );
        for (d, design) in DESIGNS.iter().enumerate() {
            if self.found[d].is_none() {
                out += &format!("  {:<10}not built yet\n", design.name);
                continue;
            }
            let phases: Vec<String> = self
                .errors(d)
                .values()
                .filter(|(_, e)| e.total() > 0)
                .map(|(phase, e)| {
                    let phase = phase.replace(" N", &format!(" {n}"));
                    let kinds: Vec<String> = KINDS
                        .iter()
                        .filter(|(k, ..)| e.count[*k as usize] > 0)
                        .map(|(k, _, one, many)| match e.count[*k as usize] {
                            1 => format!("1 {one}"),
                            c => format!("{c} {many}"),
                        })
                        .collect();
                    let first = e.first.as_deref().unwrap_or("");
                    format!("{phase}: {} (first: {first})", kinds.join(", "))
                })
                .collect();
            if phases.is_empty() {
                out += &format!("  {:<10}none\n", design.name);
            }
            for (i, phase) in phases.iter().enumerate() {
                let name = if i == 0 { design.name } else { "" };
                out += &wrap(&format!("  {name:<10}"), phase);
            }
        }
        for (d, design) in DESIGNS.iter().enumerate() {
            for (round, r) in self.results[d].iter().enumerate() {
                if let Some(f) = r.as_ref().and_then(|r| r.failure.as_ref()) {
                    let text = format!("round {}: {f}", round + 1);
                    out += &wrap(&format!("  {:<10}", design.name), &text);
                }
            }
        }
        out += &format!(
            "\nconn/s: connect, one line echoed, close; 1 client, then {n} at once. MB/s: \
             megabytes a second echoed\nover 1 connection, then {n}. RTT: one line's round \
             trip on one connection. CPU/conn: the server's\nCPU time (its own and its reaped \
             children's) per connection of the conn/s phases. procs,\nmemory: the peaks of \
             the server's processes and their summed Pss.\n"
        );
        out
    }

    fn json(&self) -> Json {
        let p = &self.plan;
        let metrics = METRICS
            .iter()
            .map(|m| {
                jobj([
                    ("key", jstr(m.key)),
                    ("heading", jstr(m.heading)),
                    (
                        "unit",
                        jstr(match m.unit {
                            Unit::Count => "count",
                            Unit::MBps => "MB/s",
                            Unit::Micros => "us",
                            Unit::Bytes => "bytes",
                        }),
                    ),
                ])
            })
            .collect();
        let spread = |s: Option<Spread>| match s {
            None => Json::Null,
            Some(s) => jobj([
                ("median", jnum(s.median)),
                ("min", jnum(s.min)),
                ("max", jnum(s.max)),
            ]),
        };
        let designs = DESIGNS
            .iter()
            .enumerate()
            .map(|(d, design)| {
                let rounds = self.results[d]
                    .iter()
                    .enumerate()
                    .filter_map(|(i, r)| Some((i, r.as_ref()?)))
                    .map(|(i, r)| {
                        let values = Json::Object(
                            (0..M)
                                .map(|m| (METRICS[m].key.to_string(), jopt(r.values[m])))
                                .collect(),
                        );
                        let errors = Json::Object(
                            r.errors
                                .iter()
                                .map(|(phase, e)| (phase_key(phase), errors_json(e)))
                                .collect(),
                        );
                        jobj([
                            ("round", jnum((i + 1) as f64)),
                            ("values", values),
                            ("held_stopped_by", jopt_str(r.held_stop.as_deref())),
                            ("errors", errors),
                            ("failure", jopt_str(r.failure.as_deref())),
                        ])
                    })
                    .collect();
                let summary = Json::Object(
                    (0..M)
                        .map(|m| {
                            let s = jobj([
                                ("value", spread(self.spread(d, m))),
                                ("ratio_to_fork", spread(self.ratio(d, m))),
                            ]);
                            (METRICS[m].key.to_string(), s)
                        })
                        .collect(),
                );
                let built = self.found[d].is_some();
                jobj([
                    ("name", jstr(design.name)),
                    ("program", jstr(design.program)),
                    ("book", jstr(design.book)),
                    ("package", jopt_str(self.found[d].as_deref())),
                    ("built", Json::Bool(built)),
                    (
                        "note",
                        match built {
                            true => Json::Null,
                            false => jstr("not built yet: not in this workspace"),
                        },
                    ),
                    ("rounds", Json::Array(rounds)),
                    ("summary", summary),
                ])
            })
            .collect();
        jobj([
            ("bench", jstr("unp-lab server designs (UNP Figure 30.1)")),
            ("quick", Json::Bool(p.quick)),
            ("rounds", jnum(p.rounds as f64)),
            ("clients", jnum(p.clients as f64)),
            ("phase_seconds", jnum(p.phase.as_secs_f64())),
            ("timeout_seconds", jnum(p.timeout.as_secs_f64())),
            ("held_cap", jnum(p.held_cap as f64)),
            ("machine", jstr(&machine_line(self.network, p))),
            ("cpus", jnum(cpus() as f64)),
            ("kernel", jstr(&kernel())),
            (
                "network",
                jstr(match self.network {
                    Network::Namespaces => "namespace",
                    Network::Loopback => "loopback",
                }),
            ),
            ("base", jstr(BASE)),
            ("seconds", jnum(self.seconds)),
            ("metrics", Json::Array(metrics)),
            ("designs", Json::Array(designs)),
        ])
    }
}

/// A phase's key in the JSON: `conn/s N` is `conn_n`, `MB/s 1` is `mb_1`, `RTT` is `rtt`.
fn phase_key(phase: &str) -> String {
    phase
        .to_lowercase()
        .replace("conn/s", "conn")
        .replace("mb/s", "mb")
        .replace(' ', "_")
}

fn errors_json(e: &Errors) -> Json {
    let mut fields: Vec<(String, Json)> = vec![("total".into(), jnum(e.total() as f64))];
    for (k, key, ..) in KINDS {
        fields.push((key.into(), jnum(e.count[k as usize] as f64)));
    }
    fields.push(("first".into(), jopt_str(e.first.as_deref())));
    Json::Object(fields.into_iter().collect())
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn kernel() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// On what the numbers were measured, in one line.
fn machine_line(network: Network, p: &Plan) -> String {
    let client = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let quick = if p.quick { " --quick" } else { "" };
    let network = match network {
        Network::Namespaces => "Each server in a network namespace of its own",
        Network::Loopback => "Every server on this machine's 127.0.0.1",
    };
    format!(
        "Measured with `cargo xtask bench{quick}` on {} CPUs, Linux {}.\n{network}; servers \
         built in release, the load client a {client} build.",
        cpus(),
        kernel(),
    )
}

/// `first` then `text`, folded at spaces to fit 100 columns, the lines after the first
/// indented as far as `first` is long.
fn wrap(first: &str, text: &str) -> String {
    let indent = first.chars().count();
    let mut out = String::new();
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split(' ') {
        if !empty && line.chars().count() + 1 + word.chars().count() > 100 {
            out += &line;
            out += "\n";
            line = " ".repeat(indent);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line += word;
        empty = false;
    }
    out + &line + "\n"
}

/// A metric's heading in two lines: `conn/s` over `50`, or nothing over `held`.
fn heading(m: usize, n: usize) -> (String, String) {
    let h = METRICS[m].heading.replace(" N", &format!(" {n}"));
    match h.rsplit_once(' ') {
        Some((a, b)) => (a.to_string(), b.to_string()),
        None => (String::new(), h),
    }
}

/// Rows of cells as a table: the first column left-aligned, the others right-aligned, each as
/// wide as its widest cell, two spaces apart (one where two would pass 100 columns). A row
/// with fewer cells (a design not built yet) runs its last cell on freely.
fn grid(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|i| {
            let rows = rows.iter().filter(|r| i == 0 || r.len() == cols);
            rows.map(|r| r[i].chars().count()).max().unwrap_or(0)
        })
        .collect();
    let gap = if widths.iter().sum::<usize>() + 2 * cols > 100 {
        1
    } else {
        2
    };
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            let w = widths[i];
            if i == 0 {
                line += &format!("{cell:<w$}");
            } else if row.len() < cols && i == row.len() - 1 {
                line += &format!("{:gap$}{cell}", "");
            } else {
                line += &format!("{:gap$}{cell:>w$}", "");
            }
        }
        out += line.trim_end();
        out += "\n";
    }
    out
}

/// A figure in at most 8 characters, with its unit.
fn show(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Count if v >= 1e6 => format!("{:.2}M", v / 1e6),
        Unit::Count if v >= 1e4 => format!("{:.1}k", v / 1e3),
        Unit::Count => format!("{v:.0}"),
        Unit::MBps => format!("{v:.0}"),
        Unit::Micros if v >= 1e4 => format!("{:.1}ms", v / 1e3),
        Unit::Micros if v >= 1e3 => format!("{:.2}ms", v / 1e3),
        Unit::Micros => format!("{v:.0}µs"),
        Unit::Bytes if v >= 1e9 => format!("{:.2}GiB", v / (1u64 << 30) as f64),
        Unit::Bytes if v >= 1e6 => format!("{:.1}MiB", v / (1u64 << 20) as f64),
        Unit::Bytes => format!("{:.0}KiB", v / 1024.0),
    }
}

/// A ratio in a few characters: 12, 3.4, 0.56; or, when `small`, 1/33 (one process against
/// a thousand reads better as 1/1000 than as 0.001).
fn ratio(v: f64, small: bool) -> String {
    match v {
        v if small && v > 0.0 && v < 1.0 => format!("1/{:.0}", 1.0 / v),
        v if v >= 100.0 => format!("{v:.0}"),
        v if v >= 10.0 => format!("{v:.1}"),
        v => format!("{v:.2}"),
    }
}

/// The report's JSON is serde_json's; these build its values as the report needs them.
type Json = serde_json::Value;

fn jstr(s: &str) -> Json {
    Json::String(s.to_string())
}

/// A number; NaN and infinity, which JSON cannot write, become null (as serde_json does).
fn jnum(v: f64) -> Json {
    Json::from(v)
}

fn jopt(v: Option<f64>) -> Json {
    v.map_or(Json::Null, jnum)
}

fn jopt_str(s: Option<&str>) -> Json {
    s.map_or(Json::Null, jstr)
}

fn jobj<const K: usize>(fields: [(&str, Json); K]) -> Json {
    Json::Object(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// An echo server on 127.0.0.1 in a thread of the test, each connection served by a
    /// thread of its own; `spoil` may change what it echoes (the n-th byte of a connection).
    fn echo_server(spoil: fn(u64, u8) -> u8) -> (SocketAddr, Arc<AtomicBool>) {
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = l.local_addr().expect("address");
        let done = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&done);
        l.set_nonblocking(true).expect("nonblocking");
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                match l.accept() {
                    Ok((mut s, _)) => {
                        let _ = s.set_nonblocking(false);
                        let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
                        std::thread::spawn(move || {
                            let mut buf = [0u8; 4096];
                            let mut at = 0u64;
                            while let Ok(n @ 1..) = s.read(&mut buf) {
                                for b in &mut buf[..n] {
                                    *b = spoil(at, *b);
                                    at += 1;
                                }
                                if s.write_all(&buf[..n]).is_err() {
                                    return;
                                }
                            }
                        });
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    Err(_) => return,
                }
            }
        });
        (addr, done)
    }

    fn target(addr: SocketAddr) -> Target {
        Target {
            addr,
            ns: None,
            timeout: Duration::from_secs(2),
        }
    }

    const PHASE: Duration = Duration::from_millis(100);

    #[test]
    fn a_faithful_echo_gives_no_error() {
        let (addr, done) = echo_server(|_, b| b);
        let t = target(addr);
        let c = conn_rate(&t, 2, PHASE);
        assert!(c.ok > 0 && c.errors.total() == 0, "{:?}", c.errors);
        let (rtts, e) = latency(&t, PHASE);
        assert!(!rtts.is_empty() && e.total() == 0, "{e:?}");
        let m = throughput(&t, 2, PHASE);
        assert!(m.bytes > 0 && m.errors.total() == 0, "{:?}", m.errors);
        let h = held(&t, 20, Duration::from_secs(5), || {});
        assert_eq!((h.held, h.errors.total()), (20, 0), "{}", h.stop);
        assert_eq!(h.stop, "the cap (20)");
        done.store(true, Ordering::SeqCst);
    }

    #[test]
    fn a_corrupted_echo_is_counted_as_an_error() {
        // One bit flipped in the 10th byte of every connection, and again far into the stream.
        let (addr, done) = echo_server(|at, b| if at == 9 || at == 300_000 { b ^ 1 } else { b });
        let t = target(addr);
        let corrupt = |e: &Errors| e.count[Kind::Corrupt as usize];
        let c = conn_rate(&t, 2, PHASE);
        assert!(corrupt(&c.errors) > 0 && c.ok == 0, "{:?}", c.errors);
        let (_, e) = latency(&t, PHASE);
        assert_eq!(corrupt(&e), 1, "{e:?}");
        let m = throughput(&t, 2, PHASE);
        assert_eq!(corrupt(&m.errors), 2, "{:?}", m.errors);
        assert!(
            m.errors
                .first
                .as_deref()
                .unwrap_or("")
                .contains("at byte 9")
        );
        let h = held(&t, 20, Duration::from_secs(5), || {});
        assert_eq!((h.held, corrupt(&h.errors)), (0, 1), "{}", h.stop);
        done.store(true, Ordering::SeqCst);
    }

    #[test]
    fn an_echo_cut_short_or_too_long_is_an_error() {
        assert_eq!(check(b"ab", b"abc").unwrap_err().kind, Kind::Closed);
        assert_eq!(check(b"abd", b"abc").unwrap_err().kind, Kind::Corrupt);
        assert!(check(b"abc", b"abc").is_ok());
    }

    #[test]
    fn a_server_that_never_answers_is_a_timeout_not_a_hang() {
        // A listening socket nobody accepts on: connects complete, echoes never come.
        let l = TcpListener::bind("127.0.0.1:0").expect("bind");
        let t = Target {
            timeout: Duration::from_millis(200),
            ..target(l.local_addr().expect("address"))
        };
        let started = Instant::now();
        let (_, e) = latency(&t, PHASE);
        assert_eq!(e.count[Kind::Timeout as usize], 1, "{e:?}");
        let h = held(&t, 5, Duration::from_secs(5), || {});
        assert_eq!(h.held, 0);
        assert!(h.stop.contains("within the timeout"), "{}", h.stop);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn small_ratios_read_as_fractions() {
        assert_eq!(ratio(0.0005, true), "1/2000");
        assert_eq!(ratio(0.083, false), "0.08");
        assert_eq!(ratio(12.34, false), "12.3");
        assert_eq!(ratio(1.5, true), "1.50");
    }

    #[test]
    fn percentiles_and_spreads() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 0.5), Some(50.0));
        assert_eq!(percentile(&v, 0.99), Some(99.0));
        assert_eq!(percentile(&[], 0.5), None);
        let s = Spread::of([3.0, 1.0, 2.0, 10.0]).expect("values");
        assert_eq!((s.median, s.min, s.max), (2.5, 1.0, 10.0));
    }

    #[test]
    fn a_report_with_missing_designs_prints_and_parses() {
        let plan = Plan::new(&Args {
            quick: true,
            json: true,
            rounds: Some(2),
            clients: None,
            held_cap: None,
        });
        let mut run = RunResult::default();
        for (m, v) in run.values.iter_mut().enumerate() {
            *v = Some(m as f64 + 1.0);
        }
        run.held_stop = Some("the cap (1100)".into());
        let mut e = Errors::default();
        e.add(Failure::new(Kind::Timeout, "read: \"no\" answer".into()));
        run.errors.push(("MB/s N", e));
        let report = Report {
            plan,
            network: Network::Loopback,
            found: vec![Some("a".into()), Some("b".into()), None, None],
            results: vec![
                vec![Some(run.clone()), Some(run.clone())],
                vec![Some(run.clone()), Some(run)],
                vec![None, None],
                vec![None, None],
            ],
            seconds: 1.0,
        };
        let table = report.table();
        assert!(table.contains("not built yet: tcpservselect01"), "{table}");
        assert!(table.contains("MB/s 50: 2 timeouts"), "{table}");
        assert_eq!(phase_key("conn/s N"), "conn_n");
        assert!(table.lines().all(|l| l.chars().count() <= 100), "{table}");
        let folded = wrap("  poll      ", &"word ".repeat(40));
        assert!(folded.lines().count() > 1, "{folded}");
        assert!(folded.lines().all(|l| l.chars().count() <= 100), "{folded}");
        assert!(
            folded
                .lines()
                .nth(1)
                .is_some_and(|l| l.starts_with("            word"))
        );
        let json = serde_json::from_str::<Json>(&report.json().to_string())
            .expect("the report's JSON parses");
        let Some(Json::Array(designs)) = json.get("designs") else {
            panic!("no designs in {json:?}");
        };
        assert_eq!(designs.len(), 4);
        assert_eq!(designs[2].get("built"), Some(&Json::Bool(false)));
        let timeouts = designs[0]
            .get("rounds")
            .and_then(|r| match r {
                Json::Array(rounds) => rounds.first(),
                _ => None,
            })
            .and_then(|r| r.get("errors")?.get("mb_n")?.get("timeout"));
        assert_eq!(timeouts, Some(&Json::from(1.0)));
        let ratio = designs[0]
            .get("summary")
            .and_then(|s| s.get("held"))
            .and_then(|h| h.get("ratio_to_fork"))
            .and_then(|r| r.get("median"));
        assert_eq!(ratio, Some(&Json::from(1.0)));
    }
}
