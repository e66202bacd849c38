//! The conditions a step waits for (`wait = [...]`) or checks (`expect = [...]`), one kind per
//! file. A kind's file holds all of it: the keys it takes and their checks (`parse`), how it is
//! evaluated against the kernel's state (`eval`), and how it reads as a claim (`describe`).
//! A new kind is one file and one line in [`KINDS`].
//!
//! ```toml
//! wait = [{ printed = "listening on", by = "serv" }]
//! expect = [{ tcp = "LISTEN", count = 1 }, { zombies = 0, of = "serv" }]
//! ```

mod keys;
mod words;

mod children;
mod counter;
mod exited;
mod fds;
mod listening;
mod orphans;
mod packet;
mod printed;
mod refs;
mod running;
mod sig;
mod state;
mod tcp;
mod udp;
mod unix;
mod zombies;

use std::collections::HashSet;

pub use keys::{Keys, Side};
pub use words::n_of;

use crate::kernel::Snapshot;
use crate::net::lab::Lab;
use crate::net::ns::HostSpec;
use crate::supervise::{Program, Programs};
use crate::wire::Frame;

/// One condition, parsed and checked: what a scenario's `{ key = value, ... }` became.
pub trait Condition: std::fmt::Debug {
    /// The condition in words, as a claim about the state, for the ✓ and ✗ lines.
    fn describe(&self, ctx: &Ctx) -> String;
    /// Whether it holds in this state; `Err` says what was seen instead.
    fn eval(&self, ctx: &Ctx) -> Result<(), String>;
    /// Why, not holding now, it never will (the program it is about has ended): a wait on it
    /// ends at once and says so.
    fn hopeless(&self, _ctx: &Ctx) -> Option<String> {
        None
    }
    /// Whether it reads what only the run's own network has (the capture, a host's counters):
    /// on the machine's own network it is reported as not run.
    fn needs_own_network(&self) -> bool {
        false
    }
    /// The packet kind it checks, if it is about the wire (a narration naming a packet needs
    /// one).
    fn packet(&self) -> Option<crate::wire::Kind> {
        None
    }
    /// The programs whose own words it rests on (a `printed` check), which a program put in a
    /// lesson's place, printing other words or none, may not say.
    fn rests_on_output(&self) -> Option<&[String]> {
        None
    }
    /// The same claim in a form that holds for any program doing the same thing, when there
    /// is one: `printed = "listening on"` is a LISTEN socket the program holds.
    fn for_any_program(&self) -> Option<Cond> {
        None
    }
}

pub type Cond = Box<dyn Condition>;

/// A kind of condition: the key that names it (its subject) and how it is parsed.
pub struct Kind {
    pub key: &'static str,
    /// Keys of other kinds that this one takes as a qualifier: `{ fds = 2, tcp = "LISTEN" }` is
    /// about descriptors, `tcp` only narrows it.
    pub narrows: &'static [&'static str],
    pub parse: fn(&Keys) -> Result<Cond, String>,
}

/// Every kind, in the order an error lists them.
pub const KINDS: &[Kind] = &[
    printed::KIND,
    state::KIND,
    zombies::KIND,
    children::KIND,
    exited::KIND,
    running::KIND,
    listening::KIND,
    tcp::KIND,
    udp::KIND,
    packet::KIND,
    fds::KIND,
    refs::KIND,
    sig::KIND,
    unix::KIND,
    counter::KIND,
    orphans::KIND,
];

/// What a condition is parsed against: the programs started so far and the run's hosts.
pub struct Scope<'a> {
    pub names: &'a [String],
    pub hosts: &'a [HostSpec],
}

/// Parse one condition table. The error is one line naming the key at fault.
pub fn parse(table: &toml::Table, scope: &Scope) -> Result<Cond, String> {
    let present: Vec<&Kind> = KINDS.iter().filter(|k| table.contains_key(k.key)).collect();
    // A key that another present kind takes as a qualifier is not the subject.
    let subjects: Vec<&Kind> = present
        .iter()
        .copied()
        .filter(|k| !present.iter().any(|o| o.narrows.contains(&k.key)))
        .collect();
    let [kind] = subjects.as_slice() else {
        let keys: Vec<&str> = KINDS.iter().map(|k| k.key).collect();
        return Err(format!(
            "a condition takes exactly one of {}",
            keys.join(", ")
        ));
    };
    let keys = Keys::new(table, kind.key, scope);
    let cond = (kind.parse)(&keys)?;
    keys.finish()?;
    Ok(cond)
}

/// The state a condition is checked against: /proc and sock_diag at one moment, the output
/// logged before it was read, and the step's packets.
pub struct Ctx<'a> {
    pub snap: &'a Snapshot,
    pub progs: &'a Programs,
    /// How many lines of output had been logged when the state was read.
    pub log_len: usize,
    /// The programs whose output had been read to the end.
    pub done: &'a HashSet<i32>,
    /// The servers' port.
    pub port: u16,
    pub hosts: &'a [HostSpec],
    /// The packets captured since the step began, up to the moment the state was read.
    pub frames: &'a [Frame],
    /// The run's own network; None on the machine's own (no capture, no counters).
    pub lab: Option<&'a Lab>,
}

impl Ctx<'_> {
    /// The program a scenario named. It may be missing although the scenario's names were
    /// checked: a step that failed to start it (on a crashed host, say) did not register it.
    pub fn prog(&self, name: &str) -> Result<&Program, String> {
        self.progs
            .find(name)
            .ok_or_else(|| format!("{name} was never started"))
    }

    /// Its pid, or 0 (no process has it) when it was never started.
    pub fn pid(&self, name: &str) -> i32 {
        self.progs.find(name).map_or(0, |p| p.pid)
    }

    /// `NAME had already exited with status 1`, once the program has ended.
    pub fn ended(&self, name: &str) -> Option<String> {
        let ending = self.progs.find(name)?.ending?;
        Some(format!("{name} had already {ending}"))
    }
}

/// `Ok` when `ok`, else what was seen.
pub fn holds(ok: bool, seen: String) -> Result<(), String> {
    if ok { Ok(()) } else { Err(seen) }
}

/// A count against an expected one; without one, at least one.
pub fn count_ok(n: usize, want: Option<usize>) -> bool {
    want.map_or(n > 0, |w| n == w)
}

#[cfg(test)]
mod tests;
