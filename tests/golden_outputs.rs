//! The bytes of every output of the datasets, held to SHA-256 digests recorded before the
//! restructuring of issue 11 (tests/fixtures/golden_outputs.txt): spikes, samples, connections and
//! provenance as Arrow IPC, for each dataset, both arithmetic profiles and both engines (which must
//! agree). A change of any result byte fails here; a change that means to alter results is made
//! on purpose, with `SPINNSIM_BLESS_GOLDEN=1` and a note in docs/decisions.md.

mod common;

use sha2::{Digest, Sha256};
use spinnsim::engine::Backend;
use spinnsim::mapping::{MapOptions, Profile};
use spinnsim::sim::Simulation;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// Each dataset with the model time it runs for here (ms): long enough to spike, short enough for
/// lavapipe.
const DATASETS: [(&str, f64); 5] = [
    ("synfire", 500.0),
    ("poisson_driven", 300.0),
    ("stdp_pair", 200.0),
    ("vogels_abbott_cuba", 100.0),
    ("microcircuit", 20.0),
];

fn ipc(batch: &arrow_array::RecordBatch) -> Vec<u8> {
    let mut w = arrow_ipc::writer::FileWriter::try_new(Vec::new(), &batch.schema()).unwrap();
    w.write(batch).unwrap();
    w.finish().unwrap();
    w.into_inner().unwrap()
}

/// (table, digest) of one run.
fn digests(dataset: &str, ms: f64, profile: Profile, backend: Backend) -> Vec<(&'static str, String)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("datasets/{dataset}.toml"));
    let net = spinnsim::model::load_toml(&std::fs::read_to_string(path).unwrap()).unwrap();
    let n_proj = net.projections.len();
    let mut sim =
        Simulation::with_backend(net, MapOptions { profile, ..Default::default() }, Some(2), backend).unwrap();
    sim.run(ms).unwrap();
    let all: Vec<usize> = (0..n_proj).collect();
    let tables = [
        ("spikes", sim.spikes_batch().unwrap()),
        ("samples", sim.samples_batch().unwrap()),
        ("connections", sim.connections_batch(&all).unwrap()),
        ("provenance", sim.provenance_batch().unwrap()),
    ];
    // Spikes to compare (the samples are those the dataset records; connections and provenance
    // are never empty).
    assert!(tables[0].1.num_rows() > 0, "{dataset}: no spikes in {ms} ms");
    tables.iter().map(|(name, b)| (*name, format!("{:x}", Sha256::digest(ipc(b))))).collect()
}

#[test]
fn every_output_of_the_datasets_is_byte_for_byte_what_it_was() {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/golden_outputs.txt");
    let gpu = common::gpu_or_skip();
    let mut got = BTreeMap::new();
    for (dataset, ms) in DATASETS {
        for profile in [Profile::Spinnaker7, Profile::Spinnaker2019] {
            let cpu = digests(dataset, ms, profile, Backend::Cpu);
            if gpu {
                assert_eq!(
                    digests(dataset, ms, profile, Backend::Gpu),
                    cpu,
                    "{dataset} {}: the engines differ",
                    profile.name()
                );
            }
            for (table, digest) in cpu {
                got.insert(format!("{dataset} {} {table}", profile.name()), digest);
            }
        }
    }
    let text: String = got.iter().map(|(k, v)| format!("{k} {v}\n")).collect();
    if std::env::var_os("SPINNSIM_BLESS_GOLDEN").is_some() {
        std::fs::write(&file, &text).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&file).unwrap();
    let differ: Vec<String> = want
        .lines()
        .zip(text.lines())
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("  recorded {a}\n  now      {b}"))
        .collect();
    assert!(
        differ.is_empty() && want.lines().count() == text.lines().count(),
        "outputs changed:\n{}",
        differ.join("\n")
    );
}
