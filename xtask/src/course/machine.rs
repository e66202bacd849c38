//! Numbers about this machine's kernel in the notes, read from the machine, never typed.
//!
//! A note writes such a number as `<!-- machine KEY -->VALUE<!-- /machine -->`: KEY is
//! `kernel` (the release, /proc/sys/kernel/osrelease) or a sysctl (`net.core.rmem_max`, read
//! from /proc/sys/net/core/rmem_max). The comments do not show when the markdown is rendered:
//! a student reads the value. `cargo xtask notes --update` writes each VALUE from the machine;
//! `--check` fails where a VALUE is not what this machine says (the notes were made on another
//! kernel, or someone typed the number).

const OPEN: &str = "<!-- machine ";
const CLOSE: &str = "<!-- /machine -->";

/// What this machine says for `key`, trimmed.
pub fn read(key: &str) -> Option<String> {
    let path = match key {
        "kernel" => "/proc/sys/kernel/osrelease".to_string(),
        _ => format!("/proc/sys/{}", key.replace('.', "/")),
    };
    let text = std::fs::read_to_string(path).ok()?;
    Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
}

/// Each marked value of `text`: (byte range of the value, key, value).
fn marks(text: &str) -> Vec<(std::ops::Range<usize>, String, String)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(k) = text[from..].find(OPEN) {
        let key_at = from + k + OPEN.len();
        let Some(end_key) = text[key_at..].find(" -->") else {
            break;
        };
        let key = text[key_at..key_at + end_key].to_string();
        let value_at = key_at + end_key + " -->".len();
        let Some(len) = text[value_at..].find(CLOSE) else {
            break;
        };
        let range = value_at..value_at + len;
        found.push((range.clone(), key, text[range].to_string()));
        from = value_at + len + CLOSE.len();
    }
    found
}

/// `text` with every marked value as `read` gives it.
pub fn fill_with(text: &str, read: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut from = 0;
    for (range, key, value) in marks(text) {
        out.push_str(&text[from..range.start]);
        out.push_str(&read(&key).unwrap_or(value));
        from = range.end;
    }
    out.push_str(&text[from..]);
    out
}

/// `text` with every marked value read from this machine.
pub fn fill(text: &str) -> String {
    fill_with(text, read)
}

/// Each marked value of `text` that is not what `read` says.
pub fn check_with(text: &str, shown: &str, read: impl Fn(&str) -> Option<String>) -> Vec<String> {
    marks(text)
        .into_iter()
        .filter_map(|(_, key, value)| match read(&key) {
            Some(real) if real == value => None,
            Some(real) => Some(format!(
                "{shown}: it says {key} is {value}, this machine says {real}: run \
                 `cargo xtask notes --update` on the machine the notes are made on"
            )),
            None => Some(format!("{shown}: this machine has no {key} to read")),
        })
        .collect()
}

/// Each marked value of `text` that is not what this machine says.
pub fn check(text: &str, shown: &str) -> Vec<String> {
    check_with(text, shown, read)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake(key: &str) -> Option<String> {
        match key {
            "kernel" => Some("6.1.0".into()),
            "net.core.rmem_max" => Some("4194304".into()),
            _ => None,
        }
    }

    #[test]
    fn update_writes_the_machines_values_and_check_catches_a_typed_one() {
        let typed = "made on Linux <!-- machine kernel -->6.18<!-- /machine -->, \
                     rmem_max <!-- machine net.core.rmem_max -->212992<!-- /machine --> bytes";
        let problems = check_with(typed, "note", fake);
        assert_eq!(problems.len(), 2, "{problems:?}");
        let filled = fill_with(typed, fake);
        assert!(filled.contains("-->6.1.0<!--") && filled.contains("-->4194304<!--"));
        assert!(check_with(&filled, "note", fake).is_empty());
        let unknown = "<!-- machine net.nothing -->1<!-- /machine -->";
        assert_eq!(check_with(unknown, "note", fake).len(), 1);
    }

    #[test]
    fn this_machine_has_a_kernel_release() {
        assert!(read("kernel").is_some_and(|r| !r.is_empty()));
        assert!(read("net.no_such_sysctl").is_none());
    }
}
