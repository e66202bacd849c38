//! `{ listening = NAME }`: NAME holds a TCP socket in LISTEN on the server's port: what any TCP
//! server does once it has called listen, whatever it prints. A program put in a lesson's place
//! is waited for this way instead of by its `listening on` line.

use super::{Cond, Condition, Ctx, Keys, Kind, holds};

pub const KIND: Kind = Kind {
    key: "listening",
    narrows: &[],
    parse,
};

#[derive(Debug)]
struct Listening {
    of: String,
}

fn parse(k: &Keys) -> Result<Cond, String> {
    Ok(holder(k.program("listening")?))
}

/// The condition that `of` holds a listening socket on the port.
pub fn holder(of: String) -> Cond {
    Box::new(Listening { of })
}

impl Condition for Listening {
    fn describe(&self, ctx: &Ctx) -> String {
        format!("{} listens on port {}", self.of, ctx.port)
    }

    fn eval(&self, ctx: &Ctx) -> Result<(), String> {
        let pid = ctx.prog(&self.of)?.pid;
        let Some(proc) = ctx.snap.proc(pid) else {
            return Err(format!("no process {}", self.of));
        };
        let listening = ctx.snap.socks.iter().any(|s| {
            s.proto.starts_with("tcp")
                && s.state == "LISTEN"
                && s.local.port() == ctx.port
                && proc.fds.iter().any(|f| f.node == s.inode)
        });
        holds(
            listening,
            format!("no LISTEN socket of {} on the port", self.of),
        )
    }

    fn hopeless(&self, ctx: &Ctx) -> Option<String> {
        ctx.ended(&self.of)
    }
}
