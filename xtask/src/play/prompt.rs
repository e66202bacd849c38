//! `--step`: before each step, wait for a key. On a terminal one key is enough, with no Enter,
//! and keys typed while the previous step ran are thrown away first, so that one impatient key
//! never runs two steps. Standard input is read with read(2), so that Ctrl-C, whose handler
//! does not restart it, ends the wait at once.

use std::io::Write;
use std::sync::atomic::Ordering;

use crate::show::term::OneKey;
use crate::supervise::INTERRUPTED;

/// What was asked at the prompt.
pub enum Prompt {
    Go,
    Quit,
    Interrupted,
    /// Replay the run up to this step (r: this one again, b: the one before, j: any).
    Restart(usize),
    /// Nothing to do (a jump to no number): ask again.
    Again,
}

/// The keys, as `run --help` and the prompt name them.
pub const KEYS: &str = "Enter: run this step, q: quit, r: replay up to here, b: back, j: jump";

/// Ask before step `step` of `total`. A jump to a step the lesson does not have is refused
/// with a line, and asked again.
pub fn ask(step: usize, total: usize) -> Prompt {
    loop {
        match ask_once(step) {
            Prompt::Restart(n) if n == 0 || n > total => {
                println!("  there is no step {n}: the lesson has {total} steps");
            }
            Prompt::Again => {}
            _ if INTERRUPTED.load(Ordering::SeqCst) => return Prompt::Interrupted,
            answer => return answer,
        }
    }
}

fn ask_once(step: usize) -> Prompt {
    // One-key mode first, which discards what was typed ahead; then the prompt, so that a key
    // pressed once the prompt shows is never discarded.
    let Some(keys) = OneKey::start() else {
        print!("  [Enter: run this step, q: quit] ");
        let _ = std::io::stdout().flush();
        return match read_line() {
            None => Prompt::Quit, // no more input: nobody can press Enter
            Some(line) if line.trim().eq_ignore_ascii_case("q") => Prompt::Quit,
            Some(_) => Prompt::Go,
        };
    };
    print!("  [{KEYS}] ");
    let _ = std::io::stdout().flush();
    let mut byte = [0u8; 1];
    loop {
        if INTERRUPTED.load(Ordering::SeqCst) {
            return Prompt::Interrupted;
        }
        match nix::unistd::read(std::io::stdin(), &mut byte) {
            Ok(0) => return Prompt::Quit,
            Ok(_) => {
                // The prompt has done its work: erased, it leaves the screen to the step (a
                // dumb terminal cannot erase: a new line instead).
                match std::env::var("TERM").is_ok_and(|t| t == "dumb") {
                    true => println!(),
                    false => print!("\r\x1b[2K"),
                }
                return match byte[0] {
                    b'q' | b'Q' => Prompt::Quit,
                    b'r' => Prompt::Restart(step),
                    b'b' => Prompt::Restart(step.saturating_sub(1).max(1)),
                    b'j' => {
                        drop(keys); // the number is typed as a line, with Enter
                        jump(step)
                    }
                    _ => Prompt::Go,
                };
            }
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return Prompt::Quit,
        }
    }
}

/// `j`: ask which step to jump to. Anything but a number says so and stays at this step.
fn jump(here: usize) -> Prompt {
    print!("  jump to step: ");
    let _ = std::io::stdout().flush();
    match read_line() {
        None => Prompt::Quit,
        Some(line) => match line.trim().parse::<usize>() {
            Ok(step) => Prompt::Restart(step),
            Err(_) => {
                println!(
                    "  `{}` is not a step number; still at step {here}",
                    line.trim()
                );
                Prompt::Again
            }
        },
    }
}

/// A line from standard input, read a byte at a time with read(2) so that Ctrl-C ends it;
/// None at the end of input or on an interrupt.
fn read_line() -> Option<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        if INTERRUPTED.load(Ordering::SeqCst) {
            return None;
        }
        match nix::unistd::read(std::io::stdin(), &mut byte) {
            Ok(0) if line.is_empty() => return None,
            Ok(0) => break,
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) => line.push(byte[0]),
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return None,
        }
    }
    Some(String::from_utf8_lossy(&line).into_owned())
}
