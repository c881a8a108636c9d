//! The mapping against the real sPyNNaker 7.4.1 host software (oracles.md §4): keys and masks,
//! ring-buffer shifts, weight scales and the raw words of the SynapseParams, PopTable and
//! SynBlocks regions.

mod common;

use common::{oracles_dir, synfire};
use serde_json::Value;
use spinnsim::mapping::{map, CoreKind, MachineImage, MapOptions};

fn fixture(name: &str) -> Value {
    let path = oracles_dir().join("virtual-board-7.4.1").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("json")
}

fn hex(v: &Value) -> u32 {
    u32::from_str_radix(v.as_str().expect("hex string").trim_start_matches("0x"), 16).expect("hex")
}

fn words(v: &Value) -> Option<Vec<u32>> {
    v.as_array().map(|a| a.iter().map(hex).collect())
}

fn core_by_label<'a>(image: &'a MachineImage, label: &str) -> &'a spinnsim::mapping::Core {
    image.cores.iter().find(|c| c.label == label).unwrap_or_else(|| panic!("no core {label}"))
}

fn check(image: &MachineImage, fx: &Value) {
    // Keys and masks of every machine vertex (delay extensions are labelled differently).
    for rk in fx["routing_keys"].as_array().unwrap() {
        let label = rk[0].as_str().unwrap();
        let core = if label.starts_with("Delay extension for ") {
            image.cores.iter().find(|c| matches!(c.kind, CoreKind::Delay(_))).expect("a delay core")
        } else {
            core_by_label(image, label)
        };
        assert_eq!((core.key, core.mask), (Some(hex(&rk[1])), hex(&rk[2])), "key/mask of {label}");
    }
    let shifts: Vec<u32> =
        fx["ring_buffer_shifts"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect();
    assert_eq!(image.ring_buffer_shifts[0].map(|s| s.to_vec()), Some(shifts));
    let pop_label = fx["placements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[0].as_str().unwrap())
        .find(|l| l.starts_with("pop_1("))
        .unwrap();
    let core = core_by_label(image, pop_label);
    let CoreKind::Neuron(nc) = &core.kind else { panic!("{pop_label} is not a neuron core") };
    let regions = &fx["data_spec_regions_by_core"][pop_label];
    assert_eq!(Some(nc.synapse_params.clone()), words(&regions["4"]["words_hex"]), "SynapseParams");
    assert_eq!(Some(nc.pop_table.clone()), words(&regions["5"]["words_hex"]), "PopTable");
    if let Some(syn) = words(&regions["6"]["words_hex"]) {
        // The region is reserved larger than the matrices it holds; the rest is zero.
        assert!(nc.synaptic_matrix.len() <= syn.len());
        assert_eq!(nc.synaptic_matrix[..], syn[..nc.synaptic_matrix.len()], "SynBlocks");
        assert!(syn[nc.synaptic_matrix.len()..].iter().all(|&w| w == 0));
    } else {
        // Large regions are summarised: check the decoded first rows instead.
        for (i, row) in fx["synaptic_rows_decoded_first"].as_array().unwrap().iter().enumerate() {
            let s = &row[0];
            let delayed_base = 0; // the only block of the delay-extension fixture's first rows
            let r = delayed_base + i * 4;
            let w = nc.synaptic_matrix[r + 3];
            let (n, t) = (nc.log_n_neurons(), nc.log_n_synapse_types());
            assert_eq!(nc.synaptic_matrix[r + 1], 1, "row {i} has one synapse");
            assert_eq!(w >> 16, s["w"].as_u64().unwrap() as u32);
            assert_eq!((w >> (n + t)) & ((1 << nc.log_max_delay()) - 1), s["d"].as_u64().unwrap() as u32);
            assert_eq!(w & ((1 << n) - 1), s["idx"].as_u64().unwrap() as u32);
        }
    }
}

#[test]
fn synfire20_delay17_maps_as_spynnaker_7_4_1() {
    let image = map(&synfire(20, 17.0, None, true), MapOptions::default()).unwrap();
    check(&image, &fixture("synfire20_delay17.json"));
}

#[test]
fn synfire256_delay40_needs_a_delay_extension_as_in_spynnaker_7_4_1() {
    let image = map(&synfire(256, 40.0, None, true), MapOptions::default()).unwrap();
    let fx = fixture("synfire256_delay40_delay_extension.json");
    check(&image, &fx);
    let dc = image.cores.iter().find_map(|c| match &c.kind {
        CoreKind::Delay(d) => Some(d.clone()),
        _ => None,
    });
    let dc = dc.expect("a delay extension core");
    // delay_params words 5 and 6: n_stages and delay per stage.
    let dp =
        words(&fx["data_spec_regions_by_core"]["Delay extension for pop_1 with 256 atoms"]["1"]["words_hex"]).unwrap();
    assert_eq!((dc.n_stages, dc.delay_per_stage), (dp[5], dp[6]));
}
