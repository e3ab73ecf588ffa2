//! The metrics configuration of an `http` block.

use crate::glue::log::ConfPlace;
use crate::glue::stats_zone::StatsConf;

#[derive(Debug, Default)]
pub struct MetricsMain {
    /// `fediguard_metrics_zone`.
    pub stats: Option<Box<StatsConf>>,
    /// Where `fediguard_metrics` stands, checked against the zone.
    pub places: Vec<ConfPlace>,
}

impl MetricsMain {
    pub fn stats(&self) -> Option<&StatsConf> {
        self.stats.as_deref()
    }

    /// Gives the zone the classes whose verified claims it counts (by
    /// ClassId; empty names are not counted).
    pub fn set_verify_classes(&mut self, names: Vec<String>) {
        if let Some(stats) = self.stats.as_deref_mut() {
            stats.verify_names = names;
        }
    }

    /// Gives the zone the names it counts (found again by name after a
    /// reload), or reports a page without a zone.
    pub fn finish(
        &mut self,
        class_names: Vec<String>,
        limit_names: Vec<String>,
    ) -> Result<(), String> {
        match self.stats.as_deref_mut() {
            Some(stats) => {
                stats.class_names = class_names;
                stats.limit_names = limit_names;
                Ok(())
            }
            None => match self.places.first() {
                Some(place) => Err(format!(
                    "fediguard_metrics in {place} needs a fediguard_metrics_zone \
                     in the http block"
                )),
                None => Ok(()),
            },
        }
    }
}
