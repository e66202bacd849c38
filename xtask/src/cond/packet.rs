//! `{ packet = "RST", from = HOST, to = HOST, side = "server", count = N }`: packets of a kind
//! captured during this step; from or to a host, or sent by the server's side (from the
//! server's port) or the client's side (to it). Without count, at least one; `count = 0` says
//! none was.

use std::net::IpAddr;

use super::{Cond, Condition, Ctx, Keys, Kind, Side, count_ok, holds};
use crate::wire;

pub const KIND: Kind = Kind {
    key: "packet",
    narrows: &[],
    parse,
};

#[derive(Debug)]
struct Packet {
    kind: wire::Kind,
    from: Option<String>,
    to: Option<String>,
    side: Option<Side>,
    count: Option<usize>,
}

fn parse(k: &Keys) -> Result<Cond, String> {
    let name = k.subject_text()?;
    let kind = name.parse::<wire::Kind>()?;
    Ok(Box::new(Packet {
        kind,
        from: k.host("from")?,
        to: k.host("to")?,
        side: k.side()?,
        count: k.count("count")?,
    }))
}

impl Packet {
    /// The address of host `h`, when given.
    fn addr(ctx: &Ctx, h: &Option<String>) -> Option<IpAddr> {
        let h = h.as_ref()?;
        let host = ctx.hosts.iter().find(|x| &x.name == h)?;
        Some(IpAddr::V4(host.addr))
    }
}

impl Condition for Packet {
    fn describe(&self, _ctx: &Ctx) -> String {
        // "data" names what a segment carries; the others name the segment.
        let one = match self.kind {
            wire::Kind::Data => "data segment".to_string(),
            kind => kind.name().to_string(),
        };
        let what = match self.count {
            None => format!("a {one}"),
            Some(0) => format!("no {one}"),
            Some(1) => format!("1 {one}"),
            Some(n) => format!("{n} {one}s"),
        };
        let mut text = format!("{what} on the wire");
        if let Some(h) = &self.from {
            text += &format!(" from {h}");
        }
        if let Some(h) = &self.to {
            text += &format!(" to {h}");
        }
        match self.side {
            Some(Side::Server) => text += " from the server's port",
            Some(Side::Client) => text += " to the server's port",
            None => {}
        }
        text
    }

    fn eval(&self, ctx: &Ctx) -> Result<(), String> {
        if ctx.lab.is_none() {
            return Ok(()); // not run: the report says so
        }
        let (from, to) = (Self::addr(ctx, &self.from), Self::addr(ctx, &self.to));
        let all: Vec<wire::Summary> = ctx.frames.iter().filter_map(wire::summarize).collect();
        let n = all
            .iter()
            .filter(|s| s.matches(self.kind))
            .filter(|s| from.is_none_or(|a| s.src == a) && to.is_none_or(|a| s.dst == a))
            .filter(|s| match self.side {
                None => true,
                Some(Side::Server) => s.src_port == Some(ctx.port),
                Some(Side::Client) => s.dst_port == Some(ctx.port),
            })
            .count();
        let kinds: Vec<&str> = all.iter().map(|s| s.kind().name()).collect();
        let seen = match kinds.len() {
            0 => "no packet at all in this step".to_string(),
            k => format!("the step's {k} packets were {}", kinds.join(", ")),
        };
        holds(count_ok(n, self.count), format!("{n} such; {seen}"))
    }

    fn needs_own_network(&self) -> bool {
        true
    }

    fn packet(&self) -> Option<wire::Kind> {
        Some(self.kind)
    }
}
