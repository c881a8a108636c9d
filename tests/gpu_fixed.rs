//! `shaders/fixed.wgsl` against the Rust fixed-point functions, bit for bit.
//!
//! `fixed_wgsl_is_valid_wgsl` needs no GPU (naga only). The two GPU tests run the WGSL on the
//! adapter `GpuContext::open` picks (lavapipe on a machine without a GPU); without any adapter
//! they print a note and pass, unless `CI` is set, where they fail.

mod common;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use spinnsim::engine::gpu::device::GpuContext;
use spinnsim::fixed::{self, Kiss64};

const FIXED: &str = include_str!("../shaders/fixed.wgsl");

/// The functions fixed.wgsl must define, with nothing else global except `fx_` helpers.
const PUBLIC_FNS: [&str; 11] = [
    "mul_wide_u32",
    "mul_k",
    "decay_s1615",
    "mul_ulr",
    "half_k",
    "roundk",
    "accum_to_u32",
    "kiss64_next",
    "exponential_variate",
    "isi_ticks",
    "add_u64",
];

/// The test entry point. Mode 0: per element (a, b, c) of `ins`, ten words: mul_wide_u32(a, b),
/// mul_k(a, b), decay_s1615(a, b), mul_ulr(a, b), add_u64((a, b), c), half_k(a), roundk(a),
/// accum_to_u32(a). Modes 1–3: `ins[i]` is a KISS state; `draws` successive kiss64_next /
/// exponential_variate / isi_ticks (mean ISI `ins[n + i].x`), then the final state.
const HARNESS: &str = r#"
struct FxTestParams { mode: u32, n: u32, draws: u32, pad: u32 }
@group(0) @binding(0) var<storage, read> fx_test_ins: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> fx_test_outs: array<u32>;
@group(0) @binding(2) var<uniform> fx_test_params: FxTestParams;

@compute @workgroup_size(64)
fn fx_test_main(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    let p = fx_test_params;
    if i >= p.n { return; }
    let v = fx_test_ins[i];
    if p.mode == 0u {
        let a = bitcast<i32>(v.x);
        let o = i * 10u;
        let w = mul_wide_u32(v.x, v.y);
        fx_test_outs[o] = w.x;
        fx_test_outs[o + 1u] = w.y;
        fx_test_outs[o + 2u] = bitcast<u32>(mul_k(a, bitcast<i32>(v.y)));
        fx_test_outs[o + 3u] = bitcast<u32>(decay_s1615(a, v.y));
        fx_test_outs[o + 4u] = mul_ulr(v.x, v.y);
        let s = add_u64(v.xy, v.z);
        fx_test_outs[o + 5u] = s.x;
        fx_test_outs[o + 6u] = s.y;
        fx_test_outs[o + 7u] = bitcast<u32>(half_k(a));
        fx_test_outs[o + 8u] = bitcast<u32>(roundk(a));
        fx_test_outs[o + 9u] = accum_to_u32(a);
        return;
    }
    var st = v;
    let mean_isi = fx_test_ins[p.n + i].x;
    let o = i * (p.draws + 4u);
    for (var k = 0u; k < p.draws; k++) {
        var r = 0u;
        switch p.mode {
            case 1u: { r = kiss64_next(&st); }
            case 2u: { r = bitcast<u32>(exponential_variate(&st)); }
            default: { r = isi_ticks(&st, mean_isi); }
        }
        fx_test_outs[o + k] = r;
    }
    fx_test_outs[o + p.draws] = st.x;
    fx_test_outs[o + p.draws + 1u] = st.y;
    fx_test_outs[o + p.draws + 2u] = st.z;
    fx_test_outs[o + p.draws + 3u] = st.w;
}
"#;

fn shader_source() -> String {
    format!("{FIXED}\n{HARNESS}")
}

fn validate(src: &str) -> naga::Module {
    let module =
        naga::front::wgsl::parse_str(src).unwrap_or_else(|e| panic!("WGSL parse error:\n{}", e.emit_to_string(src)));
    naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::default())
        .validate(&module)
        .unwrap_or_else(|e| panic!("WGSL validation error:\n{}", e.emit_to_string(src)));
    module
}

#[test]
fn fixed_wgsl_is_valid_wgsl() {
    // The library alone: only functions, nothing else global, no `enable`.
    let m = validate(FIXED);
    assert!(m.entry_points.is_empty(), "fixed.wgsl must not define entry points");
    assert!(m.global_variables.is_empty(), "fixed.wgsl must not define bindings or globals");
    assert!(m.overrides.is_empty(), "fixed.wgsl must not define overrides");
    for (_, c) in m.constants.iter() {
        let name = c.name.as_deref().unwrap_or("");
        assert!(name.starts_with("fx_"), "global constant `{name}` is not prefixed fx_");
    }
    for (_, t) in m.types.iter() {
        if let Some(name) = &t.name {
            assert!(name.starts_with("fx_"), "global type `{name}` is not prefixed fx_");
        }
    }
    let names: Vec<String> = m.functions.iter().filter_map(|(_, f)| f.name.clone()).collect();
    for want in PUBLIC_FNS {
        assert!(names.iter().any(|n| n == want), "fixed.wgsl lacks `{want}`");
    }
    for n in &names {
        assert!(PUBLIC_FNS.contains(&n.as_str()) || n.starts_with("fx_"), "unexpected global function `{n}`");
    }
    assert!(!FIXED.lines().any(|l| l.trim_start().starts_with("enable ")), "fixed.wgsl must not use `enable`");
    // With the test entry point.
    validate(&shader_source());
}

/// The device, or None (with a note) when there is no adapter and `CI` is not set.
fn open() -> Option<GpuContext> {
    match GpuContext::open() {
        Ok(c) => {
            eprintln!("gpu_fixed: adapter {} ({}, {})", c.adapter.name, c.adapter.backend, c.adapter.device_type);
            Some(c)
        }
        Err(e) if std::env::var_os("CI").is_some() => panic!("no GPU adapter under CI: {e}"),
        Err(e) => {
            eprintln!("note: skipping the GPU test, no adapter: {e}");
            None
        }
    }
}

/// Runs the harness in `mode` over `n` items and returns `out_words` result words.
fn run(ctx: &GpuContext, mode: u32, n: u32, draws: u32, ins: &[[u32; 4]], out_words: usize) -> Vec<u32> {
    let params = [mode, n, draws, 0];
    common::run_wgsl(ctx, &shader_source(), "fx_test_main", ins, Some(&params), n, out_words)
}

/// Interesting words: 0, ±1, the extremes, 0x8000/0x7FFF and everything around powers of two
/// (positive and negative).
fn edge_values() -> Vec<u32> {
    let mut v = vec![0u32, 1, 2, 3, u32::MAX, u32::MAX - 1, 0x8000, 0x7FFF, 0x4000, 0x3FFF, 0xC000, 0xFFFF, 0x1_0000];
    v.extend([i32::MIN as u32, i32::MAX as u32, (i32::MIN + 1) as u32, 1000, 4294584393, 314527869]);
    for k in 0..32 {
        let p = 1u32 << k;
        for x in [
            p,
            p.wrapping_sub(1),
            p.wrapping_add(1),
            p.wrapping_neg(),
            p.wrapping_neg().wrapping_sub(1),
            p.wrapping_neg().wrapping_add(1),
        ] {
            v.push(x);
        }
    }
    // Around half-integers and integers of s16.15 (roundk / accum_to_u32 boundaries).
    for k in [-3i32, -2, -1, 0, 1, 2, 65535, -65536] {
        for f in [0i32, 1, 0x3FFF, 0x4000, 0x4001, 0x7FFF] {
            v.push(k.wrapping_shl(15).wrapping_add(f) as u32);
        }
    }
    v.sort_unstable();
    v.dedup();
    v
}

/// A random word from a mix of distributions: uniform, small magnitudes, s16.15 near rounding
/// boundaries, and edge values nudged a little.
fn draw(rng: &mut StdRng, edges: &[u32]) -> u32 {
    match rng.random_range(0..8u32) {
        0..=3 => rng.random(),
        4 | 5 => {
            let x = rng.random::<u32>() >> rng.random_range(0..32u32);
            if rng.random() {
                x.wrapping_neg()
            } else {
                x
            }
        }
        6 => {
            let k = rng.random::<i16>() as i32;
            let f = [0i32, 1, 0x3FFF, 0x4000, 0x4001, 0x7FFF, rng.random_range(0..0x8000)][rng.random_range(0..7usize)];
            (k << 15).wrapping_add(f) as u32
        }
        _ => edges[rng.random_range(0..edges.len())].wrapping_add(rng.random_range(0..5u32)).wrapping_sub(2),
    }
}

const N_ARITH: usize = 1 << 20;

#[test]
fn fixed_wgsl_arithmetic_matches_rust() {
    let Some(ctx) = open() else { return };
    let edges = edge_values();
    let mut rng = StdRng::seed_from_u64(0x5EED_F1CED);
    let mut ins: Vec<[u32; 4]> = Vec::with_capacity(N_ARITH);
    // Every pair of edge values, c running over the edges too.
    for (i, &a) in edges.iter().enumerate() {
        for (j, &b) in edges.iter().enumerate() {
            ins.push([a, b, edges[(i * 7 + j) % edges.len()], 0]);
        }
    }
    assert!(ins.len() < N_ARITH / 4, "{} edge pairs", ins.len());
    while ins.len() < N_ARITH {
        let (a, b, c) = (draw(&mut rng, &edges), draw(&mut rng, &edges), draw(&mut rng, &edges));
        ins.push([a, b, c, 0]);
    }
    let n = ins.len();
    let out = run(&ctx, 0, n as u32, 0, &ins, n * 10);

    const NAMES: [&str; 10] = [
        "mul_wide_u32.lo",
        "mul_wide_u32.hi",
        "mul_k",
        "decay_s1615",
        "mul_ulr",
        "add_u64.lo",
        "add_u64.hi",
        "half_k",
        "roundk",
        "accum_to_u32",
    ];
    let mut first: [Option<(usize, u32, u32)>; 10] = [None; 10];
    let mut count = [0usize; 10];
    for (i, &[a, b, c, _]) in ins.iter().enumerate() {
        let (ai, bi) = (a as i32, b as i32);
        let wide = a as u64 * b as u64;
        let sum = ((b as u64) << 32 | a as u64).wrapping_add(c as u64);
        let want = [
            wide as u32,
            (wide >> 32) as u32,
            fixed::mul_k(ai, bi) as u32,
            fixed::decay_s1615(ai, b) as u32,
            fixed::mul_ulr(a, b),
            sum as u32,
            (sum >> 32) as u32,
            fixed::half_k(ai) as u32,
            fixed::roundk(ai) as u32,
            fixed::accum_to_u32(ai),
        ];
        for f in 0..10 {
            let got = out[i * 10 + f];
            if got != want[f] {
                count[f] += 1;
                first[f].get_or_insert((i, got, want[f]));
            }
        }
    }
    let mut report = Vec::new();
    for f in 0..10 {
        if let Some((i, got, want)) = first[f] {
            let [a, b, c, _] = ins[i];
            report.push(format!(
                "{}: {} mismatches; first at a={a:#010x} ({}) b={b:#010x} ({}) c={c:#010x}: gpu {got:#010x} ({}), rust {want:#010x} ({})",
                NAMES[f], count[f], a as i32, b as i32, got as i32, want as i32
            ));
        }
    }
    assert!(report.is_empty(), "WGSL differs from Rust on {n} inputs:\n{}", report.join("\n"));
    eprintln!("gpu_fixed: {n} inputs × 8 functions identical");
}

const N_STATES: usize = 16384;
const DRAWS: usize = 64;

/// KISS states: degenerate ones, validated seeds and raw words (any state is legal input).
fn kiss_states(rng: &mut StdRng) -> Vec<[u32; 4]> {
    let mut s = vec![
        [0, 0, 0, 0],
        [u32::MAX; 4],
        [0, 0, u32::MAX, u32::MAX],
        [0, 13031301, 0, 1],
        [1, 2, 3, 4],
        [0x8000_0000; 4],
        [u32::MAX, 0, 0, 698769068],
    ];
    while s.len() < N_STATES {
        let w: [u32; 4] = [rng.random(), rng.random(), rng.random(), rng.random()];
        s.push(if s.len() % 2 == 0 { Kiss64::new(w).seed } else { w });
    }
    s
}

/// Runs mode 1–3 on the GPU and checks every draw and the final states against `cpu`.
fn check_rng(
    ctx: &GpuContext,
    mode: u32,
    name: &str,
    states: &[[u32; 4]],
    isi: &[u32],
    cpu: impl Fn(&mut Kiss64, u32) -> u32,
) {
    let n = states.len();
    let mut ins = states.to_vec();
    ins.extend(isi.iter().map(|&m| [m, 0, 0, 0]));
    let stride = DRAWS + 4;
    let out = run(ctx, mode, n as u32, DRAWS as u32, &ins, n * stride);
    let mut bad = 0;
    let mut first = None;
    for (i, &s0) in states.iter().enumerate() {
        let mut k = Kiss64::from_state(s0);
        let mut want: Vec<u32> = (0..DRAWS).map(|_| cpu(&mut k, isi[i])).collect();
        want.extend(k.seed);
        let got = &out[i * stride..(i + 1) * stride];
        if got != &want[..] {
            bad += 1;
            if first.is_none() {
                let j = (0..stride).find(|&j| got[j] != want[j]).unwrap();
                let what = if j < DRAWS { format!("draw {j}") } else { format!("final state word {}", j - DRAWS) };
                first = Some(format!(
                    "state {s0:?}, mean_isi {}: {what}: gpu {:#010x}, rust {:#010x}",
                    isi[i], got[j], want[j]
                ));
            }
        }
    }
    assert!(bad == 0, "{name}: {bad} of {n} states differ; first: {}", first.unwrap());
}

#[test]
fn fixed_wgsl_kiss_and_variates_match_rust() {
    let Some(ctx) = open() else { return };
    let mut rng = StdRng::seed_from_u64(0x4B155);
    let states = kiss_states(&mut rng);
    let isi: Vec<u32> = (0..states.len())
        .map(|i| match i % 4 {
            0 => rng.random_range(0..2000),
            1 => rng.random(),
            2 => [0, 1, 1000, u32::MAX, 0x8000, 0x7FFF][rng.random_range(0..6usize)],
            _ => rng.random_range(0..1_000_000),
        })
        .collect();
    check_rng(&ctx, 1, "kiss64_next", &states, &isi, |k, _| k.next_u32());
    check_rng(&ctx, 2, "exponential_variate", &states, &isi, |k, _| fixed::exponential_variate(k) as u32);
    check_rng(&ctx, 3, "isi_ticks", &states, &isi, fixed::isi_ticks);
    eprintln!(
        "gpu_fixed: {} states × {DRAWS} draws identical for kiss64_next, exponential_variate, isi_ticks",
        states.len()
    );
}
