//! The senders of the built-in profiles: the ESP's VMTAs, domains and jobs
//! ([`super::Profile::esp`]) and the example sender's ([`super::Profile::example_sender`]).

use super::profile::{Campaign, DomainSpec, Provider, Vmta};

/// The ESP's VMTAs: (short name, pool, count, /24, first host) per pool, one IP each, all in the
/// documentation ranges; the injector (192.0.2.250) is left out.
pub(super) fn esp_vmtas() -> Vec<Vmta> {
    const POOLS: [(&str, &str, u32, &str, u32); 6] = [
        ("ms", "microsoft-pool", 64, "192.0.2", 10),
        ("gm", "gmail-pool", 56, "192.0.2", 100),
        ("yh", "yahoo-pool", 32, "198.51.100", 10),
        ("gen", "general-pool", 56, "198.51.100", 60),
        ("tx", "transactional-pool", 12, "203.0.113", 10),
        ("wu", "warmup-pool", 20, "203.0.113", 30),
    ];
    let mut out = Vec::new();
    for (short, pool, count, net, first) in POOLS {
        for k in 0..count {
            out.push(Vmta {
                name: format!("vmta-{short}-{:03}", k + 1),
                ip: format!("{net}.{}", first + k),
                pool: pool.to_owned(),
            });
        }
    }
    out
}

/// The big providers of the ESP's list; weights in per mille of all traffic, with the 380 of
/// the [`DomainTail`].
pub(super) fn esp_domains() -> Vec<DomainSpec> {
    let ms = (Provider::MicrosoftConsumer, "microsoft-pool");
    let gm = (Provider::Gmail, "gmail-pool");
    let yh = (Provider::Yahoo, "yahoo-pool");
    let o365 = (Provider::Office365, "general-pool");
    let other = (Provider::Other, "general-pool");
    let list: [(&str, u32, (Provider, &str)); 26] = [
        ("gmail.com", 275, gm),
        ("googlemail.com", 5, gm),
        ("hotmail.com", 70, ms),
        ("outlook.com", 45, ms),
        ("live.com", 20, ms),
        ("hotmail.co.uk", 12, ms),
        ("hotmail.fr", 10, ms),
        ("hotmail.de", 8, ms),
        ("msn.com", 8, ms),
        ("hotmail.it", 5, ms),
        ("live.co.uk", 5, ms),
        ("hotmail.es", 4, ms),
        ("live.fr", 4, ms),
        ("live.de", 3, ms),
        ("outlook.de", 2, ms),
        ("outlook.fr", 2, ms),
        ("windowslive.com", 1, ms),
        ("yahoo.com", 75, yh),
        ("aol.com", 25, yh),
        ("yahoo.co.uk", 6, yh),
        ("ymail.com", 4, yh),
        ("example.org", 12, o365),
        ("fabrikam.example", 6, o365),
        ("contoso.example", 6, o365),
        ("northwind.example", 4, o365),
        ("example.net", 8, other),
    ];
    list.iter()
        .map(|&(name, weight, (provider, pool))| DomainSpec {
            name: name.to_owned(),
            weight,
            provider,
            pool: Some(pool.to_owned()),
        })
        .collect()
}

/// 2,400 jobs of 600 customers (`brandNNNN.example`): job k has weight 1/k, so the biggest
/// sends dominate and the smallest are a few dozen rows a day. Every 10th job is a customer's
/// transactional stream (API, transactional pool), every 25th a send from a warming IP.
pub(super) fn esp_campaigns() -> Vec<Campaign> {
    const SUBJECTS: [&str; 16] = [
        "Your weekly picks are here",
        "New arrivals, hand-picked for you",
        "3 days left: \"Winter Sale\", up to 40% off",
        "Black Friday starts now, 30% off everything",
        "\"Doorbusters\" are live",
        "We miss you: 20% off your next order",
        "Your November newsletter",
        "Last chance: free shipping ends tonight",
        "Something new, just for you",
        "Your points expire soon",
        "Invitation: our winter webinar",
        "Top stories this week",
        "Price drop on items you viewed",
        "Thanks for being a member",
        "Your cart is waiting",
        "Early access, members only",
    ];
    const TRANSACTIONAL: [&str; 4] = [
        "Your order, \"#{n}\", has shipped",
        "Receipt for order #{n}",
        "Password reset requested",
        "Your statement is ready",
    ];
    (1..=2_400u32)
        .map(|k| {
            let customer = (k * 7) % 600 + 1;
            let brand = format!("brand{customer:04}.example");
            let (job_id, pool, subjects): (String, Option<&str>, Vec<String>) = if k % 10 == 3 {
                (
                    format!("tx-{customer:04}-{k:04}"),
                    Some("transactional-pool"),
                    TRANSACTIONAL.iter().map(|s| (*s).to_owned()).collect(),
                )
            } else {
                let first = (k as usize) % SUBJECTS.len();
                let second = (k as usize * 5 + 3) % SUBJECTS.len();
                let pool = (k % 25 == 7).then_some("warmup-pool");
                (
                    format!("c20261120-{k:04}"),
                    pool,
                    vec![SUBJECTS[first].to_owned(), SUBJECTS[second].to_owned()],
                )
            };
            Campaign {
                from: format!("Brand {customer} <news@{brand}>"),
                orig: format!("bounce-{k}@bounce.example.com"),
                subjects,
                api: pool == Some("transactional-pool"),
                pool: pool.map(str::to_owned),
                weight: 1_000_000 / k,
                job_id,
            }
        })
        .collect()
}

/// The VMTAs of the example sender: four for Microsoft, two general, one transactional.
pub(super) fn example_vmtas() -> Vec<Vmta> {
    let vmta = |name: &str, ip: &str, pool: &str| Vmta {
        name: name.to_owned(),
        ip: ip.to_owned(),
        pool: pool.to_owned(),
    };
    vec![
        vmta("vmta-ms-01", "192.0.2.10", "microsoft-pool"),
        vmta("vmta-ms-02", "192.0.2.11", "microsoft-pool"),
        vmta("vmta-ms-03", "192.0.2.12", "microsoft-pool"),
        vmta("vmta-ms-04", "192.0.2.13", "microsoft-pool"),
        vmta("vmta-gen-01", "198.51.100.20", "general-pool"),
        vmta("vmta-gen-02", "198.51.100.21", "general-pool"),
        vmta("vmta-tx-01", "203.0.113.5", "transactional-pool"),
    ]
}

/// The example sender's destinations: Microsoft consumer domains weigh most.
pub(super) fn example_domains() -> Vec<DomainSpec> {
    let dom = |name: &str, weight: u32, provider: Provider| DomainSpec {
        name: name.to_owned(),
        weight,
        provider,
        pool: Some(
            if provider == Provider::MicrosoftConsumer {
                "microsoft-pool"
            } else {
                "general-pool"
            }
            .to_owned(),
        ),
    };
    let ms = Provider::MicrosoftConsumer;
    vec![
        dom("outlook.com", 140, ms),
        dom("hotmail.com", 170, ms),
        dom("hotmail.co.uk", 40, ms),
        dom("hotmail.de", 30, ms),
        dom("hotmail.fr", 30, ms),
        dom("live.com", 50, ms),
        dom("live.co.uk", 15, ms),
        dom("live.de", 10, ms),
        dom("msn.com", 15, ms),
        dom("windowslive.com", 5, ms),
        dom("gmail.com", 250, Provider::Gmail),
        dom("yahoo.com", 90, Provider::Yahoo),
        dom("aol.com", 30, Provider::Yahoo),
        dom("example.net", 40, Provider::Other),
        dom("example.org", 40, Provider::Office365),
        dom("fabrikam.example", 25, Provider::Office365),
    ]
}

/// Two marketing mailings and the transactional stream (the only one sent through an API).
pub(super) fn example_campaigns() -> Vec<Campaign> {
    let campaign =
        |job: &str, from: &str, orig: &str, subjects: &[&str], pool: Option<String>, weight| {
            Campaign {
                job_id: job.to_owned(),
                from: from.to_owned(),
                orig: orig.to_owned(),
                subjects: subjects.iter().map(|s| (*s).to_owned()).collect(),
                api: pool.is_some(),
                pool,
                weight,
            }
        };
    vec![
        campaign(
            "nl-w47",
            "Example <news@example.com>",
            "bounces@mail.example.com",
            &[
                "Your weekly picks are here",
                "New arrivals, hand-picked for you",
                "3 days left: \"Winter Sale\", up to 40% off",
            ],
            None,
            55,
        ),
        campaign(
            "bf26",
            "Example <deals@example.com>",
            "bounces@mail.example.com",
            &[
                "Black Friday starts now, 30% off everything",
                "\"Doorbusters\" are live",
            ],
            None,
            35,
        ),
        campaign(
            "txn",
            "Example <orders@example.com>",
            "bounces@tx.example.com",
            &[
                "Your order, \"#{n}\", has shipped",
                "Receipt for order #{n}",
                "Password reset requested",
                "Your November statement is ready",
            ],
            Some("transactional-pool".to_owned()),
            10,
        ),
    ]
}
