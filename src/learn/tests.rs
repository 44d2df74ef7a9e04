//! The learned rollups are the summary's, in memory or spilled to disk at any budget.

use std::fmt::Write as _;
use std::sync::Arc;

use super::*;
use crate::acct::discover::InputKind;
use crate::scan;

/// Rows of domains with and without evidence, several spellings and rows per domain.
fn data() -> String {
    let mut s = String::from("type,timeLogged,rcpt,dsnMta,queue\n");
    for i in 0..300 {
        let (mta, queue) = match i % 5 {
            0 => ("mx4.hotmail.com (1.2.3.4)", format!("d{i}.example/v1")),
            1 => ("mx.d.example (1.2.3.4)", format!("big{}.rollup/v1", i % 7)),
            2 => ("", format!("d{i}.example/v1")),
            3 => (
                "x.olc.protection.outlook.com (1.2.3.4)",
                "A.Rollup/v2".into(),
            ),
            _ => ("mx.d.example (1.2.3.4)", format!("d{i}.example/v1")),
        };
        // The same domain again, another case, later: its evidence is merged.
        let dom = if i % 3 == 0 {
            format!("D{}.Example", i / 3)
        } else {
            format!("d{}.example", i / 3)
        };
        // Half-way, the columns change order (a `record-fields` change): a window whose header
        // guess fails is counted again from the start.
        if i == 150 {
            s.push_str("type,queue,dsnMta,rcpt,timeLogged\n");
        }
        if i < 150 {
            let _ = writeln!(s, "d,2026-01-14 10:00:00+0000,u{i}@{dom},{mta},{queue}");
        } else {
            let _ = writeln!(s, "d,{queue},{mta},u{i}@{dom},2026-01-14 10:00:00+0000");
        }
    }
    s.push_str("d,z.rollup/v1,mx.x (1.1.1.1),x@hotmail.com,2026-01-14 10:00:00+0000\n");
    s
}

/// Checks each row's destination through the learned rollups against the summary's map.
struct Check<'a>(
    &'a Rollups,
    &'a Rollup,
    &'a FxHashMap<String, String>,
    &'a std::sync::atomic::AtomicUsize,
);
impl Sink for Check<'_> {
    type Fold = ();
    type Chunk = ();
    fn new_fold(&self) {}
    fn new_chunk(&self) {}
    fn merge(&self, (): &mut (), (): ()) {}
    fn row(&self, (): &mut (), (): &mut (), row: &Row<'_>) {
        let mut lower = [0u8; 256];
        let got = scan::destination(self.1, Some(self.0), &row.keys, &mut lower).to_vec();
        let name = String::from_utf8_lossy(row.keys.rcpt_domain).to_lowercase();
        assert_eq!(String::from_utf8_lossy(&got), self.2[&name], "{name}");
        self.3.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn spilled_or_not_every_domain_rolls_up_as_in_the_summary() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("a.csv");
    std::fs::write(&path, data()).expect("write");
    let inputs = [Input {
        path,
        kind: InputKind::Plain,
    }];
    let classifier = Classifier::builtin();
    let plan = Arc::new(crate::aggregate::Plan::default());
    let opts = ScanOptions {
        chunk_size: 512,
        ..ScanOptions::default()
    };
    // The summary's rollup of every domain.
    let unfiltered = Filter::default();
    let summary = scan::run(&inputs, &opts, &classifier, &unfiltered, &plan)
        .aggregates
        .domain_map();
    for budget in [usize::MAX, 1 << 20, 2048, 300, 1] {
        let learned = rollups(
            &inputs,
            &opts,
            &classifier,
            &plan.rollup,
            budget,
            dir.path(),
        )
        .expect("learned");
        assert_eq!(learned.spilled(), budget < 1 << 20, "budget {budget}");
        assert!(
            learned.len() > 50 && learned.len() < summary.len(),
            "{}",
            learned.len()
        );
        // Each row's destination, through the learned rollups, is the summary's.
        let eng = Engine {
            classifier: &classifier,
            filter: &unfiltered,
            rollup: &plan.rollup,
            domain_map: None,
        };
        let checked = std::sync::atomic::AtomicUsize::new(0);
        Driver::new(&inputs, &opts).run(
            &eng,
            &Check(&learned, &plan.rollup, &summary, &checked),
            |(), _| std::ops::ControlFlow::Continue(()),
        );
        // Windows whose header guess failed are scanned twice (and counted again at the end).
        assert!(checked.into_inner() >= 301);
        drop(learned);
        // The spill directory goes with the table.
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with(".pmta"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }
}
