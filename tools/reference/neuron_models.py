#!/usr/bin/env python3
"""A small whole-network fixed-point reference for the neuron models of sPyNNaker 7.4.1.

Scope: one SpikeSourceArray population driving one population of 1-4 neurons through
FromListConnector projections (excitatory and inhibitory, constant delay per projection),
plus DCSource and StepCurrentSource, for IF_curr_exp, IF_cond_exp, IF_curr_delta,
Izhikevich and Izhikevich_cond, run as one or several run() calls.

What it is built from, and what it does not use:

* the neuron-update arithmetic is the Python models in tools/binaries/check_fragments.py
  (lif_model, cond_model, delta_model, izk_model), which were checked bit for bit against the
  7.4.1 ARM code under emulation; the surrounding logic (refractory branch, spike path,
  synapse decay / delta zeroing, ring drain, current sources) follows docs/decisions.md D1-D6;
* the derived constants are computed as the binaries compute them on chip (udiv64, kdivk,
  expk, expulr with the __exp_hi / __expm1_mid tables read out of IF_curr_exp_neuron.aplx,
  and the series coefficients read from the literal pool of __expi64); with --check-binaries
  every constant is also produced by running the binaries' own routines under Unicorn
  (neuron_impl_load_neuron_parameters of IF_curr_exp_neuron.aplx, udiv64) and compared, and
  every fixture is replayed tick by tick through the real neuron_transfer and
  neuron_do_timestep_update of the model's image (emulate_update.py), which must give the
  same v, gsyn and spikes;
* the host side (S1615 encoding, ring-buffer shifts for constant delays, weight
  quantisation, delay / spike / current-source ticks) follows sPyNNaker 7.4.1's Python as
  described in shared/spec/spinnaker-semantics.md sections 1.4, 3.5, 3.6, 7.1 and D6/D7;
* nothing of spinnsim (src/) is used.

The network is read from the same JSON shape as spinnsim's serde model (Network { timestep,
seed, population, projection, current_source }), so the fixture's "network" object is
exactly what the Rust test maps and runs.

Usage:
    python3 tools/reference/neuron_models.py [--out tests/fixtures/neuron_models]
                                             [--check-binaries] [--only NAME]

Needs the images of the spynnaker==1!7.4.1 wheel (`python3 tools/oracle_inputs.py fetch`, or
$SPY_BINARIES) and, for --check-binaries or to import the
checked models, `pip install capstone unicorn` (see tools/binaries/README.md).
"""
import argparse
import json
import math
import os
import struct
import sys
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'binaries'))

from aplx import Image                                        # noqa: E402
from check_fragments import (cond_model, delta_model, izk_model,  # noqa: E402
                             lif_model, mul, w32)

sys.path.insert(0, os.path.join(HERE, '..'))
from oracle_inputs import binary  # noqa: E402  (the 7.4.1 images: tools/oracle_inputs.py)
M32 = 0xFFFFFFFF
M64 = (1 << 64) - 1

# --------------------------------------------------------------------------- binary tables
# Addresses in IF_curr_exp_neuron.aplx (1!7.4.1): __expi64 at 0x3700 loads __exp_hi (26 u64)
# from the literal 0x5898 and __expm1_mid (16 u32) from 0x5968; its literal pool holds the
# series coefficients S2 = 0x7c130fe0 (0x37dc) and S1 = 0xffe89d60 (0x37e0); S0 = 5294 is
# built by two immediate adds (0x3778: add #0x1480, 0x3784: add #0x2e).
_LIF_IMG = None


def lif_image():
    global _LIF_IMG
    if _LIF_IMG is None:
        _LIF_IMG = Image(str(binary('IF_curr_exp_neuron.aplx')))
    return _LIF_IMG


def _tables():
    img = lif_image()
    exp_hi_addr, mid_addr = img.word(0x37d0), img.word(0x37d4)
    exp_hi = [struct.unpack('<Q', img.read(exp_hi_addr + 8 * i, 8))[0] for i in range(26)]
    mid = [img.word(mid_addr + 4 * i) for i in range(16)]
    s2, s1 = img.word(0x37dc), img.word(0x37e0)
    return exp_hi, mid, (0x1480 + 0x2e, s1, s2)


EXP_HI, EXPM1_MID, EXP_SERIES = _tables()
EXP_UPPER, EXP_LOWER = 363408, -340695          # expk/expulr guards (0x37e4 / 0x3828)


# --------------------------------------------------------------------------- fixed point
def s32(x):
    x &= M32
    return x - (1 << 32) if x & 0x80000000 else x


def s1615(x):
    """DataType.S1615.encode_as_int: round-half-even of Decimal(str(x)) * 2^15."""
    v = int(round(Decimal(repr(float(x))) * 32768))
    if not -(1 << 31) <= v < (1 << 31):
        raise ValueError(f'{x} is outside s16.15')
    return v


def udiv64(n, d):
    """The shift-subtract unsigned 64-bit division of the binaries (truncating)."""
    return (n & M64) // (d & M64)


def kdivk(a, b):
    """kbits((uint32) udiv64((uint64)(int64) a << 15, (uint64)(int64) b))."""
    return s32(udiv64((a & M64) << 15, b & M64))


def kdivui(a, n):
    return s32(udiv64(a & M64, n))


def _round64(v):
    return (v >> 32) + (1 if (v & M32) >= 0x7FFFFFFF else 0)


def _scale64(x, y):
    return (_round64((x & M32) * y) + (x >> 32) * y) & M64


def _exp_series(y):
    s0, s1, s2 = EXP_SERIES
    t = (s1 - ((s2 * y) >> 32)) & M32
    t = (t * y) >> 32
    return (t + s0) & M32


def expi64(n):
    z, f = n >> 15, n & 0x7FFF
    if f == 0:
        return EXP_HI[13 + z]
    z += 1
    f = 32768 - f
    t = EXP_HI[13 + z]
    t = (t - _scale64(t, EXPM1_MID[f >> 11])) & M64
    return (t - _scale64(t, _exp_series((f & 0x7FF) << 17))) & M64


def expk(x):
    if x > EXP_UPPER:
        return 0x7FFFFFFF
    if x < EXP_LOWER:
        return 0
    return s32(expi64(x) >> 17)


def expulr(x):
    if x > EXP_UPPER:
        return 0x7FFFFFFF
    if x < EXP_LOWER:
        return 0
    return expi64(x) & M32


def decay_s1615(x, d):
    """High word of signed(x) * unsigned(d) (floor)."""
    return s32((x * d) >> 32)


def decay_s1615_to_u032(x, d):
    return (((x & M64) * d) >> 15) & M32


def ceil_accum(raw):
    return (raw >> 15) + (1 if raw & 0x7FFF else 0)


# --------------------------------------------------------------------------- models
IZK_THRESHOLD = 30 << 15
IZK_SPIKE_H = 60620               # 1.85k after GCC's truncating literal conversion (0xeccc)

DEFAULTS = {
    'LIF': dict(tau_m=20.0, cm=1.0, v_rest=-65.0, v_reset=-65.0, v_thresh=-50.0,
                tau_refrac=0.1, i_offset=0.0, v=-65.0, isyn_exc=0.0, isyn_inh=0.0),
    'EXP': dict(tau_syn_E=5.0, tau_syn_I=5.0),
    'COND': dict(e_rev_E=0.0, e_rev_I=-70.0),
    'IZK': dict(a=0.02, b=0.2, c=-65.0, d=2.0, i_offset=0.0, v=-70.0, u=-14.0,
                isyn_exc=0.0, isyn_inh=0.0),
}
MODEL_PARTS = {
    'IF_curr_exp': ('LIF', 'EXP'),
    'IF_cond_exp': ('LIF', 'EXP', 'COND'),
    'IF_curr_delta': ('LIF',),
    'Izhikevich': ('IZK', 'EXP'),
    'Izhikevich_cond': ('IZK', 'EXP', 'COND'),
}


def is_cond(model):
    return model in ('IF_cond_exp', 'Izhikevich_cond')


def is_izk(model):
    return model.startswith('Izhikevich')


def resolve(pop):
    """Per-neuron float values of every parameter / initial value, defaults filled in."""
    n = pop['size']
    names = {}
    for part in MODEL_PARTS[pop['cell_type']]:
        names.update(DEFAULTS[part])
    given = dict(pop.get('parameters', {}))
    given.update(pop.get('initial_values', {}))
    unknown = set(given) - set(names)
    if unknown:
        raise ValueError(f'unknown parameters {unknown}')
    out = {}
    for k, default in names.items():
        v = given.get(k, default)
        out[k] = [float(x) for x in v] if isinstance(v, list) else [float(v)] * n
        assert len(out[k]) == n
    return out


def derived_constants(model, p, dt_ms, n):
    """What neuron_impl_load_neuron_parameters computes, per neuron (n_steps = 1)."""
    dt = s1615(dt_ms)
    ts = kdivui(dt, 1)
    c = {k: [] for k in ('exp_tc', 'r_membrane', 't_refract', 'exc_decay', 'exc_init',
                         'inh_decay', 'inh_init', 'delta_scale', 'this_h', 'reset_h')}
    for i in range(n):
        if model != 'IF_curr_delta':
            for tau_name, dk, ik in (('tau_syn_E', 'exc_decay', 'exc_init'),
                                     ('tau_syn_I', 'inh_decay', 'inh_init')):
                tau = s1615(p[tau_name][i])
                decay = expulr(-kdivk(ts, tau))
                c[dk].append(decay)
                c[ik].append(decay_s1615_to_u032(kdivk(tau, ts), M32 - decay))
        else:
            c['delta_scale'].append(kdivk(1 << 15, ts))
        if is_izk(model):
            c['this_h'].append(dt)                 # next_h is written by the host as dt
            c['reset_h'].append(ts)
        else:
            tm, cm = s1615(p['tau_m'][i]), s1615(p['cm'][i])
            c['r_membrane'].append(kdivk(tm, cm))
            c['exp_tc'].append(expk(-kdivk(ts, tm)))
            c['t_refract'].append(ceil_accum(kdivk(s1615(p['tau_refrac'][i]), ts)))
    return {k: v for k, v in c.items() if v}


# --------------------------------------------------------------------------- host side
def timestep_us(dt_ms):
    return int(math.ceil(dt_ms * 1000))


def shift_for(max_weight):
    if max_weight <= 0:
        return 0
    s = int(math.ceil(max(0.0, math.log2(max_weight))))
    if 2.0 ** s <= max_weight:
        s += 1
    return s


def host_synapses(net, target, dt_ms):
    """Ring-buffer shifts (§3.5, constant-delay case) and the quantised synapses.

    Returns (shifts, synapses) with synapses = [(pre, post, type, weight16, delay_ticks)] in
    projection then list order."""
    model = target['cell_type']
    w_scale = 1024.0 if is_cond(model) else 1.0
    steps_per_ms = 1000.0 / timestep_us(dt_ms)
    steps_per_second = steps_per_ms * 1000.0
    spikes_per_second = target.get('spikes_per_second', 30.0)
    spikes_per_tick = max(1.0, spikes_per_second / steps_per_second)
    total = [0.0, 0.0]
    biggest = [0.0, 0.0]
    projs = []
    for proj in net.get('projection', []):
        if proj['post'] != target['label']:
            continue
        conn = proj['connector']
        assert conn['type'] == 'FromListConnector', 'the reference handles FromList only'
        rows = conn['conn_list']
        assert all(len(r) == 4 for r in rows), 'each entry carries weight and delay'
        stype = 0 if proj.get('receptor_type', 'excitatory') == 'excitatory' else 1
        delays = [int(round(r[3] * steps_per_ms)) for r in rows]       # numpy.rint
        # The constant-delay branch of get_ring_buffer_shifts: the delay variance must be 0.
        assert len(set(r[3] for r in rows)) <= 1, 'one delay per projection (delay variance 0)'
        fan_in = {}
        for r in rows:
            fan_in[int(r[1])] = fan_in.get(int(r[1]), 0) + 1
        n_conns = max(fan_in.values()) if fan_in else 0
        w_max = max((abs(r[2]) for r in rows), default=0.0)
        total[stype] += spikes_per_tick * (w_max * n_conns)      # no w_scale, as the host does
        biggest[stype] = max(biggest[stype], w_max * w_scale)
        projs.append((stype, rows, delays))
    shifts = [shift_for(max(total[s], biggest[s])) for s in (0, 1)]
    scales = [2.0 ** (15 - shifts[s]) * w_scale for s in (0, 1)]
    syns = []
    for stype, rows, delays in projs:
        for r, d in zip(rows, delays):
            w16 = int(round(abs(r[2]) * scales[stype])) & 0xFFFF    # numpy.rint, half even
            syns.append((int(r[0]), int(r[1]), stype, w16, d))
    return shifts, syns


def ssa_ticks(src, dt_ms):
    """{tick: [source neuron, ...]} with duplicates kept (D7)."""
    dt_us = timestep_us(dt_ms)
    times = src['spike_times']
    if times and not isinstance(times[0], list):
        times = [times] * src['size']
    out = {}
    for i, ts in enumerate(times):
        for t in sorted(ts):
            tick = int(math.ceil(math.floor(t * 1000.0) / dt_us))
            out.setdefault(tick, []).append(i)
    return out


def current_sources(net, target, dt_ms):
    """Per-core list of sources as the host writes them: ticks = int(ms * steps_per_ms)."""
    steps_per_ms = 1000.0 / timestep_us(dt_ms)
    out = []
    for cs in net.get('current_source', []):
        if cs['population'] != target['label']:
            continue
        neurons = cs.get('neurons', list(range(target['size'])))
        s = cs['source']
        if s['type'] == 'DCSource':
            out.append(('dc', set(neurons), s1615(s['amplitude']),
                        int(s['start'] * steps_per_ms), int(s['stop'] * steps_per_ms)))
        elif s['type'] == 'StepCurrentSource':
            out.append(('step', set(neurons), [int(t * steps_per_ms) for t in s['times']],
                        [s1615(a) for a in s['amplitudes']]))
        else:
            raise ValueError(s['type'])
    return out


# --------------------------------------------------------------------------- simulation
def simulate(net, runs, variant=None):
    """Runs the network for the given run() chunks; returns the recordings of the one neuron
    population: {'v','gsyn_exc','gsyn_inh': [[raw per neuron] per tick], 'spikes': [[t, n]]},
    plus the host-side and derived values used.

    `variant` switches one documented detail to a wrong alternative, to show that a case
    is sensitive to it: 'izk_h_after_spike_1' (step after a spike = h), 'izk_fact_sheet_beta',
    'delta_scale_exact' (1/ts = 10 exactly), 'no_step_replay' (step state kept over resume),
    'cond_negate_after', 'refract_floor' (T_refract rounded down)."""
    dt_ms = net.get('timestep', 1.0)
    pops = net['population']
    targets = [p for p in pops if p['cell_type'] != 'SpikeSourceArray']
    sources = [p for p in pops if p['cell_type'] == 'SpikeSourceArray']
    assert len(targets) == 1 and len(sources) >= 1
    tgt = targets[0]
    model, n = tgt['cell_type'], tgt['size']
    assert 1 <= n <= 256
    p = resolve(tgt)
    k = derived_constants(model, p, dt_ms, n)
    if variant == 'refract_floor':
        k['t_refract'] = [kdivk(s1615(x), kdivui(s1615(dt_ms), 1)) >> 15 for x in p['tau_refrac']]
    shifts, syns = host_synapses(net, tgt, dt_ms)
    src_ticks = {}
    for src in sources:
        for t, ns in ssa_ticks(src, dt_ms).items():
            src_ticks.setdefault(t, []).extend((src['label'], i) for i in ns)
    proj_rows = {}          # (source label, pre) -> [(post, type, w16, delay)]
    si = 0
    for proj in net.get('projection', []):
        if proj['post'] != tgt['label']:
            continue
        for r in proj['connector']['conn_list']:
            pre, post, stype, w16, d = syns[si]
            si += 1
            proj_rows.setdefault((proj['pre'], pre), []).append((post, stype, w16, d))
    css = current_sources(net, tgt, dt_ms)
    enc = {name: [s1615(x) for x in p[name]] for name in p}

    cond, delta, izk = is_cond(model), model == 'IF_curr_delta', is_izk(model)
    V = list(enc['v'])
    exc = list(enc['isyn_exc'])
    inh = list(enc['isyn_inh'])
    U = list(enc['u']) if izk else None
    this_h = list(k['this_h']) if izk else None
    timer = [0] * n
    ring = {}                                   # (tick, type, neuron) -> uint16
    step_state = [[0, 0] for _ in css]          # (index, amplitude) per source
    rec = {'v': [], 'gsyn_exc': [], 'gsyn_inh': [], 'spikes': []}
    t = 0
    for chunk in runs:
        # resume: current_source_load_parameters zeroes every step source's index and amplitude
        if variant != 'no_step_replay' or t == 0:
            step_state = [[0, 0] for _ in css]
        for _ in range(chunk):
            # 1c: ring drain (neuron_transfer), synapse type outer, neuron inner
            for stype in (0, 1):
                for i in range(n):
                    value = ring.pop((t, stype, i), 0)
                    if value == 0:
                        continue
                    inp = s32(value << shifts[stype])
                    state = exc if stype == 0 else inh
                    if delta:
                        state[i] = w32(state[i] + inp)
                    else:
                        init = k['exc_init' if stype == 0 else 'inh_init'][i]
                        state[i] = w32(state[i] + decay_s1615(inp, init))
            # 2b: neuron update, index order
            v_row, ge_row, gi_row = [], [], []
            for i in range(n):
                Vs = V[i]
                ge, gi = (exc[i] >> 10, inh[i] >> 10) if cond else (exc[i], inh[i])
                v_row.append(Vs)
                ge_row.append(ge)
                gi_row.append(gi)
                i_cs = 0
                for cs, st in zip(css, step_state):
                    if i not in cs[1]:
                        continue
                    if cs[0] == 'dc':
                        if cs[3] <= t < cs[4]:
                            i_cs = w32(i_cs + cs[2])
                    else:
                        times, amps = cs[2], cs[3]
                        if st[0] < len(times) and t >= times[st[0]]:
                            st[1] = amps[st[0]]
                            st[0] += 1
                        i_cs = w32(i_cs + st[1])
                if izk:
                    if cond:
                        # Conductance currents from the checked conductance model: with
                        # V_rest = 0, R = 1.0 and exp_TC = 0 it returns exactly
                        # I_e - I_i = g_e' (x) (E_e - V) - (-g_i') (x) (E_i - V).
                        negate_after = variant == 'cond_negate_after'
                        syn_i = cond_model(Vs, 0, 32768, 0, 0, exc[i], inh[i],
                                           enc['e_rev_E'][i], enc['e_rev_I'][i], 0, negate_after)
                        e_in, i_in = syn_i, 0
                    else:
                        e_in, i_in = exc[i], inh[i]
                    vn, un = izk_model(enc['a'][i], enc['b'][i], Vs, U[i], enc['i_offset'][i],
                                       this_h[i], e_in, i_in, i_cs,
                                       fact_sheet=variant == 'izk_fact_sheet_beta')
                    V[i], U[i], this_h[i] = vn, un, k['reset_h'][i]
                    if V[i] >= IZK_THRESHOLD:
                        V[i] = enc['c'][i]
                        U[i] = w32(U[i] + enc['d'][i])
                        spike_h = 32768 if variant == 'izk_h_after_spike_1' else IZK_SPIKE_H
                        this_h[i] = mul(k['reset_h'][i], spike_h)
                        rec['spikes'].append([t, i])
                else:
                    if timer[i] <= 0:
                        args = (Vs, enc['v_rest'][i], k['r_membrane'][i], k['exp_tc'][i],
                                enc['i_offset'][i])
                        if cond:
                            V[i] = cond_model(*args, exc[i], inh[i], enc['e_rev_E'][i],
                                              enc['e_rev_I'][i], i_cs,
                                              variant == 'cond_negate_after')
                        elif delta:
                            scale = k['delta_scale'][i]
                            if variant == 'delta_scale_exact':
                                scale = int(round(32768 * 1000 / timestep_us(dt_ms)))
                            V[i] = delta_model(*args, exc[i], inh[i], scale, i_cs)
                        else:
                            V[i] = lif_model(*args, exc[i], inh[i], i_cs)
                    else:
                        timer[i] -= 1
                    if V[i] >= enc['v_thresh'][i]:
                        V[i] = enc['v_reset'][i]
                        timer[i] = k['t_refract'][i]
                        rec['spikes'].append([t, i])
                # 12: synapse_types_shape_input, every branch
                if delta:
                    exc[i] = inh[i] = 0
                else:
                    exc[i] = decay_s1615(exc[i], k['exc_decay'][i])
                    inh[i] = decay_s1615(inh[i], k['inh_decay'][i])
            rec['v'].append(v_row)
            rec['gsyn_exc'].append(ge_row)
            rec['gsyn_inh'].append(gi_row)
            # 3: spikes sent during tick t land in ring slot t + d (d >= 1)
            for src_label, pre in src_ticks.get(t, []):
                for post, stype, w16, d in proj_rows.get((src_label, pre), []):
                    assert d >= 1
                    key = (t + d, stype, post)
                    ring[key] = min(ring.get(key, 0) + w16, 0xFFFF)
            t += 1
    info = {'shifts': shifts, 'weights': [s[3] for s in syns], 'delays': [s[4] for s in syns],
            'constants': k}
    return rec, info


# --------------------------------------------------------------------------- emulated checks
def emulated_lif_constants(dt_ms, tau_m, cm, tau_refrac, tau_e, tau_i):
    """neuron_impl_load_neuron_parameters of IF_curr_exp_neuron.aplx run under Unicorn
    (the set-up of tools/binaries/lif_constants.py)."""
    from emulate import make_emu, RET, STACK_TOP, A
    globals_, func = 0x00400120, 0x129c
    params, neurons, syn, thr = 0x00450000, 0x00452000, 0x00453000, 0x00454000
    mu = make_emu(lif_image())
    words = [1] + [s1615(x) for x in (-65.0, -65.0, cm, tau_m, 0.0, -65.0, tau_refrac)]
    words += [0, s1615(dt_ms), s1615(-50.0), s1615(tau_e), 0, s1615(tau_i), 0, s1615(dt_ms)]
    mu.mem_write(params, struct.pack('<%di' % len(words), *words))
    for off, val in ((0x50, neurons), (0x54, syn), (0x58, thr)):
        mu.mem_write(globals_ + off, struct.pack('<I', val))
    mu.reg_write(A.UC_ARM_REG_R0, params)
    mu.reg_write(A.UC_ARM_REG_R1, 1)
    mu.reg_write(A.UC_ARM_REG_R2, 0)
    mu.reg_write(A.UC_ARM_REG_SP, STACK_TOP)
    mu.reg_write(A.UC_ARM_REG_LR, RET)
    mu.emu_start(func, RET, count=10_000_000)
    nrn = struct.unpack('<8i', mu.mem_read(neurons, 32))
    s = struct.unpack('<6I', mu.mem_read(syn, 24))
    return dict(r_membrane=nrn[2], exp_tc=nrn[3], t_refract=nrn[7], exc_decay=s[0],
                exc_init=s[1], inh_decay=s[3], inh_init=s[4])


def emulated_udiv64(n, d):
    from emulate import call
    r0, r1 = call(lif_image(), 0x5c8, [n & M32, n >> 32, d & M32, d >> 32])
    return (r1 << 32) | r0


def check_against_binaries(net):
    """Every derived constant of the case, recomputed by the binaries' own code."""
    dt_ms = net.get('timestep', 1.0)
    tgt = [p for p in net['population'] if p['cell_type'] != 'SpikeSourceArray'][0]
    model, n = tgt['cell_type'], tgt['size']
    p = resolve(tgt)
    k = derived_constants(model, p, dt_ms, n)
    dt = s1615(dt_ms)
    for i in range(n):
        if model == 'IF_curr_delta':
            assert k['delta_scale'][i] == s32(emulated_udiv64(1 << 30, dt)), 'delta scale'
            continue
        tm = p['tau_m'][i] if not is_izk(model) else 20.0
        cm = p['cm'][i] if not is_izk(model) else 1.0
        tr = p['tau_refrac'][i] if not is_izk(model) else 0.1
        e = emulated_lif_constants(dt_ms, tm, cm, tr, p['tau_syn_E'][i], p['tau_syn_I'][i])
        names = ['exc_decay', 'exc_init', 'inh_decay', 'inh_init']
        if not is_izk(model):
            names += ['r_membrane', 'exp_tc', 't_refract']
        else:
            assert k['reset_h'][i] == s32(emulated_udiv64(dt, 1)), 'reset_h'
        for name in names:
            assert k[name][i] == e[name], (name, i, k[name][i], e[name])


# --------------------------------------------------------------------------- cases
def ssa(label, times):
    return {'label': label, 'size': len(times), 'cell_type': 'SpikeSourceArray',
            'spike_times': times}


def target(model, size, params, initial=None):
    pop = {'label': 'target', 'size': size, 'cell_type': model, 'parameters': params,
           'record': [{'variable': v} for v in ('spikes', 'v', 'gsyn_exc', 'gsyn_inh')]}
    if initial:
        pop['initial_values'] = initial
    return pop


def fromlist(pre, rows, receptor, label):
    return {'label': label, 'pre': pre, 'post': 'target',
            'connector': {'type': 'FromListConnector', 'conn_list': rows},
            'receptor_type': receptor}


def dc(amplitude, start, stop, neurons=None):
    cs = {'population': 'target',
          'source': {'type': 'DCSource', 'amplitude': amplitude, 'start': start, 'stop': stop}}
    if neurons is not None:
        cs['neurons'] = neurons
    return cs


def step(times, amplitudes, neurons=None):
    cs = {'population': 'target',
          'source': {'type': 'StepCurrentSource', 'times': times, 'amplitudes': amplitudes}}
    if neurons is not None:
        cs['neurons'] = neurons
    return cs


def network(dt, pops, projs, sources=()):
    return {'timestep': dt, 'seed': 1, 'population': pops, 'projection': projs,
            'current_source': list(sources)}


def scaled(times, dt):
    """Spike times given in ticks at dt = 1 ms, spread over the same tick count at dt."""
    return [[round(t * dt, 6) for t in ts] for ts in times]


def lif_projections(dt, w, delays):
    """Excitatory and inhibitory FromList projections with several weights and, per
    projection, one delay of 1-5 ticks."""
    d = [round(x * dt, 6) for x in delays]
    return [
        fromlist('stim', [[0, 0, w[0], d[0]], [1, 0, w[1], d[0]], [0, 1, w[1], d[0]],
                          [2, 2, w[2], d[0]], [1, 2, w[0], d[0]]], 'excitatory', 'exc_fast'),
        fromlist('stim', [[2, 0, w[2], d[1]], [3, 1, w[0], d[1]], [2, 1, w[1], d[1]]],
                 'excitatory', 'exc_slow'),
        fromlist('stim', [[3, 0, w[3], d[2]], [0, 2, w[4], d[2]], [3, 2, w[3], d[2]]],
                 'inhibitory', 'inh_a'),
        fromlist('stim', [[1, 1, w[4], d[3]]], 'inhibitory', 'inh_b'),
    ]


def stim_times(dt, n_ticks, seed):
    """Deterministic spike trains for four SSA neurons, in ms, with one duplicate time."""
    import random
    rnd = random.Random(seed)
    trains = []
    for j in range(4):
        rate = (0.08, 0.05, 0.06, 0.04)[j]
        ts = sorted({tk for tk in range(0, n_ticks - 6) if rnd.random() < rate})
        trains.append([round(tk * dt, 6) for tk in ts])
    trains[0].append(trains[0][len(trains[0]) // 2])      # two spikes in one tick
    trains[0].sort()
    return trains


def case_lif(name, model, dt, ticks, params, weights, delays, sources=(), runs=None,
             initial=None, size=3, seed=1, note=''):
    projs = []
    for proj in lif_projections(dt, weights, delays):
        rows = [r for r in proj['connector']['conn_list'] if r[1] < size]
        if rows:
            proj['connector']['conn_list'] = rows
            projs.append(proj)
    net = network(dt, [target(model, size, params, initial),
                       ssa('stim', stim_times(dt, ticks, seed))], projs, sources)
    return {'name': name, 'note': note, 'network': net, 'runs': runs or [ticks]}


CASES = []


def add(case, sensitive=(), min_spikes=1):
    case['expect_sensitive'] = list(sensitive)
    case['min_spikes'] = min_spikes
    CASES.append(case)


# IF_curr_exp, dt = 1.0: refractory periods 1, 2 and 3 ticks, i_offset, a DC window.
add(case_lif(
    'if_curr_exp_dt1', 'IF_curr_exp', 1.0, 200,
    {'tau_m': [20.0, 15.0, 25.0], 'cm': [1.0, 0.8, 1.2], 'tau_refrac': [0.1, 2.0, 3.0],
     'v_reset': [-70.0, -65.0, -68.0], 'i_offset': [0.45, 0.2, 0.55],
     'tau_syn_E': [5.0, 3.0, 5.0], 'tau_syn_I': [5.0, 8.0, 10.0]},
    [1.6, 0.9, 2.4, 1.1, 0.55], [1, 3, 2, 5], [dc(0.6, 40.0, 120.0, [1, 2])],
    note='refractory 1/2/3 ticks, i_offset, DC on two neurons'), min_spikes=6)

# IF_curr_exp, dt = 0.1: refractory 1, 4 (ceil of 3.49997) and 20 ticks.
add(case_lif(
    'if_curr_exp_dt0.1', 'IF_curr_exp', 0.1, 600,
    {'tau_m': [20.0, 10.0, 20.0], 'tau_refrac': [0.1, 0.35, 2.0],
     'i_offset': [1.2, 0.8, 1.5], 'tau_syn_E': [5.0, 2.0, 20.0], 'tau_syn_I': [5.0, 5.0, 3.0],
     'v_thresh': [-52.0, -50.0, -55.0]},
    [2.2, 1.4, 3.1, 1.7, 0.8], [1, 4, 2, 5], [dc(0.75, 12.5, 47.3, [0])],
    initial={'v': [-60.0, -65.0, -58.0], 'isyn_exc': [0.5, 0.0, 0.0]},
    note='dt 0.1: refractory 1/4/20 ticks, initial isyn_exc'),
    sensitive=['refract_floor'], min_spikes=6)

# IF_cond_exp: both receptor types, conductance weights in uS.
add(case_lif(
    'if_cond_exp_dt1', 'IF_cond_exp', 1.0, 200,
    {'tau_refrac': [0.1, 2.0, 1.0], 'i_offset': [0.3, 0.45, 0.1],
     'e_rev_E': [0.0, -10.0, 5.0], 'e_rev_I': [-70.0, -80.0, -75.0],
     'tau_syn_E': [5.0, 3.0, 5.0], 'tau_syn_I': [5.0, 8.0, 10.0]},
    [0.03, 0.018, 0.045, 0.02, 0.011], [1, 3, 2, 5], [dc(0.2, 50.0, 150.0, [0, 2])],
    note='conductance input, both receptors'), sensitive=['cond_negate_after'], min_spikes=4)

add(case_lif(
    'if_cond_exp_dt0.1', 'IF_cond_exp', 0.1, 600,
    {'tau_refrac': [0.1, 0.35, 1.0], 'i_offset': [1.0, 0.9, 0.7],
     'e_rev_E': [0.0, 0.0, -5.0], 'e_rev_I': [-70.0, -90.0, -75.0],
     'tau_syn_E': [5.0, 2.0, 10.0], 'tau_syn_I': [5.0, 5.0, 3.0]},
    [0.05, 0.03, 0.07, 0.04, 0.025], [1, 4, 2, 5],
    initial={'v': [-62.0, -65.0, -55.0]},
    note='conductance input at dt 0.1'), sensitive=['cond_negate_after'], min_spikes=4)

# IF_curr_delta.
add(case_lif(
    'if_curr_delta_dt1', 'IF_curr_delta', 1.0, 200,
    {'tau_refrac': [0.1, 2.0, 4.0], 'i_offset': [0.5, 1.6, 0.3], 'tau_m': [20.0, 10.0, 30.0]},
    [4.0, 2.5, 6.0, 3.0, 1.5], [1, 3, 2, 5], [dc(0.3, 30.0, 90.0, [2])],
    note='delta synapses at dt 1 (scale 32768)'), min_spikes=4)

add(case_lif(
    'if_curr_delta_dt0.1', 'IF_curr_delta', 0.1, 800,
    {'tau_refrac': [0.1, 0.35, 1.0], 'i_offset': [1.1, 0.9, 1.3], 'tau_m': [20.0, 10.0, 30.0]},
    [4.0, 2.5, 6.0, 3.0, 1.5], [1, 4, 2, 5], [dc(0.4, 10.0, 60.0, [0, 1])],
    note='delta synapses at dt 0.1: I = state (x) 327660'),
    sensitive=['delta_scale_exact'], min_spikes=4)

# Izhikevich: regular spiking, chattering and fast spiking, driven to fire repeatedly.
IZK_PARAMS = {'a': [0.02, 0.02, 0.1], 'b': [0.2, 0.2, 0.2], 'c': [-65.0, -50.0, -65.0],
              'd': [8.0, 2.0, 2.0], 'i_offset': [6.0, 10.0, 5.0],
              'tau_syn_E': [5.0, 3.0, 5.0], 'tau_syn_I': [5.0, 8.0, 4.0]}
add(case_lif(
    'izhikevich_dt1', 'Izhikevich', 1.0, 250, IZK_PARAMS,
    [3.0, 2.0, 5.0, 2.5, 1.5], [1, 3, 2, 5], [dc(4.0, 100.0, 180.0, [0, 2])],
    initial={'v': [-70.0, -65.0, -60.0], 'u': [-14.0, -13.0, -12.0]},
    note='repeated spiking: the step after a spike integrates over 1.85 h'),
    sensitive=['izk_h_after_spike_1', 'izk_fact_sheet_beta'], min_spikes=15)

add(case_lif(
    'izhikevich_dt0.1', 'Izhikevich', 0.1, 1500, IZK_PARAMS,
    [3.0, 2.0, 5.0, 2.5, 1.5], [1, 4, 2, 5], [dc(4.0, 50.0, 120.0, [1])],
    note='dt 0.1: h = 3277, 1.85 h = 6062'),
    sensitive=['izk_h_after_spike_1', 'izk_fact_sheet_beta'], min_spikes=15)

IZK_COND_PARAMS = dict(IZK_PARAMS, e_rev_E=[0.0, 0.0, -5.0], e_rev_I=[-70.0, -80.0, -75.0])
add(case_lif(
    'izhikevich_cond_dt1', 'Izhikevich_cond', 1.0, 250, IZK_COND_PARAMS,
    [0.05, 0.03, 0.08, 0.04, 0.02], [1, 3, 2, 5], [dc(3.0, 100.0, 180.0, [1])],
    note='Izhikevich with conductance input, both receptors'),
    sensitive=['izk_h_after_spike_1', 'cond_negate_after'], min_spikes=15)

add(case_lif(
    'izhikevich_cond_dt0.1', 'Izhikevich_cond', 0.1, 1500, IZK_COND_PARAMS,
    [0.05, 0.03, 0.08, 0.04, 0.02], [1, 4, 2, 5],
    note='Izhikevich with conductance input at dt 0.1'),
    sensitive=['izk_h_after_spike_1', 'cond_negate_after'], min_spikes=15)

# Two run() calls, step sources whose steps fall in the first run: replayed at resume.
add(case_lif(
    'if_curr_exp_step_resume', 'IF_curr_exp', 1.0, 150,
    {'tau_refrac': [0.1, 2.0, 1.0], 'i_offset': [0.2, 0.1, 0.0]},
    [1.6, 0.9, 2.4, 1.1, 0.55], [1, 3, 2, 5],
    [step([10.0, 20.0, 35.0, 50.0], [0.8, 1.6, -0.5, 1.3], [0, 2]),
     step([5.0, 58.0, 100.0], [0.4, 2.0, 0.9], [1]),
     dc(0.25, 45.0, 75.0, [2])],
    runs=[60, 90],
    note='runs 60 + 90; a step source on neurons 0 and 2 (shared index, so the replay '
         'advances twice per tick) and one on neuron 1 with a step after the resume'),
    sensitive=['no_step_replay'], min_spikes=4)

add(case_lif(
    'izhikevich_step_resume_dt0.1', 'Izhikevich', 0.1, 900, IZK_PARAMS,
    [3.0, 2.0, 5.0, 2.5, 1.5], [1, 4, 2, 5],
    [step([2.0, 2.04, 15.0, 30.0], [2.0, 6.0, -3.0, 4.0], [0, 1]),
     step([1.0, 44.0], [3.0, -2.0], [2])],
    runs=[450, 200, 250],
    note='three runs at dt 0.1; two step times in one tick (2.0 and 2.04 ms -> tick 20) '
         'take effect on consecutive evaluations; Izhikevich this_h carries over a resume'),
    sensitive=['no_step_replay', 'izk_h_after_spike_1'], min_spikes=15)

add(case_lif(
    'if_cond_exp_step_dt1', 'IF_cond_exp', 1.0, 160,
    {'tau_refrac': [2.0, 0.0, 3.0], 'i_offset': [0.2, 0.3, 0.25]},
    [0.03, 0.018, 0.045, 0.02, 0.011], [2, 1, 4, 3],
    [step([0.0, 12.0, 70.0], [0.4, 0.9, 0.1]), dc(-0.2, 20.0, 40.0, [1])],
    runs=[80, 80],
    note='conductance model, step source on every neuron from tick 0, runs 80 + 80; '
         'tau_refrac 0 (no refractory tick) on neuron 1'),
    sensitive=['no_step_replay'], min_spikes=4)

add(case_lif(
    'if_curr_delta_single_dt0.1', 'IF_curr_delta', 0.1, 400,
    {'tau_refrac': 0.5, 'i_offset': 1.4, 'v_thresh': -52.0},
    [4.0, 2.5, 6.0, 3.0, 1.5], [1, 4, 2, 5],
    [step([3.0, 12.0], [0.6, -0.4])], runs=[200, 200], size=1,
    note='one neuron, scalar parameters, runs 200 + 200'),
    sensitive=['delta_scale_exact', 'no_step_replay'], min_spikes=3)


# --------------------------------------------------------------------------- fixtures
def fixture(case, check_binaries):
    net, runs = case['network'], case['runs']
    if check_binaries:
        check_against_binaries(net)
    rec, info = simulate(net, runs)
    n_spikes = len(rec['spikes'])
    if n_spikes < case['min_spikes']:
        raise SystemExit(f"{case['name']}: only {n_spikes} spikes")
    fired = [sum(1 for _, i in rec['spikes'] if i == j) for j in range(len(rec['v'][0]))]
    if min(fired) < 2:
        raise SystemExit(f"{case['name']}: spikes per neuron {fired}")
    for v in case['expect_sensitive']:
        alt, _ = simulate(net, runs, variant=v)
        if alt == rec:
            raise SystemExit(f"{case['name']}: not sensitive to {v}")
    tgt = [p for p in net['population'] if p['cell_type'] != 'SpikeSourceArray'][0]
    return {
        'case': case['name'],
        'description': case['note'],
        'network': net,
        'runs': runs,
        'population': tgt['label'],
        'sensitive_to': case['expect_sensitive'],
        'host': {'ring_buffer_shifts': info['shifts'], 'weights': info['weights'],
                 'delay_ticks': info['delays']},
        'constants': info['constants'],
        'expected': {
            'neurons': list(range(tgt['size'])),
            'ticks': sum(runs),
            'v': rec['v'], 'gsyn_exc': rec['gsyn_exc'], 'gsyn_inh': rec['gsyn_inh'],
            'spikes': rec['spikes'],
        },
    }


def _compact(obj, indent=0):
    """Indented JSON whose innermost lists (of numbers) stay on one line."""
    pad = ' ' * indent
    if isinstance(obj, dict):
        if not obj:
            return '{}'
        items = [f'{pad} {json.dumps(k)}: {_compact(v, indent + 1)}' for k, v in obj.items()]
        return '{\n' + ',\n'.join(items) + '\n' + pad + '}'
    if isinstance(obj, list) and any(isinstance(x, (dict, list)) for x in obj):
        if all(isinstance(x, list) and not any(isinstance(y, (dict, list)) for y in x)
               for x in obj):
            rows = [pad + ' ' + json.dumps(x, separators=(',', ':')) for x in obj]
        else:
            rows = [pad + ' ' + _compact(x, indent + 1) for x in obj]
        return '[\n' + ',\n'.join(rows) + '\n' + pad + ']'
    return json.dumps(obj, separators=(', ', ': '))


def dump(obj):
    """The fixture as JSON: one line per recorded tick, so that diffs stay readable."""
    return _compact(obj) + '\n'


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default=os.path.join(HERE, '..', '..', 'tests', 'fixtures',
                                                  'neuron_models'))
    ap.add_argument('--check-binaries', action='store_true',
                    help='recompute every derived constant with the binaries under Unicorn, '
                         'and replay each fixture through the binaries\' neuron_transfer and '
                         'neuron_do_timestep_update (emulate_update.py)')
    ap.add_argument('--only')
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for case in CASES:
        if a.only and case['name'] != a.only:
            continue
        fx = fixture(case, a.check_binaries)
        path = os.path.join(a.out, case['name'] + '.json')
        with open(path, 'w') as f:
            f.write(dump(fx))
        if a.check_binaries:
            import emulate_update
            same, _ = emulate_update.replay(path)
            if not same:
                raise SystemExit(f"{case['name']}: the binary's own update gives other values")
        spikes = fx['expected']['spikes']
        per = {}
        for _, nn in spikes:
            per[nn] = per.get(nn, 0) + 1
        print(f"{case['name']:32s} ticks {fx['expected']['ticks']:5d}  spikes/neuron "
              f"{[per.get(i, 0) for i in fx['expected']['neurons']]}  "
              f"shifts {fx['host']['ring_buffer_shifts']}")


if __name__ == '__main__':
    main()
