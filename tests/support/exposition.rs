//! A strict reader of the Prometheus text exposition format (0.0.4) for tests: the line grammar,
//! a `# HELP` and a `# TYPE` before every family's first sample, a family's samples together, no
//! series twice, no timestamps (`node_exporter`'s textfile collector rejects them). Returns every
//! sample so tests can check values.

use std::collections::{BTreeMap, BTreeSet};

/// One sample: family name, labels (sorted by name) and value.
#[derive(Clone, Debug, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// Every sample of a valid exposition, in order, or what is wrong and on which line.
pub fn parse(text: &str) -> Result<Vec<Sample>, String> {
    if !text.is_empty() && !text.ends_with('\n') {
        return Err("the last line has no newline".into());
    }
    let mut help: BTreeSet<String> = BTreeSet::new();
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut done: BTreeSet<String> = BTreeSet::new();
    let mut current: Option<String> = None;
    let mut series: BTreeSet<(String, Vec<(String, String)>)> = BTreeSet::new();
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let at = |why: String| format!("line {}: {why}: {line:?}", i + 1);
        if line.is_empty() {
            return Err(at("empty line".into()));
        }
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let (keyword, name) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let arg = parts.next().unwrap_or("");
            if !metric_name(name) {
                return Err(at(format!("bad metric name `{name}`")));
            }
            if done.contains(name)
                || (current.as_deref().is_some_and(|c| c != name) && out_has(&out, name))
            {
                return Err(at("a family's lines are apart".into()));
            }
            match keyword {
                "HELP" => {
                    if !help.insert(name.to_string()) {
                        return Err(at("second HELP".into()));
                    }
                    if arg.is_empty() {
                        return Err(at("empty HELP".into()));
                    }
                    check_help_escapes(arg).map_err(at)?;
                }
                "TYPE" => {
                    if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&arg) {
                        return Err(at(format!("unknown type `{arg}`")));
                    }
                    if types.insert(name.to_string(), arg.to_string()).is_some() {
                        return Err(at("second TYPE".into()));
                    }
                    if out_has(&out, name) {
                        return Err(at("TYPE after the family's samples".into()));
                    }
                }
                _ => return Err(at("a comment that is neither HELP nor TYPE".into())),
            }
            if let Some(c) = current.replace(name.to_string())
                && c != name
            {
                done.insert(c);
            }
            continue;
        }
        if line.starts_with('#') {
            return Err(at("`#` without a space".into()));
        }
        let (name, labels, value) = sample(line).map_err(at)?;
        if !help.contains(&name) || !types.contains_key(&name) {
            return Err(at(format!("no HELP and TYPE before `{name}`")));
        }
        if current.as_deref() != Some(name.as_str()) || done.contains(&name) {
            return Err(at(format!("`{name}` sample away from its family")));
        }
        let key: Vec<(String, String)> = labels.clone().into_iter().collect();
        if !series.insert((name.clone(), key)) {
            return Err(at("the same series twice".into()));
        }
        out.push(Sample {
            name,
            labels,
            value,
        });
    }
    Ok(out)
}

fn out_has(out: &[Sample], name: &str) -> bool {
    out.iter().any(|s| s.name == name)
}

fn metric_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn label_name(s: &str) -> bool {
    let mut chars = s.chars();
    !s.starts_with("__")
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn check_help_escapes(s: &str) -> Result<(), String> {
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' && !matches!(chars.next(), Some('\\' | 'n')) {
            return Err("HELP escapes only \\\\ and \\n".into());
        }
    }
    Ok(())
}

type Parsed = (String, BTreeMap<String, String>, f64);

/// `name{l="v",...} value`: one sample line, without a timestamp.
fn sample(line: &str) -> Result<Parsed, String> {
    let end = line
        .find(['{', ' '])
        .ok_or_else(|| "a sample without a value".to_string())?;
    let name = &line[..end];
    if !metric_name(name) {
        return Err(format!("bad metric name `{name}`"));
    }
    let mut labels = BTreeMap::new();
    let b = line.as_bytes();
    let mut i = end;
    if b[i] == b'{' {
        i += 1;
        if b.get(i) == Some(&b'}') {
            return Err("empty braces".into());
        }
        loop {
            let eq = line[i..].find('=').ok_or("a label without `=`")? + i;
            let lname = &line[i..eq];
            if !label_name(lname) {
                return Err(format!("bad label name `{lname}`"));
            }
            if b.get(eq + 1) != Some(&b'"') {
                return Err("a label value not quoted".into());
            }
            i = eq + 2;
            let mut value = Vec::new();
            loop {
                match b.get(i) {
                    None => return Err("a label value never closed".into()),
                    Some(b'\\') => {
                        match b.get(i + 1) {
                            Some(b'\\') => value.push(b'\\'),
                            Some(b'"') => value.push(b'"'),
                            Some(b'n') => value.push(b'\n'),
                            _ => return Err("a label value escapes other than \\ \" n".into()),
                        }
                        i += 2;
                    }
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(&c) => {
                        value.push(c);
                        i += 1;
                    }
                }
            }
            let value = String::from_utf8(value).map_err(|_| "a label value not UTF-8")?;
            if labels.insert(lname.to_string(), value).is_some() {
                return Err(format!("label `{lname}` twice"));
            }
            match b.get(i) {
                Some(b',') => i += 1,
                Some(b'}') => {
                    i += 1;
                    break;
                }
                _ => return Err("labels not separated by `,` or closed by `}`".into()),
            }
        }
    }
    let value = line[i..]
        .strip_prefix(' ')
        .ok_or("no single space before the value")?;
    if value.contains(' ') {
        return Err("a timestamp, or more than one value".into());
    }
    let v = match value {
        "NaN" => f64::NAN,
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v if v.starts_with(|c: char| c.is_ascii_digit() || c == '-') => {
            v.parse::<f64>().map_err(|_| format!("bad value `{v}`"))?
        }
        v => return Err(format!("bad value `{v}`")),
    };
    Ok((name.to_string(), labels, v))
}
