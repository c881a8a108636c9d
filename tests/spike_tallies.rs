//! Spike tallies (`Machine::tally_spikes`): a machine that tallies its spikes keeps, per recorded
//! neuron, exactly the integers of the entries its spike recording would hold, on either
//! engine, and the summary made from them is the summary of the recorded spikes, bit for bit.

mod common;

use common::on_both_engines;
use spinnsim::engine::Backend;
use spinnsim::mapping::MapOptions;
use spinnsim::record::SpikeTally;
use spinnsim::sim::Simulation;
use spinnsim::sweep::summary::{summarize, summarize_tallies};

/// Poisson sources fast enough for several spikes in one tick, a spike array that lists neurons
/// twice in a tick, and a population over several cores recording a selection of its neurons.
fn network(seed: u64) -> spinnsim::model::Network {
    let text = format!(
        r#"
timestep = 1.0
seed = {seed}

[[population]]
label = "fast"
size = 7
cell_type = "SpikeSourcePoisson"
parameters = {{ rate = 1800.0 }}
record = [{{ variable = "spikes" }}]

[[population]]
label = "slow"
size = 40
cell_type = "SpikeSourcePoisson"
parameters = {{ rate = 30.0 }}
max_atoms_per_core = 16

[[population]]
label = "arr"
size = 4
cell_type = "SpikeSourceArray"
spike_times = [[1.0, 1.0, 5.0, 40.0, 41.0, 300.0], [], [7.0], [2.0, 3.0, 3.0]]
record = [{{ variable = "spikes" }}]

[[population]]
label = "exc"
size = 50
cell_type = "IF_curr_exp"
max_atoms_per_core = 16
parameters = {{ tau_m = 12.0 }}
record = [{{ variable = "spikes", neurons = [0, 3, 4, 17, 18, 31, 32, 33, 49] }}, {{ variable = "v", neurons = [1] }}]

[[projection]]
label = "drive"
pre = "slow"
post = "exc"
connector = {{ type = "FixedProbabilityConnector", p_connect = 0.5 }}
weight = 2.5
delay = 1.0

[[projection]]
label = "kick"
pre = "arr"
post = "exc"
connector = {{ type = "AllToAllConnector" }}
weight = 4.0
delay = 2.0
"#
    );
    spinnsim::model::load_toml(&text).unwrap()
}

fn simulation(seed: u64, backend: Backend, tally: bool) -> Simulation {
    let mut sim = Simulation::with_backend(network(seed), MapOptions::default(), Some(2), backend).unwrap();
    if tally {
        sim.tally_spikes().unwrap();
    }
    sim.run_ticks(600).unwrap();
    sim
}

/// The tallies the recorded spikes of `sim` give, per population, for the neurons `like` names.
fn tallies_of_recordings(sim: &Simulation, like: &[Vec<(u32, SpikeTally)>]) -> Vec<Vec<(u32, SpikeTally)>> {
    let rec = sim.recordings();
    like.iter()
        .enumerate()
        .map(|(pi, neurons)| {
            let spikes = rec.population_spikes(pi, 0);
            neurons
                .iter()
                .map(|&(n, _)| {
                    let mut t = SpikeTally::default();
                    for &(tick, _) in spikes.iter().filter(|s| s.1 == n) {
                        t.add(tick, 1);
                    }
                    (n, t)
                })
                .collect()
        })
        .collect()
}

fn tallies_are_the_recorded_spikes(backend: Backend) {
    for seed in [1, 2, 3] {
        let kept = simulation(seed, backend, false);
        let tallied = simulation(seed, backend, true);
        let tallies = tallied.machine().spike_tallies();
        let columns: Vec<usize> = tallies.iter().map(Vec::len).collect();
        assert_eq!(columns, vec![7, 0, 4, 9], "one tally per recorded neuron");
        assert!(tallied.recordings().spikes.is_empty(), "no spikes are kept");
        assert_eq!(tallies, tallies_of_recordings(&kept, &tallies), "seed {seed}");
        let fast = &tallies[0];
        assert!(fast.iter().any(|(_, t)| t.count > t.last - t.first + 1), "a fast source spikes twice in a tick");
        assert!(tallies[3].iter().filter(|(_, t)| t.count >= 3).count() >= 3, "exc neurons fire");
        let (net, ms) = (kept.network(), kept.current_time());
        assert_eq!(summarize_tallies(net, tallied.machine(), ms), summarize(net, &kept.recordings(), 0, ms));
        // What is not a spike is recorded as before.
        assert_eq!(kept.recordings().sampled, tallied.recordings().sampled);
        assert_eq!(kept.machine().provenance(), tallied.machine().provenance());
    }
}

on_both_engines!(tallies_are_the_recorded_spikes);

#[test]
fn both_engines_tally_alike() {
    if !common::gpu_or_skip() {
        return;
    }
    let cpu = simulation(4, Backend::Cpu, true);
    let gpu = simulation(4, Backend::Gpu, true);
    assert_eq!(cpu.machine().spike_tallies(), gpu.machine().spike_tallies());
}

#[test]
fn spikes_are_tallied_only_from_tick_zero_and_when_recorded_every_tick() {
    let mut sim = Simulation::new(network(5), MapOptions::default(), Some(1)).unwrap();
    sim.run_ticks(3).unwrap();
    let e = sim.tally_spikes().unwrap_err().to_string();
    assert!(e.contains("tick 0"), "{e}");
    let mut net = network(5);
    let exc = net.populations.iter_mut().find(|p| p.label == "exc").unwrap();
    exc.record[0].sampling_interval = Some(2.0);
    let mut sim = Simulation::new(net, MapOptions::default(), Some(1)).unwrap();
    let e = sim.tally_spikes().unwrap_err().to_string();
    assert!(e.contains("`exc") && e.contains("every 2 ticks"), "{e}");
}
