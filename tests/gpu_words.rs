//! The word-format functions of `shaders/common.wgsl` against their twins of the same names in
//! `src/mapping/words.rs`, on the GPU, word for word: every master-population-table field, item
//! address and synaptic-word field, over edge words and random words, for every field width.
//!
//! Without any adapter the GPU test prints a note and passes, unless `CI` is set, where it fails.

mod common;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use spinnsim::engine::gpu::device::GpuContext;
use spinnsim::engine::gpu::shaders::{constants, FILES};
use spinnsim::mapping::words::*;

/// The twins, in the order the harness writes their results.
const TWINS: [&str; 15] = [
    "pop_entry_start",
    "pop_entry_colour_bits",
    "pop_entry_count",
    "pop_entry_core_mask",
    "pop_entry_core_shift",
    "pop_entry_n_neurons",
    "pop_entry_source",
    "pop_entry_source",
    "pop_entry_offset",
    "address_list_offset",
    "item_address",
    "synapse_weight",
    "synapse_index",
    "synapse_type",
    "synapse_delay",
];

/// Per input `(w, n_bits, t_bits, d_bits)`, one result per twin (`pop_entry_source` of an entry
/// made from the input: its neuron, then its colour). `tables` is declared for `pop_entry`, which
/// the harness does not call (it reads the table itself).
const HARNESS: &str = r#"
@group(0) @binding(0) var<storage, read> words_test_ins: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> words_test_outs: array<u32>;
@group(0) @binding(3) var<storage, read> tables: array<u32>;

@compute @workgroup_size(64)
fn words_test_main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    if i >= arrayLength(&words_test_ins) { return; }
    let v = words_test_ins[i];
    let w = v.x;
    let o = i * 15u;
    words_test_outs[o] = pop_entry_start(w);
    words_test_outs[o + 1u] = pop_entry_colour_bits(w);
    words_test_outs[o + 2u] = pop_entry_count(w);
    words_test_outs[o + 3u] = pop_entry_core_mask(w);
    words_test_outs[o + 4u] = pop_entry_core_shift(w);
    words_test_outs[o + 5u] = pop_entry_n_neurons(w);
    let entry = PopEntry(0u, 0xFFFF0000u << (v.w & 3u), 0u, 0u, v.z & 7u, v.y & 0xFFu, 8u + (v.w & 7u), v.y + 1u);
    let source = pop_entry_source(entry, w);
    words_test_outs[o + 6u] = source.x;
    words_test_outs[o + 7u] = source.y;
    words_test_outs[o + 8u] = pop_entry_offset(w & 0xFFFFu);
    words_test_outs[o + 9u] = address_list_offset(w & 0xFFFFu);
    words_test_outs[o + 10u] = item_address(w);
    words_test_outs[o + 11u] = synapse_weight(w);
    words_test_outs[o + 12u] = synapse_index(w, v.y);
    words_test_outs[o + 13u] = synapse_type(w, v.y, v.z);
    words_test_outs[o + 14u] = synapse_delay(w, v.y, v.z, v.w);
}
"#;

/// The Rust twins' results for one input, in the harness's order.
fn expected([w, n, t, d]: [u32; 4]) -> [u32; 15] {
    let entry = PopEntry {
        mask: 0xFFFF_0000 << (d & 3),
        n_colour_bits: t & 7,
        core_mask: n & 0xFF,
        core_shift: 8 + (d & 7),
        n_neurons: n + 1,
        ..Default::default()
    };
    let (neuron, colour) = entry.source_of(w);
    [
        pop_entry_start(w),
        pop_entry_colour_bits(w),
        pop_entry_count(w),
        pop_entry_core_mask(w),
        pop_entry_core_shift(w),
        pop_entry_n_neurons(w),
        neuron,
        colour,
        pop_entry_offset((w & 0xFFFF) as usize) as u32,
        address_list_offset(w & 0xFFFF) as u32,
        item_address(w),
        synapse_weight(w),
        synapse_index(w, n),
        synapse_type(w, n, t),
        synapse_delay(w, n, t, d),
    ]
}

/// The word-format section of common.wgsl: from its heading to the next section.
fn word_functions() -> String {
    let common = FILES[0].1;
    let start = common.find("// ---- sPyNNaker's word formats").expect("common.wgsl has the word-format section");
    let end = start + common[start..].find("// Adds to a u64 provenance counter").expect("the section ends");
    common[start..end].to_string()
}

fn shader_source() -> String {
    format!("{}{}{HARNESS}", constants(), word_functions())
}

#[test]
fn every_twin_is_in_common_wgsl_and_the_module_validates() {
    let src = shader_source();
    let module = naga::front::wgsl::parse_str(&src).unwrap_or_else(|e| panic!("{}", e.emit_to_string(&src)));
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::default())
        .validate(&module)
        .unwrap_or_else(|e| panic!("{}", e.emit_to_string(&src)));
    for name in TWINS {
        assert!(module.functions.iter().any(|(_, f)| f.name.as_deref() == Some(name)), "common.wgsl has no fn {name}");
    }
}

/// Edge words and random words, with every field width a core can have.
fn inputs() -> Vec<[u32; 4]> {
    let mut words = vec![0u32, 1, u32::MAX, 0x1FFF, 0x2000, 0xE000, 0xFFFF, 0x1_0000, 0xFFFF_0000, 0xFF, 0x100];
    words.extend((0..32).map(|k| 1u32 << k));
    let mut rng = StdRng::seed_from_u64(11);
    words.extend((0..400).map(|_| rng.random::<u32>()));
    let mut out = Vec::new();
    for (i, &w) in words.iter().enumerate() {
        let n = (i as u32 * 7) % 13; // 0..=12 index bits
        let t = 1 + (i as u32 % 2); // 1 or 2 type bits
        let d = (i as u32 * 3) % 9; // 0..=8 delay bits
        out.push([w, n, t, d]);
    }
    out
}

#[test]
fn the_wgsl_twins_decode_every_word_as_the_rust_functions_do() {
    let ctx = match GpuContext::open() {
        Ok(c) => c,
        Err(e) if std::env::var_os("CI").is_some() => panic!("no GPU adapter under CI: {e}"),
        Err(e) => {
            eprintln!("note: skipping the GPU test, no adapter: {e}");
            return;
        }
    };
    let ins = inputs();
    let got = run(&ctx, &ins);
    for (i, input) in ins.iter().enumerate() {
        let want = expected(*input);
        for (k, name) in TWINS.iter().enumerate() {
            assert_eq!(
                got[i * TWINS.len() + k],
                want[k],
                "{name} of {:#010x} (N {}, T {}, D {})",
                input[0],
                input[1],
                input[2],
                input[3]
            );
        }
    }
}

/// Runs the harness over `ins`; returns fifteen words per input.
fn run(ctx: &GpuContext, ins: &[[u32; 4]]) -> Vec<u32> {
    common::run_wgsl(ctx, &shader_source(), "words_test_main", ins, None, ins.len() as u32, ins.len() * 15)
}
