//! Fuzz target for SNDS exports.

use super::*;

// ---------------------------------------------------------------------------------------------
// SNDS exports

fn snds_line() -> impl Strategy<Value = String> {
    let ip = prop::sample::select(
        &[
            "192.0.2.1",
            "2001:db8::1",
            "999.1.1.1",
            "",
            "x",
            " 192.0.2.2 ",
        ][..],
    );
    let num = prop::sample::select(
        &[
            "0",
            "12",
            "1,234",
            "",
            "-5",
            "99999999999999999999999",
            "1.5",
            "x",
        ][..],
    );
    let colour = prop::sample::select(&["GREEN", "Yellow", "red", "", "BLUE", "\"RED\""][..]);
    prop_oneof![
        6 => (ip, num.clone(), num.clone(), num.clone(), colour, num.clone(),
                prop::sample::select(&["", ",extra", ",\"quoted,comma\"", ",\"open"][..]))
            .prop_map(|(ip, a, b, c, col, t, tail)| {
                format!("{ip},1/14/2026 0:00,1/14/2026 23:59,{a},{b},{c},{col},< 0.1%,1/14/2026,1/14/2026,{t},,{tail}")
            }),
        1 => "[ -~]{0,40}",
        1 => Just(String::new()),
    ]
}

#[test]
fn snds() {
    let grammar = prop::collection::vec(
        (
            snds_line(),
            prop::sample::select(&["\n", "\r\n", "\r", ""][..]),
        ),
        0..30,
    )
    .prop_map(|lines| {
        lines
            .into_iter()
            .flat_map(|(l, e)| [l, e.to_string()])
            .collect::<String>()
            .into_bytes()
    });
    let bytes = prop_oneof![grammar, prop::collection::vec(any::<u8>(), 0..2000)].prop_map(Bytes);
    fuzz!("snds", bytes, |Bytes(data)| {
        let _running = Running::start("snds", &data);
        let (rows, bad) = pmta_lens::analysis::snds::parse(&data, "snds.csv");
        let lines = memchr::memchr_iter(b'\n', &data).count() + 1;
        prop_assert!(rows.len() + bad.len() <= lines);
        let _ = pmta_lens::analysis::snds::join(&rows, &Aggregates::default(), &CLASSIFIER);
    });
}
