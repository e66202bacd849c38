//! Finding lessons: every `crates/<lesson>/scenario.toml` is one, in the course order given by
//! its book section. Building them: `cargo build` of the packages whose programs a scenario runs.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::scenario::Scenario;

pub struct Lesson {
    pub name: String,
    pub scenario: PathBuf,
}

/// The workspace's root folder.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask/ is inside the workspace")
        .to_path_buf()
}

/// Every lesson, in course order (by book section; ties by name).
pub fn all() -> Vec<(Lesson, Result<Scenario, String>)> {
    let mut lessons: Vec<_> = std::fs::read_dir(root().join("crates"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|dir| dir.join("scenario.toml").is_file())
        .map(|dir| {
            let name = dir
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            let scenario = dir.join("scenario.toml");
            let loaded = Scenario::load(&scenario);
            (Lesson { name, scenario }, loaded)
        })
        .collect();
    lessons.sort_by_key(|(lesson, s)| {
        let section = s.as_ref().map(|s| s.lesson.section.as_str()).unwrap_or("");
        (section_key(section), lesson.name.clone())
    });
    lessons
}

/// "5.8-5.10" sorts as (5, 8): the chapter, then the first section.
fn section_key(section: &str) -> (u32, u32) {
    let mut numbers = section
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty());
    let mut next = || {
        numbers
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(u32::MAX)
    };
    let chapter = next();
    (chapter, if section.contains('.') { next() } else { 0 })
}

/// `cargo xtask list`: the lessons in course order, with their sections and summaries.
pub fn list() -> String {
    let mut text = String::new();
    for (lesson, scenario) in all() {
        let line = match scenario {
            Ok(s) => format!(
                "{:<20} §{:<10} {}\n",
                lesson.name, s.lesson.section, s.lesson.summary
            ),
            Err(e) => format!("{:<20} (scenario does not load: {e})\n", lesson.name),
        };
        text.push_str(&line);
    }
    text
}

/// The package whose `src/bin/<program>.rs` builds `program`.
pub fn package_of(program: &str) -> Option<String> {
    let file = format!("{program}.rs");
    std::fs::read_dir(root().join("crates"))
        .ok()?
        .flatten()
        .find_map(|e| {
            let dir = e.path();
            dir.join("src/bin")
                .join(&file)
                .is_file()
                .then(|| dir.file_name()?.to_str().map(String::from))?
        })
}

/// Build the packages; return the folder their programs are in.
pub fn build(packages: &[String]) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.args(["build", "--quiet", "--bins"]).current_dir(root());
    for p in packages {
        cmd.args(["--package", p]);
    }
    let status = cmd.status().map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!(
            "cargo could not build {} (see the compiler's errors above)",
            packages.join(", ")
        ));
    }
    Ok(bin_dir())
}

/// Where cargo puts the workspace's programs: the same profile folder as this runner.
pub fn bin_dir() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
        .unwrap_or_else(|| root().join("target/debug"))
}
