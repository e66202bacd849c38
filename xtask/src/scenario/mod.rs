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
//! A lesson may declare its hosts ([`host`]) and lists the lines it teaches ([`guard`]).
//!
//! Conditions are in [`crate::cond`], one file a kind. A mistake is reported as one line,
//! `FILE: step N: wait #2: what is wrong`, naming the step and the key.

mod guard;
mod host;
mod narration;
mod step;

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use nix::sys::signal::Signal;
use serde::Deserialize;

pub use guard::{Catcher, Guard};
pub use step::MAX_REPEAT;

use crate::cond::Cond;
use crate::net::ns::{HostSpec, Route};

#[derive(Debug)]
pub struct Scenario {
    pub lesson: LessonInfo,
    /// The run's hosts; the first is where programs run unless a step says `on`.
    pub hosts: Vec<HostSpec>,
    pub steps: Vec<Step>,
    /// The lines the lesson teaches, each with the change that undoes it.
    pub guards: Vec<Guard>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LessonInfo {
    pub title: String,
    pub section: String,
    pub summary: String,
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
    /// `picture = true`: a key step, which the notes draw.
    pub picture: bool,
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

// What the TOML file holds, before it is checked.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    lesson: LessonInfo,
    #[serde(default)]
    host: Vec<host::RawHost>,
    #[serde(default)]
    step: Vec<step::RawStep>,
    #[serde(default)]
    guard: Vec<Guard>,
}

/// The largest scenario file read: the biggest lesson's is under 40 KiB.
pub const MAX_SIZE: u64 = 1 << 20;

impl Scenario {
    /// Read and check a scenario file. The error is one line: `FILE: [step N: ]what is wrong`.
    pub fn load(path: &Path) -> Result<Scenario, String> {
        let file = path.display();
        let mut text = String::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_SIZE + 1).read_to_string(&mut text))
            .map_err(|e| format!("{file}: {e}"))?;
        if text.len() as u64 > MAX_SIZE {
            return Err(format!(
                "{file}: larger than {} KiB: not a scenario",
                MAX_SIZE / 1024
            ));
        }
        Scenario::parse(&text).map_err(|msg| format!("{file}: {msg}"))
    }

    /// Check a scenario from its text alone (nothing else is read: not the environment, not
    /// the lesson's files). The error is one line: `[step N: ]what is wrong`.
    pub fn parse(text: &str) -> Result<Scenario, String> {
        let raw: RawScenario = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        if raw.step.is_empty() {
            return Err("no [[step]]: a scenario needs at least one step".into());
        }
        let hosts = host::check_hosts(raw.host)?;
        let mut names: Vec<String> = Vec::new();
        let mut known = step::Known {
            names: &mut names,
            hosts: &hosts,
        };
        let mut steps = Vec::new();
        for (i, raw) in raw.step.into_iter().enumerate() {
            let step = step::check_step(raw, &mut known)
                .map_err(|msg| format!("step {}: {msg}", i + 1))?;
            steps.push(step);
        }
        for (i, guard) in raw.guard.iter().enumerate() {
            guard
                .check()
                .map_err(|msg| format!("guard {}: {msg}", i + 1))?;
        }
        Ok(Scenario {
            lesson: raw.lesson,
            hosts,
            steps,
            guards: raw.guard,
        })
    }

    /// Whether the lesson declared hosts of its own (a network of namespaces joined by a
    /// switch) rather than running on the one loopback host.
    pub fn networked(&self) -> bool {
        self.hosts.iter().any(|h| !h.addr.is_loopback())
    }

    /// The guards whose code is not in the lesson (folder `dir`) exactly once, each in a line.
    pub fn guard_problems(&self, dir: &Path) -> Vec<String> {
        let problems = self.guards.iter().enumerate();
        problems
            .filter_map(|(i, g)| Some(format!("guard {}: {}", i + 1, g.problem(dir)?)))
            .collect()
    }
}

/// A TOML error in one line, with the step and the line it is on.
fn toml_error(text: &str, e: &toml::de::Error) -> String {
    let msg = e.message().trim().replace('\n', " ");
    let Some(span) = e.span() else {
        return msg;
    };
    let before = text.get(..span.start).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    match before.matches("[[step]]").count() {
        0 => format!("line {line}: {msg}"),
        step => format!("step {step}: line {line}: {msg}"),
    }
}

#[cfg(test)]
mod tests;
