//! Placeholder until the wire module lands.
#![allow(dead_code)]
use std::net::Ipv4Addr;
#[derive(Clone, Debug)]
pub struct Frame {
    pub time: std::time::Duration,
    pub host: String,
    pub iface: String,
    pub data: Vec<u8>,
}
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    Any,
}
impl Kind {
    pub fn from_name(_: &str) -> Option<Kind> {
        Some(Kind::Any)
    }
}
pub struct Summary;
impl Summary {
    pub fn matches(&self, _: Kind) -> bool {
        true
    }
    pub fn src_ip(&self) -> Ipv4Addr {
        Ipv4Addr::UNSPECIFIED
    }
    pub fn dst_ip(&self) -> Ipv4Addr {
        Ipv4Addr::UNSPECIFIED
    }
    pub fn src_port(&self) -> Option<u16> {
        None
    }
    pub fn dst_port(&self) -> Option<u16> {
        None
    }
}
pub fn summarize(_: &Frame) -> Option<Summary> {
    None
}
#[derive(Default)]
pub struct Tcpdump;
impl Tcpdump {
    pub fn line(&mut self, f: &Frame, _stable: bool) -> String {
        format!("{:?} {} {} bytes", f.time, f.iface, f.data.len())
    }
}
pub fn write_pcap(
    _path: &std::path::Path,
    _started: std::time::SystemTime,
    _frames: &[Frame],
) -> std::io::Result<()> {
    Ok(())
}
