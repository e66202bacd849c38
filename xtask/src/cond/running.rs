//! `{ running = NAME }`: NAME has not ended.

use super::{Cond, Condition, Ctx, Keys, Kind};

pub const KIND: Kind = Kind {
    key: "running",
    narrows: &[],
    parse,
};

#[derive(Debug)]
struct Running {
    who: String,
}

fn parse(k: &Keys) -> Result<Cond, String> {
    Ok(Box::new(Running {
        who: k.program("running")?,
    }))
}

impl Condition for Running {
    fn describe(&self, _ctx: &Ctx) -> String {
        format!("{} is still running", self.who)
    }

    fn eval(&self, ctx: &Ctx) -> Result<(), String> {
        match ctx.prog(&self.who)?.ending {
            None => Ok(()),
            Some(ending) => Err(format!("{} {ending}", self.who)),
        }
    }

    fn hopeless(&self, ctx: &Ctx) -> Option<String> {
        ctx.ended(&self.who)
    }
}
