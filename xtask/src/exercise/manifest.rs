//! The copy's Cargo.toml: the lesson's manifest with everything it took from the course's
//! workspace written out (dependency versions and features, package fields, lints, the dev
//! profile), so that the copy is a workspace of its own and builds what the course builds.

use std::path::{Path, PathBuf};

use toml::{Table, Value};

/// What a lesson's manifest inherits from the course's root Cargo.toml.
pub struct Course {
    root: PathBuf,
    workspace: Table,
    profile: Option<Table>,
}

impl Course {
    pub fn load(root: &Path) -> Result<Course, String> {
        let mut manifest = read(&root.join("Cargo.toml"))?;
        let Some(Value::Table(workspace)) = manifest.remove("workspace") else {
            return Err("the course's Cargo.toml has no [workspace]".into());
        };
        let profile = match manifest.remove("profile") {
            Some(Value::Table(t)) => Some(t),
            _ => None,
        };
        Ok(Course {
            root: root.to_path_buf(),
            workspace,
            profile,
        })
    }

    fn inherited(&self, section: &str, key: &str) -> Result<Value, String> {
        self.workspace
            .get(section)
            .and_then(|s| s.get(key))
            .cloned()
            .ok_or_else(|| format!("the course's [workspace.{section}] has no `{key}`"))
    }
}

/// A Cargo.toml, parsed.
pub fn read(path: &Path) -> Result<Table, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    text.parse::<Table>()
        .map_err(|e| format!("{}: {}", path.display(), e.message()))
}

/// Add the `[dependencies]` of `other` (the crate of a program brought into the copy) to
/// `into`'s: a dependency both have gets the features of both.
pub fn merge_dependencies(into: &mut Table, other: &Table) {
    let Some(Value::Table(theirs)) = other.get("dependencies") else {
        return;
    };
    let ours = into
        .entry("dependencies")
        .or_insert_with(|| Value::Table(Table::new()));
    let Value::Table(ours) = ours else { return };
    for (name, dep) in theirs {
        match ours.get_mut(name) {
            None => {
                ours.insert(name.clone(), dep.clone());
            }
            Some(mine) => add_features(mine, dep),
        }
    }
}

/// The manifest with nothing inherited: `crate_dir` is where it was (for its own path
/// dependencies); `path_to` says what to write for a path dependency, given where it is.
pub fn resolve(
    manifest: &Table,
    crate_dir: &Path,
    course: &Course,
    path_to: &dyn Fn(&Path) -> String,
) -> Result<Table, String> {
    let mut out = Table::new();
    for (section, value) in manifest {
        let resolved = match (section.as_str(), value) {
            ("package", Value::Table(package)) => {
                let mut fields = Table::new();
                for (key, v) in package {
                    let v = match is_inherited(v) {
                        true => course.inherited("package", key)?,
                        false => v.clone(),
                    };
                    fields.insert(key.clone(), v);
                }
                Value::Table(fields)
            }
            ("dependencies" | "dev-dependencies" | "build-dependencies", Value::Table(deps)) => {
                let mut concrete = Table::new();
                for (name, dep) in deps {
                    let dep = dependency(name, dep, crate_dir, course, path_to)?;
                    concrete.insert(name.clone(), dep);
                }
                Value::Table(concrete)
            }
            ("lints", v) if is_inherited(v) => course.inherited("lints", "rust").map(|rust| {
                let mut lints = Table::new();
                lints.insert("rust".into(), rust);
                if let Ok(clippy) = course.inherited("lints", "clippy") {
                    lints.insert("clippy".into(), clippy);
                }
                Value::Table(lints)
            })?,
            (_, v) => v.clone(),
        };
        out.insert(section.clone(), resolved);
    }
    Ok(out)
}

/// `{ workspace = true }`, or `x.workspace = true`.
fn is_inherited(value: &Value) -> bool {
    value.get("workspace").and_then(Value::as_bool) == Some(true)
}

/// One dependency, concrete: the workspace's entry with the member's features added, and a
/// path rewritten to where the copy finds it.
fn dependency(
    name: &str,
    dep: &Value,
    crate_dir: &Path,
    course: &Course,
    path_to: &dyn Fn(&Path) -> String,
) -> Result<Value, String> {
    let (mut concrete, base) = if is_inherited(dep) {
        let entry = course.inherited("dependencies", name)?;
        let mut concrete = match &entry {
            Value::String(v) => Table::from_iter([("version".into(), Value::String(v.clone()))]),
            Value::Table(t) => t.clone(),
            _ => return Err(format!("[workspace.dependencies] {name}: not a dependency")),
        };
        // The member's keys (its features first), then the workspace's features too.
        if let Value::Table(member) = dep {
            for (key, v) in member.iter().filter(|(k, _)| *k != "workspace") {
                concrete.insert(key.clone(), v.clone());
            }
        }
        let mut value = Value::Table(concrete);
        add_features(&mut value, &entry);
        (
            value.as_table().cloned().unwrap_or_default(),
            course.root.clone(),
        )
    } else {
        match dep {
            Value::Table(t) => (t.clone(), crate_dir.to_path_buf()),
            v => return Ok(v.clone()),
        }
    };
    if let Some(Value::String(path)) = concrete.get("path") {
        let written = path_to(&base.join(path));
        concrete.insert("path".into(), Value::String(written));
    }
    Ok(Value::Table(concrete))
}

/// Give `dep` the features `other` asks for too (each once, `dep`'s first).
fn add_features(dep: &mut Value, other: &Value) {
    let Some(theirs) = other.get("features").and_then(Value::as_array) else {
        return;
    };
    if let Value::String(version) = dep {
        *dep = Value::Table(Table::from_iter([(
            "version".into(),
            Value::String(version.clone()),
        )]));
    }
    let Value::Table(dep) = dep else { return };
    let features = dep
        .entry("features")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(mine) = features {
        for f in theirs {
            if !mine.contains(f) {
                mine.push(f.clone());
            }
        }
    }
}

/// The manifest as TOML, `header` (comment lines) first. `root`: the copy's own workspace
/// root, which gets `[workspace]` and the course's profiles.
pub fn render(manifest: &Table, header: &str, course: &Course, root: bool) -> String {
    let mut text = String::from(header);
    let order = [
        "package",
        "lib",
        "bin",
        "dependencies",
        "dev-dependencies",
        "lints",
    ];
    let rest = manifest.keys().filter(|k| !order.contains(&k.as_str()));
    for key in order.iter().copied().chain(rest.map(String::as_str)) {
        if let Some(Value::Table(t)) = manifest.get(key) {
            section(&mut text, key, t);
        }
    }
    if root {
        if let Some(profile) = &course.profile {
            section(&mut text, "profile", profile);
        }
        text.push_str("\n# The copy is a workspace of its own: the course's does not build it.\n");
        text.push_str("[workspace]\n");
    }
    text
}

/// `[path]` with the table's plain values, then a section of each table value, except that
/// a dependency is written inline (`nix = { version = ... }`).
fn section(text: &mut String, path: &str, table: &Table) {
    let inline = path.ends_with("dependencies");
    let (mut plain, tables): (Vec<_>, Vec<_>) = table
        .iter()
        .partition(|(_, v)| inline || !matches!(v, Value::Table(_)));
    // A package's name and version first, as people write them.
    plain.sort_by_key(|(k, _)| !matches!(k.as_str(), "name" | "version"));
    if !plain.is_empty() || tables.is_empty() {
        text.push_str(&format!("\n[{path}]\n"));
        for (key, value) in plain {
            text.push_str(&format!("{} = {}\n", key_of(key), inline_value(value)));
        }
    }
    for (key, value) in tables {
        if let Value::Table(t) = value {
            section(text, &format!("{path}.{}", key_of(key)), t);
        }
    }
}

fn key_of(key: &str) -> String {
    let bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare { key.to_string() } else { quoted(key) }
}

fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A value on one line, as TOML writes it inline.
fn inline_value(value: &Value) -> String {
    match value {
        Value::String(s) => quoted(s),
        Value::Integer(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Boolean(b) => b.to_string(),
        Value::Datetime(d) => d.to_string(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(inline_value).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Table(t) => {
            let items: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{} = {}", key_of(k), inline_value(v)))
                .collect();
            format!("{{ {} }}", items.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn course() -> Course {
        let root: Table = r#"
            [workspace.package]
            edition = "2024"
            [workspace.dependencies]
            unp = { path = "crates/unp" }
            nix = { version = "0.31", default-features = false, features = ["fs"] }
            libc = "0.2"
            [workspace.lints.rust]
            unsafe_op_in_unsafe_fn = "deny"
            [profile.dev]
            debug = 0
        "#
        .parse()
        .unwrap();
        Course {
            root: PathBuf::from("/course"),
            workspace: root["workspace"].as_table().unwrap().clone(),
            profile: root["profile"].as_table().cloned(),
        }
    }

    #[test]
    fn inherited_fields_become_concrete_and_the_result_parses() {
        let mut lesson: Table = r#"
            [package]
            name = "ch5-sigchld"
            edition.workspace = true
            [dependencies]
            unp.workspace = true
            nix = { workspace = true, features = ["signal"] }
            libc.workspace = true
            [lints]
            workspace = true
        "#
        .parse()
        .unwrap();
        let other: Table = "[dependencies]\nnix = { workspace = true, features = [\"net\"] }"
            .parse()
            .unwrap();
        merge_dependencies(&mut lesson, &other);
        let course = course();
        let to = |p: &Path| format!("copy-of:{}", p.display());
        let m = resolve(&lesson, Path::new("/course/crates/x"), &course, &to).unwrap();
        let text = render(&m, "# made\n", &course, true);
        let back: Table = text.parse().expect(&text);
        assert_eq!(back["package"]["edition"].as_str(), Some("2024"));
        assert_eq!(
            back["dependencies"]["unp"]["path"].as_str(),
            Some("copy-of:/course/crates/unp")
        );
        let nix = &back["dependencies"]["nix"];
        assert_eq!(nix["version"].as_str(), Some("0.31"));
        assert_eq!(nix["default-features"].as_bool(), Some(false));
        let features: Vec<&str> = nix["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(features, ["signal", "net", "fs"]);
        assert_eq!(
            back["dependencies"]["libc"]["version"].as_str(),
            Some("0.2")
        );
        assert_eq!(
            back["lints"]["rust"]["unsafe_op_in_unsafe_fn"].as_str(),
            Some("deny")
        );
        assert_eq!(back["profile"]["dev"]["debug"].as_integer(), Some(0));
        assert!(back["workspace"].as_table().unwrap().is_empty());
        assert!(!text.contains("workspace = true"), "{text}");
    }
}
