//! Reading `summary --format json` in tests: a bucket list as key -> total rows.

use std::collections::BTreeMap;

use serde_json::Value;

/// A list of buckets (`{"key": ..., "total": ...}`) as key -> total.
pub fn totals(list: &Value) -> BTreeMap<String, u64> {
    list.as_array()
        .expect("array")
        .iter()
        .map(|b| {
            (
                b["key"].as_str().expect("key").to_string(),
                b["total"].as_u64().expect("total"),
            )
        })
        .collect()
}
