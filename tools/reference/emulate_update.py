#!/usr/bin/env python3
"""Replays a neuron_models fixture through the real 7.4.1 neuron code under Unicorn.

For each tick the harness calls, in the image of the neuron half of the split build
(`*_neuron.aplx`; docs/decisions.md found the LIF and Izhikevich updates of these images
instruction for instruction equal to the combined build's, only branch targets differing):

    neuron_transfer(input)          the ring-buffer values of this tick -> synaptic state
    neuron_do_timestep_update(t)    recording, current sources, model, threshold, decay

on neuron, synapse, threshold, current-source and recording structures laid out in DTCM
as those routines read them. Before the first tick and at every resume (each run() chunk)
the step-source index and amplitude arrays are zeroed, as current_source_load_parameters
does (0x1228/0x122c). The per-tick ring-buffer values come from the host side of
neuron_models.py (shifts, weights, delays, spike ticks); the initial structures are filled
with the constants neuron_models.py derived (themselves checked with --check-binaries).
The recorded v, gsyn and spike bits are read back from the recording arrays the update
wrote, and compared with the fixture.

    python3 tools/reference/emulate_update.py tests/fixtures/neuron_models/*.json
"""
import json
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'binaries'))

import neuron_models as ref                      # noqa: E402
from aplx import Image                           # noqa: E402
from emulate import make_emu, RET, A             # noqa: E402

M32 = 0xFFFFFFFF

# Per model: image, globals base, neuron_transfer, neuron_do_timestep_update (read from the
# timer callback of each image: `bl transfer ; ... ; bl update` at 0x4f8 / 0x504), and the
# offsets of the globals the two routines read (from their listings; aplx.py --linear).
COMMON = dict(rec=0x0, rec_values=0x4, rec_index=0x8, spike_rec=0xc, spike_bits=0x10,
              spike_index=0x14, cs_lists=0x20, dc=0x30, step_times=0x38, step_amps=0x3c,
              step_amp=0x40, step_index=0x44, n_steps=0x4c, neurons=0x50)
CURR = dict(COMMON, synapses=0x54, thresholds=0x58, input=None, n_neurons=0x5c, n_cs=0x64,
            use_key=0x70, peak=0x74, n_types=0x78, colour_mask=0x7c, shifts=0x80)
COND = dict(COMMON, synapses=0x54, thresholds=0x58, input=0x5c, n_neurons=0x60, n_cs=0x68,
            use_key=0x74, peak=0x78, n_types=0x7c, colour_mask=0x80, shifts=0x84)
DELTA = dict(COMMON, input=0x54, synapses=0x58, thresholds=0x5c, n_neurons=0x60, n_cs=0x68,
             use_key=0x74, peak=0x78, n_types=0x7c, colour_mask=0x80, shifts=0x84)
IMAGES = {
    'IF_curr_exp': ('IF_curr_exp_neuron.aplx', 0x400120, 0x2510, 0x1df4, CURR),
    'IF_cond_exp': ('IF_cond_exp_neuron.aplx', 0x400120, 0x25f0, 0x1e68, COND),
    'IF_curr_delta': ('IF_curr_delta_neuron.aplx', 0x400120, 0x2428, 0x1d30, DELTA),
    'Izhikevich': ('IZK_curr_exp_neuron.aplx', 0x400120, 0x2594, 0x1d98, CURR),
    'Izhikevich_cond': ('IZK_cond_exp_neuron.aplx', 0x400120, 0x265c, 0x1e08, COND),
}

HEAP = 0x00460000          # scratch DTCM for the structures below
SP = 0x00480000


class Heap:
    def __init__(self, mu):
        self.mu, self.top = mu, HEAP

    def alloc(self, n_bytes):
        a = self.top
        self.top += (n_bytes + 7) & ~7
        return a

    def words(self, vals):
        a = self.alloc(4 * max(1, len(vals)))
        self.put(a, vals)
        return a

    def put(self, a, vals):
        self.mu.mem_write(a, struct.pack('<%dI' % len(vals), *[v & M32 for v in vals]))

    def get(self, a, n):
        return list(struct.unpack('<%di' % n, self.mu.mem_read(a, 4 * n)))


class Core:
    def __init__(self, net):
        self.net = net
        self.dt = net.get('timestep', 1.0)
        self.tgt = [p for p in net['population'] if p['cell_type'] != 'SpikeSourceArray'][0]
        self.model = self.tgt['cell_type']
        if self.model not in IMAGES:
            raise SystemExit(f'{self.model}: no full-update harness')
        img_name, self.g, self.transfer_addr, self.update_addr, L = IMAGES[self.model]
        n = self.n = self.tgt['size']
        self.mu = mu = make_emu(Image(str(ref.binary(img_name))))
        h = self.heap = Heap(mu)
        p = ref.resolve(self.tgt)
        k = ref.derived_constants(self.model, p, self.dt, n)
        enc = {name: [ref.s1615(x) for x in p[name]] for name in p}
        self.shifts, self.syns = ref.host_synapses(net, self.tgt, self.dt)

        def gset(name, val):
            mu.mem_write(self.g + L[name], struct.pack('<I', val & M32))

        # model structures: neuron model, input type, threshold, synapse type
        if ref.is_izk(self.model):
            rows = [[enc['a'][i], enc['b'][i], enc['c'][i], enc['d'][i], enc['v'][i], enc['u'][i],
                     enc['i_offset'][i], k['this_h'][i], k['reset_h'][i]] for i in range(n)]
            thresholds = [ref.IZK_THRESHOLD] * n
        else:
            rows = [[enc['v'][i], enc['v_rest'][i], k['r_membrane'][i], k['exp_tc'][i],
                     enc['i_offset'][i], 0, enc['v_reset'][i], k['t_refract'][i]] for i in range(n)]
            thresholds = enc['v_thresh']
        gset('neurons', h.words([w for r in rows for w in r]))
        if self.model == 'IF_curr_delta':
            gset('input', h.words(k['delta_scale']))
            syn = [w for i in range(n) for w in (enc['isyn_exc'][i], enc['isyn_inh'][i])]
        else:
            syn = [w for i in range(n) for w in (
                k['exc_decay'][i], k['exc_init'][i], enc['isyn_exc'][i],
                k['inh_decay'][i], k['inh_init'][i], enc['isyn_inh'][i])]
        if ref.is_cond(self.model):
            gset('input', h.words([w for i in range(n) for w in (enc['e_rev_E'][i], enc['e_rev_I'][i])]))
        gset('synapses', h.words(syn))
        gset('thresholds', h.words(thresholds))
        gset('n_neurons', n)
        gset('peak', n)
        gset('n_steps', 1)
        gset('n_types', 2)
        gset('shifts', h.words(self.shifts))
        gset('colour_mask', 0xF)
        mu.mem_write(self.g + L['use_key'], b'\0')
        # recording: counters that never reach their period (no buffer writes), identity
        # index arrays, one value array per variable
        rec = h.words([0] * 18)
        h.put(rec + 0x04, [M32])
        h.put(rec + 0x1c, [M32])
        h.put(rec + 0x34, [M32])
        gset('rec', rec)
        self.values = [h.words([0] * n) for _ in range(3)]
        gset('rec_values', h.words(self.values))
        ident = h.alloc(2 * n)
        mu.mem_write(ident, struct.pack('<%dH' % n, *range(n)))
        gset('rec_index', h.words([ident] * 3))
        gset('spike_rec', h.words([M32, 0, 0, 0, 0, 0]))
        self.bits = h.words([0] * ((n + 31) // 32))
        gset('spike_bits', h.words([self.bits]))
        gset('spike_index', h.words([ident]))
        # current sources, in the loader's layout
        css = ref.current_sources(net, self.tgt, self.dt)
        dcs = [c for c in css if c[0] == 'dc']
        steps = [c for c in css if c[0] == 'step']
        lists = []
        for i in range(n):
            pairs = [(1, j) for j, c in enumerate(dcs) if i in c[1]]
            pairs += [(3, j) for j, c in enumerate(steps) if i in c[1]]
            lists.append(h.words([len(pairs)] + [x for pr in pairs for x in pr]))
        gset('cs_lists', h.words(lists))
        gset('dc', h.words([h.words([c[2], c[3], c[4]]) for c in dcs]))
        # the word after the last time is what the chip reads once every step is consumed;
        # M32 stands for "no further step"
        gset('step_times', h.words([h.words([len(c[2])] + c[2] + [M32]) for c in steps]))
        gset('step_amps', h.words([h.words([len(c[3])] + c[3]) for c in steps]))
        self.step_amp = h.words([0] * len(steps))
        self.step_index = h.words([0] * len(steps))
        self.n_steps_sources = len(steps)
        gset('step_amp', self.step_amp)
        gset('step_index', self.step_index)
        gset('n_cs', len(css))
        self.input = h.alloc(4 * n + 8)

    def call(self, addr, *args):
        mu = self.mu
        for r, v in zip((A.UC_ARM_REG_R0, A.UC_ARM_REG_R1, A.UC_ARM_REG_R2), args):
            mu.reg_write(r, v & M32)
        mu.reg_write(A.UC_ARM_REG_SP, SP)
        mu.reg_write(A.UC_ARM_REG_LR, RET)
        mu.emu_start(addr, RET, count=5_000_000)

    def resume(self):
        self.heap.put(self.step_amp, [0] * self.n_steps_sources)
        self.heap.put(self.step_index, [0] * self.n_steps_sources)

    def tick(self, t, ring_values):
        n = self.n
        self.mu.mem_write(self.input, struct.pack('<%dH' % (2 * n), *ring_values))
        self.call(self.transfer_addr, self.input)
        self.call(self.update_addr, t)
        v, ge, gi = (self.heap.get(a, n) for a in self.values)
        words = self.heap.get(self.bits, (n + 31) // 32)
        spikes = [i for i in range(n) if (words[i // 32] >> (i % 32)) & 1]
        self.heap.put(self.bits, [0] * len(words))
        return v, ge, gi, spikes


def ring_schedule(net, core):
    """{tick: [u16 per (type, neuron)]}: the saturating ring-buffer sums of each tick."""
    src_ticks = {}
    for src in net['population']:
        if src['cell_type'] == 'SpikeSourceArray':
            for t, ns in ref.ssa_ticks(src, core.dt).items():
                src_ticks.setdefault(t, []).extend((src['label'], i) for i in ns)
    rows, si = {}, 0
    for proj in net.get('projection', []):
        if proj['post'] != core.tgt['label']:
            continue
        for _ in proj['connector']['conn_list']:
            pre, post, stype, w16, d = core.syns[si]
            si += 1
            rows.setdefault((proj['pre'], pre), []).append((post, stype, w16, d))
    ring = {}
    for t, sent in src_ticks.items():
        for key in sent:
            for post, stype, w16, d in rows.get(key, []):
                slot = ring.setdefault(t + d, [0] * (2 * core.n))
                slot[stype * core.n + post] = min(slot[stype * core.n + post] + w16, 0xFFFF)
    return ring


def replay(path):
    fx = json.load(open(path))
    net = fx['network']
    core = Core(net)
    ring = ring_schedule(net, core)
    got = {'v': [], 'gsyn_exc': [], 'gsyn_inh': [], 'spikes': []}
    t = 0
    for chunk in fx['runs']:
        core.resume()
        for _ in range(chunk):
            v, ge, gi, spikes = core.tick(t, ring.get(t, [0] * (2 * core.n)))
            got['v'].append(v)
            got['gsyn_exc'].append(ge)
            got['gsyn_inh'].append(gi)
            got['spikes'] += [[t, i] for i in spikes]
            t += 1
    exp = fx['expected']
    bad = [k for k in got if got[k] != exp[k]]
    for k in bad:
        first = next((i for i, (a, b) in enumerate(zip(got[k], exp[k])) if a != b),
                     min(len(got[k]), len(exp[k])))
        print(f'  {k}: first difference at row {first}: binary {got[k][first:first + 1]} '
              f'fixture {exp[k][first:first + 1]}')
    return not bad, t


def main():
    ok = True
    for path in sys.argv[1:]:
        pops = json.load(open(path))['network']['population']
        model = [p for p in pops if p['cell_type'] != 'SpikeSourceArray'][0]['cell_type']
        if model not in IMAGES:
            print(f'{os.path.basename(path)}: skipped ({model} has no full-update harness)')
            continue
        same, ticks = replay(path)
        print(f'{os.path.basename(path)}: {ticks} ticks, '
              f'{"identical to the binary" if same else "DIFFERS from the binary"}')
        ok &= same
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
