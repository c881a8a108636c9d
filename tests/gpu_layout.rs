//! The Rust `#[repr(C)]` twins of src/engine/gpu/layout.rs against the structs of
//! shaders/common.wgsl, as naga lays them out: the same members in the same order, at the same
//! byte offsets, of the same sizes and types, and the same total size (the stride of an
//! `array<T>` in a storage buffer).

use naga::proc::Layouter;
use naga::{ArraySize, Handle, Module, Scalar, ScalarKind, Type, TypeInner};
use spinnsim::engine::gpu::layout::{
    BatchCore, CoreInfo, CurrentSourceRecord, NeuronParams, NeuronState, PoissonSource, RouteRecord, RowJob, Sizes,
    StdpInfo,
};
use spinnsim::engine::gpu::shaders::{common, FILES};
use spinnsim::machine::poisson::RateSetup;
use std::mem::{offset_of, size_of};

/// Structs that need no twin here: those of the WGSL sources that live outside common.wgsl
/// (spike_route.wgsl), should common.wgsl ever declare them, and `PopEntry`, a pop-table entry
/// decoded into registers (`pop_entry`), never laid out in a buffer (its words are
/// src/mapping/words.rs's, tested in tests/gpu_words.rs).
const NOT_COMMON: [&str; 3] = ["Packet", "Arrival", "PopEntry"];

/// A Rust struct as the test sees it: its fields in declaration order, with offset, size and
/// type (in WGSL spelling).
struct Twin {
    /// The name of the WGSL struct it mirrors.
    wgsl: &'static str,
    rust: &'static str,
    size: usize,
    /// The length of `bytemuck::bytes_of` a zeroed value (compiles only for `Pod` types).
    pod_bytes: usize,
    fields: Vec<(&'static str, usize, usize, String)>,
}

fn field_size<T, F>(_: impl Fn(&T) -> &F) -> usize {
    size_of::<F>()
}

fn field_type<T, F>(_: impl Fn(&T) -> &F) -> String {
    rust_type_as_wgsl(std::any::type_name::<F>())
}

/// `u32` stays `u32`; `[u32; 4]` becomes `array<u32, 4>`.
fn rust_type_as_wgsl(name: &str) -> String {
    match name.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        Some(inner) => {
            let (base, n) = inner.rsplit_once(';').expect("an array type");
            format!("array<{}, {}>", rust_type_as_wgsl(base.trim()), n.trim())
        }
        None => name.to_string(),
    }
}

fn pod_bytes<T: bytemuck::Pod>() -> usize {
    bytemuck::bytes_of(&T::zeroed()).len()
}

/// `twin!(CoreInfo { kind, n_atoms, ... })`, or `twin!(Local as CoreInfo { ... })` for a Rust
/// struct named otherwise than its WGSL twin. The fields must be listed all and in order: the
/// list is also matched as an exhaustive pattern, so a field added on the Rust side and missing
/// here fails to compile.
macro_rules! twin {
    ($t:ident { $($f:ident),* $(,)? }) => {
        twin!($t as $t { $($f),* })
    };
    ($t:ident as $w:ident { $($f:ident),* $(,)? }) => {{
        #[allow(clippy::unneeded_field_pattern)]
        let $t { $($f: _),* } = <$t as bytemuck::Zeroable>::zeroed();
        Twin {
            wgsl: stringify!($w),
            rust: stringify!($t),
            size: size_of::<$t>(),
            pod_bytes: pod_bytes::<$t>(),
            fields: vec![$((
                stringify!($f),
                offset_of!($t, $f),
                field_size(|s: &$t| &s.$f),
                field_type(|s: &$t| &s.$f),
            )),*],
        }
    }};
}

fn twins() -> Vec<Twin> {
    vec![
        twin!(Sizes {
            n_cores,
            n_neurons,
            n_slots,
            job_capacity,
            words_chunk_log2,
            ring_chunk_log2,
            n_instances,
            n_ring,
            n_poisson,
            n_delay_counters,
            n_steps,
            n_senders,
            senders_offset,
            routes_offset,
            n_routes,
            norminv_offset,
            n_post,
            n_plastic,
            word_stride,
            values_offset,
            n_values,
            n_spike_times,
            n_tallies,
            pad1,
        }),
        twin!(CoreInfo {
            kind,
            n_atoms,
            lo_atom,
            first,
            key,
            sends,
            slot_base,
            n_colour_bits,
            model,
            n_bits,
            t_bits,
            d_bits,
            ring_base,
            pop_base,
            item_rows_base,
            n_items,
            row_base,
            cs_base,
            n_cs,
            cs_state_base,
            delay_stages,
            delay_per_stage,
            delay_slots,
            delay_src_mask,
            n_spikes,
            rec_cols_base,
            rec_flags,
            rec_rate,
            rec_ncols,
            stdp,
            tally_base,
        }),
        twin!(NeuronParams {
            v_rest,
            r_membrane,
            exp_tc,
            v_reset,
            v_thresh,
            t_refract,
            i_offset,
            delta_scale,
            exc_decay,
            exc_init,
            inh_decay,
            inh_init,
            e_rev_e,
            e_rev_i,
            a,
            b,
            c,
            d,
            reset_h,
            shift_exc,
            shift_inh,
            core,
        }),
        twin!(NeuronState { v, isyn_exc, isyn_inh, refract_timer, u, this_h }),
        twin!(PoissonSource {
            index,
            start_ticks,
            end_ticks,
            next_ticks,
            is_fast,
            exp_minus_lambda,
            sqrt_lambda,
            mean_isi_ticks,
            time_to_spike_ticks,
            rates_offset,
            n_rates,
        }),
        twin!(RowJob { core, start, end, masked_time, colour_delay, count, instance, pad }),
        twin!(CurrentSourceRecord {
            kind,
            n_neurons,
            neurons,
            amplitude_or_n_steps,
            start_or_times,
            stop_or_amplitudes
        }),
        twin!(RouteRecord { key, mask, destinations, n_destinations }),
        twin!(RateSetup { is_fast, exp_minus_lambda, sqrt_lambda, mean_isi_ticks, start_ticks, end_ticks, next_ticks }),
        twin!(StdpInfo {
            flags,
            lut_plus,
            lut_plus_size,
            lut_minus,
            lut_minus_size,
            weight_params,
            plastic_base,
            rows_base,
            post_base,
            candidates,
            n_candidates,
            header_words,
        }),
        twin!(BatchCore { spikes, samples, poisson, first_sample }),
    ]
}

fn parse_common() -> Module {
    assert_eq!(FILES[0].0, "common.wgsl");
    let src = common();
    naga::front::wgsl::parse_str(&src)
        .unwrap_or_else(|e| panic!("common.wgsl does not parse: {}", e.emit_to_string(&src)))
}

fn layouter(module: &Module) -> Layouter {
    let mut l = Layouter::default();
    l.update(module.to_ctx()).expect("naga lays out the types of common.wgsl");
    l
}

/// The named structs of a module.
fn wgsl_structs(module: &Module) -> Vec<(String, Handle<Type>)> {
    module
        .types
        .iter()
        .filter_map(|(h, t)| match (&t.name, &t.inner) {
            (Some(name), TypeInner::Struct { .. }) => Some((name.clone(), h)),
            _ => None,
        })
        .collect()
}

fn scalar_name(s: Scalar) -> String {
    let k = match s.kind {
        ScalarKind::Sint => "i",
        ScalarKind::Uint => "u",
        ScalarKind::Float => "f",
        ScalarKind::Bool => return "bool".into(),
        ScalarKind::AbstractInt => return "abstract-int".into(),
        ScalarKind::AbstractFloat => return "abstract-float".into(),
    };
    format!("{k}{}", s.width as u32 * 8)
}

/// A member type of a WGSL struct, spelt as in WGSL (for the types a twin can have).
fn wgsl_type_name(module: &Module, ty: Handle<Type>) -> String {
    let t = &module.types[ty];
    if let Some(name) = &t.name {
        return name.clone();
    }
    match &t.inner {
        TypeInner::Scalar(s) => scalar_name(*s),
        TypeInner::Atomic(s) => format!("atomic<{}>", scalar_name(*s)),
        TypeInner::Vector { size, scalar } => format!("vec{}<{}>", *size as u32, scalar_name(*scalar)),
        TypeInner::Array { base, size: ArraySize::Constant(n), .. } => {
            format!("array<{}, {}>", wgsl_type_name(module, *base), n)
        }
        TypeInner::Array { base, .. } => format!("array<{}>", wgsl_type_name(module, *base)),
        other => format!("{other:?}"),
    }
}

/// Every difference between a Rust twin and its WGSL struct, none when they match.
fn differences(module: &Module, layout: &Layouter, twin: &Twin) -> Vec<String> {
    let who = format!("{} (Rust {})", twin.wgsl, twin.rust);
    let Some(ty) = module.types.iter().find(|(_, t)| t.name.as_deref() == Some(twin.wgsl)).map(|(h, _)| h) else {
        return vec![format!("{who}: no struct of this name in common.wgsl")];
    };
    let TypeInner::Struct { members, span } = &module.types[ty].inner else {
        return vec![format!("{who}: not a struct in common.wgsl")];
    };
    let mut out = Vec::new();
    if twin.pod_bytes != twin.size {
        out.push(format!("{who}: bytemuck sees {} bytes of a {}-byte struct", twin.pod_bytes, twin.size));
    }
    if *span as usize != twin.size {
        out.push(format!("{who}: WGSL span {span} bytes, Rust size_of {} bytes", twin.size));
    }
    if layout[ty].size as usize != twin.size {
        out.push(format!("{who}: WGSL layout size {} bytes, Rust size_of {} bytes", layout[ty].size, twin.size));
    }
    let wgsl_names: Vec<&str> = members.iter().map(|m| m.name.as_deref().unwrap_or("<unnamed>")).collect();
    let rust_names: Vec<&str> = twin.fields.iter().map(|f| f.0).collect();
    if wgsl_names != rust_names {
        out.push(format!("{who}: members differ\n    WGSL: {wgsl_names:?}\n    Rust: {rust_names:?}"));
    }
    for (m, (name, offset, size, rust_ty)) in members.iter().zip(&twin.fields) {
        let wgsl_name = m.name.as_deref().unwrap_or("<unnamed>");
        let at = if wgsl_name == *name { format!("{who}.{name}") } else { format!("{who}.{wgsl_name}/{name}") };
        if m.offset as usize != *offset {
            out.push(format!("{at}: WGSL offset {}, Rust offset {offset}", m.offset));
        }
        let wgsl_size = layout[m.ty].size as usize;
        if wgsl_size != *size {
            out.push(format!("{at}: WGSL size {wgsl_size}, Rust size {size}"));
        }
        let wgsl_ty = wgsl_type_name(module, m.ty);
        if wgsl_ty != *rust_ty {
            out.push(format!("{at}: WGSL type {wgsl_ty}, Rust type {rust_ty}"));
        }
    }
    out
}

#[test]
fn rust_twins_match_the_structs_of_common_wgsl() {
    let module = parse_common();
    let layout = layouter(&module);
    let twins = twins();
    let mut errors: Vec<String> = twins.iter().flat_map(|t| differences(&module, &layout, t)).collect();
    for (name, _) in wgsl_structs(&module) {
        if !NOT_COMMON.contains(&name.as_str()) && !twins.iter().any(|t| t.wgsl == name) {
            errors.push(format!("{name}: a struct of common.wgsl with no Rust twin in tests/gpu_layout.rs"));
        }
    }
    assert!(errors.is_empty(), "the Rust twins differ from common.wgsl:\n  {}", errors.join("\n  "));
}

#[test]
fn every_twin_is_pod() {
    fn pod<T: bytemuck::Pod>() {}
    pod::<Sizes>();
    pod::<CoreInfo>();
    pod::<NeuronParams>();
    pod::<NeuronState>();
    pod::<PoissonSource>();
    pod::<RowJob>();
    pod::<BatchCore>();
    for t in twins() {
        assert_eq!(t.pod_bytes, t.size, "{}", t.rust);
    }
}

// The check itself: wrong twins are caught.

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct SwappedRowJob {
    core: u32,
    end: u32,
    start: u32,
    masked_time: u32,
    colour_delay: u32,
    count: u32,
    instance: u32,
    pad: u32,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct ShortBatchCore {
    spikes: u32,
    samples: [u32; 2],
    poisson: u32,
    first_sample: [u32; 3],
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct SignedNeuronState {
    v: i32,
    isyn_exc: i32,
    isyn_inh: i32,
    refract_timer: u32,
    u: i32,
    this_h: i32,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Unknown {
    x: u32,
}

#[test]
fn wrong_twins_are_caught() {
    let module = parse_common();
    let layout = layouter(&module);

    let d = differences(
        &module,
        &layout,
        &twin!(SwappedRowJob as RowJob { core, end, start, masked_time, colour_delay, count, instance, pad }),
    );
    assert!(d.iter().any(|e| e.contains("members differ")), "{d:#?}");

    let d =
        differences(&module, &layout, &twin!(ShortBatchCore as BatchCore { spikes, samples, poisson, first_sample }));
    assert!(d.iter().any(|e| e.contains("WGSL span 32 bytes, Rust size_of 28")), "{d:#?}");
    assert!(
        d.iter().any(|e| e.contains("BatchCore (Rust ShortBatchCore).samples: WGSL size 12, Rust size 8")),
        "{d:#?}"
    );
    assert!(d.iter().any(|e| e.contains(".poisson: WGSL offset 16, Rust offset 12")), "{d:#?}");
    assert!(d.iter().any(|e| e.contains("WGSL type array<u32, 3>, Rust type array<u32, 2>")), "{d:#?}");

    let d = differences(
        &module,
        &layout,
        &twin!(SignedNeuronState as NeuronState { v, isyn_exc, isyn_inh, refract_timer, u, this_h }),
    );
    assert_eq!(d, vec!["NeuronState (Rust SignedNeuronState).refract_timer: WGSL type i32, Rust type u32".to_string()]);

    let d = differences(&module, &layout, &twin!(Unknown as NoSuchStruct { x }));
    assert!(d.iter().any(|e| e.contains("no struct of this name")), "{d:#?}");
}
