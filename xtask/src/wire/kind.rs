//! Packet kinds: the names a `packet` condition and a narration use for a frame ("SYN",
//! "ICMP port unreachable", ...), and which kinds a captured frame is.

use std::fmt;
use std::str::FromStr;

use super::frame::{Summary, TcpFlags};
use super::icmp::Unreachable;
use super::proto::Proto;

/// What a `packet` condition can ask for, and what a narration calls a frame. A segment can
/// be several kinds at once (a FIN carrying data is both `Fin` and `Data`); `Summary::kind`
/// names the most telling one and `Summary::matches` answers for each.
///
/// Scenarios name a kind by its `name()` and get it back with `str::parse`, once, when the
/// scenario is read; the engine only ever holds a `Kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// SYN without ACK: a connect() starting the handshake.
    Syn,
    /// SYN and ACK: the listener's answer to a SYN.
    SynAck,
    /// FIN set, with or without ACK or data.
    Fin,
    Rst,
    /// A pure ACK: no SYN, FIN or RST and no data.
    Ack,
    /// A TCP segment carrying data.
    Data,
    Udp,
    /// Any ICMP message when a condition asks for it; as a frame's own kind, an ICMP message
    /// that is none of the unreachables below (a ping, a time exceeded).
    Icmp,
    IcmpPortUnreachable,
    IcmpHostUnreachable,
    IcmpNetUnreachable,
    Arp,
    /// Anything else (an IP protocol the lessons do not use, a TCP segment with no flag, a
    /// later fragment). A frame can be of this kind, but no scenario asks for it.
    Other,
}

impl Kind {
    /// Every kind a scenario may name, in the order a student meets them: the handshake,
    /// data and the close, then UDP, ICMP from the general to the particular, and ARP.
    /// `Other` is not among them: a condition on "anything else" would check nothing useful.
    pub const ALL: &[Kind] = &[
        Kind::Syn,
        Kind::SynAck,
        Kind::Fin,
        Kind::Rst,
        Kind::Ack,
        Kind::Data,
        Kind::Udp,
        Kind::Icmp,
        Kind::IcmpPortUnreachable,
        Kind::IcmpHostUnreachable,
        Kind::IcmpNetUnreachable,
        Kind::Arp,
    ];

    /// The name as scenarios and narrations write it ("SYN-ACK", "data", "ICMP port
    /// unreachable"); `Other` is "other", which a run's report uses but no scenario can.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Syn => "SYN",
            Kind::SynAck => "SYN-ACK",
            Kind::Fin => "FIN",
            Kind::Rst => "RST",
            Kind::Ack => "ACK",
            Kind::Data => "data",
            Kind::Udp => "UDP",
            Kind::Icmp => "ICMP",
            Kind::IcmpPortUnreachable => "ICMP port unreachable",
            Kind::IcmpHostUnreachable => "ICMP host unreachable",
            Kind::IcmpNetUnreachable => "ICMP net unreachable",
            Kind::Arp => "ARP",
            Kind::Other => "other",
        }
    }
}

/// A kind from its name, exactly as `Kind::name` writes it: case matters, and no space is
/// trimmed. One spelling per kind keeps every scenario greppable (`packet = "RST"` finds every
/// reset checked), and it is the spelling the narration rule compares: a narration's "FIN" is
/// backed by a `packet = "FIN"` condition, and a `"fin"` accepted here would check a FIN
/// without backing the narration that names one.
impl FromStr for Kind {
    type Err = String;

    fn from_str(name: &str) -> Result<Kind, String> {
        Kind::ALL
            .iter()
            .copied()
            .find(|kind| kind.name() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Kind::ALL.iter().map(|kind| kind.name()).collect();
                format!("`{name}` is not a packet kind ({})", names.join(", "))
            })
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

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
                None => Kind::Icmp,
            },
            Proto::Arp => Kind::Arp,
            Proto::Other(_) | Proto::Fragment(_) => Kind::Other,
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
            Kind::Icmp => self.icmp.is_some(),
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
    }

    #[test]
    fn every_kind_a_scenario_names_parses_back_from_its_name() {
        for kind in Kind::ALL {
            assert_eq!(kind.name().parse::<Kind>(), Ok(*kind));
            assert_eq!(kind.to_string(), kind.name());
        }
        assert_eq!(
            "ICMP port unreachable".parse(),
            Ok(Kind::IcmpPortUnreachable)
        );
        assert_eq!("SYN-ACK".parse(), Ok(Kind::SynAck));
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.name()).collect();
        let unique: std::collections::HashSet<&str> = names.iter().copied().collect();
        assert_eq!(
            unique.len(),
            names.len(),
            "two kinds share a name: {names:?}"
        );
    }

    #[test]
    fn names_are_case_sensitive_and_other_is_no_scenario_kind() {
        for name in ["rst", "Syn", "DATA", " RST", "other", "bogus", ""] {
            assert_eq!(name.parse::<Kind>().ok(), None, "{name:?} parsed");
        }
        assert!(!Kind::ALL.contains(&Kind::Other));
        assert_eq!(Kind::Other.name(), "other");
    }

    #[test]
    fn an_unknown_name_is_told_with_every_name_on_one_line() {
        let error = "rst".parse::<Kind>().unwrap_err();
        assert_eq!(
            error,
            "`rst` is not a packet kind (SYN, SYN-ACK, FIN, RST, ACK, data, UDP, ICMP, \
             ICMP port unreachable, ICMP host unreachable, ICMP net unreachable, ARP)"
        );
        assert!(!error.contains('\n'));
    }
}
