//! Measures the connection estimate against simulated `PowerMTA` connections and prints the
//! tables of docs/connections.md ("Measured error").
//!
//! ```text
//! cargo run --release --example connections            # the documented scale (10)
//! cargo run --release --example connections -- 1       # the scale tests/connections.rs uses
//! ```

#[path = "../tests/support/estimate_error.rs"]
mod estimate_error;

use pmta_lens::connections::Params;

/// Destinations and pools with fewer connections at peak are left out of the error figures:
/// one connection more or less is not a percentage worth quoting.
const MIN_PEAK: u32 = 5;

fn main() {
    let scale: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10);
    let dir = std::env::temp_dir().join(format!("pmta-lens-connections-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let params = Params::default();
    println!(
        "scale {scale}; the estimate assumes {} ms per transaction and {} ms of setup\n",
        params.transaction_ms, params.setup_ms
    );
    let mut summary = Vec::new();
    let mut detail = Vec::new();
    for s in estimate_error::scenarios(scale) {
        let pairs = estimate_error::measure(&s, &dir, params);
        let big: Vec<_> = pairs.iter().filter(|p| p.truth.peak >= MIN_PEAK).collect();
        let worst_peak = big
            .iter()
            .map(|p| p.peak_error().abs())
            .fold(0.0_f64, f64::max);
        let worst_p95 = big
            .iter()
            .map(|p| p.estimate.p95.abs_diff(p.truth.p95))
            .max()
            .unwrap_or(0);
        let mean_peak =
            big.iter().map(|p| p.peak_error().abs()).sum::<f64>() / big.len().max(1) as f64;
        summary.push(format!(
            "| {} | {} | {:.0} % | {:.0} % | {} |",
            s.name,
            big.len(),
            mean_peak * 100.0,
            worst_peak * 100.0,
            worst_p95
        ));
        for p in pairs
            .iter()
            .filter(|p| matches!(p.domain.as_str(), "outlook.com" | "gmail.com"))
            .filter(|p| p.pool != "transactional-pool")
        {
            detail.push(format!(
                "| {} | {} / {} | {} | {} | {} | {} | {} | {} | {} |",
                s.name,
                p.domain,
                p.pool,
                p.budget,
                p.truth.peak,
                p.estimate.peak,
                p.truth.p95,
                p.estimate.p95,
                p.truth.seconds_over_budget,
                p.estimate.seconds_over_budget,
            ));
        }
    }
    println!(
        "| scenario | destinations and pools (true peak >= {MIN_PEAK}) | mean peak error | \
         worst peak error | worst p95 error (connections) |"
    );
    println!("| --- | ---: | ---: | ---: | ---: |");
    for line in summary {
        println!("{line}");
    }
    println!(
        "\n| scenario | destination / pool | budget | true peak | estimated | true p95 | \
         estimated | true s over budget | estimated |"
    );
    println!("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for line in detail {
        println!("{line}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
