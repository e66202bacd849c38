//! The protocol a frame carries, as far as the lessons care: its own file, since both the
//! frame's decoder and the ICMP error's quoted datagram name it.

use etherparse::IpNumber;

/// The protocol a frame carries, as far as the lessons care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Proto {
    Tcp,
    Udp,
    Icmp,
    Icmp6,
    Arp,
    /// An IP protocol the lessons do not read, by its number (47 is GRE).
    Other(u8),
    /// A fragment of an IP datagram other than its first, of the protocol numbered so: its
    /// transport header went in the first fragment, so it has no ports to read.
    Fragment(u8),
}

/// The protocol an IP header's number names.
pub fn proto_of(ip_number: IpNumber) -> Proto {
    match ip_number {
        IpNumber::TCP => Proto::Tcp,
        IpNumber::UDP => Proto::Udp,
        IpNumber::ICMP => Proto::Icmp,
        IpNumber::IPV6_ICMP => Proto::Icmp6,
        other => Proto::Other(other.0),
    }
}
