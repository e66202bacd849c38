//! A lesson's scenario: `crates/<lesson>/scenario.toml`, read into steps the engine plays.
//!
//! ```toml
//! [lesson]
//! title = "SIGCHLD: reaping children"
//! section = "5.8-5.10"            # the book's sections; also gives the course order
//! summary = "one line for `cargo xtask list`"
//!
//! [[step]]
//! say = "What this step does and why."
//! start = "tcpserv02 --bind {host} --port {port}"    # one action per step (or none)
//! as = "serv"                                        # the name later steps use
//! wait = [{ printed = "listening on", by = "serv" }] # conditions to wait for, with a timeout
//! expect = [{ tcp = "LISTEN", count = 1 }]           # claims checked on the state after it
//! ```
//!
//! Actions: `start = "PROGRAM ARGS"` (with `as`, and `on = HOST`), `type = "LINE"` and `to`
//! (with `repeat = N`: N lines, `{n}` numbering them), `close = NAME` (closes its standard
//! input), `signal = "SIGSTOP"` and `to` (with `child = true`: every running child of NAME
//! instead); on a host: `crash = HOST`, `reboot = HOST`, `shutdown = HOST`, and
//! `route = "ADDR unreachable"` with `on = HOST`.
//! `as`, `to` and `close` take a name or a list of names: `as = ["a", "b"]` starts two copies.
//! In a program's arguments `{port}` is the server port, `{host}` the address of the host it
//! runs on, `{NAME}` the address of host NAME, and `{tmp}` a folder of the run's own (for
//! files such as a Unix-domain socket's: hosts share the file system, runs do not share it).
//!
//! A lesson may declare its hosts, each a network namespace on the run's network
//! 192.0.2.0/24; without any, it runs on one host, `host`, with only its loopback, 127.0.0.1:
//!
//! ```toml
//! [[host]]
//! name = "server"
//! addr = "192.0.2.2"
//! sysctl = { "net.ipv4.tcp_retries2" = 3 }   # its kernel's settings
//! routes = ["192.0.2.200 unreachable"]       # beyond its link's own
//! ```
//!
//! Conditions are in [`Cond`]. A mistake is reported as `FILE: step N: what is wrong`.

use std::path::Path;
use std::time::Duration;

use nix::sys::signal::Signal;
use serde::Deserialize;

use crate::kernel::tcp_states;
use crate::net::ns::{self, HostSpec, Route};

#[derive(Debug)]
pub struct Scenario {
    pub lesson: LessonInfo,
    /// The run's hosts; the first is where programs run unless a step says `on`.
    pub hosts: Vec<HostSpec>,
    pub steps: Vec<Step>,
    /// The lines the lesson teaches, each with the change that undoes it.
    pub guards: Vec<Guard>,
}

impl Scenario {
    /// Whether the lesson declared hosts of its own (a network of namespaces joined by a
    /// switch) rather than running on the one loopback host.
    pub fn networked(&self) -> bool {
        self.hosts.iter().any(|h| !h.addr.is_loopback())
    }
}

/// The packets a `packet` condition can name, as the narrations name them.
pub const PACKET_KINDS: &[&str] = &[
    "SYN",
    "SYN-ACK",
    "FIN",
    "RST",
    "ACK",
    "data",
    "UDP",
    "ICMP",
    "ICMP port unreachable",
    "ICMP host unreachable",
    "ICMP net unreachable",
    "ARP",
];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LessonInfo {
    pub title: String,
    pub section: String,
    pub summary: String,
}

/// `[[guard]]`: a line the lesson exists to teach, and the change that undoes it (the previous
/// lesson's version, or the naive one the book warns against). `cargo xtask guard` applies the
/// change to a scratch copy of the workspace and shows that a check then fails.
///
/// ```toml
/// [[guard]]
/// file = "src/bin/tcpserv04.rs"                       # from the lesson's folder
/// line = "waitpid(None, Some(WaitPidFlag::WNOHANG))"  # exactly once in the file
/// change = "waitpid(None, None)"                      # what it becomes
/// why = "WNOHANG: the handler must not block while other children still run (§5.10)"
/// caught = "scenario"                                 # or "test TARGET NAME"
/// task = "reap every ended child without blocking (§5.10)"  # optional, for exercises
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guard {
    pub file: String,
    pub line: String,
    pub change: String,
    pub why: String,
    /// What catches the change: `scenario` (this lesson's, the default) or `test TARGET NAME`
    /// (`cargo test --test TARGET NAME`, for what a test checks better than a scenario).
    #[serde(default = "scenario_catches")]
    pub caught: String,
    /// The task `cargo xtask exercise` states where it undid the line: what the code must do,
    /// in the book's terms and with its section, without giving the line away (default: `why`).
    #[serde(default)]
    pub task: Option<String>,
}

fn scenario_catches() -> String {
    "scenario".into()
}

#[derive(Debug)]
pub struct Step {
    pub say: String,
    pub action: Action,
    pub wait: Vec<Cond>,
    pub expect: Vec<Cond>,
    pub timeout: Duration,
    /// `quiet = true`: print neither the programs' output nor the tables after this step (its
    /// checks are still made and shown): for repetitive steps, or ones whose output depends
    /// on timing.
    pub quiet: bool,
    /// `show = ["fds", "signals"]`: the views this step adds to the ps and netstat tables.
    pub show: Vec<View>,
}

/// A view of the state beyond ps and netstat, shown on the steps that ask for it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum View {
    /// Each process's open descriptors, as lsof lists them.
    Fds,
    /// Each process's pending, blocked, ignored and caught signals.
    Signals,
}

#[derive(Debug, Clone)]
pub enum Action {
    None,
    /// Start one copy of the program per name, on the host `host`.
    Start {
        names: Vec<String>,
        program: String,
        args: Vec<String>,
        host: String,
    },
    /// Type the line `repeat` times (`{n}` in it counts 1, 2, ...) into each program.
    Type {
        to: Vec<String>,
        line: String,
        repeat: usize,
    },
    Close {
        names: Vec<String>,
    },
    Signal {
        to: Vec<String>,
        signal: Signal,
        children: bool,
    },
    /// The host stops dead: no FIN, no RST, nothing more leaves or reaches it.
    Crash {
        host: String,
    },
    /// The host comes back after a crash, with the same address and no connections.
    Reboot {
        host: String,
    },
    /// The host is shut down as init does it: SIGTERM to every process, then SIGKILL.
    Shutdown {
        host: String,
    },
    /// A route is added on the host.
    Route {
        host: String,
        route: Route,
    },
}

/// A condition on the state: waited for, or checked as an expectation.
#[derive(Debug, Clone)]
pub enum Cond {
    /// `{ printed = "TEXT", by = NAME, count = N }`: lines NAME printed containing TEXT
    /// (exactly N of them; without count, at least one). `by` may list several programs:
    /// then each of them.
    Printed {
        by: Vec<String>,
        text: String,
        count: Option<usize>,
    },
    /// `{ state = "T", of = NAME }`: NAME's process state letter, as ps's STAT shows it; with
    /// `wchan = "poll_schedule_timeout"`, also the kernel function it sleeps in (ps's WCHAN;
    /// a suffix such as `.constprop.0` is ignored): a process asleep in select or poll is there,
    /// one asleep in a socket's read or write in wait_woken.
    State {
        of: String,
        state: char,
        wchan: Option<String>,
    },
    /// `{ zombies = N, of = NAME }`: how many of NAME's children are zombies.
    Zombies { of: String, n: usize },
    /// `{ children = N, of = NAME }`: how many of NAME's children are alive (not zombies);
    /// with `stat = "T"`, how many are in that state.
    Children {
        of: String,
        n: usize,
        stat: Option<char>,
    },
    /// `{ exited = NAME, code = N }` or `{ exited = NAME, signal = "SIGPIPE" }`: NAME has ended
    /// (and how, when given).
    Exited {
        who: String,
        code: Option<i32>,
        signal: Option<Signal>,
    },
    /// `{ running = NAME }`: NAME has not ended.
    Running { who: String },
    /// `{ tcp = "STATE", side = "server", recvq = N, count = N }`: TCP sockets of the scenario
    /// in STATE; side "server" means the local port is the server's port, "client" the foreign
    /// one; recvq, only those with N bytes in Recv-Q (for LISTEN: connections not yet accepted).
    Tcp {
        state: String,
        side: Option<Side>,
        recvq: Option<u32>,
        count: Option<usize>,
    },
    /// `{ udp = N }`: how many UDP sockets the scenario has.
    Udp { n: usize },
    /// `{ fds = N, of = NAME, tcp = "STATE", side = "server" }`: NAME holds N descriptors on
    /// sockets (TCP sockets in STATE, on that side, when given).
    Fds {
        of: String,
        n: usize,
        state: Option<String>,
        side: Option<Side>,
    },
    /// `{ refs = N, tcp = "STATE", side = "server" }`: each TCP socket in STATE (there is at
    /// least one) is referred to by N descriptors of the scenario's processes: 2 after fork.
    Refs {
        n: usize,
        state: String,
        side: Option<Side>,
    },
    /// `{ sig = "SIGINT", of = NAME, is = "blocked" }`: the signal is pending, blocked,
    /// ignored, caught or default for NAME; `is = "not pending"` says it is not.
    Sig {
        of: String,
        signal: Signal,
        is: SigIs,
        not: bool,
    },
    /// `{ orphans = N }`: how many processes the runner has had to reap that it did not start:
    /// children whose parent ended without waiting for them (the runner is their subreaper).
    Orphans { n: usize },
    /// `{ unix = "LISTENING", count = N }`: Unix-domain sockets in that state (`any`).
    Unix { state: String, count: Option<usize> },
    /// `{ counter = "Udp.InDatagrams", on = HOST, min = N, max = N }`: a kernel counter of the
    /// host's network stack (/proc/net/snmp in its namespace), within bounds. A sum of counters,
    /// `"Udp.InDatagrams + Udp.RcvbufErrors"`, checks what they add up to.
    Counter {
        name: String,
        host: String,
        min: Option<u64>,
        max: Option<u64>,
    },
    /// `{ packet = "RST", from = HOST, to = HOST, side = "server", count = N }`: packets of a
    /// kind (one of PACKET_KINDS) captured during this step; from or to a host, or sent by
    /// the server's side (from the server's port) or the client's side (to it). Without
    /// count, at least one; `count = 0` says none was.
    Packet {
        kind: String,
        from: Option<String>,
        to: Option<String>,
        side: Option<Side>,
        count: Option<usize>,
    },
}

/// What a `sig` condition says of a signal.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SigIs {
    Pending,
    Blocked,
    Ignored,
    Caught,
    /// Neither ignored nor caught: its default action.
    Default,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Side {
    Server,
    Client,
}

// What the TOML file holds, before it is checked.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    lesson: LessonInfo,
    #[serde(default)]
    host: Vec<RawHost>,
    #[serde(default)]
    step: Vec<RawStep>,
    #[serde(default)]
    guard: Vec<Guard>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHost {
    name: String,
    addr: String,
    #[serde(default)]
    sysctl: std::collections::BTreeMap<String, toml::Value>,
    #[serde(default)]
    routes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    say: String,
    start: Option<String>,
    #[serde(rename = "as")]
    name: Option<Names>,
    #[serde(rename = "type")]
    typed: Option<String>,
    repeat: Option<usize>,
    close: Option<Names>,
    signal: Option<String>,
    to: Option<Names>,
    child: Option<bool>,
    on: Option<String>,
    crash: Option<String>,
    reboot: Option<String>,
    shutdown: Option<String>,
    route: Option<String>,
    #[serde(default)]
    wait: Vec<RawCond>,
    #[serde(default)]
    expect: Vec<RawCond>,
    /// Seconds to wait for the `wait` conditions; 5 when not given.
    timeout: Option<f64>,
    quiet: Option<bool>,
    #[serde(default)]
    show: Vec<String>,
}

/// `as`, `to` and `close` take one name or a list of names.
#[derive(Deserialize, Clone)]
#[serde(untagged)]
enum Names {
    One(String),
    Many(Vec<String>),
}

impl Names {
    fn list(&self) -> Vec<String> {
        match self {
            Names::One(n) => vec![n.clone()],
            Names::Many(v) => v.clone(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCond {
    printed: Option<String>,
    by: Option<Names>,
    state: Option<String>,
    of: Option<String>,
    zombies: Option<usize>,
    children: Option<usize>,
    exited: Option<String>,
    code: Option<i32>,
    signal: Option<String>,
    running: Option<String>,
    tcp: Option<String>,
    side: Option<String>,
    recvq: Option<u32>,
    udp: Option<usize>,
    count: Option<usize>,
    stat: Option<String>,
    packet: Option<String>,
    from: Option<String>,
    to: Option<String>,
    fds: Option<usize>,
    refs: Option<usize>,
    sig: Option<String>,
    is: Option<String>,
    unix: Option<String>,
    counter: Option<String>,
    on: Option<String>,
    min: Option<u64>,
    max: Option<u64>,
    orphans: Option<usize>,
    wchan: Option<String>,
}

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

impl Scenario {
    /// Read and check a scenario file. The error is one line: `FILE: [step N: ]what is wrong`.
    pub fn load(path: &Path) -> Result<Scenario, String> {
        let file = path.display();
        let text = std::fs::read_to_string(path).map_err(|e| format!("{file}: {e}"))?;
        let raw: RawScenario = toml::from_str(&text).map_err(|e| {
            let msg = e.message().trim().replace('\n', " ");
            match e.span() {
                Some(span) => {
                    let line = text[..span.start].matches('\n').count() + 1;
                    let step = text[..span.start].matches("[[step]]").count();
                    let step = if step > 0 {
                        format!("step {step}: ")
                    } else {
                        String::new()
                    };
                    format!("{file}: {step}line {line}: {msg}")
                }
                None => format!("{file}: {msg}"),
            }
        })?;
        if raw.step.is_empty() {
            return Err(format!(
                "{file}: no [[step]]: a scenario needs at least one step"
            ));
        }
        let hosts = check_hosts(raw.host).map_err(|msg| format!("{file}: {msg}"))?;
        let mut names: Vec<String> = Vec::new();
        let mut steps = Vec::new();
        for (i, raw) in raw.step.into_iter().enumerate() {
            let step = check_step(raw, &mut names, &hosts)
                .map_err(|msg| format!("{file}: step {}: {msg}", i + 1))?;
            steps.push(step);
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        let changed = std::env::var_os(crate::cmd::guard::CHANGED).is_some();
        for (i, guard) in raw.guard.iter().enumerate().filter(|_| !changed) {
            check_guard(dir, guard).map_err(|msg| format!("{file}: guard {}: {msg}", i + 1))?;
        }
        Ok(Scenario {
            lesson: raw.lesson,
            hosts,
            steps,
            guards: raw.guard,
        })
    }
}

/// A guard names code that is in the lesson, once, and a change that differs from it, so that
/// the list stays true as the code changes (as `notes --check` keeps the notes true).
fn check_guard(dir: &Path, guard: &Guard) -> Result<(), String> {
    let text = std::fs::read_to_string(dir.join(&guard.file))
        .map_err(|e| format!("file `{}`: {e}", guard.file))?;
    match text.matches(guard.line.as_str()).count() {
        1 => {}
        0 => return Err(format!("`{}` is not in {}", guard.line, guard.file)),
        n => {
            return Err(format!(
                "`{}` is in {} {n} times, not once",
                guard.line, guard.file
            ));
        }
    }
    if guard.change == guard.line {
        return Err("the change is the line itself".into());
    }
    let caught: Vec<&str> = guard.caught.split_whitespace().collect();
    match caught.as_slice() {
        ["scenario"] | ["test", _, _] => Ok(()),
        _ => Err(format!(
            "caught = `{}`: say `scenario` or `test TARGET NAME`",
            guard.caught
        )),
    }
}

/// The declared hosts, or the one loopback host of a lesson that declares none.
fn check_hosts(raw: Vec<RawHost>) -> Result<Vec<HostSpec>, String> {
    if raw.is_empty() {
        return Ok(vec![HostSpec {
            name: "host".into(),
            addr: std::net::Ipv4Addr::LOCALHOST,
            sysctls: Vec::new(),
            routes: Vec::new(),
        }]);
    }
    let mut hosts: Vec<HostSpec> = Vec::new();
    for h in raw {
        let what = format!("host `{}`", h.name);
        if h.name.is_empty()
            || !h
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(format!("{what}: a host name is letters, digits and `-`"));
        }
        // The name is also the switch's port for the host: an interface name, at most 15.
        if h.name.len() > 15 || h.name == "switch" {
            return Err(format!("{what}: at most 15 characters, and not `switch`"));
        }
        let addr = ns::in_run(&h.addr).map_err(|e| format!("{what}: {e}"))?;
        if let Some(other) = hosts.iter().find(|o| o.name == h.name || o.addr == addr) {
            return Err(format!(
                "{what}: {} already has that name or address",
                other.name
            ));
        }
        let mut sysctls = Vec::new();
        for (key, value) in h.sysctl {
            if !key.starts_with("net.") || key.contains("..") || key.contains('/') {
                return Err(format!(
                    "{what}: sysctl `{key}` is not a network setting (net.*)"
                ));
            }
            let value = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(n) => n.to_string(),
                other => {
                    let t = other.type_str();
                    return Err(format!(
                        "{what}: sysctl `{key}` is a {t}: give a number or text"
                    ));
                }
            };
            sysctls.push((key, value));
        }
        let routes = h
            .routes
            .iter()
            .map(|r| r.parse::<Route>().map_err(|e| format!("{what}: {e}")))
            .collect::<Result<_, _>>()?;
        hosts.push(HostSpec {
            name: h.name,
            addr,
            sysctls,
            routes,
        });
    }
    Ok(hosts)
}

fn check_step(raw: RawStep, names: &mut Vec<String>, hosts: &[HostSpec]) -> Result<Step, String> {
    let given: Vec<&str> = [
        ("start", raw.start.is_some()),
        ("type", raw.typed.is_some()),
        ("close", raw.close.is_some()),
        ("signal", raw.signal.is_some()),
        ("crash", raw.crash.is_some()),
        ("reboot", raw.reboot.is_some()),
        ("shutdown", raw.shutdown.is_some()),
        ("route", raw.route.is_some()),
    ]
    .iter()
    .filter(|(_, set)| *set)
    .map(|(key, _)| *key)
    .collect();
    if given.len() > 1 {
        return Err(format!(
            "one action per step, found {}",
            given.join(" and ")
        ));
    }
    let known = |given: &Names, names: &[String]| -> Result<Vec<String>, String> {
        let list = given.list();
        if list.is_empty() {
            return Err("an empty list of names".into());
        }
        match list.iter().find(|n| !names.contains(n)) {
            Some(n) => Err(format!("`{n}` is not a program started by an earlier step")),
            None => Ok(list),
        }
    };
    let needs_to = |key: &str| raw.to.clone().ok_or(format!("`{key}` needs `to = NAME`"));
    let host = |name: &str| -> Result<String, String> {
        if hosts.iter().any(|h| h.name == name) {
            Ok(name.to_string())
        } else {
            let all: Vec<&str> = hosts.iter().map(|h| h.name.as_str()).collect();
            Err(format!(
                "no host `{name}`; the hosts are {}",
                all.join(", ")
            ))
        }
    };
    let on = match &raw.on {
        Some(name) => host(name)?,
        None => hosts[0].name.clone(),
    };
    let action = if let Some(cmd) = &raw.start {
        let mut words = cmd.split_whitespace().map(str::to_string);
        let program = words
            .next()
            .ok_or("`start` is empty: it needs a program name")?;
        let given = raw.name.as_ref().map_or(vec![program.clone()], Names::list);
        if given.is_empty() {
            return Err("`as` is an empty list".into());
        }
        for name in &given {
            if names.contains(name) {
                return Err(format!(
                    "the name `{name}` is taken: give this program another with `as`"
                ));
            }
            names.push(name.clone());
        }
        let args: Vec<String> = words.collect();
        for arg in &args {
            check_placeholders(arg, hosts)?;
        }
        Action::Start {
            names: given,
            program,
            args,
            host: on.clone(),
        }
    } else if let Some(line) = &raw.typed {
        let repeat = raw.repeat.unwrap_or(1);
        if repeat == 0 {
            return Err("`repeat` must be at least 1".into());
        }
        Action::Type {
            to: known(&needs_to("type")?, names)?,
            line: line.clone(),
            repeat,
        }
    } else if let Some(given) = &raw.close {
        Action::Close {
            names: known(given, names)?,
        }
    } else if let Some(sig) = &raw.signal {
        let signal = sig
            .parse::<Signal>()
            .map_err(|_| format!("`{sig}` is not a signal name"))?;
        let to = known(&needs_to("signal")?, names)?;
        Action::Signal {
            to,
            signal,
            children: raw.child.unwrap_or(false),
        }
    } else if let Some(name) = &raw.crash {
        Action::Crash { host: host(name)? }
    } else if let Some(name) = &raw.reboot {
        Action::Reboot { host: host(name)? }
    } else if let Some(name) = &raw.shutdown {
        Action::Shutdown { host: host(name)? }
    } else if let Some(route) = &raw.route {
        Action::Route {
            host: on.clone(),
            route: route.parse()?,
        }
    } else {
        Action::None
    };
    let lan = hosts.iter().any(|h| !h.addr.is_loopback());
    if !lan && (raw.crash.is_some() || raw.reboot.is_some() || raw.route.is_some()) {
        return Err("crash, reboot and route need hosts: declare them with [[host]]".into());
    }
    if raw.on.is_some() && raw.start.is_none() && raw.route.is_none() {
        return Err("`on` names a host, so it goes with `start` or `route`".into());
    }
    if raw.repeat.is_some() && raw.typed.is_none() {
        return Err("`repeat` goes with `type`".into());
    }
    if raw.name.is_some() && raw.start.is_none() {
        return Err("`as` names a program, so it goes with `start`".into());
    }
    if raw.to.is_some() && raw.typed.is_none() && raw.signal.is_none() {
        return Err("`to` goes with `type` or `signal`".into());
    }
    if raw.child.is_some() && raw.signal.is_none() {
        return Err("`child` goes with `signal`".into());
    }
    let conds = |list: Vec<RawCond>, key: &str| -> Result<Vec<Cond>, String> {
        let checked = list.into_iter().enumerate().map(|(i, c)| {
            check_cond(c, names, hosts).map_err(|msg| format!("{key} #{}: {msg}", i + 1))
        });
        checked.collect()
    };
    let timeout = match raw.timeout {
        None => DEFAULT_TIMEOUT,
        Some(t) if t > 0.0 && t <= 600.0 => Duration::from_secs_f64(t),
        Some(t) => return Err(format!("timeout {t} is not between 0 and 600 seconds")),
    };
    let show = raw
        .show
        .iter()
        .map(|v| match v.as_str() {
            "fds" => Ok(View::Fds),
            "signals" => Ok(View::Signals),
            other => Err(format!(
                "`show` takes \"fds\" and \"signals\", not `{other}`"
            )),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let wait = conds(raw.wait, "wait")?;
    let expect = conds(raw.expect, "expect")?;
    check_narration(&raw.say, wait.iter().chain(&expect))?;
    Ok(Step {
        say: raw.say.trim().to_string(),
        action,
        wait,
        expect,
        timeout,
        quiet: raw.quiet.unwrap_or(false),
        show,
    })
}

/// A narration that names a packet makes a claim about the wire: the step must check it with
/// a `packet` condition of that kind (`count = 0` too, for "no RST comes").
fn check_narration<'a>(say: &str, conds: impl Iterator<Item = &'a Cond>) -> Result<(), String> {
    let kinds: Vec<&str> = conds
        .filter_map(|c| match c {
            Cond::Packet { kind, .. } => Some(kind.as_str()),
            _ => None,
        })
        .collect();
    // Words are split at anything but letters, digits and `_`, so SYN_SENT and FIN_WAIT2, TCP
    // states, are not packets, while SYN-ACK names a SYN.
    let words = say.split(|c: char| !c.is_ascii_alphanumeric() && c != '_');
    for word in words {
        let backed = match word {
            "SYN" => kinds.iter().any(|k| k.starts_with("SYN")),
            "FIN" | "RST" => kinds.contains(&word),
            "ICMP" => kinds.iter().any(|k| k.starts_with("ICMP")),
            _ => true,
        };
        if !backed {
            return Err(format!(
                "the narration names a {word}, but no `packet = \"{word}\"` condition checks it"
            ));
        }
    }
    Ok(())
}

/// Every `{word}` in a program's argument is `{port}`, `{host}` or a host's name.
fn check_placeholders(arg: &str, hosts: &[HostSpec]) -> Result<(), String> {
    let mut rest = arg;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            return Err(format!("`{arg}`: a `{{` without its `}}`"));
        };
        let word = &rest[open + 1..open + close];
        if !["port", "host", "tmp"].contains(&word) && !hosts.iter().any(|h| h.name == word) {
            return Err(format!(
                "`{{{word}}}` is neither {{port}}, {{host}}, {{tmp}} nor a host's name"
            ));
        }
        rest = &rest[open + close + 1..];
    }
    Ok(())
}

fn check_cond(c: RawCond, names: &[String], hosts: &[HostSpec]) -> Result<Cond, String> {
    let subjects = [
        ("printed", c.printed.is_some()),
        ("state", c.state.is_some()),
        ("zombies", c.zombies.is_some()),
        ("children", c.children.is_some()),
        ("exited", c.exited.is_some()),
        ("running", c.running.is_some()),
        // `tcp` also narrows `fds` and `refs`: then it is not the subject.
        (
            "tcp",
            c.tcp.is_some() && c.fds.is_none() && c.refs.is_none(),
        ),
        ("udp", c.udp.is_some()),
        ("packet", c.packet.is_some()),
        ("fds", c.fds.is_some()),
        ("refs", c.refs.is_some()),
        ("sig", c.sig.is_some()),
        ("unix", c.unix.is_some()),
        ("counter", c.counter.is_some()),
        ("orphans", c.orphans.is_some()),
    ];
    let set: Vec<&str> = subjects
        .iter()
        .filter(|(_, s)| *s)
        .map(|(k, _)| *k)
        .collect();
    if set.len() != 1 {
        let keys: Vec<&str> = subjects.iter().map(|(k, _)| *k).collect();
        return Err(format!(
            "a condition takes exactly one of {}",
            keys.join(", ")
        ));
    }
    let name = |key: &str, v: &Option<String>| -> Result<String, String> {
        let n = v
            .clone()
            .ok_or(format!("`{}` needs `{key} = NAME`", set[0]))?;
        if names.contains(&n) {
            Ok(n)
        } else {
            Err(format!(
                "`{n}` is not a program started by this step or an earlier one"
            ))
        }
    };
    // Each condition allows only its own keys; anything else is a mistake worth naming.
    let allowed: &[&str] = match set[0] {
        "printed" => &["by", "count"],
        "state" => &["of", "wchan"],
        "zombies" => &["of"],
        "children" => &["of", "stat"],
        "exited" => &["code", "signal"],
        "tcp" => &["side", "recvq", "count"],
        "packet" => &["from", "to", "side", "count"],
        "fds" => &["of", "tcp", "side"],
        "refs" => &["tcp", "side"],
        "sig" => &["of", "is"],
        "unix" => &["count"],
        "counter" => &["on", "min", "max"],
        _ => &[],
    };
    let extras = [
        ("by", c.by.is_some()),
        ("of", c.of.is_some()),
        ("code", c.code.is_some()),
        ("signal", c.signal.is_some()),
        ("side", c.side.is_some()),
        ("recvq", c.recvq.is_some()),
        ("count", c.count.is_some()),
        ("stat", c.stat.is_some()),
        ("from", c.from.is_some()),
        ("to", c.to.is_some()),
        ("tcp", c.tcp.is_some() && !matches!(set[0], "tcp")),
        ("is", c.is.is_some()),
        ("on", c.on.is_some()),
        ("wchan", c.wchan.is_some()),
        ("min", c.min.is_some()),
        ("max", c.max.is_some()),
    ];
    if let Some((key, _)) = extras.iter().find(|(k, s)| *s && !allowed.contains(k)) {
        return Err(format!("`{key}` does not go with `{}`", set[0]));
    }
    Ok(match set[0] {
        "printed" => Cond::Printed {
            by: {
                let given = c.by.as_ref().map(Names::list).unwrap_or_default();
                if given.is_empty() {
                    return Err("`printed` needs `by = NAME` (or a list of names)".into());
                }
                let checked: Result<Vec<String>, String> =
                    given.iter().map(|n| name("by", &Some(n.clone()))).collect();
                checked?
            },
            text: c.printed.unwrap(),
            count: c.count,
        },
        "state" => Cond::State {
            of: name("of", &c.of)?,
            state: state_letter(&c.state)?,
            wchan: c.wchan,
        },
        "zombies" => Cond::Zombies {
            of: name("of", &c.of)?,
            n: c.zombies.unwrap(),
        },
        "children" => {
            let stat = if c.stat.is_some() {
                Some(state_letter(&c.stat)?)
            } else {
                None
            };
            Cond::Children {
                of: name("of", &c.of)?,
                n: c.children.unwrap(),
                stat,
            }
        }
        "exited" => {
            let signal = match &c.signal {
                Some(s) => Some(
                    s.parse::<Signal>()
                        .map_err(|_| format!("`{s}` is not a signal name"))?,
                ),
                None => None,
            };
            if c.code.is_some() && signal.is_some() {
                return Err("a process ends with an exit code or by a signal, not both".into());
            }
            Cond::Exited {
                who: name("exited", &c.exited)?,
                code: c.code,
                signal,
            }
        }
        "running" => Cond::Running {
            who: name("running", &c.running)?,
        },
        "fds" => Cond::Fds {
            of: name("of", &c.of)?,
            n: c.fds.unwrap_or_default(),
            state: c.tcp.as_deref().map(tcp_state).transpose()?,
            side: side(&c.side)?,
        },
        "refs" => Cond::Refs {
            n: c.refs.unwrap_or_default(),
            state: tcp_state(c.tcp.as_deref().ok_or("`refs` needs `tcp = STATE`")?)?,
            side: side(&c.side)?,
        },
        "sig" => {
            let text = c.sig.clone().unwrap_or_default();
            let signal = text
                .parse::<Signal>()
                .map_err(|_| format!("`{text}` is not a signal name"))?;
            let said =
                c.is.clone()
                    .ok_or("`sig` needs `is = \"blocked\"` (or pending, ...)")?;
            let (not, word) = match said.strip_prefix("not ") {
                Some(rest) => (true, rest),
                None => (false, said.as_str()),
            };
            let is = match word {
                "pending" => SigIs::Pending,
                "blocked" => SigIs::Blocked,
                "ignored" => SigIs::Ignored,
                "caught" => SigIs::Caught,
                "default" => SigIs::Default,
                w => {
                    return Err(format!(
                        "`is = \"{w}\"`: pending, blocked, ignored, caught or default"
                    ));
                }
            };
            Cond::Sig {
                of: name("of", &c.of)?,
                signal,
                is,
                not,
            }
        }
        "unix" => {
            let state = c.unix.clone().unwrap_or_default();
            if !["LISTENING", "CONNECTED", "any"].contains(&state.as_str()) {
                return Err(format!("`unix = \"{state}\"`: LISTENING, CONNECTED or any"));
            }
            Cond::Unix {
                state,
                count: c.count,
            }
        }
        "orphans" => Cond::Orphans {
            n: c.orphans.unwrap_or_default(),
        },
        "counter" => {
            let counter = c.counter.clone().unwrap_or_default();
            // One counter, or a sum of them: "Udp.InDatagrams + Udp.RcvbufErrors".
            let bad = counter.split('+').map(str::trim).any(|part| {
                part.split_once('.')
                    .is_none_or(|(a, b)| a.is_empty() || b.is_empty() || b.contains(' '))
            });
            if bad {
                return Err(format!(
                    "counter `{counter}` is not GROUP.NAME (as Udp.InDatagrams) or a sum of them"
                ));
            }
            let host = match &c.on {
                Some(h) if hosts.iter().any(|x| &x.name == h) => h.clone(),
                Some(h) => return Err(format!("no host `{h}`")),
                None => hosts[0].name.clone(),
            };
            if c.min.is_none() && c.max.is_none() {
                return Err("`counter` needs `min = N`, `max = N` or both".into());
            }
            Cond::Counter {
                name: counter,
                host,
                min: c.min,
                max: c.max,
            }
        }
        "tcp" => {
            let state = c.tcp.unwrap();
            if !tcp_states().contains(&state.as_str()) {
                return Err(format!(
                    "`{state}` is not a TCP state ({})",
                    tcp_states().join(", ")
                ));
            }
            Cond::Tcp {
                state,
                side: side(&c.side)?,
                recvq: c.recvq,
                count: c.count,
            }
        }
        "packet" => {
            let kind = c.packet.clone().unwrap_or_default();
            if !PACKET_KINDS.contains(&kind.as_str()) {
                return Err(format!(
                    "`{kind}` is not a packet kind ({})",
                    PACKET_KINDS.join(", ")
                ));
            }
            let host = |h: &Option<String>| -> Result<Option<String>, String> {
                match h {
                    None => Ok(None),
                    Some(h) if hosts.iter().any(|x| &x.name == h) => Ok(Some(h.clone())),
                    Some(h) => Err(format!("no host `{h}` to send or receive the packet")),
                }
            };
            Cond::Packet {
                kind,
                from: host(&c.from)?,
                to: host(&c.to)?,
                side: side(&c.side)?,
                count: c.count,
            }
        }
        _ => Cond::Udp { n: c.udp.unwrap() },
    })
}

/// A TCP state name, checked.
fn tcp_state(state: &str) -> Result<String, String> {
    if tcp_states().contains(&state) {
        Ok(state.to_string())
    } else {
        Err(format!(
            "`{state}` is not a TCP state ({})",
            tcp_states().join(", ")
        ))
    }
}

fn side(given: &Option<String>) -> Result<Option<Side>, String> {
    match given.as_deref() {
        None => Ok(None),
        Some("server") => Ok(Some(Side::Server)),
        Some("client") => Ok(Some(Side::Client)),
        Some(s) => Err(format!("side `{s}` is neither \"server\" nor \"client\"")),
    }
}

/// A process state letter as ps's STAT column shows it.
fn state_letter(s: &Option<String>) -> Result<char, String> {
    let s = s.as_deref().unwrap_or_default();
    let mut letters = s.chars();
    match (letters.next(), letters.next()) {
        (Some(state @ ('R' | 'S' | 'D' | 'T' | 't' | 'Z')), None) => Ok(state),
        _ => Err(format!("state `{s}` is not one of R, S, D, T, t, Z")),
    }
}
