//! `cargo bench`: scan throughput in bytes per second on a generated accounting file (64 MiB by
//! default, `PMTA_BENCH_MIB` to change), for the full summary aggregation, the same with a filter,
//! and `rows` writing matches to a sink. Whole-tool comparisons with awk, `DuckDB` and xsv are in
//! `benches/compare.py`.

use std::hint::black_box;
use std::io;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pmta_lens::acct::discover::{Input, InputKind};
use pmta_lens::classify::Classifier;
use pmta_lens::filter::Filter;
use pmta_lens::rollup::Rollup;
use pmta_lens::scan::{self, Engine, ScanOptions};
use pmta_lens_synth::{Profile, Size, write_accounting};

fn bench(c: &mut Criterion) {
    let mib: u64 = std::env::var("PMTA_BENCH_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("acct-bench.csv");
    let mut profile = Profile::default_bench(42);
    profile.size = Size::Bytes(mib << 20);
    let file = std::fs::File::create(&path).expect("create bench file");
    write_accounting(&profile, io::BufWriter::new(file)).expect("generate bench file");
    let bytes = std::fs::metadata(&path).expect("bench file").len();
    let inputs = [Input {
        path: path.clone(),
        kind: InputKind::Plain,
    }];
    let classifier = Classifier::builtin();
    let plan = pmta_lens::connections::plan(Rollup::default(), None);
    let rollup = Rollup::default();
    let opts = ScanOptions::default();
    let now = chrono::Utc::now();

    let mut g = c.benchmark_group("scan");
    g.throughput(Throughput::Bytes(bytes));
    g.sample_size(10);
    g.bench_function("summary aggregation", |b| {
        b.iter(|| {
            black_box(scan::run(
                &inputs,
                &opts,
                &classifier,
                &Filter::default(),
                &plan,
            ))
        });
    });
    let filter =
        Filter::parse("code=RP-002,RP-001 kind=deferral", &classifier, now).expect("valid filter");
    g.bench_function("aggregation with a filter", |b| {
        b.iter(|| black_box(scan::run(&inputs, &opts, &classifier, &filter, &plan)));
    });
    let eng = Engine {
        classifier: &classifier,
        filter: &filter,
        rollup: &rollup,
        domain_map: None,
    };
    g.bench_function("rows to a sink", |b| {
        b.iter(|| black_box(scan::rows(&inputs, &opts, &eng, &mut io::sink()).0.ok()));
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
