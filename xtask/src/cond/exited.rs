//! `{ exited = NAME, code = N }` or `{ exited = NAME, signal = "SIGPIPE" }`: NAME has ended
//! (and how, when given), as its parent's waitpid saw it.

use nix::sys::signal::Signal;

use super::{Cond, Condition, Ctx, Keys, Kind, holds};
use crate::supervise::Ending;

pub const KIND: Kind = Kind {
    key: "exited",
    narrows: &[],
    parse,
};

#[derive(Debug)]
struct Exited {
    who: String,
    code: Option<i32>,
    signal: Option<Signal>,
}

fn parse(k: &Keys) -> Result<Cond, String> {
    let signal = k.signal("signal")?;
    let code = k.number::<i32>("code")?;
    if code.is_some() && signal.is_some() {
        return Err("a process ends with an exit code or by a signal, not both".into());
    }
    Ok(Box::new(Exited {
        who: k.program("exited")?,
        code,
        signal,
    }))
}

impl Condition for Exited {
    fn describe(&self, _ctx: &Ctx) -> String {
        let who = &self.who;
        match (self.code, self.signal) {
            (Some(c), _) => format!("{who} exited with status {c}"),
            (_, Some(s)) => format!("{who} was killed by {s}"),
            _ => format!("{who} has ended"),
        }
    }

    fn eval(&self, ctx: &Ctx) -> Result<(), String> {
        let prog = ctx.prog(&self.who)?;
        // Ended means reaped, and (unless a process it forked still holds its output open)
        // everything it printed has been read, so that checks on its output see all of it.
        let holders = ctx
            .snap
            .procs
            .iter()
            .any(|p| p.pgid == prog.pid && p.state != 'Z');
        match prog.ending {
            Some(ending) if ctx.done.contains(&prog.pid) || holders => {
                let want = self
                    .code
                    .map(Ending::Code)
                    .or(self.signal.map(Ending::Signal));
                holds(
                    want.is_none_or(|w| w == ending),
                    format!("{} {ending}", self.who),
                )
            }
            _ => Err(format!("{} still running", self.who)),
        }
    }

    /// Ended the wrong way, with all its output read (until then it only looks ended).
    fn hopeless(&self, ctx: &Ctx) -> Option<String> {
        ctx.done
            .contains(&ctx.pid(&self.who))
            .then(|| ctx.ended(&self.who))?
    }
}
