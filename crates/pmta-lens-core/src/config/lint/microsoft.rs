//! Microsoft's queues: the consumer domains rolled up into one, the `smtp-pattern-list` for
//! RP-001 and RP-002 (retry and connection backoff, patterns that match real replies), and DKIM.

use super::{
    Config, DEFAULT_RETRY_AFTER_SECS, Loc, MICROSOFT_MX, Problem, Problems, RP001_MIN_RETRY_SECS,
    RP001_REPLIES, RP002_MIN_RETRY_SECS, RP002_REPLIES, Source,
};
use crate::config::values::parse_duration;
use crate::duration;
use crate::model::Severity;
use crate::rollup::{MICROSOFT, MICROSOFT_FAMILY};

/// A queue Microsoft's consumer domains land in, with the domains and where that was decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Queue {
    pub(super) name: String,
    pub(super) domains: Vec<String>,
    /// The line that rolls them up, if any.
    pub(super) loc: Option<Loc>,
}

/// The queues of the article's Microsoft domains: an `<mx-rollup-list>` entry for their MX
/// hosts, `queue-to` (or the article's `mx-rollup`), or each its own.
pub(super) fn microsoft_queues(config: &Config) -> Vec<Queue> {
    let mx = MICROSOFT_MX.iter().find_map(|h| {
        config
            .mx_rollups
            .iter()
            .filter(|r| r.pattern.matches(h))
            .max_by_key(|r| r.pattern.specificity())
    });
    let mut queues: Vec<Queue> = Vec::new();
    for d in MICROSOFT_FAMILY {
        let (name, loc) = match (config.rollup_for_domain(d), mx) {
            (Some(q), _) => {
                let loc = ["queue-to", "mx-rollup"]
                    .iter()
                    .find_map(|k| config.effective_setting(d, None, k))
                    .map(|s| s.loc.clone());
                (q, loc)
            }
            (None, Some(r)) => (r.rollup.clone(), Some(r.loc.clone())),
            (None, None) => (d.to_owned(), None),
        };
        match queues.iter_mut().find(|q| q.name == name) {
            Some(q) => q.domains.push(d.to_owned()),
            None => queues.push(Queue {
                name,
                domains: vec![d.to_owned()],
                loc,
            }),
        }
    }
    queues
}

/// The line of the most specific block that applies to a queue (for findings about what is
/// missing in it).
pub(super) fn block_loc(config: &Config, queue: &str) -> Option<Loc> {
    config
        .matching_blocks(queue, None)
        .first()
        .map(|b| b.loc.clone())
}

pub(super) fn rollup(config: &Config, queues: &[Queue], out: &mut Problems) {
    if queues.len() <= 1 {
        return;
    }
    let own: Vec<&str> = queues
        .iter()
        .filter(|q| q.domains.len() == 1)
        .map(|q| q.name.as_str())
        .collect();
    out.push(Problem {
        severity: Severity::Critical,
        code: "microsoft-not-rolled-up",
        loc: block_loc(config, "hotmail.com").or_else(|| block_loc(config, MICROSOFT)),
        also: Vec::new(),
        title: format!(
            "Microsoft's consumer domains are in {} queues, not one",
            queues.len()
        ),
        reasoning: format!(
            "Without a rollup PowerMTA opens a separate set of connections per domain ({}), \
             each up to its own max-smtp-out, all to Microsoft's shared MX hosts: many more \
             simultaneous connections per IP than Microsoft allows, which brings RP-002 \
             rate-limit deferrals. Microsoft enforces one set of limits for all of them.",
            own.join(", ")
        ),
        fix: "Roll them into one queue: an `<mx-rollup-list>` with \
              `mx *.olc.protection.outlook.com microsoft.rollup` (settings then go in \
              `<domain microsoft.rollup>`), or `queue-to outlook.com` in a \
              `<domain $microsoft>` block over a `domain-macro microsoft hotmail.com, ...`."
            .into(),
    });
}

/// The pattern entries of a list and its nested lists.
pub(super) fn entries(list: &crate::config::PatternList) -> Vec<&crate::config::PatternEntry> {
    let mut all: Vec<&crate::config::PatternEntry> = list.entries.iter().collect();
    for n in &list.nested {
        all.extend(entries(n));
    }
    all
}

#[allow(clippy::too_many_lines)] // one pass per Microsoft queue, one paragraph per rule
pub(super) fn patterns(config: &Config, queues: &[Queue], out: &mut Problems) {
    for q in queues {
        let name = q.name.as_str();
        let list_setting = config.effective_setting(name, None, "smtp-pattern-list");
        let list = list_setting.and_then(|s| config.pattern_list(&s.value));
        let Some(list) = list else {
            let loc = list_setting
                .map(|s| s.loc.clone())
                .or_else(|| block_loc(config, name));
            let title = match list_setting {
                Some(s) => format!("smtp-pattern-list `{}` is not defined", s.value),
                None => "no smtp-pattern-list for {queues}".to_owned(),
            };
            out.push_for(
                name,
                Problem {
                    severity: Severity::Critical,
                    code: "microsoft-no-pattern-list",
                    loc,
                    also: Vec::new(),
                    title,
                    reasoning: "Without one, RP-001 (a reputation block) and RP-002 (a connection \
                            rate limit) are retried like any deferral, after retry-after: the \
                            article says never to retry RP-001 sooner than 4h, and to slow down \
                            on RP-002."
                        .into(),
                    fix: "`<smtp-pattern-list microsoft>` with `reply /RP-001/ mode=backoff` and \
                      `reply /RP-002/ mode=backoff`, used by the Microsoft queue \
                      (`smtp-pattern-list microsoft`) with `backoff-retry-after 4h` and \
                      `backoff-max-smtp-out 2`; or the article's form with `retry-after=4h` \
                      per pattern."
                        .into(),
                },
            );
            continue;
        };
        let retry = |e: &crate::config::PatternEntry| -> (u64, String, Option<Loc>) {
            if let Some(Some(v)) = e.action("retry-after")
                && let Some(s) = parse_duration(v)
            {
                return (s, format!("retry-after={v}"), Some(e.loc.clone()));
            }
            let backoff = e
                .action("mode")
                .flatten()
                .is_some_and(|m| m.eq_ignore_ascii_case("backoff"));
            if backoff
                && let (secs, Source::Config(l) | Source::Lenient(l)) = config.effective_duration(
                    name,
                    None,
                    "backoff-retry-after",
                    DEFAULT_RETRY_AFTER_SECS,
                )
            {
                return (secs, "backoff-retry-after".into(), Some(l));
            }
            let (secs, src) = config.retry_after(name, None);
            (secs, "retry-after".into(), src.loc().cloned())
        };
        for (code, replies, min, label) in [
            ("rp001", RP001_REPLIES, RP001_MIN_RETRY_SECS, "RP-001"),
            ("rp002", RP002_REPLIES, RP002_MIN_RETRY_SECS, "RP-002"),
        ] {
            let all = entries(list);
            let matching: Vec<&&crate::config::PatternEntry> = all
                .iter()
                .filter(|e| e.kind == "reply" && replies.iter().any(|r| e.matches(r)))
                .collect();
            let Some(first) = matching.first() else {
                out.push(Problem {
                    severity: if label == "RP-001" {
                        Severity::Critical
                    } else {
                        Severity::Warning
                    },
                    code: if label == "RP-001" {
                        "rp001-no-pattern"
                    } else {
                        "rp002-no-pattern"
                    },
                    loc: Some(list.loc.clone()),
                    also: Vec::new(),
                    title: format!("smtp-pattern-list `{}` has no entry for {label}", list.name),
                    reasoning: if label == "RP-001" {
                        "421 RP-001 is a reputation block, not a transient deferral: retrying \
                         it aggressively makes more blocked connection attempts and worsens \
                         SNDS data. The article: do not retry for 4h minimum."
                            .into()
                    } else {
                        "421 RP-002 means the connection rate limit was exceeded: the article \
                         answers with a lower connection rate and retry-after 30m, so the \
                         queue slows down instead of hammering."
                            .into()
                    },
                    fix: if label == "RP-001" {
                        "`reply /RP-001/ mode=backoff` with `backoff-retry-after 4h` in the \
                         Microsoft queue's domain block (or the article's `\"RP-001\" \
                         retry-after=4h`)"
                            .into()
                    } else {
                        "`reply /RP-002/ mode=backoff` with `backoff-retry-after 30m` and \
                         `backoff-max-smtp-out 2` (or the article's `\"RP-002\" retry-after=2h \
                         max-smtp-out=2`)"
                            .into()
                    },
                });
                continue;
            };
            // Real Microsoft replies read `421 RP-001 (SNT0-MC2-F19) ...`: a pattern written for
            // the article's `421 4.7.0 RP-001` misses them.
            if !replies
                .iter()
                .all(|r| matching.iter().any(|e| e.matches(r)))
            {
                out.push(Problem {
                    severity: Severity::Warning,
                    code: "pattern-misses-real-replies",
                    loc: Some(first.loc.clone()),
                    also: Vec::new(),
                    title: format!(
                        "the {label} pattern `{}` matches one form only",
                        first.pattern
                    ),
                    reasoning: format!(
                        "Microsoft's replies come as `421 4.7.0 {label} ...` (the article's form) \
                         and as `421 {label} (SERVER-ID) Unfortunately, ...` (real logs); this \
                         pattern misses one of them, and those are retried normally."
                    ),
                    fix: format!("`reply /{label}/ ...`: match the code alone"),
                });
            }
            let (secs, what, loc) = retry(first);
            if code == "rp001" && secs < min {
                out.push(Problem {
                    severity: Severity::Critical,
                    code: "rp001-retry",
                    loc: loc.or_else(|| Some(first.loc.clone())),
                    also: Vec::new(),
                    title: format!(
                        "RP-001 is retried after {} ({what}), sooner than 4h",
                        duration::compact(secs)
                    ),
                    reasoning: "A 421 RP-001 is a reputation block; retrying it aggressively \
                                generates more blocked connection attempts that worsen SNDS \
                                data. The article: 4h minimum."
                        .into(),
                    fix: "`retry-after=4h` on the RP-001 entry, or `backoff-retry-after 4h` \
                          when it uses `mode=backoff`"
                        .into(),
                });
            }
            if code == "rp002" {
                let fewer = first
                    .action("max-smtp-out")
                    .flatten()
                    .and_then(|v| v.parse::<u32>().ok())
                    .is_some()
                    || (first
                        .action("mode")
                        .flatten()
                        .is_some_and(|m| m.eq_ignore_ascii_case("backoff"))
                        && [
                            "backoff-max-smtp-out",
                            "backoff-max-msg-rate",
                            "backoff-max-connect-rate",
                        ]
                        .iter()
                        .any(|k| config.effective_setting(name, None, k).is_some()));
                if secs < min && !fewer {
                    out.push(Problem {
                        severity: Severity::Warning,
                        code: "rp002-no-slowdown",
                        loc: Some(first.loc.clone()),
                        also: Vec::new(),
                        title: format!(
                            "RP-002 is retried after {} with the same connections",
                            duration::compact(secs)
                        ),
                        reasoning: "RP-002 says the connection rate limit was exceeded; the \
                                    article's answer is a lower connection rate and \
                                    retry-after 30m. Coming back sooner with as many \
                                    connections brings the next RP-002."
                            .into(),
                        fix: "`retry-after=30m` (or longer) and `max-smtp-out=2` on the RP-002 \
                              entry, or `backoff-retry-after 30m` and `backoff-max-smtp-out 2` \
                              with `mode=backoff`"
                            .into(),
                    });
                }
            }
        }
    }
}

pub(super) fn dkim(config: &Config, queues: &[Queue], out: &mut Problems) {
    let has_key = config
        .directives
        .iter()
        .any(|d| d.name == "domain-key" || d.name == "domain-key-list");
    for q in queues {
        let sign = config.effective_setting(&q.name, None, "dkim-sign");
        let value = sign.map(|s| s.value.trim().to_ascii_lowercase());
        let on = matches!(value.as_deref(), Some("yes" | "true" | "on"));
        // The article's key-in-the-value form is reported as an invalid value already.
        if value.as_deref().is_some_and(|v| v.contains('=')) {
            continue;
        }
        if on && has_key {
            continue;
        }
        let (title, fix) = if on {
            (
                format!(
                    "dkim-sign is on for {} but no domain-key is defined",
                    q.name
                ),
                "`domain-key s1,yourdomain.com,/etc/pmta/dkim/yourdomain.pem` (global or in \
                 each VMTA)",
            )
        } else {
            (
                "no DKIM signing for {queues}".to_owned(),
                "`dkim-sign yes` in the Microsoft queue's domain block (or `<domain *>`) and \
                 `domain-key s1,yourdomain.com,/etc/pmta/dkim/yourdomain.pem`",
            )
        };
        out.push_for(
            &q.name,
            Problem {
                severity: Severity::Warning,
                code: "microsoft-no-dkim",
                loc: sign
                    .map(|s| s.loc.clone())
                    .or_else(|| block_loc(config, &q.name)),
                also: Vec::new(),
                title,
                reasoning:
                    "Microsoft enforces DMARC at p=reject for Outlook.com: mail needs SPF and \
                        DKIM aligned with the From domain."
                        .into(),
                fix: fix.into(),
            },
        );
    }
}
