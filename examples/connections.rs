//! Measures the connection estimate against simulated `PowerMTA` connections and prints the
//! table of docs/connections.md.
//!
//! ```text
//! cargo run --release --example connections            # the documented scale (10)
//! cargo run --release --example connections -- 1       # the scale the test uses
//! ```

#[path = "../tests/support/estimate_error.rs"]
mod estimate_error;

use pmta_lens::connections::Params;

fn main() {
    let scale: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    let dir = std::env::temp_dir().join(format!("pmta-lens-connections-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    println!(
        "scale {scale}; estimator assumptions: {:?}\n",
        Params::default()
    );
    println!(
        "| scenario | destination | pool | budget | true peak | est. peak | peak error | \
         true p95 | est. p95 | p95 error | true s over | est. s over |"
    );
    println!("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let mut worst_peak: f64 = 0.0;
    let mut worst_p95: f64 = 0.0;
    for s in estimate_error::scenarios(scale) {
        let started = std::time::Instant::now();
        let pairs = estimate_error::measure(&s, &dir, Params::default());
        for p in &pairs {
            if p.truth_connections < 20 {
                continue;
            }
            worst_peak = worst_peak.max(p.peak_error().abs());
            worst_p95 = worst_p95.max(p.p95_error().abs());
            println!(
                "| {} | {} | {} | {} | {} | {} | {:+.0} % | {} | {} | {:+.0} % | {} | {} |",
                s.name,
                p.domain,
                p.pool,
                p.budget,
                p.truth.peak,
                p.estimate.peak,
                p.peak_error() * 100.0,
                p.truth.p95,
                p.estimate.p95,
                p.p95_error() * 100.0,
                p.truth.seconds_over_budget,
                p.estimate.seconds_over_budget,
            );
        }
        eprintln!("{}: {:.1} s", s.name, started.elapsed().as_secs_f64());
    }
    println!(
        "\nworst |peak error| {:.0} %, worst |p95 error| {:.0} %",
        worst_peak * 100.0,
        worst_p95 * 100.0
    );
    let _ = std::fs::remove_dir_all(&dir);
}
