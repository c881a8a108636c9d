//! Random network files, with extreme and degenerate values (sizes 0 to 2^32 − 1, NaN and
//! infinities, zero and huge time constants, empty lists, every connector and distribution,
//! STDP, current sources, odd timesteps and recordings), run by `spinnsim run` one process each,
//! under a time and an address-space limit: every case must end with a result (exit 0) or a
//! clear error (exit 1, one `error:` line), never a panic, an abort, a kill or a hang.
//!
//! The cases are seeded: `SPINNSIM_FUZZ_CASES=N` runs more (CI runs the default budget), and
//! `SPINNSIM_FUZZ_FROM=K` starts at case K. A failing case prints its seed and its file.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Cases CI runs.
const DEFAULT_CASES: u64 = 160;
/// Wall time and address space one case may take.
const CASE_SECONDS: u64 = 30;
const CASE_ADDRESS_SPACE_KIB: u64 = 6 << 20;

thread_local! {
    /// The odds that a value is extreme, chosen per case: a third of the cases have none, so that
    /// the mapping and the engine see valid networks too.
    static HOSTILITY: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}

/// A value: mostly ordinary, sometimes extreme.
fn number(rng: &mut StdRng, usual: f64) -> String {
    let extremes = [
        "0.0", "-0.0", "1e-300", "-1e-300", "1e300", "-1e300", "inf", "-inf", "nan", "65536.0", "-65536.0", "1e9",
        "0.001", "-1.0",
    ];
    if rng.random_bool(HOSTILITY.get()) {
        extremes[rng.random_range(0..extremes.len())].to_string()
    } else {
        format!("{:?}", usual * rng.random_range(0.0..2.0))
    }
}

fn distribution(rng: &mut StdRng, usual: f64) -> String {
    let count = rng.random_range(0..40);
    let mut n = |u: f64| number(rng, u);
    let scale = usual.abs().max(1e-3);
    let forms = [
        format!("{{ distribution = \"uniform\", low = {}, high = {} }}", n(usual * 0.5), n(usual * 1.5)),
        format!("{{ distribution = \"uniform_int\", low = {}, high = {} }}", n(usual * 0.5), n(usual * 1.5)),
        format!("{{ distribution = \"normal\", mu = {}, sigma = {} }}", n(usual), n(scale * 0.1)),
        format!(
            "{{ distribution = \"normal_clipped\", mu = {}, sigma = {}, low = {}, high = {} }}",
            n(usual),
            n(1.0),
            n(usual * 0.5),
            n(usual * 1.5)
        ),
        format!(
            "{{ distribution = \"normal_clipped_to_boundary\", mu = {}, sigma = {}, low = {}, high = {} }}",
            n(usual),
            n(1.0),
            n(usual * 0.5),
            n(usual * 1.5)
        ),
        format!("{{ distribution = \"exponential\", beta = {} }}", n(scale)),
        format!("{{ distribution = \"gamma\", k = {}, theta = {} }}", n(2.0), n(scale * 0.5)),
        format!("{{ distribution = \"lognormal\", mu = {}, sigma = {} }}", n(0.5), n(0.5)),
        format!("{{ distribution = \"poisson\", lam = {} }}", n(scale)),
        format!(
            "{{ distribution = \"binomial\", n = {}, p = {} }}",
            if rng_says_odd() { n(10.0) } else { format!("{count}") },
            n(0.5)
        ),
        format!("{{ distribution = \"vonmises\", mu = {}, kappa = {} }}", n(usual), n(1.0)),
    ];
    forms[rng.random_range(0..forms.len())].clone()
}

/// Whether a field takes an odd value (as often as the case's hostility says).
fn rng_says_odd() -> bool {
    thread_local! {
        static ODD: std::cell::RefCell<StdRng> = std::cell::RefCell::new(StdRng::seed_from_u64(7));
    }
    ODD.with(|r| r.borrow_mut().random_bool(HOSTILITY.get()))
}

/// A parameter value: a number, a list (of the right length or not), or a distribution.
fn values(rng: &mut StdRng, usual: f64, n: u64) -> String {
    match rng.random_range(0..10) {
        0..=5 => number(rng, usual),
        6 => {
            let len = if rng.random_bool(0.8) { n.min(50) } else { rng.random_range(0..5) };
            let items: Vec<String> = (0..len).map(|_| number(rng, usual)).collect();
            format!("[{}]", items.join(", "))
        }
        _ => distribution(rng, usual),
    }
}

const CELLS: [(&str, &[(&str, f64)]); 7] = [
    (
        "IF_curr_exp",
        &[
            ("tau_m", 20.0),
            ("cm", 1.0),
            ("v_rest", -65.0),
            ("v_reset", -65.0),
            ("v_thresh", -50.0),
            ("tau_refrac", 0.1),
            ("i_offset", 0.5),
            ("tau_syn_E", 5.0),
            ("tau_syn_I", 5.0),
            ("v", -65.0),
        ],
    ),
    ("IF_cond_exp", &[("tau_m", 20.0), ("e_rev_E", 0.0), ("e_rev_I", -70.0), ("i_offset", 0.5), ("v", -65.0)]),
    ("IF_curr_delta", &[("tau_m", 20.0), ("v_thresh", -50.0), ("tau_refrac", 0.1), ("i_offset", 0.5)]),
    ("Izhikevich", &[("a", 0.02), ("b", 0.2), ("c", -65.0), ("d", 2.0), ("i_offset", 5.0), ("u", -14.0)]),
    ("Izhikevich_cond", &[("a", 0.02), ("d", 2.0), ("i_offset", 5.0), ("e_rev_E", 0.0)]),
    ("SpikeSourceArray", &[]),
    ("SpikeSourcePoisson", &[("rate", 20.0), ("start", 0.0), ("duration", 50.0)]),
];

fn size(rng: &mut StdRng) -> u64 {
    let odd = [0, 1, 2, 255, 256, 257, 1000, 5000, 100_000, 1_000_000, 4_294_967_295];
    if rng.random_bool(0.05 + HOSTILITY.get()) {
        odd[rng.random_range(0..odd.len())]
    } else {
        rng.random_range(1..60)
    }
}

/// A connector between populations of at least `limit` neurons (list indices stay below it).
fn connector(rng: &mut StdRng, limit: u64) -> String {
    let n = |rng: &mut StdRng| [0u64, 1, 2, 3, 10, 100, 300, 100_000, 1_000_000_000][rng.random_range(0..9)];
    let flag = |rng: &mut StdRng| if rng.random_bool(0.5) { "true" } else { "false" };
    match rng.random_range(0..7) {
        0 => "{ type = \"OneToOneConnector\" }".into(),
        1 => format!("{{ type = \"AllToAllConnector\", allow_self_connections = {} }}", flag(rng)),
        2 => format!(
            "{{ type = \"FixedProbabilityConnector\", p_connect = {}, allow_self_connections = {} }}",
            number(rng, 0.1),
            flag(rng)
        ),
        3 => format!(
            "{{ type = \"FixedTotalNumberConnector\", n = {}, allow_self_connections = {}, with_replacement = {} }}",
            n(rng),
            flag(rng),
            flag(rng)
        ),
        4 => format!(
            "{{ type = \"FixedNumberPreConnector\", n = {}, allow_self_connections = {}, with_replacement = {} }}",
            n(rng),
            flag(rng),
            flag(rng)
        ),
        5 => format!(
            "{{ type = \"FixedNumberPostConnector\", n = {}, allow_self_connections = {}, with_replacement = {} }}",
            n(rng),
            flag(rng),
            flag(rng)
        ),
        _ => {
            let entries: Vec<String> = (0..rng.random_range(0..6))
                .map(|_| {
                    let fields =
                        if rng.random_bool(HOSTILITY.get()) { rng.random_range(1..6) } else { rng.random_range(2..5) };
                    let f: Vec<String> = (0..fields)
                        .map(|k| {
                            if k < 2 {
                                format!("{}", rng.random_range(0..limit))
                            } else {
                                number(rng, 1.0 + k as f64)
                            }
                        })
                        .collect();
                    format!("[{}]", f.join(", "))
                })
                .collect();
            format!("{{ type = \"FromListConnector\", conn_list = [{}] }}", entries.join(", "))
        }
    }
}

fn stdp(rng: &mut StdRng) -> String {
    let rule = if rng.random_bool(0.5) { "SpikePairRule" } else { "SpikeNearestPairRule" };
    let dep = if rng.random_bool(0.5) { "AdditiveWeightDependence" } else { "MultiplicativeWeightDependence" };
    format!(
        "[projection.synapse_dynamics]\ntiming = {{ rule = \"{rule}\", tau_plus = {}, tau_minus = {}, A_plus = {}, A_minus = {} }}\n\
         weight_dependence = {{ dependence = \"{dep}\", w_min = {}, w_max = {} }}\nbackprop_delay = {}\n",
        number(rng, 20.0),
        number(rng, 20.0),
        number(rng, 0.01),
        number(rng, 0.01),
        number(rng, 0.0),
        number(rng, 1.0),
        rng.random_bool(0.5)
    )
}

/// One random network file, and the work one ms of it is (neurons ÷ timestep): a run is kept to
/// about 10^8 neuron updates, which takes a few seconds, so that a long run is not taken for a hang.
fn network(seed: u64) -> (String, f64) {
    let mut rng = StdRng::seed_from_u64(seed);
    HOSTILITY.set([0.0, 0.0, 0.01, 0.03, 0.1][rng.random_range(0..5)]);
    // A mistake of the kind a whole field makes (a bad timestep, a spike source as a target).
    let mistake = |rng: &mut StdRng| rng.random_bool((HOSTILITY.get() * 2.0).min(1.0));
    let hostile = mistake(&mut rng);
    let mut f = String::new();
    let timestep = if hostile {
        ["0.001", "1000.0", "0.0", "-1.0", "nan", "2.0"][rng.random_range(0..6)]
    } else {
        ["1.0", "0.1", "1.0", "0.5"][rng.random_range(0..4)]
    };
    writeln!(f, "timestep = {timestep}\nseed = {}", rng.random_range(0..1000u64)).unwrap();
    let n_pops = rng.random_range(0..5);
    let mut pops = Vec::new();
    for i in 0..n_pops {
        let (cell, params) = CELLS[rng.random_range(0..CELLS.len())];
        let n = size(&mut rng);
        pops.push((format!("p{i}"), n, cell));
        writeln!(f, "[[population]]\nlabel = \"p{i}\"\nsize = {n}\ncell_type = \"{cell}\"").unwrap();
        let mut chosen = Vec::new();
        for (k, u) in params.iter() {
            if rng.random_bool(0.4) {
                chosen.push(format!("{k} = {}", values(&mut rng, *u, n)));
            }
        }
        if !chosen.is_empty() {
            writeln!(f, "parameters = {{ {} }}", chosen.join(", ")).unwrap();
        }
        if cell == "SpikeSourceArray" {
            let times: Vec<String> = (0..rng.random_range(0..6)).map(|_| number(&mut rng, 10.0)).collect();
            writeln!(f, "spike_times = [{}]", times.join(", ")).unwrap();
        }
        if rng.random_bool(0.2) {
            let odd = if hostile { 7 } else { 5 };
            writeln!(f, "max_atoms_per_core = {}", [1u64, 7, 64, 255, 65535, 0, 70000][rng.random_range(0..odd)])
                .unwrap();
        }
        if rng.random_bool(0.1) {
            writeln!(
                f,
                "spikes_per_second = {}\nring_buffer_sigma = {}",
                number(&mut rng, 30.0),
                number(&mut rng, 5.0)
            )
            .unwrap();
        }
        let vars: &[&str] = if cell.starts_with("SpikeSource") && !mistake(&mut rng) {
            &["spikes"]
        } else {
            &["spikes", "v", "gsyn_exc", "gsyn_inh"]
        };
        let mut rec = Vec::new();
        for v in vars {
            if rng.random_bool(0.4) {
                rec.push(match rng.random_range(0..4) {
                    0 => format!("{{ variable = \"{v}\", neurons = [0, {}] }}", rng.random_range(0..4)),
                    1 if mistake(&mut rng) => {
                        format!("{{ variable = \"{v}\", sampling_interval = {} }}", number(&mut rng, 2.0))
                    }
                    1 => format!("{{ variable = \"{v}\", sampling_interval = {}.0 }}", rng.random_range(1..5)),
                    _ => format!("{{ variable = \"{v}\" }}"),
                });
            }
        }
        if !rec.is_empty() {
            writeln!(f, "record = [{}]", rec.join(", ")).unwrap();
        }
    }
    // Targets: populations that receive synapses and currents (any population, by mistake).
    let receivers: Vec<&(String, u64, &str)> = pops.iter().filter(|p| !p.2.starts_with("SpikeSource")).collect();
    let target = |rng: &mut StdRng| -> Option<&(String, u64, &str)> {
        if receivers.is_empty() || mistake(rng) {
            pops.get(rng.random_range(0..pops.len().max(1)))
        } else {
            Some(receivers[rng.random_range(0..receivers.len())])
        }
    };
    for _ in 0..if pops.is_empty() { 0 } else { rng.random_range(0..5) } {
        let pre = &pops[rng.random_range(0..pops.len())];
        let Some(post) = target(&mut rng) else { continue };
        let n = pops.iter().map(|p| p.1).max().unwrap_or(1);
        let limit = if mistake(&mut rng) { 8 } else { pre.1.min(post.1).max(1) };
        // Connectors that draw every pair (all-to-all, fixed probability) only where that is
        // quick: 10^10 pairs take a minute to draw, which is no hang.
        let mut c = connector(&mut rng, limit);
        while (pre.1 as f64) * (post.1 as f64) > 1e8 && (c.contains("AllToAll") || c.contains("FixedProbability")) {
            c = connector(&mut rng, limit);
        }
        writeln!(f, "[[projection]]\npre = \"{}\"\npost = \"{}\"\nconnector = {c}", pre.0, post.0).unwrap();
        writeln!(f, "weight = {}", values(&mut rng, 0.5, n)).unwrap();
        if rng.random_bool(0.7) {
            let dt: f64 = timestep.parse().unwrap_or(1.0);
            let delay = match rng.random_range(0..4) {
                _ if mistake(&mut rng) => values(&mut rng, 3.0 * dt.abs().max(1e-3), n),
                0 => format!(
                    "{{ distribution = \"uniform\", low = {dt:?}, high = {:?} }}",
                    dt * rng.random_range(1.0..40.0)
                ),
                1 => format!("{:?}", dt * rng.random_range(1..300) as f64),
                _ => format!("{:?}", dt * rng.random_range(1.0..10.0)),
            };
            writeln!(f, "delay = {delay}").unwrap();
        }
        if rng.random_bool(0.3) {
            writeln!(f, "receptor_type = \"inhibitory\"").unwrap();
        }
        if rng.random_bool(0.15) {
            f.push_str(&stdp(&mut rng));
        }
    }
    for _ in 0..if pops.is_empty() { 0 } else { rng.random_range(0..3) } {
        let Some(target) = target(&mut rng).map(|p| p.0.clone()) else { continue };
        let source = if rng.random_bool(0.5) {
            format!(
                "{{ type = \"DCSource\", amplitude = {}, start = {}, stop = {} }}",
                number(&mut rng, 1.0),
                number(&mut rng, 5.0),
                number(&mut rng, 30.0)
            )
        } else {
            format!(
                "{{ type = \"StepCurrentSource\", times = [{}, {}], amplitudes = [{}, {}] }}",
                number(&mut rng, 5.0),
                number(&mut rng, 20.0),
                number(&mut rng, 1.0),
                number(&mut rng, 1.0)
            )
        };
        writeln!(f, "[[current_source]]\npopulation = \"{target}\"\nsource = {source}").unwrap();
        if rng.random_bool(0.3) {
            writeln!(f, "neurons = [{}, {}, 0]", rng.random_range(0..5), rng.random_range(0..5)).unwrap();
        }
    }
    let neurons: f64 = pops.iter().map(|p| p.1 as f64).sum();
    let dt: f64 = timestep.parse().unwrap_or(1.0);
    (f, neurons / if dt > 0.0 { dt } else { 1.0 })
}

/// Whether the GPU engine can run here (in CI it must: lavapipe): one case in ten runs on it.
fn gpu_here() -> bool {
    static GPU: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *GPU.get_or_init(|| spinnsim::engine::gpu::device::GpuContext::open().is_ok() || std::env::var_os("CI").is_some())
}

/// How one case ended, if not as it must.
fn run_case(seed: u64, dir: &std::path::Path) -> Option<String> {
    let backend = if seed % 10 == 5 && gpu_here() { "gpu" } else { "cpu" };
    // Lavapipe, the GPU of CI, is a CPU emulation: its runs are kept a hundred times shorter.
    let budget = if backend == "gpu" { 1e6 } else { 1e8 };
    let file = dir.join(format!("case-{seed}.toml"));
    let (text, work_per_ms) = network(seed);
    std::fs::write(&file, &text).unwrap();
    let mut rng = StdRng::seed_from_u64(seed ^ 0xABCD);
    let choices = if rng.random_bool(0.1) { 7 } else { 5 };
    let time = ["0", "1", "20", "50", "50", "-1", "inf"][rng.random_range(0..choices)];
    let time = match time.parse::<f64>() {
        Ok(ms) if ms.is_finite() && ms > 0.0 && ms * work_per_ms > budget => format!("{}", budget / work_per_ms),
        _ => time.to_string(),
    };
    // The address-space limit makes an allocation the estimate did not foresee an abort here.
    let script = format!("ulimit -v {CASE_ADDRESS_SPACE_KIB}; exec \"$0\" \"$@\"");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_spinnsim"))
        .args(["run"])
        .arg(&file)
        .arg("--out")
        .arg(dir.join(format!("out-{seed}")))
        .args(["--backend", backend, "--threads", "2", "--time", &time])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(CASE_SECONDS) {
            child.kill().ok();
            child.wait().ok();
            return Some(format!("hung (more than {CASE_SECONDS} s)\n{text}"));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).ok();
    std::fs::remove_dir_all(dir.join(format!("out-{seed}"))).ok();
    if std::env::var_os("SPINNSIM_FUZZ_SHOW").is_some() {
        println!("case {seed}: {:?} {}", status.code(), err.lines().last().unwrap_or(""));
    }
    let clean_error = status.code() == Some(1) && err.lines().filter(|l| l.starts_with("error: ")).count() == 1;
    let bad = match status.code() {
        Some(0) if !err.contains("panicked") => return None,
        Some(1) if clean_error && !err.contains("panicked") => return None,
        Some(c) => format!("exit status {c}"),
        None => "killed by a signal (an abort or the memory limit)".into(),
    };
    Some(format!("{bad}, --backend {backend} --time {time}\nstderr: {err}\n{text}"))
}

#[test]
fn random_network_files_end_in_a_result_or_a_clear_error() {
    let cases: u64 = std::env::var("SPINNSIM_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(DEFAULT_CASES);
    let from: u64 = std::env::var("SPINNSIM_FUZZ_FROM").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("spinnsim-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut failures = Vec::new();
    for seed in from..from + cases {
        if let Some(why) = run_case(seed, &dir) {
            failures.push(format!("case {seed}: {why}"));
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(failures.is_empty(), "{} of {cases} cases failed:\n\n{}", failures.len(), failures.join("\n\n"));
}
