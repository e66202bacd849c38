//! `{ orphans = N }`: how many processes the runner has had to reap that it did not start:
//! children whose parent ended without waiting for them (the runner is their subreaper).

use super::words::n_of;
use super::{Cond, Condition, Ctx, Keys, Kind, holds};

pub const KIND: Kind = Kind {
    key: "orphans",
    narrows: &[],
    parse,
};

#[derive(Debug)]
struct Orphans {
    n: usize,
}

fn parse(k: &Keys) -> Result<Cond, String> {
    Ok(Box::new(Orphans {
        n: k.subject_count()?,
    }))
}

impl Condition for Orphans {
    fn describe(&self, _ctx: &Ctx) -> String {
        let n = n_of(self.n, "child", "children");
        format!("the runner has reaped {n} its programs did not wait for")
    }

    fn eval(&self, ctx: &Ctx) -> Result<(), String> {
        let o = &ctx.progs.orphans;
        let list: Vec<String> = o.iter().map(|p| format!("pid {p}")).collect();
        holds(
            o.len() == self.n,
            format!("{} ({})", o.len(), list.join(", ")),
        )
    }
}
