//! Packet capture on every interface of the run, as tcpdump does it: an AF_PACKET socket per
//! host sees every frame its interfaces send and receive, with the kernel's timestamp.
//!
//! Each packet is kept once: where it was sent (PACKET_OUTGOING). A frame between two hosts is
//! also received by the other, and a loopback frame is seen leaving and then arriving; keeping
//! the sent copy alone counts each once, and still shows what a host sends to a host that has
//! crashed and receives nothing.
//!
//! A thread drains the sockets as packets come, so that a burst (a thousand echoed lines)
//! never overflows them; the engine drains them too, under the same lock, whenever it reads
//! the state, so that every packet sent before that moment is in the list it sees.

use std::collections::HashMap;
use std::io::IoSliceMut;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::socket::{
    AddressFamily, ControlMessageOwned, LinkAddr, MsgFlags, SockFlag, SockProtocol, SockType,
    recvmsg, setsockopt, socket, sockopt,
};

use crate::net::ns::Ns;
use crate::wire::Frame;

/// The kernel's mark on a frame this host sent (linux/if_packet.h).
const PACKET_OUTGOING: u8 = 4;

/// One host's capture socket, and its interfaces' names by index.
struct Tap {
    host: String,
    socket: Arc<OwnedFd>,
    ifaces: HashMap<usize, String>,
}

struct Shared {
    taps: Mutex<Vec<Tap>>,
    frames: Mutex<Vec<Frame>>,
    stop: AtomicBool,
    /// When the run began: frames are stamped with the time since.
    started: SystemTime,
}

/// The run's capture: started before the first step, stopped when dropped.
pub struct Capture {
    shared: Arc<Shared>,
    pub started: SystemTime,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Capture {
    pub fn start() -> Capture {
        let shared = Arc::new(Shared {
            taps: Mutex::default(),
            frames: Mutex::default(),
            stop: AtomicBool::new(false),
            started: SystemTime::now(),
        });
        let thread = {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || drain_while_running(&shared))
        };
        Capture {
            started: shared.started,
            shared,
            thread: Some(thread),
        }
    }

    /// Capture on every interface of host `host`, whose namespace is `ns`.
    pub fn add(&self, host: &str, ns: &Ns) -> std::io::Result<()> {
        let (socket, ifaces) = ns.run(|| {
            let fd = socket(
                AddressFamily::Packet,
                SockType::Raw,
                SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
                SockProtocol::EthAll,
            )?;
            setsockopt(&fd, sockopt::ReceiveTimestampns, &true)?;
            // Room for a burst of a few thousand frames between two drains. Forcing the size
            // needs CAP_NET_ADMIN, which the runner has in its own namespaces.
            let big = 8 << 20;
            if setsockopt(&fd, sockopt::RcvBufForce, &big).is_err() {
                setsockopt(&fd, sockopt::RcvBuf, &big)?;
            }
            let ifaces = nix::net::if_::if_nameindex()?
                .iter()
                .map(|i| (i.index() as usize, i.name().to_string_lossy().into_owned()))
                .collect();
            Ok((fd, ifaces))
        })?;
        lock(&self.shared.taps).push(Tap {
            host: host.to_string(),
            socket: Arc::new(socket),
            ifaces,
        });
        Ok(())
    }

    /// Stop capturing on `host` (it crashed), keeping what it sent until now.
    pub fn remove(&self, host: &str) {
        let mut taps = lock(&self.shared.taps);
        drain(&taps, &self.shared);
        taps.retain(|t| t.host != host);
    }

    /// Every frame captured until now, in the order the kernel stamped them.
    pub fn frames(&self) -> MutexGuard<'_, Vec<Frame>> {
        {
            let taps = lock(&self.shared.taps);
            drain(&taps, &self.shared);
        }
        lock(&self.shared.frames)
    }
}

impl Drop for Capture {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The capture thread: wait for a frame on any socket, then drain them all.
fn drain_while_running(shared: &Shared) {
    while !shared.stop.load(Ordering::SeqCst) {
        let sockets: Vec<Arc<OwnedFd>> = lock(&shared.taps)
            .iter()
            .map(|t| Arc::clone(&t.socket))
            .collect();
        let mut fds: Vec<PollFd> = sockets
            .iter()
            .map(|s| PollFd::new(s.as_fd(), PollFlags::POLLIN))
            .collect();
        // A short timeout, so that new sockets and the stop flag are seen soon.
        let _ = poll(&mut fds, PollTimeout::from(20u8));
        drop(fds);
        let taps = lock(&shared.taps);
        drain(&taps, shared);
    }
}

/// Read every frame waiting on every socket into the list, sorted by capture time.
fn drain(taps: &[Tap], shared: &Shared) {
    let mut got = Vec::new();
    let mut buf = vec![0u8; 65536 + 64];
    for tap in taps {
        while let Some(frame) = receive(tap, &mut buf, shared.started) {
            if let Some(f) = frame {
                got.push(f);
            }
        }
    }
    if got.is_empty() {
        return;
    }
    // Frames from different hosts come socket by socket; their stamps give the real order.
    // Only the new batch is sorted: the list only ever grows at its end, so the engine's mark
    // of where a step began stays true.
    got.sort_by_key(|f| f.time);
    lock(&shared.frames).extend(got);
}

/// One frame from the socket: None when there is none left, Some(None) for a frame to skip.
fn receive(tap: &Tap, buf: &mut [u8], started: SystemTime) -> Option<Option<Frame>> {
    let mut cmsg = nix::cmsg_space!(nix::sys::time::TimeSpec);
    let mut iov = [IoSliceMut::new(buf)];
    let msg = recvmsg::<LinkAddr>(
        tap.socket.as_raw_fd(),
        &mut iov,
        Some(&mut cmsg),
        MsgFlags::MSG_DONTWAIT,
    )
    .ok()?;
    let len = msg.bytes;
    let Some(from) = msg.address else {
        return Some(None);
    };
    if from.pkttype() != PACKET_OUTGOING {
        return Some(None);
    }
    let stamp = msg.cmsgs().ok()?.find_map(|c| match c {
        ControlMessageOwned::ScmTimestampns(ts) => Some(ts),
        _ => None,
    });
    // The kernel's stamp, when it is one of the real-time clock. A segment TCP sends may carry
    // its departure time on the monotonic clock instead (the "earliest departure time" pacing
    // uses), which is no date: then the time it was read, a few microseconds later, serves.
    let now = SystemTime::now();
    let when = stamp
        .map(|ts| SystemTime::UNIX_EPOCH + Duration::new(ts.tv_sec() as u64, ts.tv_nsec() as u32))
        .filter(|t| t.duration_since(started).is_ok() && *t <= now)
        .unwrap_or(now);
    let iface = tap
        .ifaces
        .get(&from.ifindex())
        .cloned()
        .unwrap_or_else(|| format!("if{}", from.ifindex()));
    Some(Some(Frame {
        time: when.duration_since(started).unwrap_or_default(),
        host: tap.host.clone(),
        iface,
        data: buf[..len].to_vec(),
    }))
}
