//! What the wire showed, in the forms students read: a summary of each captured frame (for
//! `packet` conditions), tcpdump's one-line format, a time-sequence diagram in the style of
//! Stevens' Figure 2.5, and a classic pcap file that `tcpdump -r` and Wireshark open.
//!
//! Everything here is pure: frames go in, text or a file comes out; the capture (`net`) and
//! the engine (`play`) live elsewhere. Each form has a file of its own:
//!
//! - `frame.rs`: the captured frame and its decoding into a `Summary`;
//! - `icmp.rs`: ICMP messages in words, and the datagram an error quotes;
//! - `kind.rs`: the packet kinds scenarios and narrations name ("SYN", "ICMP", ...);
//! - `tcpdump.rs`: tcpdump's one-line format;
//! - `diagram.rs`: the time-sequence diagram;
//! - `pcap.rs`: the pcap file;
//! - `testing.rs` and `hostile.rs` (tests only): hand-built frames, and the property tests
//!   that feed everything above garbled ones.
//!
//! A frame that cannot be read is never dropped: `decode` says why (`Undecoded`), and its
//! tcpdump line says so.

mod diagram;
mod frame;
#[cfg(test)]
mod hostile;
mod icmp;
mod kind;
mod pcap;
mod proto;
mod tcpdump;
#[cfg(test)]
pub(crate) mod testing;

pub use diagram::diagram;
pub use frame::{ArpInfo, Frame, Summary, TcpFlags, TcpInfo, Undecoded, decode, summarize};
pub use icmp::{IcmpInfo, Quoted, Unreachable};
pub use kind::Kind;
pub use pcap::write_pcap;
pub use proto::Proto;
pub use tcpdump::Tcpdump;
