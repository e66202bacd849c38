//! The run's frames as a classic pcap file that `tcpdump -r` and Wireshark open, written by
//! pcap-file.

use std::fs::File;
use std::io::{self, BufWriter, Write as _};
use std::path::Path;
use std::time::SystemTime;

use pcap_file::pcap::{PcapHeader, PcapPacket, PcapWriter};
use pcap_file::{DataLink, PcapError, TsResolution};

use super::frame::Frame;

/// Large enough for any frame on lo (MTU 65536) or a GSO burst; tcpdump's default too.
const SNAPLEN: u32 = 262_144;

/// Writes the frames as a classic pcap file (not pcapng) of Ethernet frames with microsecond
/// timestamps (`started` + each frame's time), which `tcpdump -r` and Wireshark open.
pub fn write_pcap(path: &Path, started: SystemTime, frames: &[Frame]) -> io::Result<()> {
    let epoch = started
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(io::Error::other)?;
    let header = PcapHeader {
        datalink: DataLink::ETHERNET,
        ts_resolution: TsResolution::MicroSecond,
        snaplen: SNAPLEN,
        ..PcapHeader::default()
    };
    let file = BufWriter::new(File::create(path)?);
    let mut writer = PcapWriter::with_header(file, header).map_err(pcap_error)?;
    for frame in frames {
        let len = u32::try_from(frame.data.len()).map_err(io::Error::other)?;
        let packet = PcapPacket::new(epoch + frame.time, len, &frame.data);
        writer.write_packet(&packet).map_err(pcap_error)?;
    }
    writer.into_writer().flush()
}

/// Hands an I/O error back as it was, so the caller sees "No space left on device" and not
/// a pcap-file wrapper around it.
fn pcap_error(error: PcapError) -> io::Error {
    match error {
        PcapError::IoError(error) => error,
        other => io::Error::other(other),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use pcap_file::pcap::PcapReader;

    use super::*;
    use crate::wire::testing::*;

    #[test]
    fn pcap_round_trip() {
        let frames = conversation();
        let path = std::env::temp_dir().join(format!("wire-test-{}.pcap", std::process::id()));
        let started = SystemTime::UNIX_EPOCH + Duration::from_micros(1_700_000_000_123_456);
        write_pcap(&path, started, &frames).unwrap();
        let mut reader = PcapReader::new(File::open(&path).unwrap()).unwrap();
        assert_eq!(reader.header().datalink, DataLink::ETHERNET);
        assert_eq!(reader.header().ts_resolution, TsResolution::MicroSecond);
        let mut read = Vec::new();
        while let Some(packet) = reader.next_packet() {
            let packet = packet.unwrap();
            read.push((packet.timestamp, packet.data.into_owned()));
        }
        std::fs::remove_file(&path).unwrap();
        let expected: Vec<(Duration, Vec<u8>)> = frames
            .iter()
            .map(|f| {
                (
                    Duration::from_micros(1_700_000_000_123_456) + f.time,
                    f.data.clone(),
                )
            })
            .collect();
        assert_eq!(read, expected);
    }
}
