//! The schema's mapping against `rows --format ndjson`: every row of the ndjson fixture (hard
//! cases included) has, column for column, the values of its JSON object.

use std::io;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int64Type, TimestampMillisecondType};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use serde_json::{Map, Value};

use super::*;
use crate::acct::discover::{Input, InputKind};
use crate::filter::Filter;
use crate::output::ndjson::{self, tests::FIXTURE};
use crate::scan::{self, ChunkAt, Deliver, Engine, ScanOptions};

struct Batches(Vec<RecordBatch>);

impl Deliver<Rows> for Batches {
    fn piece(&mut self, mut rows: Rows, at: &ChunkAt<'_>, names: &[String]) -> io::Result<()> {
        if !rows.is_empty() {
            self.0.push(rows.finish("mta-1", &names[at.file], at.line));
        }
        Ok(())
    }

    fn idle(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Row `i` of a batch as ndjson would write it: null columns left out, times as RFC 3339.
fn object(batch: &RecordBatch, i: usize) -> Map<String, Value> {
    let mut o = Map::new();
    for (field, col) in batch.schema().fields().iter().zip(batch.columns()) {
        if col.is_null(i) || field.name() == "host" {
            continue;
        }
        let v = match field.data_type() {
            DataType::Utf8 => Value::from(col.as_string::<i32>().value(i)),
            DataType::Int64 => Value::from(col.as_primitive::<Int64Type>().value(i)),
            DataType::Timestamp(..) => {
                let ms = col.as_primitive::<TimestampMillisecondType>().value(i);
                let t = chrono::DateTime::from_timestamp_millis(ms).expect("in range");
                Value::from(t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            }
            other => panic!("unexpected type {other}"),
        };
        o.insert(field.name().clone(), v);
    }
    o
}

#[test]
fn every_row_has_the_values_of_its_ndjson_object() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("acct.csv");
    std::fs::write(&path, FIXTURE).expect("write");
    let inputs = [Input {
        path,
        kind: InputKind::Plain,
    }];
    let (classifier, filter, rollup) =
        (Classifier::builtin(), Filter::default(), Rollup::default());
    let eng = Engine {
        classifier: &classifier,
        filter: &filter,
        rollup: &rollup,
        domain_map: None,
    };
    // Small pieces: rows are numbered across piece boundaries.
    let opts = ScanOptions {
        chunk_size: 200,
        ..ScanOptions::default()
    };
    let mut json = Vec::new();
    let mut w = ndjson::Writer::new(&mut json);
    let sink = ndjson::Ndjson {
        classifier: &classifier,
        rollup: &rollup,
        domain_map: None,
    };
    scan::deliver(&inputs, &opts, &eng, &sink, None, &mut w)
        .0
        .expect("written");
    let want: Vec<Map<String, Value>> = std::str::from_utf8(&json)
        .expect("UTF-8")
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();

    let mut got = Batches(Vec::new());
    let sink = Exporting {
        classifier: &classifier,
        rollup: &rollup,
        rollups: None,
    };
    let (r, report) = scan::deliver(&inputs, &opts, &eng, &sink, None, &mut got);
    r.expect("collected");
    assert_eq!(report.malformed, 1);
    let rows: Vec<Map<String, Value>> = got
        .0
        .iter()
        .flat_map(|b| (0..b.num_rows()).map(move |i| object(b, i)))
        .collect();
    assert_eq!(rows.len(), 6);
    assert_eq!(rows, want);
    for b in &got.0 {
        assert_eq!(b.schema(), schema());
        let host = b.column_by_name("host").expect("host column");
        assert!((0..b.num_rows()).all(|i| host.as_string::<i32>().value(i) == "mta-1"));
    }
}

#[test]
fn the_schema_has_every_column_of_the_issue_typed() {
    let s = schema();
    let names: Vec<&str> = s.fields().iter().map(|f| f.name().as_str()).collect();
    assert_eq!(
        names,
        [
            "time_logged",
            "time_queued",
            "type",
            "vmta",
            "pool",
            "source_ip",
            "rcpt",
            "rcpt_domain",
            "domain",
            "provider",
            "code",
            "kind",
            "severity",
            "dsn_status",
            "dsn_diag",
            "dsn_mta",
            "dest_ip",
            "job",
            "env_id",
            "queue",
            "size",
            "bounce_cat",
            "feedback_type",
            "feedback_format",
            "user_agent",
            "reporting_mta",
            "reported_domain",
            "original_rcpt",
            "host",
            "file",
            "line"
        ]
    );
    let utc = DataType::Timestamp(TimeUnit::Millisecond, Some("UTC".into()));
    for (name, ty) in [
        ("time_logged", utc.clone()),
        ("time_queued", utc),
        ("size", DataType::Int64),
        ("line", DataType::Int64),
        ("code", DataType::Utf8),
    ] {
        assert_eq!(
            s.field_with_name(name).expect(name).data_type(),
            &ty,
            "{name}"
        );
    }
    for name in NO_DICTIONARY {
        assert!(s.field_with_name(name).is_ok(), "{name}");
    }
}
