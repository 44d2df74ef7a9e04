//! The article's volume tiers for Microsoft (messages per day to Outlook) and the settings it
//! pairs with each: data both the config check (`config::lint`) and the analyses
//! (`analysis::tiers`) read, kept below both so neither depends on the other.

/// One of the article's volume tiers (section 6), for messages per day to Outlook.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Tier {
    pub name: &'static str,
    /// Delivered per day from which the tier applies (inclusive).
    pub from: u64,
    pub max_smtp_out: u32,
    pub max_connect_rate: &'static str,
    pub max_msg_rate: &'static str,
    pub retry_after: &'static str,
    /// The pool the article pairs with the tier ("" when it names none).
    pub pool: &'static str,
}

/// The article's tiers, smallest first.
pub const TIERS: [Tier; 3] = [
    Tier {
        name: "< 100k/day",
        from: 0,
        max_smtp_out: 4,
        max_connect_rate: "0.5/s",
        max_msg_rate: "150/h",
        retry_after: "20m",
        pool: "",
    },
    Tier {
        name: "100k-500k/day",
        from: 100_000,
        max_smtp_out: 5,
        max_connect_rate: "1/s",
        max_msg_rate: "200/h",
        retry_after: "20m",
        pool: "",
    },
    Tier {
        name: "500k+/day",
        from: 500_000,
        max_smtp_out: 6,
        max_connect_rate: "1/s",
        max_msg_rate: "250/h",
        retry_after: "15m",
        pool: "6-10 IPs",
    },
];

/// The tier a daily delivered volume falls into.
pub fn tier_of(delivered: u64) -> &'static Tier {
    TIERS
        .iter()
        .rev()
        .find(|t| delivered >= t.from)
        .unwrap_or(&TIERS[0])
}
