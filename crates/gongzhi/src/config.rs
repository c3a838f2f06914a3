//! Settings from a TOML file (`--config FILE`, or `GONGZHI_CONFIG`;
//! docs/deploy.md): each key stands for one environment variable, which a
//! flag or the environment itself overrides. Unknown keys are refused by name,
//! so a misspelt setting never passes silently. Secrets (the database URL with
//! its password, the metrics token) can live in files of their own.

use std::ffi::OsString;
use std::path::Path;

use anyhow::{Context, anyhow, bail};

/// Every setting the file may hold, with the variable it sets.
pub const KEYS: &[(&str, &str)] = &[
    ("db", "GONGZHI_DB"),
    ("db_file", "GONGZHI_DB_FILE"),
    ("data", "GONGZHI_DATA"),
    ("bind", "GONGZHI_BIND"),
    ("trusted_proxies", "GONGZHI_TRUSTED_PROXIES"),
    ("max_connections", "GONGZHI_MAX_CONNECTIONS"),
    ("header_timeout", "GONGZHI_HEADER_TIMEOUT"),
    ("max_per_address", "GONGZHI_MAX_PER_ADDRESS"),
    ("backup_dir", "GONGZHI_BACKUP_DIR"),
    ("backup_every", "GONGZHI_BACKUP_EVERY"),
    ("backup_keep", "GONGZHI_BACKUP_KEEP"),
    ("metrics_token_file", "GONGZHI_METRICS_TOKEN_FILE"),
    ("log", "GONGZHI_LOG"),
    ("log_format", "GONGZHI_LOG_FORMAT"),
];

/// The file's settings as (variable, value): strings, numbers and booleans as
/// written, lists joined with commas.
pub fn parse(text: &str, file: &str) -> anyhow::Result<Vec<(&'static str, String)>> {
    let table: toml::Table = toml::from_str(text).map_err(|e| anyhow!("{file}: {e}"))?;
    let mut out = Vec::new();
    for (k, v) in &table {
        let Some((_, var)) = KEYS.iter().find(|(key, _)| key == k) else {
            let known: Vec<&str> = KEYS.iter().map(|(k, _)| *k).collect();
            bail!("{file}: unknown setting `{k}` (known: {})", known.join(", "));
        };
        let scalar = |v: &toml::Value| match v {
            toml::Value::String(s) => Ok(s.clone()),
            toml::Value::Integer(i) => Ok(i.to_string()),
            toml::Value::Boolean(b) => Ok(b.to_string()),
            other => Err(anyhow!("{file}: `{k}` is a {}, not a string, number or list", other.type_str())),
        };
        let value = match v {
            toml::Value::Array(a) => a.iter().map(scalar).collect::<anyhow::Result<Vec<_>>>()?.join(","),
            v => scalar(v)?,
        };
        out.push((*var, value));
    }
    Ok(out)
}

/// The config file named on the command line (`--config F`, `--config=F`) or by `GONGZHI_CONFIG`.
fn named(args: impl Iterator<Item = OsString>) -> Option<OsString> {
    let mut args = args.skip(1);
    while let Some(a) = args.next() {
        if a == "--config" {
            return args.next();
        }
        if let Some(v) = a.to_str().and_then(|s| s.strip_prefix("--config=")) {
            return Some(v.into());
        }
    }
    std::env::var_os("GONGZHI_CONFIG")
}

/// Read the config file, if one is named, into the environment (variables
/// already set win). Call before any thread starts: it sets variables.
pub fn apply_from_args(args: impl Iterator<Item = OsString>) -> anyhow::Result<()> {
    let Some(path) = named(args) else { return Ok(()) };
    let shown = Path::new(&path).display().to_string();
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read the config file {shown}"))?;
    for (var, value) in parse(&text, &shown)? {
        if std::env::var_os(var).is_none() {
            // SAFETY: called first thing in main, before the runtime or any other thread exists.
            unsafe { std::env::set_var(var, value) };
        }
    }
    Ok(())
}

/// A secret kept in a file (the database URL, the metrics token): its first
/// line, which must not be empty.
pub fn secret(path: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let line = text.lines().next().unwrap_or_default().trim().to_owned();
    if line.is_empty() {
        bail!("{} is empty", path.display());
    }
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_become_variables_and_unknown_ones_are_named() {
        let got = parse(
            "db = \"sqlite:///var/lib/gongzhi/g.db?mode=rwc\"\nbackup_every = 12\ntrusted_proxies = [\"127.0.0.1\", \"10.0.0.0/8\"]\n",
            "g.toml",
        )
        .unwrap();
        assert!(got.contains(&("GONGZHI_DB", "sqlite:///var/lib/gongzhi/g.db?mode=rwc".into())));
        assert!(got.contains(&("GONGZHI_BACKUP_EVERY", "12".into())));
        assert!(got.contains(&("GONGZHI_TRUSTED_PROXIES", "127.0.0.1,10.0.0.0/8".into())));
        let e = parse("bakup_dir = \"/x\"", "g.toml").unwrap_err().to_string();
        assert!(e.contains("unknown setting `bakup_dir`"), "{e}");
        assert!(parse("db = [[1]]", "g.toml").is_err());
        assert!(parse("db = ", "g.toml").unwrap_err().to_string().starts_with("g.toml"));
    }

    #[test]
    fn the_file_is_found_by_flag_or_variable() {
        let a = |v: &[&str]| v.iter().map(OsString::from).collect::<Vec<_>>().into_iter();
        assert_eq!(named(a(&["gongzhi", "--config", "/etc/g.toml", "serve"])), Some("/etc/g.toml".into()));
        assert_eq!(named(a(&["gongzhi", "serve", "--config=/etc/g.toml"])), Some("/etc/g.toml".into()));
    }
}
