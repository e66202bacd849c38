//! `{ zombies = N, of = NAME }`: how many of NAME's children are zombies (ps's STAT Z: ended,
//! and not yet waited for).

use super::words::n_of;
use super::{Cond, Condition, Ctx, Keys, Kind, holds};

pub const KIND: Kind = Kind {
    key: "zombies",
    narrows: &[],
    parse,
};

#[derive(Debug)]
struct Zombies {
    of: String,
    n: usize,
}

fn parse(k: &Keys) -> Result<Cond, String> {
    Ok(Box::new(Zombies {
        of: k.program("of")?,
        n: k.subject_count()?,
    }))
}

impl Condition for Zombies {
    fn describe(&self, _ctx: &Ctx) -> String {
        let n = n_of(self.n, "zombie child", "zombie children");
        format!("{} has {n}", self.of)
    }

    fn eval(&self, ctx: &Ctx) -> Result<(), String> {
        let pid = ctx.prog(&self.of)?.pid;
        let z = ctx.snap.children(pid).filter(|p| p.state == 'Z').count();
        holds(z == self.n, n_of(z, "zombie child", "zombie children"))
    }

    fn hopeless(&self, ctx: &Ctx) -> Option<String> {
        ctx.ended(&self.of)
    }
}
