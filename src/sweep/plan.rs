//! A sweep's plan: every instance mapped (in parallel) by the unchanged mapper, its structure
//! key taken ([`Machine::structure_key`]), and the instances of one structure grouped into
//! batches of at most `batch_size`, in instance order. The plan depends on the sweep alone: not
//! on the shards, the engine or the machine it is made on.

use super::Sweep;
use crate::error::{Error, Result};
use crate::machine::Machine;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicUsize, Ordering};

/// The plan of a sweep (`plan.toml`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// The hash of the sweep planned ([`Sweep::hash`]).
    pub sweep: String,
    #[serde(rename = "instance")]
    pub instances: Vec<PlannedInstance>,
    #[serde(rename = "batch")]
    pub batches: Vec<Batch>,
}

/// An instance as planned.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlannedInstance {
    /// The network seed.
    pub seed: u64,
    /// The structure key, or None when the instance could not be mapped.
    #[serde(default)]
    pub structure: Option<String>,
    #[serde(default)]
    pub batch: Option<u32>,
    /// Why the instance could not be mapped (it is then in no batch, and failed).
    #[serde(default)]
    pub error: Option<String>,
}

/// Instances of one structure that run together.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Batch {
    pub id: u32,
    pub structure: String,
    pub instances: Vec<u32>,
}

/// Maps every instance and groups them; `progress` is told how many instances are mapped.
pub fn plan(sweep: &Sweep, progress: &(dyn Fn(usize) + Sync)) -> Result<Plan> {
    let done = AtomicUsize::new(0);
    let options = sweep.map_options();
    let mut instances: Vec<PlannedInstance> = (0..sweep.instances.len())
        .into_par_iter()
        .map(|i| {
            let net = sweep.network(i)?;
            let mapped = crate::mapping::map(&net, options).and_then(Machine::new);
            progress(done.fetch_add(1, Ordering::Relaxed) + 1);
            Ok(match mapped {
                Ok(m) => {
                    PlannedInstance { seed: net.seed, structure: Some(m.structure_key()), batch: None, error: None }
                }
                Err(e) => PlannedInstance { seed: net.seed, structure: None, batch: None, error: Some(e.to_string()) },
            })
        })
        .collect::<Result<_>>()?;
    let batches = group(&mut instances, sweep.batch_size as usize);
    Ok(Plan { sweep: sweep.hash()?, instances, batches })
}

/// Batches of at most `size` instances of one structure: the structures in the order of their
/// first instance, each one's instances in order.
fn group(instances: &mut [PlannedInstance], size: usize) -> Vec<Batch> {
    let mut structures: Vec<(&str, Vec<u32>)> = Vec::new();
    for (i, inst) in instances.iter().enumerate() {
        let Some(key) = inst.structure.as_deref() else { continue };
        match structures.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(i as u32),
            None => structures.push((key, vec![i as u32])),
        }
    }
    let mut batches = Vec::new();
    for (key, members) in structures {
        for chunk in members.chunks(size.max(1)) {
            batches.push(Batch { id: batches.len() as u32, structure: key.to_string(), instances: chunk.to_vec() });
        }
    }
    for b in &batches {
        for &i in &b.instances {
            instances[i as usize].batch = Some(b.id);
        }
    }
    batches
}

impl Plan {
    pub fn to_toml(&self) -> Result<String> {
        toml::to_string(self).map_err(|e| Error::Sweep(format!("cannot write the plan: {e}")))
    }

    pub fn from_toml(text: &str) -> Result<Plan> {
        toml::from_str(text).map_err(|e| Error::Sweep(format!("plan.toml: {}", e.to_string().trim_end())))
    }

    pub fn batch(&self, id: u32) -> Result<&Batch> {
        self.batches
            .get(id as usize)
            .ok_or_else(|| Error::Sweep(format!("there is no batch {id} (the plan has {})", self.batches.len())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_hold_one_structure_in_order_and_at_most_the_size() {
        let inst = |k: &str| PlannedInstance {
            seed: 0,
            structure: (!k.is_empty()).then(|| k.to_string()),
            batch: None,
            error: None,
        };
        let mut v: Vec<_> = ["a", "b", "a", "", "a", "b"].into_iter().map(inst).collect();
        let b = group(&mut v, 2);
        let got: Vec<(&str, Vec<u32>)> = b.iter().map(|b| (b.structure.as_str(), b.instances.clone())).collect();
        assert_eq!(got, vec![("a", vec![0, 2]), ("a", vec![4]), ("b", vec![1, 5])]);
        assert_eq!(v[4].batch, Some(1));
        assert_eq!(v[3].batch, None);
    }
}
