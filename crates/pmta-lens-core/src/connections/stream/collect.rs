//! The estimate from a pass of its own over the inputs, when the scan that counted the rows did
//! not build it (a filtered summary, the connections of `check-config`).

use std::ops::ControlFlow;
use std::sync::Arc;

use super::{Estimated, Stream};
use crate::acct::discover::Input;
use crate::acct::header::Col;
use crate::classify::Classifier;
use crate::config::Config;
use crate::connections::Settings;
use crate::connections::estimate::Collector;
use crate::filter::Filter;
use crate::model::RecordKind;
use crate::rollup::Rollup;
use crate::scan::{self, ScanOptions};

/// The SMTP rows of one pass, chunk by chunk (`hosts`: with the MX hosts that served each
/// recipient domain).
struct SmtpRows {
    hosts: bool,
}

impl scan::Sink for SmtpRows {
    type Fold = ();
    type Chunk = Collector;

    fn new_fold(&self) {}

    fn new_chunk(&self) -> Collector {
        if self.hosts {
            Collector::with_hosts()
        } else {
            Collector::default()
        }
    }

    fn merge(&self, (): &mut (), (): ()) {}

    #[inline]
    fn wants<'d>(&self, kind: RecordKind, _field: &dyn Fn(Col) -> &'d [u8]) -> bool {
        kind.is_smtp()
    }

    #[inline]
    fn row(&self, (): &mut (), c: &mut Collector, row: &scan::Row<'_>) {
        c.row(row);
    }
}

/// The estimate from a pass of its own over `inputs` (all rows: connections are not filtered),
/// with the MX hosts of each recipient domain. Replays as it reads; when the inputs overlap
/// in time, reads them again and replays everything at the end.
#[allow(clippy::too_many_arguments)] // the pass's parts and the estimate's
pub fn collect(
    inputs: &[Input],
    opts: &ScanOptions,
    classifier: &Classifier,
    rollup: &Rollup,
    config: Option<&Config>,
    settings: &Settings,
    series: bool,
) -> Estimated {
    let unfiltered = Filter::default();
    let eng = scan::Engine {
        classifier,
        filter: &unfiltered,
        rollup,
        domain_map: None,
    };
    let (rollup, config) = (
        Arc::new(rollup.clone()),
        config.map(|c| Arc::new(c.clone())),
    );
    let sink = SmtpRows { hosts: true };
    let pass = |keep_all: bool| {
        let mut stream = Stream::new(
            Arc::clone(&rollup),
            config.clone(),
            *settings,
            series,
            keep_all,
        );
        scan::Driver::new(inputs, &opts.quiet()).run(&eng, &sink, |c, _| {
            stream.push(c);
            ControlFlow::Continue(())
        });
        stream.finish()
    };
    match pass(false) {
        Ok(e) => e,
        Err(_) => pass(true).unwrap_or_default(),
    }
}
