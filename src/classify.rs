//! Classifies a remote response (`dsnDiag`, falling back to `dsnStatus`) into a [`Code`]: an
//! ordered rule table kept as data, first match wins, else the enhanced status code, else the
//! basic SMTP code. Pure: no I/O, no caching (callers cache per distinct text).

use crate::model::{Code, ResponseKind, RuleId};

/// One row of the rule table.
#[derive(Clone, Debug)]
pub struct Rule {
    /// Stable id shown to users and used in `--where code=...` (`RP-002`, `5.7.1-dmarc`).
    pub id: &'static str,
    /// Who sends this response (`Microsoft`).
    pub provider: &'static str,
    pub kind: ResponseKind,
    /// What the response means.
    pub meaning: &'static str,
    /// What the operator should do.
    pub action: &'static str,
}

/// What is known about a code, for reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CodeInfo {
    pub provider: Option<&'static str>,
    pub kind: Option<ResponseKind>,
    pub meaning: Option<&'static str>,
    pub action: Option<&'static str>,
}

/// The compiled rule table.
#[derive(Debug)]
pub struct Classifier {
    rules: Vec<Rule>,
}

impl Classifier {
    /// The built-in table.
    pub fn builtin() -> Classifier {
        Classifier { rules: Vec::new() }
    }

    /// Classifies one response. `diag` is the raw `dsnDiag` field (may start with `smtp;`),
    /// `status` the raw `dsnStatus` field (`4.7.0 (other or undefined security status)`).
    pub fn classify(&self, diag: &[u8], status: &[u8]) -> Code {
        let _ = (diag, status);
        Code::None
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn rule(&self, id: RuleId) -> &Rule {
        &self.rules[usize::from(id)]
    }

    /// Looks a rule up by its id string, ASCII case-insensitively.
    pub fn rule_id(&self, name: &str) -> Option<RuleId> {
        self.rules
            .iter()
            .position(|r| r.id.eq_ignore_ascii_case(name))
            .map(|i| i as RuleId)
    }

    /// The display name of a code: rule id, `5.1.1`, `421` or `(none)`.
    pub fn code_name(&self, code: Code) -> String {
        match code {
            Code::Rule(id) => self.rule(id).id.to_string(),
            Code::Status(s) => s.to_string(),
            Code::Smtp(c) => c.to_string(),
            Code::None => crate::model::NONE_KEY.to_string(),
        }
    }

    /// Parses a display name back into a code (`RP-002`, `5.1.1`, `421`, `(none)`).
    pub fn parse_code(&self, name: &str) -> Option<Code> {
        let _ = name;
        None
    }

    pub fn describe(&self, code: Code) -> CodeInfo {
        match code {
            Code::Rule(id) => {
                let r = self.rule(id);
                CodeInfo {
                    provider: Some(r.provider),
                    kind: Some(r.kind),
                    meaning: Some(r.meaning),
                    action: Some(r.action),
                }
            }
            other => CodeInfo {
                kind: other.fallback_kind(),
                ..CodeInfo::default()
            },
        }
    }
}
