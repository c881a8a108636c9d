//! Parameter sweeps: many instances of a network, each mapped by the unchanged mapper and run as
//! a single run of its own network file would run, written as one dataset (docs/sweeps.md).
//!
//! A sweep file ([`spec`]) names a base network, `run_ms` and axes; each axis is a path into the
//! network file ([`path`]) and its values. [`Sweep`] is the sweep resolved: every instance's
//! values (random draws included), frozen into the output folder with its hash. [`plan`] maps
//! every instance and groups the instances of one mapped structure into batches; [`dataset`] is
//! the output folder (tables, commit records, locks); [`run`] runs a shard's batches.

pub mod dataset;
pub mod path;
pub mod plan;
pub mod records;
pub mod run;
pub mod spec;
pub mod summary;
pub mod tables;

use crate::error::{Error, Result};
use crate::mapping::{MapOptions, Profile};
use crate::model::Network;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use spec::{Method, SpecFile, Table};
use std::path::Path;
use toml::Value;

/// The version of the frozen sweep format (`sweep.toml`).
pub const SWEEP_FORMAT: u32 = 1;

/// A sweep resolved: every instance's values, and the networks they make.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sweep {
    pub format: u32,
    pub run_ms: f64,
    pub profile: String,
    pub method: Method,
    pub tables: Vec<Table>,
    pub batch_size: u32,
    #[serde(rename = "axis")]
    pub axes: Vec<Axis>,
    /// The base network file's content (every instance is it with its axes' values set).
    #[serde(default)]
    pub base: Option<toml::Table>,
    #[serde(rename = "instance")]
    pub instances: Vec<Instance>,
}

/// An axis resolved: its column and where its values go.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Axis {
    pub name: String,
    /// None when a build function takes the value.
    #[serde(default)]
    pub path: Option<String>,
}

/// One instance: its axes' values and, when a build function made it, its own network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instance {
    pub values: Vec<Value>,
    #[serde(default)]
    pub network: Option<toml::Table>,
}

impl Sweep {
    /// The sweep of a sweep file; the base network is read relative to the file.
    pub fn from_file(path: &Path) -> Result<Sweep> {
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::Sweep(format!("cannot read {}: {e}", path.display())))?;
        let spec: SpecFile = toml::from_str(&text)
            .map_err(|e| Error::Sweep(format!("{}: {}", path.display(), e.to_string().trim_end())))?;
        let base = match &spec.network {
            Some(file) => {
                let at = path.parent().unwrap_or(Path::new(".")).join(file);
                let text = std::fs::read_to_string(&at)
                    .map_err(|e| Error::Sweep(format!("the base network {}: {e}", at.display())))?;
                let table: toml::Table = toml::from_str(&text).map_err(|e| {
                    Error::Sweep(format!("the base network {}: {}", at.display(), e.to_string().trim_end()))
                })?;
                Some(table)
            }
            None => None,
        };
        Sweep::resolve(&spec, base, None)
    }

    /// The sweep of `spec`: instances of `base` with the axes' values set, or, for a build
    /// function, the `networks` it built (one per point, in the points' order).
    pub fn resolve(spec: &SpecFile, base: Option<toml::Table>, networks: Option<Vec<toml::Table>>) -> Result<Sweep> {
        if !spec.run_ms.is_finite() || spec.run_ms < 0.0 {
            return Err(Error::Sweep(format!("run_ms = {}: give a finite time >= 0", spec.run_ms)));
        }
        let profile = spec.profile.clone().unwrap_or_else(|| Profile::default().name().to_string());
        Profile::from_name(&profile)
            .ok_or_else(|| Error::Sweep(format!("profile `{profile}`: use spinnaker-7 or spinnaker-2019")))?;
        let batch_size = spec.batch_size.unwrap_or(spec::DEFAULT_BATCH_SIZE);
        if batch_size == 0 {
            return Err(Error::Sweep("batch_size = 0: a batch holds at least 1 instance".into()));
        }
        let points = spec::points(spec)?;
        let instances: Vec<Instance> = match networks {
            Some(nets) if nets.len() != points.len() => {
                return Err(Error::Sweep(format!("{} networks for {} points", nets.len(), points.len())))
            }
            Some(nets) => {
                points.into_iter().zip(nets).map(|(values, n)| Instance { values, network: Some(n) }).collect()
            }
            None => points.into_iter().map(|values| Instance { values, network: None }).collect(),
        };
        let axes = spec.axes.iter().map(|a| Axis { name: a.name.clone(), path: a.path.clone() }).collect();
        let mut tables = spec.tables.clone();
        tables.sort();
        tables.dedup();
        let sweep = Sweep {
            format: SWEEP_FORMAT,
            run_ms: spec.run_ms,
            profile,
            method: spec.method,
            tables,
            batch_size,
            axes,
            base,
            instances,
        };
        sweep.check()?;
        Ok(sweep)
    }

    /// The profile of the mapping.
    pub fn map_options(&self) -> MapOptions {
        MapOptions { profile: Profile::from_name(&self.profile).unwrap_or_default(), ..Default::default() }
    }

    /// The frozen form (`sweep.toml`).
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string(self).map_err(|e| Error::Sweep(format!("cannot write the sweep as TOML: {e}")))
    }

    /// Reads a frozen sweep.
    pub fn from_toml(text: &str) -> Result<Sweep> {
        let s: Sweep =
            toml::from_str(text).map_err(|e| Error::Sweep(format!("sweep.toml: {}", e.to_string().trim_end())))?;
        if s.format != SWEEP_FORMAT {
            return Err(Error::Sweep(format!(
                "sweep.toml is of format {}, this spinnsim reads {SWEEP_FORMAT}",
                s.format
            )));
        }
        Ok(s)
    }

    /// The SHA-256 of the frozen form, in hex: the sweep's identity.
    pub fn hash(&self) -> Result<String> {
        Ok(dataset::sha256_hex(self.to_toml()?.as_bytes()))
    }

    /// Instance `i`'s network file as text: what `spinnsim run` of it gives, the instance gives.
    pub fn network_text(&self, i: usize) -> Result<String> {
        let table = self.network_table(i).map_err(|e| Error::Sweep(format!("instance {i}: {e}")))?;
        toml::to_string(&table).map_err(|e| Error::Sweep(format!("instance {i}: cannot write its network: {e}")))
    }

    fn network_table(&self, i: usize) -> std::result::Result<toml::Table, String> {
        let inst = self.instances.get(i).ok_or_else(|| format!("the sweep has {} instances", self.instances.len()))?;
        let mut doc = match (&inst.network, &self.base) {
            (Some(n), _) => n.clone(),
            (None, Some(b)) => b.clone(),
            (None, None) => return Err("the sweep has no base network and the instance none of its own".into()),
        };
        for (axis, v) in self.axes.iter().zip(&inst.values) {
            if let Some(p) = &axis.path {
                path::set_path(&mut doc, p, v.clone())
                    .map_err(|e| format!("axis `{}` ({p}) = {}: {e}", axis.name, show(v)))?;
            }
        }
        let run_ms = if self.run_ms.fract() == 0.0 && self.run_ms < 1e15 {
            Value::Integer(self.run_ms as i64)
        } else {
            Value::Float(self.run_ms)
        };
        doc.insert("run_ms".into(), run_ms);
        Ok(doc)
    }

    /// Instance `i`'s network, read from [`Sweep::network_text`] as `spinnsim run` reads a file.
    pub fn network(&self, i: usize) -> Result<Network> {
        let text = self.network_text(i)?;
        crate::model::load_toml(&text).map_err(|e| Error::Sweep(format!("{}: {e}", self.describe(i))))
    }

    /// `instance 3 (w = 0.5, seed = 2)`.
    pub fn describe(&self, i: usize) -> String {
        let vals: Vec<String> = match self.instances.get(i) {
            Some(inst) => {
                self.axes.iter().zip(&inst.values).map(|(a, v)| format!("{} = {}", a.name, show(v))).collect()
            }
            None => Vec::new(),
        };
        if vals.is_empty() {
            format!("instance {i}")
        } else {
            format!("instance {i} ({})", vals.join(", "))
        }
    }

    /// Every instance's network is valid; otherwise the error names the axis and the value that
    /// the network refuses (or the whole point when no single value is to blame).
    fn check(&self) -> Result<()> {
        if self.instances.is_empty() {
            return Err(Error::Sweep("the sweep has no instances".into()));
        }
        if self.base.is_none() && self.instances.iter().any(|i| i.network.is_none()) {
            return Err(Error::Sweep("give the base network (`network = \"file.toml\"`)".into()));
        }
        let loads = |i: usize| self.network(i).and_then(|n| check_parameters(&n));
        let bad = (0..self.instances.len()).into_par_iter().find_first(|&i| loads(i).is_err());
        let Some(i) = bad else { return Ok(()) };
        let whole = match loads(i).expect_err("found failing") {
            e @ Error::Sweep(_) => e,
            e => Error::Sweep(format!("{}: {e}", self.describe(i))),
        };
        Err(self.blame(i).unwrap_or(whole))
    }

    /// The first axis whose value alone, set on the base network, makes it invalid.
    fn blame(&self, i: usize) -> Option<Error> {
        let base = self.base.as_ref()?;
        let inst = &self.instances[i];
        if inst.network.is_some() {
            return None;
        }
        self.axes.iter().zip(&inst.values).find_map(|(axis, v)| {
            let p = axis.path.as_ref()?;
            let mut doc = base.clone();
            let fails = match path::set_path(&mut doc, p, v.clone()) {
                Err(e) => Some(e),
                Ok(()) => {
                    let text = toml::to_string(&doc).ok()?;
                    crate::model::load_toml(&text).and_then(|n| check_parameters(&n)).err().map(|e| e.to_string())
                }
            };
            fails.map(|e| Error::Sweep(format!("axis `{}` ({p}) = {}: {e}", axis.name, show(v))))
        })
    }
}

/// Every population's parameters and initial values are in range, with the draws the run will
/// make (the check the mapping makes first, made before anything is mapped).
fn check_parameters(net: &Network) -> Result<()> {
    crate::mapping::check_neuron_values(net)
}

/// A value as the sweep file writes it.
pub fn show(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = r#"seed = 1
        timestep = 1.0
        [[population]]
        label = "exc"
        size = 4
        cell_type = "IF_curr_exp"
        record = [{ variable = "spikes" }]
        [[population]]
        label = "in"
        size = 1
        cell_type = "SpikeSourceArray"
        spike_times = [1.0, 5.0]
        [[projection]]
        label = "drive"
        pre = "in"
        post = "exc"
        weight = 1.0
        connector = { type = "AllToAllConnector" }"#;

    fn sweep(axes: &str) -> Result<Sweep> {
        let spec: SpecFile = toml::from_str(&format!("run_ms = 10\n{axes}")).unwrap();
        Sweep::resolve(&spec, Some(toml::from_str(BASE).unwrap()), None)
    }

    #[test]
    fn an_instance_is_checked_with_the_draws_its_run_makes() {
        // tau_m drawn from normal(6, 3): some seeds draw a non-positive value for one of the 20
        // neurons, others do not; the check before the sweep and the mapping agree on every
        // seed, with the machine's draws and with spinnsim's.
        let (mut refused, mut accepted) = (0, 0);
        for draws in ["machine", "spinnsim"] {
            for seed in 0..40 {
                let text = format!(
                    "seed = 1\ndraws = \"{draws}\"\n[[population]]\nlabel = \"a\"\nsize = 20\ncell_type = \"IF_curr_exp\"\n\
                     seed = {seed}\nparameters = {{ tau_m = {{ distribution = \"normal\", mu = 6.0, sigma = 3.0 }} }}\n"
                );
                let net = crate::model::load_toml(&text).unwrap();
                let checked = check_parameters(&net).is_ok();
                assert_eq!(checked, crate::mapping::map(&net, Default::default()).is_ok(), "{draws}, seed {seed}");
                if checked {
                    accepted += 1;
                } else {
                    refused += 1;
                }
            }
        }
        assert!(refused > 0 && accepted > 0, "{refused} refused, {accepted} accepted");
    }

    #[test]
    fn a_sweep_freezes_and_reads_back_with_its_hash() {
        let s = sweep("[[axis]]\nname = \"w\"\npath = \"projection.drive.weight\"\nvalues = [0.5, 2]").unwrap();
        let again = Sweep::from_toml(&s.to_toml().unwrap()).unwrap();
        assert_eq!(again, s);
        assert_eq!(again.hash().unwrap(), s.hash().unwrap());
        assert!(s.network_text(1).unwrap().contains("weight = 2"));
        assert_eq!(s.network(0).unwrap().run_ms, Some(10.0));
    }

    #[test]
    fn a_value_the_network_refuses_names_the_axis_and_value() {
        let e = sweep(
            "[[axis]]\nname = \"seed\"\npath = \"seed\"\nvalues = [1]\n[[axis]]\nname = \"tau\"\npath = \"population.exc.parameters.tau_m\"\nvalues = [10.0, -3.0]",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("axis `tau` (population.exc.parameters.tau_m) = -3.0"), "{e}");
        let e = sweep("[[axis]]\nname = \"w\"\npath = \"projection.drive.weight\"\nvalues = [\"heavy\"]").unwrap_err();
        assert!(e.to_string().contains("axis `w` (projection.drive.weight) = \"heavy\""), "{e}");
        let e = sweep("[[axis]]\nname = \"x\"\npath = \"population.inh.size\"\nvalues = [3]").unwrap_err();
        assert!(e.to_string().contains("no `population` is labelled `inh`"), "{e}");
    }
}
