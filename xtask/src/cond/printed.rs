//! `{ printed = "TEXT", by = NAME, count = N }`: lines NAME printed containing TEXT (exactly N
//! of them; without count, at least one). `by` may list several programs: then each of them.

use super::words::{n_of, who};
use super::{Cond, Condition, Ctx, Keys, Kind, count_ok, holds};

pub const KIND: Kind = Kind {
    key: "printed",
    narrows: &[],
    parse,
};

#[derive(Debug)]
struct Printed {
    by: Vec<String>,
    text: String,
    count: Option<usize>,
}

fn parse(k: &Keys) -> Result<Cond, String> {
    let given = k.names("by")?.unwrap_or_default();
    if given.is_empty() {
        return Err("`printed` needs `by = NAME` (or a list of names)".into());
    }
    let by = given
        .into_iter()
        .map(|n| k.started(n))
        .collect::<Result<_, _>>()?;
    Ok(Box::new(Printed {
        by,
        text: k.subject_text()?,
        count: k.count("count")?,
    }))
}

impl Printed {
    /// How many lines `who` had printed containing the text, when the state was read.
    fn lines(&self, ctx: &Ctx, who: &str) -> usize {
        let log = ctx.progs.log.lock().unwrap_or_else(|e| e.into_inner());
        let upto = ctx.log_len.min(log.len());
        log[..upto]
            .iter()
            .filter(|l| l.who == who && !l.note && l.text.contains(self.text.as_str()))
            .count()
    }
}

impl Condition for Printed {
    fn describe(&self, _ctx: &Ctx) -> String {
        let (by, text) = (who(&self.by), &self.text);
        match self.count {
            None => format!("{by} printed {text:?}"),
            Some(n) => format!(
                "{by} printed {} containing {text:?}",
                n_of(n, "line", "lines")
            ),
        }
    }

    fn eval(&self, ctx: &Ctx) -> Result<(), String> {
        let seen: Vec<String> = self
            .by
            .iter()
            .map(|who| (who, self.lines(ctx, who)))
            .filter(|(_, n)| !count_ok(*n, self.count))
            .map(|(who, n)| match self.by.len() {
                1 => n_of(n, "such line", "such lines"),
                _ => format!("{n} from {who}"),
            })
            .collect();
        holds(seen.is_empty(), seen.join(", "))
    }

    /// Every one of them has ended and all it printed has been read.
    fn hopeless(&self, ctx: &Ctx) -> Option<String> {
        let all_done = self.by.iter().all(|b| ctx.done.contains(&ctx.pid(b)));
        let endings: Option<Vec<String>> = self.by.iter().map(|b| ctx.ended(b)).collect();
        endings.filter(|_| all_done).map(|e| e.join(", "))
    }

    fn rests_on_output(&self) -> Option<&[String]> {
        Some(&self.by)
    }

    /// The contract's first line of a TCP server, `listening on ADDR:PORT`, says it listens:
    /// any server that does holds a LISTEN socket on the port.
    fn for_any_program(&self) -> Option<Cond> {
        match self.by.as_slice() {
            [one] if self.text.starts_with("listening on") => {
                Some(super::listening::holder(one.clone()))
            }
            _ => None,
        }
    }
}
