//! Packet kinds: the names a `packet` condition and a narration use for a frame ("SYN",
//! "ICMP port unreachable", ...), and which kinds a captured frame is.

use std::fmt;

use super::frame::{Proto, Summary, TcpFlags};
use super::icmp::Unreachable;

/// What a `packet` expectation can ask for. A segment can be several kinds at once (a FIN
/// carrying data is both `Fin` and `Data`); `Summary::kind` names the most telling one and
/// `Summary::matches` answers for each.
#[allow(dead_code)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// SYN without ACK: a connect() starting the handshake.
    Syn,
    SynAck,
    /// FIN set, with or without ACK or data.
    Fin,
    Rst,
    /// A pure ACK: no SYN, FIN or RST and no data.
    Ack,
    /// A TCP segment carrying data.
    Data,
    Udp,
    IcmpPortUnreachable,
    IcmpHostUnreachable,
    IcmpNetUnreachable,
    /// Named "ICMP": as an expectation it matches any ICMP message.
    IcmpOther,
    Arp,
    Other,
}

/// The names scenario files use for the kinds, in the order `Kind` lists them.
const KIND_NAMES: [(Kind, &str); 13] = [
    (Kind::Syn, "SYN"),
    (Kind::SynAck, "SYN-ACK"),
    (Kind::Fin, "FIN"),
    (Kind::Rst, "RST"),
    (Kind::Ack, "ACK"),
    (Kind::Data, "data"),
    (Kind::Udp, "UDP"),
    (Kind::IcmpPortUnreachable, "ICMP port unreachable"),
    (Kind::IcmpHostUnreachable, "ICMP host unreachable"),
    (Kind::IcmpNetUnreachable, "ICMP net unreachable"),
    (Kind::IcmpOther, "ICMP"),
    (Kind::Arp, "ARP"),
    (Kind::Other, "other"),
];

#[allow(dead_code)]
impl Kind {
    /// The kind a scenario names, e.g. "RST" or "ICMP port unreachable" (case ignored).
    pub fn from_name(name: &str) -> Option<Kind> {
        let name = name.trim();
        KIND_NAMES
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(kind, _)| *kind)
    }

    /// The name a scenario uses for this kind.
    pub fn name(self) -> &'static str {
        KIND_NAMES
            .iter()
            .find(|(kind, _)| *kind == self)
            .map_or("other", |(_, n)| n)
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[allow(dead_code)]
impl Summary {
    /// The most telling kind of this frame: a reset ends everything, a SYN opens, a FIN
    /// closes, and only then does it matter whether data rode along.
    pub fn kind(&self) -> Kind {
        match self.proto {
            Proto::Tcp => self.tcp_kind(),
            Proto::Udp => Kind::Udp,
            Proto::Icmp | Proto::Icmp6 => match self.icmp.as_ref().and_then(|i| i.unreachable) {
                Some(Unreachable::Port) => Kind::IcmpPortUnreachable,
                Some(Unreachable::Host) => Kind::IcmpHostUnreachable,
                Some(Unreachable::Net) => Kind::IcmpNetUnreachable,
                None => Kind::IcmpOther,
            },
            Proto::Arp => Kind::Arp,
            Proto::Other => Kind::Other,
        }
    }

    fn tcp_kind(&self) -> Kind {
        let Some(tcp) = &self.tcp else {
            return Kind::Other;
        };
        let f = tcp.flags;
        if f.rst {
            Kind::Rst
        } else if f.syn && f.ack {
            Kind::SynAck
        } else if f.syn {
            Kind::Syn
        } else if f.fin {
            Kind::Fin
        } else if self.payload_len > 0 {
            Kind::Data
        } else if f.ack {
            Kind::Ack
        } else {
            Kind::Other
        }
    }

    /// Whether this frame is of `kind`, which it can be besides its `kind()`: a FIN-ACK
    /// matches `Fin`, a FIN with data matches `Fin` and `Data`, any ICMP matches "ICMP".
    pub fn matches(&self, kind: Kind) -> bool {
        let flags = self.tcp.map(|t| t.flags);
        let has = |test: fn(TcpFlags) -> bool| flags.is_some_and(test);
        match kind {
            Kind::Syn => has(|f| f.syn && !f.ack),
            Kind::SynAck => has(|f| f.syn && f.ack),
            Kind::Fin => has(|f| f.fin),
            Kind::Rst => has(|f| f.rst),
            Kind::Ack => has(|f| f.ack && !f.syn && !f.fin && !f.rst) && self.payload_len == 0,
            Kind::Data => flags.is_some() && self.payload_len > 0,
            Kind::IcmpOther => self.icmp.is_some(),
            other => self.kind() == other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::summarize;
    use crate::wire::testing::*;

    #[test]
    fn kinds_and_their_names() {
        let frames = conversation();
        let kinds: Vec<Kind> = frames
            .iter()
            .map(|f| summarize(f).unwrap().kind())
            .collect();
        use Kind::*;
        assert_eq!(kinds, [Syn, SynAck, Ack, Data, Ack, Data, Fin, Fin, Ack]);
        let fin_ack = summarize(&frames[6]).unwrap();
        assert!(fin_ack.matches(Fin) && !fin_ack.matches(Ack) && !fin_ack.matches(Data));
        let fin_data = summarize(&tcp(0, C, S, "FP", CISN + 1, Some(SISN + 1), 502, b"bye\n"));
        let fin_data = fin_data.unwrap();
        assert!(fin_data.matches(Fin) && fin_data.matches(Data));
        assert!(!summarize(&frames[1]).unwrap().matches(Syn));
        for (kind, name) in KIND_NAMES {
            assert_eq!(Kind::from_name(name), Some(kind));
            assert_eq!(kind.name(), name);
        }
        assert_eq!(Kind::from_name("rst"), Some(Rst));
        assert_eq!(Kind::from_name("SYN-ACK"), Some(SynAck));
        assert_eq!(
            Kind::from_name("ICMP port unreachable"),
            Some(IcmpPortUnreachable)
        );
        assert_eq!(Kind::from_name("bogus"), None);
    }
}
