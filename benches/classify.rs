//! `cargo bench --bench classify`: the classifier's cost per response text (ns/text = 1 / the
//! reported elements per second) on texts that differ on every row, as real senders' do: Gmail's
//! end with a per-row queue id, Microsoft's carry a per-row `[HOST TIMESTAMP ID]` trailer, and a
//! bounce names its recipient. Each set of 1,024 distinct texts is classified as shipped and
//! with the prefilter off (`regex set only`: every text through the whole `RegexSet`, as before
//! the prefilter), then with a user rule that is not anchored at the reply code; the last group
//! prices a per-chunk cache keyed by the whole text (a hash and an insert per row, since nothing
//! repeats) against calling the classifier directly.

use std::fmt::Write as _;
use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pmta_lens::classify::Classifier;
use pmta_lens::model::Code;
use rustc_hash::FxHashMap;

const TEXTS: usize = 1024;

/// A fixed stream of ids (`fastrand` from a seed), cut into the shapes real replies carry.
struct Ids(fastrand::Rng);

impl Ids {
    fn next(&mut self) -> u64 {
        self.0.u64(..)
    }

    fn ip(&mut self) -> String {
        let n = self.next();
        format!("198.51.{}.{}", n % 256, (n >> 8) % 256)
    }

    /// Gmail's per-row id: `d2e1a72fcca58-6f2a1b9c7e3si1234567qkb.123`.
    fn gsmtp(&mut self) -> String {
        let (a, b, c) = (self.next(), self.next(), self.next());
        format!(
            "{:013x}-{:011x}si{}qkb.{} - gsmtp",
            a >> 12,
            b >> 20,
            c % 10_000_000,
            c % 1000
        )
    }

    /// Microsoft's trailer: `[BL6PEPF00012345.namprd02.prod.outlook.com 2026-11-20T14:03:11.123Z
    /// 08DD0A1B2C3D4E5F]`.
    fn trailer(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        let mut s = format!(
            "[BL6PEPF{:08X}.namprd{:02}.prod.outlook.com 2026-11-20T",
            a >> 32,
            a % 20
        );
        let _ = write!(
            s,
            "{:02}:{:02}:{:02}.{:03}Z 08DD{:012X}]",
            b % 24,
            (b >> 8) % 60,
            (b >> 16) % 60,
            (b >> 24) % 1000,
            b >> 16
        );
        s
    }
}

fn gmail(ids: &mut Ids) -> Vec<(String, &'static str)> {
    (0..TEXTS)
        .map(|i| {
            let diag = if i % 2 == 0 {
                format!(
                    "smtp;421-4.7.28 [{}      15] Our system has detected an unusual rate of \
                     unsolicited mail originating from your IP address. To protect our users \
                     from spam, mail sent from your IP address has been temporarily rate \
                     limited. For more information, go to \
                     https://support.google.com/mail/?p=UnsolicitedRateLimitError {}",
                    ids.ip(),
                    ids.gsmtp()
                )
            } else {
                format!(
                    "smtp;421-4.7.28 Our system has detected an unusual rate of unsolicited mail. \
                     Please try again later. {}",
                    ids.gsmtp()
                )
            };
            (diag, "4.7.28 (other or undefined security status)")
        })
        .collect()
}

fn microsoft_rp002(ids: &mut Ids) -> Vec<(String, &'static str)> {
    (0..TEXTS)
        .map(|i| {
            let ip = ids.ip();
            let trailer = ids.trailer();
            let head = match i % 3 {
                0 => "421 4.7.0 RP-002".to_string(),
                1 => "421 RP-002 (BAY004-MC1F37)".to_string(),
                _ => "421 4.7.0 [RP-002]".to_string(),
            };
            let diag = format!(
                "smtp;{head} Unfortunately, some messages from {ip} weren't sent. Please try \
                 again. We have limits for how many messages can be sent per hour and per day. \
                 You can also refer to http://mail.live.com/mail/troubleshooting.aspx#errors. \
                 {trailer}"
            );
            (diag, "4.7.0 (other or undefined security status)")
        })
        .collect()
}

fn bounces_511(ids: &mut Ids) -> Vec<(String, &'static str)> {
    (0..TEXTS)
        .map(|i| {
            let n = ids.next();
            let diag = if i % 2 == 0 {
                format!(
                    "smtp;550 5.1.1 <user{}@example{}.com>: Recipient address rejected: User \
                     unknown in virtual mailbox table",
                    n % 1_000_000,
                    n % 97
                )
            } else {
                format!(
                    "smtp;550-5.1.1 The email account that you tried to reach does not exist. \
                     Please try double-checking the recipient's email address for typos or \
                     unnecessary spaces. For more information, go to \
                     https://support.google.com/mail/?p=NoSuchUser {}",
                    ids.gsmtp()
                )
            };
            (diag, "5.1.1 (bad destination mailbox address)")
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let classifier = Classifier::builtin();
    let mut ids = Ids(fastrand::Rng::with_seed(2026));
    let sets = [
        ("gmail 4.7.28 deferral, per-row id", gmail(&mut ids)),
        (
            "microsoft RP-002, 3 forms, per-row trailer",
            microsoft_rp002(&mut ids),
        ),
        ("550 5.1.1 bounce, per-row recipient", bounces_511(&mut ids)),
    ];

    // The same table with every text run through the whole `RegexSet`, as before the prefilter.
    let plain = classifier.clone().without_prefilter();
    let mut g = c.benchmark_group("classify distinct texts");
    g.throughput(Throughput::Elements(TEXTS as u64));
    for (name, texts) in &sets {
        for (way, classifier) in [("", &classifier), (" (regex set only)", &plain)] {
            g.bench_function(format!("{name}{way}"), |b| {
                b.iter(|| {
                    for (diag, status) in texts {
                        black_box(
                            classifier
                                .classify(black_box(diag.as_bytes()), black_box(status.as_bytes())),
                        );
                    }
                });
            });
        }
    }
    g.finish();

    // A user rule that is not anchored at the reply code makes the `RegexSet` scan every reply
    // to its end; the prefilter looks for its literals (`spamhaus`, `acme.exa`) instead.
    let spec = serde_json::from_value(serde_json::json!({
        "id": "ACME-1", "provider": "Acme", "kind": "bounce", "meaning": "Acme refuses",
        "action": "Stop mailing Acme", "pattern": r"(?i)spamhaus|acme\.example",
    }))
    .expect("valid rule");
    let user = Classifier::with_rules(vec![spec]).expect("valid rule");
    let user_plain = user.clone().without_prefilter();
    let mut g = c.benchmark_group("classify distinct texts, with an unanchored user rule");
    g.throughput(Throughput::Elements(TEXTS as u64));
    for (name, texts) in &sets {
        for (way, classifier) in [("", &user), (" (regex set only)", &user_plain)] {
            g.bench_function(format!("{name}{way}"), |b| {
                b.iter(|| {
                    for (diag, status) in texts {
                        black_box(classifier.classify(diag.as_bytes(), status.as_bytes()));
                    }
                });
            });
        }
    }
    g.finish();

    // What the scan's per-chunk cache costs when every text is new: the three sets mixed, as one
    // chunk of rows would hold them.
    let mixed: Vec<&(String, &str)> = (0..TEXTS)
        .flat_map(|i| sets.iter().map(move |(_, t)| &t[i]))
        .collect();
    let mut g = c.benchmark_group("classify per row, mixed distinct texts");
    g.throughput(Throughput::Elements(mixed.len() as u64));
    g.bench_function("direct", |b| {
        b.iter(|| {
            for (diag, status) in &mixed {
                black_box(classifier.classify(diag.as_bytes(), status.as_bytes()));
            }
        });
    });
    g.bench_function("direct (regex set only)", |b| {
        b.iter(|| {
            for (diag, status) in &mixed {
                black_box(plain.classify(diag.as_bytes(), status.as_bytes()));
            }
        });
    });
    g.bench_function("through a whole-text cache", |b| {
        b.iter(|| {
            let mut codes: FxHashMap<(&[u8], &[u8]), Code> = FxHashMap::default();
            for (diag, status) in &mixed {
                let key = (diag.as_bytes(), status.as_bytes());
                black_box(
                    *codes
                        .entry(key)
                        .or_insert_with(|| classifier.classify(key.0, key.1)),
                );
            }
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
