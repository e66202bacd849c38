//! `{ state = "T", of = NAME }`: NAME's process state letter, as ps's STAT shows it; with
//! `wchan = "poll_schedule_timeout"`, also the kernel function it sleeps in (ps's WCHAN; a
//! suffix such as `.constprop.0` is ignored): a process asleep in select or poll is there, one
//! asleep in a socket's read or write in wait_woken.

use super::{Cond, Condition, Ctx, Keys, Kind, holds};

pub const KIND: Kind = Kind {
    key: "state",
    narrows: &[],
    parse,
};

#[derive(Debug)]
struct State {
    of: String,
    state: char,
    wchan: Option<String>,
}

fn parse(k: &Keys) -> Result<Cond, String> {
    Ok(Box::new(State {
        of: k.program("of")?,
        state: k.state_letter("state")?.unwrap_or('R'),
        wchan: k.text("wchan")?,
    }))
}

impl Condition for State {
    fn describe(&self, ctx: &Ctx) -> String {
        let (of, state) = (&self.of, self.state);
        let pid = ctx.pid(of);
        let asleep = self
            .wchan
            .as_ref()
            .map_or(String::new(), |w| format!(", asleep in {w}"));
        format!("{of} (pid {pid}) is in state {state}{asleep}")
    }

    fn eval(&self, ctx: &Ctx) -> Result<(), String> {
        let pid = ctx.prog(&self.of)?.pid;
        let Some(p) = ctx.snap.proc(pid) else {
            return Err(format!("no process {}", self.of));
        };
        match &self.wchan {
            None => holds(p.state == self.state, format!("state {}", p.state)),
            // The compiler may have renamed the function: poll_schedule_timeout.constprop.0
            Some(w) => holds(
                p.state == self.state && p.wchan.split('.').next() == Some(w.as_str()),
                format!("state {} in {}", p.state, p.wchan),
            ),
        }
    }

    fn hopeless(&self, ctx: &Ctx) -> Option<String> {
        ctx.ended(&self.of)
    }
}
