//! `{ children = N, of = NAME }`: how many of NAME's children are alive (not zombies); with
//! `stat = "T"`, how many are in that state.

use super::words::n_of;
use super::{Cond, Condition, Ctx, Keys, Kind, holds};

pub const KIND: Kind = Kind {
    key: "children",
    narrows: &[],
    parse,
};

#[derive(Debug)]
struct Children {
    of: String,
    n: usize,
    stat: Option<char>,
}

fn parse(k: &Keys) -> Result<Cond, String> {
    Ok(Box::new(Children {
        stat: k.state_letter("stat")?,
        of: k.program("of")?,
        n: k.subject_count()?,
    }))
}

impl Condition for Children {
    fn describe(&self, _ctx: &Ctx) -> String {
        match self.stat {
            None => format!(
                "{} has {}",
                self.of,
                n_of(self.n, "running child", "running children")
            ),
            Some(s) => format!(
                "{} has {} in state {s}",
                self.of,
                n_of(self.n, "child", "children")
            ),
        }
    }

    fn eval(&self, ctx: &Ctx) -> Result<(), String> {
        let pid = ctx.prog(&self.of)?.pid;
        let c = ctx
            .snap
            .children(pid)
            .filter(|p| p.state != 'Z' && self.stat.is_none_or(|s| p.state == s))
            .count();
        holds(c == self.n, n_of(c, "such child", "such children"))
    }

    fn hopeless(&self, ctx: &Ctx) -> Option<String> {
        ctx.ended(&self.of)
    }
}
