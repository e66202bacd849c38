//! What a server costs, read from /proc: its CPU time (and its reaped children's), and the
//! peaks of its process group's process count and memory, sampled while the load runs.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// utime + stime + cutime + cstime of a process, in clock ticks: its own CPU time and that of
/// the children it has waited for.
pub fn cpu_ticks(pid: i32) -> Result<u64, String> {
    let stat = procfs::process::Process::new(pid)
        .and_then(|p| p.stat())
        .map_err(|e| format!("cannot read /proc/{pid}/stat: {e}"))?;
    let children = (stat.cutime + stat.cstime).max(0) as u64;
    Ok(stat.utime + stat.stime + children)
}

/// Wait (at most `limit`) until `pid` has no child left, running or zombie.
pub fn wait_reaped(pid: i32, limit: Duration) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        let any = procfs::process::all_processes()
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|p| p.stat().ok())
            .any(|s| s.ppid == pid);
        if !any {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The processes of the server's process group (itself and the children it forked), and
/// their memory: the sum of their proportional set sizes (Pss, /proc/PID/smaps_rollup), in
/// which a page shared by k processes counts 1/k in each, so that a fork server's children
/// are not each charged the whole program.
fn group_usage(pgid: i32) -> (usize, u64) {
    let mut procs = 0;
    let mut pss = 0;
    for p in procfs::process::all_processes()
        .into_iter()
        .flatten()
        .flatten()
    {
        let Ok(stat) = p.stat() else { continue };
        if stat.pgrp != pgid || stat.state == 'Z' {
            continue;
        }
        procs += 1;
        if let Ok(r) = p.smaps_rollup() {
            pss += r
                .memory_map_rollup
                .0
                .iter()
                .filter_map(|m| m.extension.map.get("Pss"))
                .sum::<u64>();
        }
    }
    (procs, pss)
}

/// Samples the server group's process count and memory every 100 ms, keeping the peaks.
pub struct Sampler {
    pgid: i32,
    peaks: Arc<Mutex<(usize, u64)>>,
    paused: Arc<AtomicBool>,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sampler {
    pub fn start(pgid: i32) -> Sampler {
        let peaks = Arc::new(Mutex::new((0, 0)));
        let paused = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel::<()>();
        let (p, z) = (Arc::clone(&peaks), Arc::clone(&paused));
        let thread = std::thread::spawn(move || {
            loop {
                if !z.load(Ordering::SeqCst) {
                    record(&p, group_usage(pgid));
                }
                match rx.recv_timeout(Duration::from_millis(100)) {
                    Err(RecvTimeoutError::Timeout) => {}
                    _ => return,
                }
            }
        });
        Sampler {
            pgid,
            peaks,
            paused,
            stop: Some(tx),
            thread: Some(thread),
        }
    }

    /// Stop sampling by itself: with a thousand children, a scan costs the server CPU time.
    pub fn pause(&self) {
        self.paused.store(true, Ordering::SeqCst);
    }

    pub fn sample_now(&self) {
        record(&self.peaks, group_usage(self.pgid));
    }

    /// The peak process count and the peak memory.
    pub fn finish(mut self) -> (usize, u64) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        *self.peaks.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn record(peaks: &Mutex<(usize, u64)>, (procs, pss): (usize, u64)) {
    let mut p = peaks.lock().unwrap_or_else(|e| e.into_inner());
    p.0 = p.0.max(procs);
    p.1 = p.1.max(pss);
}
