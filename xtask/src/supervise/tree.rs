//! A process's descendants, found in /proc by their parent links. A program may leave its
//! process group (setsid) and its parent may die, but while the runner is the subreaper every
//! descendant's chain of parents still ends at the runner, so this finds them all.

use std::collections::HashMap;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// Every living process below `root` (not `root` itself), zombies included.
pub fn descendants(root: i32) -> Vec<i32> {
    let parents = parents();
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for (&child, _) in parents.iter().filter(|(_, parent)| **parent == p) {
            found.push(child);
            frontier.push(child);
        }
    }
    found
}

/// SIGKILL every descendant of `root`; how many there were.
pub fn kill_descendants(root: i32) -> usize {
    let all = descendants(root);
    for pid in &all {
        let _ = kill(Pid::from_raw(*pid), Signal::SIGKILL); // ESRCH: it has just gone
    }
    all.len()
}

/// Each process's parent, read from /proc/PID/stat (a process that ends meanwhile is left out).
fn parents() -> HashMap<i32, i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return HashMap::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| Some((pid, ppid(pid)?)))
        .collect()
}

/// The parent of `pid`: the field after the state, which follows the command's closing `)`
/// (the command may itself hold spaces and parentheses).
fn ppid(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_a_descendant_of_its_parent() {
        let me = std::process::id() as i32;
        let parent = ppid(me).expect("a parent");
        assert!(descendants(parent).contains(&me));
        assert!(!descendants(me).contains(&me));
    }
}
