//! The sources of a run's connection budget, found once before the scan: the `PowerMTA` config,
//! a `log-connections` log and the `--max-smtp-out` / `--pool-size` overrides. Finding them from
//! the command line is the front end's (`cli::connections::load`); what they mean for the scan
//! (its plan, the rollup, the analysis's settings) is here, so every front end agrees.

use std::path::PathBuf;
use std::sync::Arc;

use crate::aggregate::Plan;
use crate::config::Config;
use crate::rollup::Rollup;

use super::{Overrides, Settings};

/// The config and log a run uses, found once before the scan.
#[derive(Debug, Default)]
pub struct Setup {
    pub config: Option<Config>,
    pub config_path: Option<PathBuf>,
    pub pmta_log: Option<PathBuf>,
    pub overrides: Overrides,
}

impl Setup {
    /// Whether there is anything to make a budget from: a config, or `--max-smtp-out` /
    /// `--pool-size`.
    pub fn has_budget(&self) -> bool {
        self.config.is_some()
            || self.overrides.max_smtp_out.is_some()
            || self.overrides.pool_size.is_some()
    }

    /// Whether the operator gave anything a connection budget can come from.
    pub fn has_budget_source(&self) -> bool {
        self.config.is_some()
            || self.pmta_log.is_some()
            || self.overrides.max_smtp_out.is_some()
            || self.overrides.pool_size.is_some()
    }

    /// What the scan counts: the rollup, the config's pools of the VMTAs, and the SMTP rows per
    /// destination and pool when there is a budget to hold them against.
    pub fn plan(&self) -> Arc<Plan> {
        let plan = super::plan(self.rollup(), self.config.as_ref());
        Arc::new(Plan {
            pool_groups: self.has_budget_source(),
            domain_codes: false,
            ..(*plan).clone()
        })
    }

    /// [`Self::plan`], and the per-domain codes the dashboard's Domains view shows.
    pub fn dashboard_plan(&self) -> Arc<Plan> {
        Arc::new(Plan {
            domain_codes: true,
            ..(*self.plan()).clone()
        })
    }

    /// The connection analysis's settings: the flags' overrides.
    pub fn settings(&self) -> Settings {
        Settings {
            overrides: self.overrides,
            ..Settings::default()
        }
    }

    /// The rollup: the config's (`queue-to`, the article's `mx-rollup`) ahead of the built-in
    /// Microsoft family.
    pub fn rollup(&self) -> Rollup {
        self.config
            .as_ref()
            .map_or_else(Rollup::default, |c| Rollup::new(c.rollups()))
    }
}
