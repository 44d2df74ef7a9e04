//! The `/` filter prompt: a one-line editor (cursor, word and line deletion), the session's
//! history of filters on ↑ / ↓, and Tab completion of field names and of the values seen in the
//! scanned rows. Pure state: the app hands it the history and the values it knows.

use crate::filter::Field;

/// An edit of the prompt's text (a key in the prompt).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edit {
    Insert(char),
    /// Delete the character before the cursor.
    Backspace,
    /// Delete the character under the cursor.
    Delete,
    Left,
    Right,
    Home,
    End,
    /// Ctrl-U: delete from the start of the line to the cursor.
    KillToStart,
    /// Ctrl-K: delete from the cursor to the end of the line.
    KillToEnd,
    /// Ctrl-W: delete the word before the cursor (to the previous space).
    KillWord,
    /// ↑: the previous filter of the session.
    Older,
    /// ↓: the next filter of the session (past the newest: what was typed before ↑).
    Newer,
    /// Tab: complete the field name or value under the cursor.
    Complete,
}

/// The prompt's state.
#[derive(Clone, Debug, Default)]
pub struct Prompt {
    pub text: String,
    /// Where the cursor is, in characters from the start (0..=len).
    pub cursor: usize,
    /// Why the last submitted text was refused (names the bad term).
    pub error: Option<String>,
    /// What the last Tab found: the candidates it could not choose between, or why it found
    /// none.
    pub completion: Option<Completion>,
    /// While browsing the history: the entry shown and the text typed before the first ↑.
    browsing: Option<(usize, String)>,
}

/// The outcome of a Tab that did not settle on one text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Completion {
    /// Several candidates share what is typed (sorted).
    Choices(Vec<String>),
    /// Nothing to complete, and why.
    None(String),
}

impl Prompt {
    /// A prompt holding `text`, the cursor at its end.
    pub fn new(text: String) -> Prompt {
        Prompt {
            cursor: text.chars().count(),
            text,
            ..Prompt::default()
        }
    }

    fn len(&self) -> usize {
        self.text.chars().count()
    }

    /// The byte offset of character `i` (the end for `i` past it).
    fn byte(&self, i: usize) -> usize {
        self.text
            .char_indices()
            .nth(i)
            .map_or(self.text.len(), |(b, _)| b)
    }

    /// Replaces characters `from..to` with `with` and puts the cursor after it.
    fn replace(&mut self, from: usize, to: usize, with: &str) {
        let (a, b) = (self.byte(from), self.byte(to));
        self.text.replace_range(a..b, with);
        self.cursor = from + with.chars().count();
    }

    /// Applies an edit. `history` is the session's filters, oldest first; `values` gives the
    /// values of a field seen in the data (for Tab).
    pub fn edit(&mut self, e: Edit, history: &[String], values: &dyn Fn(Field) -> Vec<String>) {
        self.cursor = self.cursor.min(self.len());
        if !matches!(e, Edit::Older | Edit::Newer) {
            self.browsing = None;
        }
        if !matches!(e, Edit::Left | Edit::Right | Edit::Home | Edit::End) {
            self.error = None;
        }
        self.completion = None;
        match e {
            Edit::Insert(c) => {
                let mut buf = [0u8; 4];
                self.replace(self.cursor, self.cursor, c.encode_utf8(&mut buf));
            }
            Edit::Backspace => {
                if self.cursor > 0 {
                    self.replace(self.cursor - 1, self.cursor, "");
                }
            }
            Edit::Delete => {
                if self.cursor < self.len() {
                    let at = self.cursor;
                    self.replace(at, at + 1, "");
                    self.cursor = at;
                }
            }
            Edit::Left => self.cursor = self.cursor.saturating_sub(1),
            Edit::Right => self.cursor = (self.cursor + 1).min(self.len()),
            Edit::Home => self.cursor = 0,
            Edit::End => self.cursor = self.len(),
            Edit::KillToStart => self.replace(0, self.cursor, ""),
            Edit::KillToEnd => {
                let at = self.cursor;
                self.replace(at, self.len(), "");
            }
            Edit::KillWord => {
                let chars: Vec<char> = self.text.chars().collect();
                let mut from = self.cursor;
                while from > 0 && chars[from - 1].is_whitespace() {
                    from -= 1;
                }
                while from > 0 && !chars[from - 1].is_whitespace() {
                    from -= 1;
                }
                self.replace(from, self.cursor, "");
            }
            Edit::Older => self.older(history),
            Edit::Newer => self.newer(history),
            Edit::Complete => self.complete(values),
        }
    }

    fn older(&mut self, history: &[String]) {
        let (from, typed) = match &self.browsing {
            Some((i, typed)) => (*i, typed.clone()),
            None => (history.len(), self.text.clone()),
        };
        // Skip entries that read like what is on the line: ↑ always shows something new.
        if let Some(i) = (0..from)
            .rev()
            .find(|&i| history[i].trim() != self.text.trim())
        {
            self.text.clone_from(&history[i]);
            self.cursor = self.len();
            self.browsing = Some((i, typed));
        }
    }

    fn newer(&mut self, history: &[String]) {
        let Some((from, typed)) = self.browsing.take() else {
            return;
        };
        if let Some(i) = (from + 1..history.len()).find(|&i| history[i].trim() != self.text.trim())
        {
            self.text.clone_from(&history[i]);
            self.cursor = self.len();
            self.browsing = Some((i, typed));
        } else {
            // Past the newest: back to what was being typed.
            self.text = typed;
            self.cursor = self.len();
        }
    }

    /// The word under the cursor: from the space before it to the cursor, in characters.
    fn word_start(&self) -> usize {
        let chars: Vec<char> = self.text.chars().take(self.cursor).collect();
        chars
            .iter()
            .rposition(|c| c.is_whitespace())
            .map_or(0, |p| p + 1)
    }

    fn complete(&mut self, values: &dyn Fn(Field) -> Vec<String>) {
        let start = self.word_start();
        let word: String = self
            .text
            .chars()
            .skip(start)
            .take(self.cursor - start)
            .collect();
        let Some(op_at) = word.find(['=', '~', '!']) else {
            // A field name.
            let names: Vec<String> = Field::ALL
                .iter()
                .map(|f| f.name().to_string())
                .filter(|n| starts_with_ci(n, &word))
                .collect();
            if names.is_empty() {
                self.completion = Some(Completion::None(format!(
                    "no field starts with `{word}`; the fields: {}",
                    field_names()
                )));
                return;
            }
            let from = start;
            self.settle(from, &word, names, "=");
            return;
        };
        let name = &word[..op_at];
        let Some(field) = Field::from_name(name) else {
            self.completion = Some(Completion::None(format!(
                "`{name}` is not a field; the fields: {}",
                field_names()
            )));
            return;
        };
        let rest = &word[op_at..];
        let op_len = if rest.starts_with("!=") || rest.starts_with("!~") {
            2
        } else {
            1
        };
        if rest[..op_len].ends_with('~') {
            self.completion = Some(Completion::None(
                "a `~` value is a regular expression: Tab completes `=` values".into(),
            ));
            return;
        }
        // The value being typed: after the operator, after the last comma of a list.
        let value = &rest[op_len..];
        let typed = value.rsplit(',').next().unwrap_or(value);
        // An opening quote is replaced too: the completion quotes the value if it needs to.
        let prefix = typed.trim_start_matches(['"', '\'']);
        let from = self.cursor - typed.chars().count();
        let mut all = values(field);
        all.sort();
        all.dedup();
        let known = !all.is_empty();
        let found: Vec<String> = all
            .into_iter()
            .filter(|v| starts_with_ci(v, prefix))
            .collect();
        if found.is_empty() {
            let why = if known {
                format!(
                    "no {} value seen in the rows starts with `{prefix}`",
                    field.name()
                )
            } else {
                format!(
                    "no {} values to complete from: {}",
                    field.name(),
                    if field_has_values(field) {
                        "none seen in the rows so far"
                    } else {
                        "this field is not counted (type the value)"
                    }
                )
            };
            self.completion = Some(Completion::None(why));
            return;
        }
        self.settle(from, prefix, found, " ");
    }

    /// Puts the completion of `typed` (at `from`) on the line: the one candidate followed by
    /// `after`, else the candidates' common start, else the list of them.
    fn settle(&mut self, from: usize, typed: &str, mut found: Vec<String>, after: &str) {
        if found.len() == 1 {
            let one = quoted(&found.remove(0));
            self.replace(from, self.cursor, &format!("{one}{after}"));
            return;
        }
        found.sort();
        let common = common_prefix_ci(&found);
        if common.chars().count() > typed.chars().count() {
            self.replace(from, self.cursor, &common);
        } else {
            self.completion = Some(Completion::Choices(found));
        }
    }
}

/// Every field name, for messages.
fn field_names() -> String {
    Field::ALL
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether the dashboard can list a field's values (from its tables).
pub fn field_has_values(f: Field) -> bool {
    matches!(
        f,
        Field::Type
            | Field::Vmta
            | Field::Pool
            | Field::Ip
            | Field::Domain
            | Field::RcptDomain
            | Field::Code
            | Field::Kind
    )
}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    let mut a = s.chars().flat_map(char::to_lowercase);
    prefix
        .chars()
        .flat_map(char::to_lowercase)
        .all(|p| a.next() == Some(p))
}

/// The longest start all of `v` share, ignoring case, in the first one's spelling.
fn common_prefix_ci(v: &[String]) -> String {
    let Some(first) = v.first() else {
        return String::new();
    };
    let mut n = first.chars().count();
    for s in &v[1..] {
        n = n.min(
            first
                .chars()
                .zip(s.chars())
                .take_while(|(a, b)| a.to_lowercase().eq(b.to_lowercase()))
                .count(),
        );
    }
    first.chars().take(n).collect()
}

/// A value as the filter reads it back: quoted when it holds a space, comma or quote.
fn quoted(v: &str) -> String {
    if !v.contains(|c: char| c.is_whitespace() || matches!(c, ',' | '"' | '\'')) {
        v.to_string()
    } else if v.contains('"') {
        format!("'{v}'")
    } else {
        format!("\"{v}\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: Field) -> Vec<String> {
        Vec::new()
    }

    fn run(p: &mut Prompt, edits: &[Edit]) {
        for e in edits {
            p.edit(*e, &[], &none);
        }
    }

    #[test]
    fn line_editing_moves_and_deletes_where_the_cursor_is() {
        use Edit::*;
        let mut p = Prompt::new("vmta=a code=RP-002".into());
        assert_eq!(p.cursor, 18);
        // (edits, text after, cursor after)
        let cases: &[(&[Edit], &str, usize)] = &[
            (&[Home], "vmta=a code=RP-002", 0),
            (&[End, Left, Left, Left], "vmta=a code=RP-002", 15),
            (&[Backspace], "vmta=a code=RP002", 14),
            (&[Insert('-')], "vmta=a code=RP-002", 15),
            (&[Home, Delete, Delete, Delete, Delete], "=a code=RP-002", 0),
            (&[Insert('i'), Insert('p')], "ip=a code=RP-002", 2),
            (&[End, KillWord], "ip=a ", 5),
            (&[KillWord], "", 0),
            (&[Insert('x'), Left, Left, Backspace, Delete], "", 0),
            (&[Right, Right, Left], "", 0),
        ];
        for (edits, text, cursor) in cases {
            run(&mut p, edits);
            assert_eq!((p.text.as_str(), p.cursor), (*text, *cursor), "{edits:?}");
        }
        let mut p = Prompt::new("domain=outlook.com code=RP-002".into());
        run(&mut p, &[Left; 11]);
        run(&mut p, &[KillToStart]);
        assert_eq!((p.text.as_str(), p.cursor), ("code=RP-002", 0));
        run(&mut p, &[Right, Right, Right, Right, KillToEnd]);
        assert_eq!((p.text.as_str(), p.cursor), ("code", 4));
        // Multibyte text: the cursor counts characters, not bytes.
        let mut p = Prompt::new("rcpt-domain=bücher.de".into());
        run(
            &mut p,
            &[Left, Left, Left, Left, Left, Left, Left, Backspace],
        );
        assert_eq!(p.text, "rcpt-domain=bcher.de");
        run(&mut p, &[Insert('ü')]);
        assert_eq!(p.text, "rcpt-domain=bücher.de");
    }

    #[test]
    fn up_and_down_walk_the_sessions_filters_and_come_back_to_what_was_typed() {
        let history = ["code=RP-002".to_string(), "ip=192.0.2.10".to_string()];
        let mut p = Prompt::new("vm".into());
        let step = |p: &mut Prompt, e| p.edit(e, &history, &none);
        step(&mut p, Edit::Older);
        assert_eq!(p.text, "ip=192.0.2.10");
        assert_eq!(p.cursor, 13);
        step(&mut p, Edit::Older);
        assert_eq!(p.text, "code=RP-002");
        step(&mut p, Edit::Older);
        assert_eq!(p.text, "code=RP-002", "the oldest stays");
        step(&mut p, Edit::Newer);
        assert_eq!(p.text, "ip=192.0.2.10");
        step(&mut p, Edit::Newer);
        assert_eq!(p.text, "vm", "back to what was typed");
        step(&mut p, Edit::Newer);
        assert_eq!(p.text, "vm");
        // The prompt opens on the current filter: ↑ skips the entry that is the same.
        let mut p = Prompt::new("ip=192.0.2.10 ".into());
        step(&mut p, Edit::Older);
        assert_eq!(p.text, "code=RP-002");
        // No history: nothing happens.
        let mut p = Prompt::new("x".into());
        p.edit(Edit::Older, &[], &none);
        assert_eq!(p.text, "x");
    }

    fn values(f: Field) -> Vec<String> {
        match f {
            Field::Vmta => vec![
                "vmta-ms-01".into(),
                "vmta-ms-02".into(),
                "vmta-gen-01".into(),
            ],
            Field::Code => vec!["RP-001".into(), "RP-002".into(), "5.7.606".into()],
            Field::Domain => vec!["outlook.com".into(), "gmail.com".into()],
            _ => Vec::new(),
        }
    }

    fn tab(text: &str) -> Prompt {
        let mut p = Prompt::new(text.into());
        p.edit(Edit::Complete, &[], &values);
        p
    }

    #[test]
    fn tab_completes_field_names_and_values_seen_in_the_data() {
        // (typed, text after Tab, candidates listed)
        let cases: &[(&str, &str, Option<&[&str]>)] = &[
            ("vm", "vmta=", None),
            ("code=RP-002 do", "code=RP-002 domain=", None),
            ("r", "rcpt", None),
            ("rcpt", "rcpt", Some(&["rcpt", "rcpt-domain"])),
            ("en", "envid=", None),
            ("vmta=vm", "vmta=vmta-", None),
            ("vmta=vmta-m", "vmta=vmta-ms-0", None),
            (
                "vmta=vmta-ms-0",
                "vmta=vmta-ms-0",
                Some(&["vmta-ms-01", "vmta-ms-02"]),
            ),
            ("VMTA!=VMTA-G", "VMTA!=vmta-gen-01 ", None),
            (
                "code=rp-001,RP-00",
                "code=rp-001,RP-00",
                Some(&["RP-001", "RP-002"]),
            ),
            ("code=5", "code=5.7.606 ", None),
            ("domain=g", "domain=gmail.com ", None),
            // the opening quote goes: the value needs none
            ("domain=\"o", "domain=outlook.com ", None),
        ];
        for (typed, after, choices) in cases {
            let p = tab(typed);
            assert_eq!(p.text, *after, "{typed}");
            assert_eq!(p.cursor, after.chars().count(), "{typed}");
            let got = match &p.completion {
                Some(Completion::Choices(c)) => Some(c.clone()),
                _ => None,
            };
            let want = choices.map(|c| c.iter().map(ToString::to_string).collect::<Vec<_>>());
            assert_eq!(got, want, "{typed}");
        }
        // Nothing to complete: said why, the text unchanged.
        for (typed, why) in [
            ("zz", "no field starts with `zz`"),
            ("foo=x", "`foo` is not a field"),
            ("vmta=zz", "no vmta value seen in the rows starts with `zz`"),
            ("diag~rate", "regular expression"),
            ("rcpt=u", "not counted"),
            ("pool=", "none seen in the rows so far"),
        ] {
            let p = tab(typed);
            assert_eq!(p.text, typed);
            match &p.completion {
                Some(Completion::None(m)) => assert!(m.contains(why), "{typed}: {m}"),
                other => panic!("{typed}: {other:?}"),
            }
        }
        // Completing in the middle of the line keeps what follows.
        let mut p = Prompt::new("vm code=RP-002".into());
        p.cursor = 2;
        p.edit(Edit::Complete, &[], &values);
        assert_eq!(p.text, "vmta= code=RP-002");
        assert_eq!(p.cursor, 5);
    }
}
