//! `{ sig = "SIGINT", of = NAME, is = "blocked" }`: the signal is pending, blocked, ignored,
//! caught or at its default action for NAME; `is = "not pending"` says it is not. A pending
//! signal may be said to be in `in = "ShdPnd"` (sent to the process, as kill(2) does) or
//! `in = "SigPnd"` (sent to the thread), as /proc/PID/status lists them.

use nix::sys::signal::Signal;

use super::{Cond, Condition, Ctx, Keys, Kind, holds};
use crate::kernel::Signals;

pub const KIND: Kind = Kind {
    key: "sig",
    narrows: &[],
    parse,
};

/// What a `sig` condition says of a signal.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Is {
    Pending,
    /// Pending in SigPnd: for the thread.
    ThreadPending,
    /// Pending in ShdPnd: for the process.
    ProcessPending,
    Blocked,
    Ignored,
    Caught,
    /// Neither ignored nor caught: its default action.
    Default,
}

#[derive(Debug)]
struct Sig {
    of: String,
    signal: Signal,
    is: Is,
    not: bool,
}

fn parse(k: &Keys) -> Result<Cond, String> {
    let signal = k.signal("sig")?.unwrap_or(Signal::SIGINT);
    let said = k
        .text("is")?
        .ok_or("`sig` needs `is = \"blocked\"` (or pending, ...)")?;
    let (not, word) = match said.strip_prefix("not ") {
        Some(rest) => (true, rest),
        None => (false, said.as_str()),
    };
    let set = k.text("in")?;
    let is = match (word, set.as_deref()) {
        ("pending", None) => Is::Pending,
        ("pending", Some("SigPnd")) => Is::ThreadPending,
        ("pending", Some("ShdPnd")) => Is::ProcessPending,
        ("pending", Some(other)) => Err(format!("`in = \"{other}\"`: SigPnd or ShdPnd"))?,
        (_, Some(_)) => Err("`in` goes with `is = \"pending\"`")?,
        ("blocked", None) => Is::Blocked,
        ("ignored", None) => Is::Ignored,
        ("caught", None) => Is::Caught,
        ("default", None) => Is::Default,
        (w, None) => Err(format!(
            "`is = \"{w}\"`: pending, blocked, ignored, caught or default"
        ))?,
    };
    Ok(Box::new(Sig {
        of: k.program("of")?,
        signal,
        is,
        not,
    }))
}

impl Condition for Sig {
    fn describe(&self, _ctx: &Ctx) -> String {
        let word = match self.is {
            Is::Pending => "pending",
            Is::ThreadPending => "pending for the thread (SigPnd)",
            Is::ProcessPending => "pending for the process (ShdPnd)",
            Is::Blocked => "blocked",
            Is::Ignored => "ignored",
            Is::Caught => "caught",
            Is::Default => "at its default action",
        };
        let not = if self.not { "not " } else { "" };
        format!("{} is {not}{word} in {}", self.signal, self.of)
    }

    fn eval(&self, ctx: &Ctx) -> Result<(), String> {
        let pid = ctx.prog(&self.of)?.pid;
        let Some(proc) = ctx.snap.proc(pid) else {
            return Err(format!("no process {}", self.of));
        };
        let g = proc.signals;
        let no = self.signal as i32;
        let yes = match self.is {
            Is::Pending => Signals::has(g.pending, no),
            Is::ThreadPending => Signals::has(g.sigpnd, no),
            Is::ProcessPending => Signals::has(g.shdpnd, no),
            Is::Blocked => Signals::has(g.blocked, no),
            Is::Ignored => Signals::has(g.ignored, no),
            Is::Caught => Signals::has(g.caught, no),
            Is::Default => !Signals::has(g.ignored, no) && !Signals::has(g.caught, no),
        };
        let seen = format!(
            "pending {}, blocked {}, ignored {}, caught {}",
            Signals::names(g.pending),
            Signals::names(g.blocked),
            Signals::names(g.ignored),
            Signals::names(g.caught)
        );
        let seen = match self.is {
            Is::ThreadPending | Is::ProcessPending => format!(
                "SigPnd {}, ShdPnd {}; {seen}",
                Signals::names(g.sigpnd),
                Signals::names(g.shdpnd)
            ),
            _ => seen,
        };
        holds(yes != self.not, seen)
    }

    fn hopeless(&self, ctx: &Ctx) -> Option<String> {
        ctx.ended(&self.of)
    }
}
