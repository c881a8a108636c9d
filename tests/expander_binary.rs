//! spinnsim's expanders (`spinnsim::expander`) against the real `synapse_expander.aplx` and
//! `neuron_expander.aplx` of sPyNNaker 7.4.1, run under the ARM emulator
//! (tools/binaries/synapse_expander.py, tools/binaries/neuron_expander.py): for random
//! connection-builder regions — every connector, every parameter generator as weight and as
//! delay, several edges and synapse types per core, delays past one stage and past the last,
//! full rows — the synaptic-matrix words and the final states of both generators are the
//! binary's, word for word; for random neuron-builder regions and those of every fixture — every
//! field type, global and per-neuron structs, values split into items, recording indices — the
//! neuron parameters, the recording region and the core's generator are. The budget is
//! `SPINNSIM_EXPANDER_CASES` cases (300 by default); `SPINNSIM_EXPANDER_SEED` picks another
//! sequence of cases.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use spinnsim::expander::kernel::KernelGrid;
use spinnsim::expander::{
    ConnectionBuilder, ConnectionGenerator, GeneratedEdge, Matrix, ParamGenerator, StaticMatrix, StdpMatrix,
};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `get_n_bits`: bits to hold 0..n − 1.
fn n_bits(n: u32) -> u32 {
    if n <= 1 {
        0
    } else {
        32 - (n - 1).leading_zeros()
    }
}

fn s1615(ms: f64) -> i32 {
    (ms * 32768.0).round() as i32
}

/// A random parameter generator around `centre` (ms or nA), of any of the seven kinds.
fn generator(r: &mut StdRng, centre: f64, spread: f64) -> ParamGenerator {
    let (mu, sigma) = (s1615(centre), s1615(spread * r.random_range(0.1..1.0)));
    let (low, high) =
        (s1615(centre - spread * r.random_range(0.2..2.0)), s1615(centre + spread * r.random_range(0.2..2.0)));
    match r.random_range(0..7) {
        0 => ParamGenerator::Constant(mu),
        1 => ParamGenerator::Uniform { low, high },
        2 => ParamGenerator::Normal { mu, sigma },
        3 => ParamGenerator::NormalClipped { mu, sigma, low, high },
        4 => ParamGenerator::NormalClippedToBoundary { mu, sigma, low, high },
        5 => ParamGenerator::Exponential { beta: sigma },
        _ => ParamGenerator::ExponentialClipped { beta: sigma, low: low.min(0), high },
    }
}

fn connector(r: &mut StdRng, n_pre: u32, n_post: u32, same_range: bool) -> ConnectionGenerator {
    let with_replacement = r.random_bool(0.5);
    // With replacement, no self connections and one candidate (the neuron itself), the binary
    // redraws for ever; the host refuses such a projection (spinnsim's expander stops instead).
    let allow_self = r.random_bool(0.5) || (with_replacement && n_pre.min(n_post) == 1);
    match r.random_range(0..9) {
        0 => ConnectionGenerator::OneToOne,
        8 => ConnectionGenerator::Kernel(Box::new(kernel_grid(r, n_pre, n_post))),
        // As the host allows it: one range on both sides, groups that divide it, |offset| ≤ group.
        6 if same_range => {
            let divisors: Vec<u32> = (1..=n_pre).filter(|g| n_pre % g == 0).collect();
            let group = divisors[r.random_range(0..divisors.len())];
            let offset = r.random_range(-(group as i32)..=group as i32);
            ConnectionGenerator::OneToOneOffset { offset, wrap: r.random_bool(0.5), group }
        }
        7 if same_range => {
            let divisors: Vec<u32> = (1..=n_pre).filter(|g| n_pre % g == 0).collect();
            let group = divisors[r.random_range(0..divisors.len())];
            // Half the time the group's own weights, s16.15, of either sign.
            let n = (group * (group - 1)) as usize;
            let weights = r.random_bool(0.5).then(|| (0..n).map(|_| r.random_range(-(4 << 15)..(4 << 15))).collect());
            ConnectionGenerator::AllButMe { group, weights }
        }
        6 | 7 => ConnectionGenerator::OneToOne,
        1 => ConnectionGenerator::AllToAll { allow_self },
        2 => ConnectionGenerator::FixedProbability { allow_self, p: r.random() },
        3 => {
            let n = r.random_range(0..=(n_pre * n_post).saturating_sub(n_pre).max(1));
            ConnectionGenerator::FixedTotal { allow_self, with_replacement, n }
        }
        4 => ConnectionGenerator::FixedPre { allow_self, with_replacement, n: r.random_range(0..n_pre.max(2)) },
        _ => ConnectionGenerator::FixedPost { allow_self, with_replacement, n: r.random_range(0..n_post.max(2)) },
    }
}

/// A random kernel over grids whose widths need not divide the populations, with starts and
/// steps, and the kernel's own weights and delays (s16.15) half the time each.
fn kernel_grid(r: &mut StdRng, n_pre: u32, n_post: u32) -> KernelGrid {
    let mut pair = |lo: u16, hi: u16| [r.random_range(lo..=hi), r.random_range(lo..=hi)];
    let (pre, post) = ([pair(1, n_pre.min(8) as u16)[0], 0], [pair(1, n_post.min(8) as u16)[0], 0]);
    let (pre, post) = ([pre[0], (n_pre as u16).div_ceil(pre[0])], [post[0], (n_post as u16).div_ceil(post[0])]);
    let mut g = KernelGrid {
        common: pair(1, 9),
        pre,
        post,
        pre_start: pair(0, 3),
        post_start: pair(0, 3),
        pre_step: pair(1, 3),
        post_step: pair(1, 3),
        kernel: pair(1, 5),
        weights: None,
        delays: None,
    };
    let k = g.size();
    if r.random_bool(0.5) {
        g.weights = Some((0..k).map(|_| s1615(r.random_range(-2.0..2.0))).collect());
    }
    if r.random_bool(0.5) {
        g.delays = Some((0..k).map(|_| s1615(r.random_range(0.0..40.0))).collect());
    }
    g
}

/// One random core: its region and the size of its synaptic-matrix region.
fn case(r: &mut StdRng) -> (ConnectionBuilder, usize) {
    let n_types = r.random_range(1..=2u32);
    let n_post = r.random_range(1..=40u32);
    let post_per_core = r.random_range(1..=n_post);
    let slice_start = post_per_core * r.random_range(0..n_post.div_ceil(post_per_core));
    let slice_count = post_per_core.min(n_post - slice_start);
    let recurrent_pre = r.random_range(1..=30u32);
    let mut offset = 0u32;
    let mut edges = Vec::new();
    for _ in 0..r.random_range(1..=3) {
        // A recurrent projection half the time (pre and post the same population).
        let recurrent = r.random_bool(0.5);
        let n_pre = if recurrent { n_post } else { recurrent_pre.max(r.random_range(1..=30)) };
        let mdps = [8u32, 16, 16, 64][r.random_range(0..4)];
        let max_stage = r.random_range(1..=4u32);
        // Plastic rows a third of the time: a pre-event header of 1 or 2 words (or none), one or
        // two half-words per synapse, and the words the host gives such a row.
        let plastic = r.random_bool(1.0 / 3.0).then(|| {
            let (header, per_synapse) = (2 * r.random_range(0..=2u32), r.random_range(1..=2u32));
            (header, per_synapse, r.random_range(0..per_synapse))
        });
        // Rows usually long enough; sometimes short, so that rows fill.
        let row = |r: &mut StdRng| if r.random_bool(0.8) { slice_count * 3 + 2 } else { r.random_range(0..4) };
        let (max_row_synapses, max_delayed_row_synapses) = (row(r), row(r));
        let words_for = |n: u32| match plastic {
            None => n,
            Some((header, per_synapse, _)) => (header + per_synapse * n).div_ceil(2) + n.div_ceil(2),
        };
        let (max_row_words, max_delayed_row_words) = (words_for(max_row_synapses), words_for(max_delayed_row_synapses));
        let pre_atoms_per_core = r.random_range(1..=n_pre);
        let matrix_offset = offset;
        offset += n_pre * (max_row_words + 3);
        let delayed_offset = if max_stage > 1 { offset } else { u32::MAX };
        if max_stage > 1 {
            offset += n_pre * (max_stage - 1) * (max_delayed_row_words + 3);
        }
        let synapse_type = r.random_range(0..n_types);
        let matrix = StaticMatrix {
            matrix_offset,
            delayed_offset,
            max_row_words,
            max_delayed_row_words,
            synapse_type,
            type_bits: n_bits(n_types),
            index_bits: n_bits(post_per_core),
            max_stage,
            max_delay_per_stage: mdps,
            delay_bits: n_bits(mdps),
            n_pre,
            pre_atoms_per_core,
        };
        let matrix = match plastic {
            None => Matrix::Static(matrix),
            Some((header_half_words, half_words_per_synapse, weight_half_word)) => Matrix::Stdp(StdpMatrix {
                rows: matrix,
                max_row_synapses,
                max_delayed_row_synapses,
                header_half_words,
                half_words_per_synapse,
                weight_half_word,
                // The row number in the header (the weight changer's; STDP writes 0).
                write_row_number: r.random_range(0..2) * r.random_range(1..3),
                row_offset: r.random(),
            }),
        };
        // A PopulationView on either side a third of the time: a contiguous sub-range.
        let view = |r: &mut StdRng, n: u32| {
            if r.random_bool(2.0 / 3.0) {
                return (0, n - 1);
            }
            let lo = r.random_range(0..n);
            (lo, r.random_range(lo..n))
        };
        let ((pre_lo, pre_hi), (post_lo, post_hi)) = (view(r, n_pre), view(r, n_post));
        let weight_centre = r.random_range(-2.0..2.0);
        let delay_centre = (mdps * max_stage) as f64 * r.random_range(0.1..1.2);
        edges.push(GeneratedEdge {
            pre_lo,
            pre_hi,
            post_lo,
            post_hi,
            synapse_type,
            matrix,
            connector: connector(r, pre_hi - pre_lo + 1, post_hi - post_lo + 1, (pre_lo, pre_hi) == (post_lo, post_hi)),
            weight: generator(r, weight_centre, 1.0),
            delay: generator(r, delay_centre, delay_centre / 2.0),
        });
    }
    let seed = |r: &mut StdRng| [r.random(), r.random::<u32>() | 1, r.random(), r.random_range(1..698769068)];
    let builder = ConnectionBuilder {
        region_ids: [3, 4, 10, u32::MAX],
        post_slice_start: slice_start,
        post_slice_count: slice_count,
        timestep_per_delay: [1 << 15, 10 << 15, 2 << 15][r.random_range(0..3)],
        pop_seed: seed(r),
        core_seed: seed(r),
        weight_scales: (0..n_types).map(|_| r.random_range(1u64 << 28..1u64 << 49)).collect(),
        edges,
        key_map: vec![0],
    };
    (builder, offset as usize)
}

/// The binary's results, one JSON value per case; None (a notice; a failure in CI) when the
/// emulator or the image is missing.
fn run_binary(cases: &[(ConnectionBuilder, usize)]) -> Option<Vec<serde_json::Value>> {
    let input = serde_json::json!({
        "cases": cases.iter().map(|(b, n)| serde_json::json!({"region": b.words(), "matrix_words": n})).collect::<Vec<_>>()
    });
    run_json(&input)
}

/// The synapse expander's results for the cases of `input` (tools/binaries/synapse_expander.py's
/// stdin).
fn run_json(input: &serde_json::Value) -> Option<Vec<serde_json::Value>> {
    run_tool("synapse_expander.py", input)
}

/// The results of the emulated binary `tool` (in tools/binaries) for the cases of `input`.
fn run_tool(tool: &str, input: &serde_json::Value) -> Option<Vec<serde_json::Value>> {
    let script = root().join("tools/binaries").join(tool);
    let mut child = Command::new("python3")
        .arg(&script)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 starts");
    // A tool that cannot start (no unicorn) exits before reading: its stderr says why, not the pipe.
    let written = child.stdin.take().unwrap().write_all(input.to_string().as_bytes());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(3) || err.contains("No module named 'unicorn'") {
        assert!(std::env::var_os("CI").is_none(), "in CI the expander must be compared with its binary, but: {err}");
        println!("SKIPPED: {err}");
        return None;
    }
    assert!(out.status.success() && written.is_ok(), "{tool} failed ({written:?}):\n{err}");
    Some(String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect())
}

fn words(v: &serde_json::Value) -> Vec<u32> {
    v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u32).collect()
}

#[test]
fn the_expander_writes_the_rows_and_draws_of_the_binary() {
    let mut r = StdRng::seed_from_u64(env_u64("SPINNSIM_EXPANDER_SEED", 13));
    let cases: Vec<_> = (0..env_u64("SPINNSIM_EXPANDER_CASES", 300)).map(|_| case(&mut r)).collect();
    let Some(results) = run_binary(&cases) else { return };
    assert_eq!(results.len(), cases.len());
    let mut aborted = 0;
    for (k, ((builder, n), got)) in cases.iter().zip(&results).enumerate() {
        let mut matrix = vec![0u32; *n];
        let ours = builder.expand(&mut matrix);
        let what = format!("case {k}: {builder:?}\nbinary: {}", got["error"]);
        let error = got["error"].as_str().unwrap_or("");
        assert!(!error.contains("fault") && !error.contains("timeout"), "{what}");
        let stopped = error.contains("rt_error") || error.contains("write outside region");
        assert_eq!(stopped, ours.abort.is_some(), "stopped or not, ours: {:?} {what}", ours.abort);
        let warned =
            got["logs"].as_array().unwrap().iter().filter(|l| [446, 447, 449, 450].contains(&l[0].as_u64().unwrap()));
        assert_eq!(warned.count() as u64, ours.full_writes.iter().sum::<u64>(), "full rows, {what}");
        aborted += usize::from(ours.abort.is_some());
        assert_eq!(words(&got["pop_rng"]), ours.pop_rng, "population generator, {what}");
        assert_eq!(words(&got["core_rng"]), ours.core_rng, "core generator, {what}");
        let theirs = words(&got["matrix"]);
        if let Some(i) = (0..*n).find(|&i| theirs[i] != matrix[i]) {
            panic!("word {i}: binary {:#010x}, spinnsim {:#010x}; {what}", theirs[i], matrix[i]);
        }
    }
    // The cases reach both outcomes, and every connector.
    assert!(aborted > 0 && aborted < cases.len(), "{aborted} of {} cases stopped the core", cases.len());
    let ids: std::collections::BTreeSet<u32> =
        cases.iter().flat_map(|(b, _)| b.edges.iter().map(|e| e.connector.id())).collect();
    assert_eq!(ids.into_iter().collect::<Vec<_>>(), [0, 1, 2, 3, 4, 5, 6, 7, 8], "connector ids among the cases");
}

#[test]
fn the_region_reads_back_as_written() {
    let mut r = StdRng::seed_from_u64(5);
    for _ in 0..200 {
        let (b, _) = case(&mut r);
        assert_eq!(ConnectionBuilder::from_words(&b.words()).unwrap(), b);
    }
}

/// A random distribution of PyNN's, around `centre`, in TOML.
fn distribution(r: &mut StdRng, centre: f64, spread: f64) -> String {
    let (low, high) = (centre - spread * r.random_range(0.2..1.0), centre + spread * r.random_range(0.2..1.5));
    let sigma = spread * r.random_range(0.1..0.6);
    match r.random_range(0..6) {
        0 => format!("{centre}"),
        1 => format!(r#"{{ distribution = "uniform", low = {low}, high = {high} }}"#),
        2 => format!(r#"{{ distribution = "normal", mu = {centre}, sigma = {sigma} }}"#),
        3 => format!(
            r#"{{ distribution = "normal_clipped", mu = {centre}, sigma = {sigma}, low = {low}, high = {high} }}"#
        ),
        4 => format!(
            r#"{{ distribution = "normal_clipped_to_boundary", mu = {centre}, sigma = {sigma}, low = {low}, high = {high} }}"#
        ),
        _ => format!(r#"{{ distribution = "exponential", beta = {sigma} }}"#),
    }
}

/// A random network whose projections the synapse expander builds: a spike source and one or two
/// neuron populations over several cores, every on-chip connector, constant and random weights
/// and delays (some past the in-core delay), recurrent projections with and without self
/// connections, static and plastic (every STDP timing rule and weight dependence).
fn random_network(r: &mut StdRng) -> spinnsim::model::Network {
    let dt = [1.0, 0.1][r.random_range(0..2)];
    let sizes: Vec<u32> = (0..3).map(|_| r.random_range(1..=200)).collect();
    let per_core = |r: &mut StdRng| [8u32, 16, 32, 64, 256][r.random_range(0..5)];
    let mut toml = format!("timestep = {dt}\nseed = {}\n", r.random::<u32>());
    toml += &format!(
        "[[population]]\nlabel = \"src\"\nsize = {}\ncell_type = \"SpikeSourceArray\"\nmax_atoms_per_core = {}\n",
        sizes[0],
        per_core(r)
    );
    for (k, &n) in sizes[1..].iter().enumerate() {
        toml += &format!(
            "[[population]]\nlabel = \"pop{k}\"\nsize = {n}\ncell_type = \"IF_curr_exp\"\nmax_atoms_per_core = {}\nseed = {}\n",
            per_core(r),
            r.random::<u32>()
        );
    }
    // Per neuron population, the STDP rule its plastic projections share (sPyNNaker allows one).
    let rules: Vec<String> = (0..2)
        .map(|_| {
            let timing = ["SpikePairRule", "SpikeNearestPairRule"][r.random_range(0..2)];
            let dependence = ["AdditiveWeightDependence", "MultiplicativeWeightDependence"][r.random_range(0..2)];
            format!(
                "[projection.synapse_dynamics]\ntiming = {{ rule = \"{timing}\", tau_plus = 16.8, tau_minus = 33.7, \
                 A_plus = 0.05, A_minus = 0.06 }}\nweight_dependence = {{ dependence = \"{dependence}\", w_min = 0.0, \
                 w_max = {} }}\n",
                r.random_range(0.5..3.0)
            )
        })
        .collect();
    for k in 0..r.random_range(1..=4) {
        let (pre, post) = (r.random_range(0..3usize), r.random_range(1..3usize));
        // A PopulationView on either side a quarter of the time; a recurrent projection over one
        // view on both sides now and then (the only recurrent views that leave out self connections).
        let view = |r: &mut StdRng, n: u32| {
            r.random_bool(0.25).then(|| {
                let start = r.random_range(0..n);
                (start, r.random_range(start + 1..=n))
            })
        };
        let pre_view = view(r, sizes[pre]);
        let post_view = if pre == post && r.random_bool(0.3) { pre_view } else { view(r, sizes[post]) };
        let len = |v: Option<(u32, u32)>, n: u32| v.map_or(n, |(a, b)| b - a) as u64;
        let (n_pre, n_post) = (len(pre_view, sizes[pre]), len(post_view, sizes[post]));
        let recurrent = pre == post && pre_view == post_view;
        let label = |i: usize| if i == 0 { "src".to_string() } else { format!("pop{}", i - 1) };
        let allow = r.random_bool(0.5) || !recurrent;
        let repl = r.random_bool(0.5);
        let avail = |n: u64| n - u64::from(!allow && recurrent);
        let from_zero = |v: Option<(u32, u32)>| v.is_none_or(|v| v.0 == 0);
        let connector = match r.random_range(0..8) {
            // From its own generator, so that the other connectors' draws stay as they were.
            1 if pre_view.is_none() && post_view.is_none() => {
                let mut own = StdRng::seed_from_u64(n_pre * 7919 + n_post * 31 + k as u64);
                kernel_connector(&mut own, n_pre as u32, n_post as u32)
            }
            0 if n_pre == n_post => "{ type = \"OneToOneConnector\" }".to_string(),
            6 if n_pre == n_post && from_zero(pre_view) && from_zero(post_view) => {
                let divisors: Vec<u64> = (1..=n_pre).filter(|g| n_pre % g == 0).collect();
                let group = divisors[r.random_range(0..divisors.len())];
                let offset = r.random_range(-(group as i64)..=group as i64);
                let group = if group == n_pre && r.random_bool(0.5) { String::new() } else { format!(", n_neurons_per_group = {group}") };
                format!("{{ type = \"OneToOneOffsetConnector\", offset = {offset}, wrap = {}{group} }}", r.random_bool(0.5))
            }
            7 if n_pre == n_post && from_zero(pre_view) && from_zero(post_view) => {
                let divisors: Vec<u64> = (1..=n_pre).filter(|g| n_pre % g == 0).collect();
                let group = divisors[r.random_range(0..divisors.len())];
                let group = if r.random_bool(0.3) { String::new() } else { format!(", n_neurons_per_group = {group}") };
                format!("{{ type = \"AllButMeConnector\"{group} }}")
            }
            0 | 1 => format!("{{ type = \"AllToAllConnector\", allow_self_connections = {allow} }}"),
            2 => format!(
                "{{ type = \"FixedProbabilityConnector\", p_connect = {}, allow_self_connections = {allow} }}",
                r.random_range(0.01..0.9)
            ),
            3 => format!(
                "{{ type = \"FixedTotalNumberConnector\", n = {}, with_replacement = {repl}, allow_self_connections = {allow} }}",
                r.random_range(0..=n_pre * n_post / 2)
            ),
            4 if avail(n_pre) > 0 => format!(
                "{{ type = \"FixedNumberPreConnector\", n = {}, with_replacement = {repl}, allow_self_connections = {allow} }}",
                r.random_range(1..=avail(n_pre).min(40))
            ),
            _ if avail(n_post) > 0 => format!(
                "{{ type = \"FixedNumberPostConnector\", n = {}, with_replacement = {repl}, allow_self_connections = {allow} }}",
                r.random_range(1..=avail(n_post).min(40))
            ),
            _ => format!("{{ type = \"AllToAllConnector\", allow_self_connections = {allow} }}"),
        };
        let (w, d) = (r.random_range(0.05..2.0), r.random_range(1.0..40.0));
        let (weight, delay) = (distribution(r, w, 0.5), distribution(r, d, 10.0));
        let receptor = ["excitatory", "inhibitory"][r.random_range(0..2)];
        toml += &format!(
            "[[projection]]\nlabel = \"p{k}\"\npre = \"{}\"\npost = \"{}\"\nconnector = {connector}\nweight = {weight}\n\
             delay = {delay}\nreceptor_type = \"{receptor}\"\n",
            label(pre),
            label(post)
        );
        for (side, v) in [("pre", pre_view), ("post", post_view)] {
            if let Some((start, stop)) = v {
                toml += &format!("{side}_view = {{ start = {start}, stop = {stop} }}\n");
            }
        }
        if r.random_bool(0.4) {
            toml += &rules[post - 1];
        }
    }
    toml::from_str(&toml).unwrap_or_else(|e| panic!("{e}\n{toml}"))
}

/// A KernelConnector over grids that roughly hold `n_pre` and `n_post` neurons, with random
/// steps and starts and, half the time, the kernel's own weights or delays.
fn kernel_connector(r: &mut StdRng, n_pre: u32, n_post: u32) -> String {
    let mut grid = |n: u32| {
        let w = r.random_range(1..=n.clamp(1, 12));
        [n.div_ceil(w), w]
    };
    let (pre, post) = (grid(n_pre), grid(n_post));
    let kernel = [r.random_range(1..=5u32), r.random_range(1..=5u32)];
    let pair = |r: &mut StdRng, lo: u32, hi: u32| [r.random_range(lo..=hi), r.random_range(lo..=hi)];
    let (steps, starts) = (pair(r, 1, 3), pair(r, 0, 2));
    let mut out = format!(
        "{{ type = \"KernelConnector\", shape_pre = {pre:?}, shape_post = {post:?}, shape_kernel = {kernel:?}, \
         post_sample_steps_in_pre = {steps:?}, post_start_coords_in_pre = {starts:?}"
    );
    if r.random_bool(0.3) {
        out += &format!(", pre_sample_steps_in_post = {:?}", pair(r, 1, 2));
    }
    let rows = |r: &mut StdRng, lo: f64, hi: f64| -> Vec<Vec<f64>> {
        (0..kernel[0])
            .map(|_| (0..kernel[1]).map(|_| (r.random_range(lo..hi) * 64.0).round() / 64.0).collect())
            .collect()
    };
    if r.random_bool(0.5) {
        out += &format!(", weight_kernel = {:?}", rows(r, 0.05, 2.0));
    }
    if r.random_bool(0.5) {
        out += &format!(", delay_kernel = {:?}", rows(r, 1.0, 30.0));
    }
    out + " }"
}

#[test]
fn the_binary_expands_the_regions_the_mapping_writes_to_the_same_rows() {
    use spinnsim::expander::matrix::UNUSED_OFFSET;
    use spinnsim::mapping::{map, CoreKind, MapOptions};
    let mut r = StdRng::seed_from_u64(env_u64("SPINNSIM_EXPANDER_SEED", 13) + 1);
    let n_networks = env_u64("SPINNSIM_EXPANDER_CASES", 300) / 10;
    let (mut cores, mut unmapped, mut plastic, mut viewed) = (Vec::new(), 0, 0, 0);
    let (mut offset, mut all_but_me, mut kernel) = (0, 0, 0);
    for _ in 0..n_networks {
        let net = random_network(&mut r);
        // A row too long for SpiNNaker, or a core the expander stops, is refused by the mapping.
        let image = match map(&net, MapOptions::default()) {
            Ok(image) => image,
            Err(e) => {
                eprintln!("refused: {e}");
                unmapped += 1;
                continue;
            }
        };
        for c in image.cores {
            let CoreKind::Neuron(nc) = c.kind else { continue };
            let Ok(region) = ConnectionBuilder::from_words(&nc.connection_builder) else { continue };
            // The host writes the rows it builds; the expander's blocks follow them.
            let first =
                region.edges.iter().flat_map(|e| [e.matrix.rows().matrix_offset, e.matrix.rows().delayed_offset]);
            let Some(host_words) = first.filter(|&o| o != UNUSED_OFFSET).min() else { continue };
            plastic += region.edges.iter().filter(|e| matches!(e.matrix, Matrix::Stdp(_))).count();
            viewed += region.edges.iter().filter(|e| e.pre_lo > 0 || e.post_lo > 0).count();
            offset += region.edges.iter().filter(|e| e.connector.id() == 8).count();
            all_but_me += region.edges.iter().filter(|e| e.connector.id() == 7).count();
            kernel += region.edges.iter().filter(|e| e.connector.id() == 6).count();
            cores.push((c.label, nc.connection_builder.clone(), nc.synaptic_matrix, host_words as usize));
        }
    }
    println!(
        "{} cores of {} networks ({unmapped} refused by the mapping), {plastic} plastic edges, {viewed} over views, \
         {offset} one-to-one offset, {all_but_me} all-but-me, {kernel} kernel",
        cores.len(),
        n_networks - unmapped
    );
    assert!(plastic > 0, "no plastic edge among the cores");
    assert!(viewed > 0, "no edge over a PopulationView among the cores");
    assert!(offset > 0 && all_but_me > 0, "no OneToOneOffset or AllButMe edge among the cores");
    assert!(kernel > 0, "no KernelConnector edge among the cores");
    assert!(unmapped * 4 < n_networks, "{unmapped} of {n_networks} networks were refused");
    let input = serde_json::json!({ "cases": cores.iter().map(|(_, region, matrix, host)| serde_json::json!({
        "region": region, "matrix_words": matrix.len(), "fill": { "6": &matrix[..*host] } })).collect::<Vec<_>>() });
    let Some(results) = run_json(&input) else { return };
    for ((label, region, ours, _), got) in cores.iter().zip(&results) {
        let what = format!("core {label}: {:?}", ConnectionBuilder::from_words(region).unwrap());
        let error = got["error"].as_str().unwrap_or("");
        // Full rows are warnings (synapses lost, as the mapping warns); anything else is not.
        for bad in ["rt_error", "fault", "timeout", "outside"] {
            assert!(!error.contains(bad), "{what}\nbinary: {error}");
        }
        let theirs = words(&got["matrix"]);
        if let Some(i) = (0..ours.len()).find(|&i| theirs[i] != ours[i]) {
            panic!("word {i}: binary {:#010x}, spinnsim {:#010x}; {what}", theirs[i], ours[i]);
        }
    }
    assert!(cores.len() as u64 >= n_networks, "only {} cores compared", cores.len());
}

#[test]
fn a_reservoir_past_the_stack_stops_the_core_where_the_binary_faults() {
    use spinnsim::expander::connectors::MAX_RESERVOIR_PAIRS;
    use spinnsim::expander::Abort;
    // One fixed-total-without-replacement edge of 149 × 195 pairs onto a 16-atom core.
    let region = |n: u32| {
        let matrix = StaticMatrix {
            matrix_offset: 0,
            delayed_offset: u32::MAX,
            max_row_words: 40,
            max_delayed_row_words: 0,
            synapse_type: 0,
            type_bits: 1,
            index_bits: 4,
            max_stage: 1,
            max_delay_per_stage: 16,
            delay_bits: 4,
            n_pre: 149,
            pre_atoms_per_core: 149,
        };
        let edge = GeneratedEdge {
            pre_lo: 0,
            pre_hi: 148,
            post_lo: 0,
            post_hi: 194,
            synapse_type: 0,
            matrix: Matrix::Static(matrix),
            connector: ConnectionGenerator::FixedTotal { allow_self: true, with_replacement: false, n },
            weight: ParamGenerator::Constant(1 << 15),
            delay: ParamGenerator::Constant(1 << 15),
        };
        let builder = ConnectionBuilder {
            region_ids: [6, 5, 14, u32::MAX],
            post_slice_start: 0,
            post_slice_count: 16,
            timestep_per_delay: 1 << 15,
            pop_seed: [1, 2, 3, 4],
            core_seed: [5, 6, 7, 8],
            weight_scales: vec![1 << 48],
            edges: vec![edge],
            key_map: vec![149],
        };
        (builder, 149 * 43)
    };
    let cases = [region(MAX_RESERVOIR_PAIRS), region(MAX_RESERVOIR_PAIRS + 1), region(8300)];
    for (b, n) in &cases[1..] {
        let x = b.expand(&mut vec![0; *n]);
        assert!(matches!(x.abort, Some((0, Abort::ReservoirTooLarge { .. }))), "{:?}", x.abort);
    }
    let Some(results) = run_binary(&cases) else { return };
    let mut matrix = vec![0u32; cases[0].1];
    assert!(cases[0].0.expand(&mut matrix).abort.is_none());
    assert_eq!(words(&results[0]["matrix"]), matrix, "the largest reservoir spinnsim draws is the binary's");
    let error = results[2]["error"].as_str().unwrap_or("");
    assert!(error.contains("fault"), "8300 pairs overflow the binary's stack: {error}");
}

#[test]
fn weights_past_the_synaptic_word_are_counted_and_stored_as_the_binary_stores_them() {
    // One-to-one onto 4 neurons; weights 0.5 and 1.0 at a scale of 70000 a unit: 35000 fits the
    // 16-bit word, 70000 does not and is stored as 4464.
    let region = |weight: i32| {
        let matrix = StaticMatrix {
            matrix_offset: 0,
            delayed_offset: u32::MAX,
            max_row_words: 1,
            max_delayed_row_words: 0,
            synapse_type: 0,
            type_bits: 1,
            index_bits: 2,
            max_stage: 1,
            max_delay_per_stage: 16,
            delay_bits: 4,
            n_pre: 4,
            pre_atoms_per_core: 4,
        };
        let edge = GeneratedEdge {
            pre_lo: 0,
            pre_hi: 3,
            post_lo: 0,
            post_hi: 3,
            synapse_type: 0,
            matrix: Matrix::Static(matrix),
            connector: ConnectionGenerator::OneToOne,
            weight: ParamGenerator::Constant(weight),
            delay: ParamGenerator::Constant(1 << 15),
        };
        let builder = ConnectionBuilder {
            region_ids: [6, 5, 14, u32::MAX],
            post_slice_start: 0,
            post_slice_count: 4,
            timestep_per_delay: 1 << 15,
            pop_seed: [1, 2, 3, 4],
            core_seed: [5, 6, 7, 8],
            weight_scales: vec![70000 << 32],
            edges: vec![edge],
            key_map: vec![4],
        };
        (builder, 4 * 4)
    };
    let cases = [region(1 << 14), region(1 << 15)];
    let mut ours = Vec::new();
    for (b, n) in &cases {
        let mut matrix = vec![0u32; *n];
        let x = b.expand(&mut matrix);
        assert_eq!(x.written, [4]);
        ours.push((matrix, x.wrapped[0]));
    }
    assert_eq!(ours[0].1.count, 0, "35000 fits");
    assert_eq!((ours[1].1.count, ours[1].1.largest, ours[1].1.stored), (4, 1 << 15, 4464));
    assert_eq!(ours[1].0[3] >> 16, 4464, "the low 16 bits are kept");
    let Some(results) = run_binary(&cases) else { return };
    for ((matrix, _), got) in ours.iter().zip(&results) {
        assert_eq!(&words(&got["matrix"]), matrix, "the binary stores them alike");
    }
}

use spinnsim::expander::neurons::{
    FieldBuilder, FieldType, NeuronBuilder, RecordedVariable, StructBuilder, ALL_ATOMS, PER_ATOM, RECORDED,
};

/// A random field: any of the four types, one value for all repeats or several items.
fn neuron_field(r: &mut StdRng, repeats: u32, n_atoms: u32) -> FieldBuilder {
    let field_type = FieldType::from_id(r.random_range(0..4)).unwrap();
    // Whole numbers and fractions, negative ones too (UINT32 wraps them, U032 shifts them).
    let (centre, spread) = match field_type {
        FieldType::S1615 => (r.random_range(-70.0..20.0), r.random_range(0.1..15.0)),
        FieldType::U032 => (r.random_range(-0.5..0.5), 0.4),
        _ => (r.random_range(-5.0..200.0), r.random_range(0.5..50.0)),
    };
    let count = if repeats == PER_ATOM { n_atoms } else { repeats };
    let items = if count > 1 && r.random_bool(0.3) {
        let k = r.random_range(1..count);
        vec![(k, generator(r, centre, spread)), (count - k, generator(r, centre, spread))]
    } else {
        vec![(repeats, generator(r, centre, spread))]
    };
    FieldBuilder { field_type, items }
}

/// A random recorded variable of a core of `n_atoms`: off, all neurons, some or none.
fn recorded_variable(r: &mut StdRng, n_atoms: u32, sampled: bool) -> RecordedVariable {
    let element_size = sampled.then_some(4);
    let rate = r.random_range(1..4);
    let (n_recording, items) = match r.random_range(0..4) {
        0 => return RecordedVariable { rate: 0, element_size, n_recording: 0, items: vec![] },
        1 => (PER_ATOM, vec![ALL_ATOMS | RECORDED]),
        2 => (PER_ATOM, vec![ALL_ATOMS]),
        _ => {
            // Runs alternating between recorded and not, covering the core.
            let (mut items, mut at, mut recorded, mut n) = (Vec::new(), 0, r.random_bool(0.5), 0);
            while at < n_atoms {
                let len = r.random_range(1..=(n_atoms - at));
                items.push(if recorded { len | RECORDED } else { len });
                n += if recorded { len } else { 0 };
                (at, recorded) = (at + len, !recorded);
            }
            (n, items)
        }
    };
    RecordedVariable { rate, element_size, n_recording, items }
}

/// One random neuron-builder region.
fn neuron_case(r: &mut StdRng) -> NeuronBuilder {
    let n_atoms = r.random_range(1..=40u32);
    let structs = (0..r.random_range(1..=5))
        .map(|_| {
            let n_repeats = [PER_ATOM, 1, n_atoms][r.random_range(0..3)];
            let fields = (0..r.random_range(0..=6)).map(|_| neuron_field(r, n_repeats, n_atoms)).collect();
            StructBuilder { n_repeats, fields }
        })
        .collect();
    let n_sampled = r.random_range(0..=3);
    let recording =
        (0..n_sampled + r.random_range(0..=1)).map(|k| recorded_variable(r, n_atoms, k < n_sampled)).collect();
    let seed = |r: &mut StdRng| [r.random(), r.random::<u32>() | 1, r.random(), r.random_range(1..698769068)];
    NeuronBuilder { region_ids: [2, 9], pop_seed: seed(r), core_seed: seed(r), n_atoms, structs, recording }
}

/// The words of the neuron-parameter and neuron-recording regions of a builder's core.
fn neuron_region_sizes(b: &NeuronBuilder) -> (usize, usize) {
    let repeats = |n: u32| if n == PER_ATOM { b.n_atoms as usize } else { n as usize };
    let params = b.structs.iter().map(|s| repeats(s.n_repeats) * s.fields.len()).sum::<usize>();
    let index_words = b.n_atoms.div_ceil(2) as usize;
    let recording =
        2 + b.recording.iter().map(|v| 2 + usize::from(v.element_size.is_some()) + index_words).sum::<usize>();
    (params, recording)
}

/// The neuron expander's results for the regions of `builders`.
fn run_neuron_binary(builders: &[NeuronBuilder]) -> Option<Vec<serde_json::Value>> {
    let cases: Vec<_> = builders
        .iter()
        .map(|b| {
            let (n2, n9) = neuron_region_sizes(b);
            serde_json::json!({"region": b.words(), "regions": {"2": n2.max(1), "9": n9}})
        })
        .collect();
    run_tool("neuron_expander.py", &serde_json::json!({ "cases": cases }))
}

/// The recording region with the last halfword of every index array cleared when the core has an
/// odd number of atoms: the binary leaves it as the stack held it.
fn defined_recording(words: &[u32], b: &NeuronBuilder) -> Vec<u32> {
    let mut w = words.to_vec();
    let index_words = b.n_atoms.div_ceil(2) as usize;
    let mut at = 2;
    for v in &b.recording {
        at += 2 + usize::from(v.element_size.is_some()) + index_words;
        if b.n_atoms % 2 == 1 && at <= w.len() {
            w[at - 1] &= 0xFFFF;
        }
    }
    w
}

/// Compares the port with the binary on `cases`; returns how many stopped the core.
fn compare_neuron_expander(cases: &[NeuronBuilder]) -> usize {
    let ours: Vec<_> = cases.iter().map(|b| (b.clone(), b.expand().ok())).collect();
    let Some(results) = run_neuron_binary(cases) else { return 0 };
    assert_eq!(results.len(), cases.len());
    let mut stopped = 0;
    for (k, ((b, x), got)) in ours.iter().zip(&results).enumerate() {
        let what = format!("case {k}: {b:?}\nbinary: {}", got["error"]);
        let error = got["error"].as_str().unwrap_or("");
        assert!(!error.contains("fault") && !error.contains("timeout") && !error.contains("outside"), "{what}");
        assert_eq!(error.contains("rt_error"), x.is_none(), "stopped or not, {what}\nours: {:?}", b.expand());
        let Some(x) = x else {
            stopped += 1;
            continue;
        };
        assert_eq!(neuron_region_sizes(b), (x.params.len(), x.recording.len()), "region sizes, {what}");
        assert_eq!(words(&got["core_rng"]), x.core_rng, "core generator, {what}");
        assert_eq!(words(&got["pop_rng"]), x.pop_rng, "population generator, {what}");
        let params = words(&got["regions"]["2"]);
        if let Some(i) = (0..x.params.len()).find(|&i| params[i] != x.params[i]) {
            panic!("neuron parameter word {i}: binary {:#010x}, spinnsim {:#010x}; {what}", params[i], x.params[i]);
        }
        let recording = defined_recording(&words(&got["regions"]["9"]), b);
        assert_eq!(recording, defined_recording(&x.recording, b), "recording region, {what}");
    }
    stopped
}

#[test]
fn the_neuron_expander_writes_the_parameters_and_draws_of_the_binary() {
    let mut r = StdRng::seed_from_u64(env_u64("SPINNSIM_EXPANDER_SEED", 13) + 2);
    let cases: Vec<_> = (0..env_u64("SPINNSIM_EXPANDER_CASES", 300)).map(|_| neuron_case(&mut r)).collect();
    let stopped = compare_neuron_expander(&cases);
    assert!(stopped < cases.len() / 4, "{stopped} of {} cases stopped the core", cases.len());
    for b in &cases {
        assert_eq!(NeuronBuilder::from_words(&b.words()).as_ref(), Ok(b), "read back");
    }
}

#[test]
fn the_neuron_expander_expands_every_fixture_core_as_the_binary() {
    let dir = root().join("tests/fixtures/virtual-board-7.4.1");
    let mut cases = Vec::new();
    for sub in ["", "stdp", "views"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            let path = e.unwrap().path();
            if path.extension().is_none_or(|x| x != "json") {
                continue;
            }
            let fx: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            for regions in fx["data_spec_regions_by_core"].as_object().unwrap().values() {
                let Some(w) = regions["13"]["words_hex"].as_array() else { continue };
                let w: Vec<u32> = w
                    .iter()
                    .map(|x| u32::from_str_radix(x.as_str().unwrap().trim_start_matches("0x"), 16).unwrap())
                    .collect();
                cases.push(NeuronBuilder::from_words(&w).unwrap_or_else(|e| panic!("{}: {e}", path.display())));
            }
        }
    }
    assert!(cases.len() >= 40, "only {} fixture cores", cases.len());
    assert_eq!(compare_neuron_expander(&cases), 0, "a fixture core stopped");
}

#[test]
fn the_mapping_takes_random_neuron_values_from_the_binarys_expansion() {
    let toml = r#"
        [[population]]
        label = "cond"
        size = 50
        cell_type = "IF_cond_exp"
        max_atoms_per_core = 32
        seed = 99
        parameters = { e_rev_I = { distribution = "normal", mu = -75.0, sigma = 3.0 }, i_offset = { distribution = "exponential", beta = 0.2 } }
        initial_values = { v = { distribution = "uniform", low = -70.0, high = -55.0 } }
        record = [{ variable = "v", neurons = [1, 2, 40] }, { variable = "spikes" }]
    "#;
    compare_random_neuron_values(toml);
}

/// Values set view by view: each core's builder has one item per range, and the mapping takes
/// the binary's draws for the random ranges only.
#[test]
fn the_mapping_takes_ranged_neuron_values_from_the_binarys_expansion() {
    let toml = r#"
        [[population]]
        label = "cond"
        size = 50
        cell_type = "IF_cond_exp"
        max_atoms_per_core = 32
        seed = 7
        [population.parameters]
        e_rev_I = [{ start = 0, stop = 20, value = -80.0 }, { start = 20, stop = 50, value = { distribution = "normal", mu = -75.0, sigma = 3.0 } }]
        i_offset = [{ start = 0, stop = 35, value = { distribution = "exponential", beta = 0.2 } }, { start = 35, stop = 50, value = 0.25 }]
        [population.initial_values]
        v = [{ start = 0, stop = 10, value = -65.0 }, { start = 10, stop = 40, value = { distribution = "uniform", low = -70.0, high = -55.0 } }, { start = 40, stop = 50, value = { distribution = "normal", mu = -60.0, sigma = 2.0 } }]
    "#;
    let Some(cores) = compare_random_neuron_values(toml) else { return };
    let (v0, v1) = (&cores[0].neurons.v, &cores[1].neurons.v);
    assert!(v0[..10].iter().all(|&v| v == -65 * 32768), "the fixed range keeps its value: {v0:?}");
    assert!(v0[10..].iter().chain(&v1[..8]).all(|&v| (-70 * 32768..=-55 * 32768).contains(&v)), "uniform range");
    assert_eq!(cores[1].neurons.i_offset[3..], [8192; 15], "i_offset 0.25 from neuron 35");
}

/// Maps `toml` (one population of two cores, IF_cond_exp), runs the binary on each core's
/// neuron-builder region and checks that v, i_offset and e_rev_I are the binary's; returns the
/// cores (none without the emulator, outside CI).
fn compare_random_neuron_values(toml: &str) -> Option<Vec<spinnsim::mapping::NeuronCore>> {
    use spinnsim::mapping::{map, CoreKind, MapOptions};
    let image = map(&toml::from_str(toml).unwrap(), MapOptions::default()).unwrap();
    let cores: Vec<_> = image
        .cores
        .iter()
        .filter_map(|c| if let CoreKind::Neuron(nc) = &c.kind { Some((c.n_atoms as usize, nc)) } else { None })
        .collect();
    assert_eq!(cores.len(), 2);
    let builders: Vec<_> = cores.iter().map(|(_, nc)| NeuronBuilder::from_words(&nc.neuron_builder).unwrap()).collect();
    let results = run_neuron_binary(&builders)?;
    for ((n, nc), got) in cores.iter().zip(&results) {
        let params = words(&got["regions"]["2"]);
        // The LIF struct (9 fields) follows the one-word global struct; the conductance input
        // (e_rev_E, e_rev_I) follows the LIF struct.
        let lif = |k: usize, f: usize| params[1 + k * 9 + f] as i32;
        let cond = |k: usize, f: usize| params[1 + n * 9 + k * 2 + f] as i32;
        assert_eq!((0..*n).map(|k| lif(k, 0)).collect::<Vec<_>>(), nc.neurons.v, "v");
        assert_eq!((0..*n).map(|k| lif(k, 4)).collect::<Vec<_>>(), nc.neurons.i_offset, "i_offset");
        assert_eq!((0..*n).map(|k| cond(k, 1)).collect::<Vec<_>>(), nc.neurons.e_rev_i, "e_rev_I");
        assert!(nc.neurons.v.windows(2).any(|w| w[0] != w[1]), "v is drawn per neuron");
    }
    Some(cores.into_iter().map(|(_, nc)| (**nc).clone()).collect())
}
