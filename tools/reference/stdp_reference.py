#!/usr/bin/env python3
"""
Integer reference of sPyNNaker 1!7.4.1 STDP (MAD pair / nearest-pair rule, additive /
multiplicative weight dependence), as the ARM binaries
`IF_curr_exp_stdp_mad_{pair,nearest_pair}_{additive,multiplicative}.aplx` compute it.
Every step is documented, with binary addresses, in docs/stdp.md.

Three uses:

  python3 tools/reference/stdp_reference.py --examples
      prints the worked examples of docs/stdp.md.

  python3 tools/reference/stdp_reference.py --json IN.json
      runs the network described in IN.json (format below) and prints a JSON result.

  python3 tools/reference/stdp_reference.py --check-aplx [N]
      runs N random scenarios both through this model and through the real
      plastic-row routine and post-event routine of the four 7.4.1 images under Unicorn
      (needs `pip install unicorn` and the images, see find_image) and compares
      weights, pre-event headers, post histories, ring buffers and counters bit for bit.

Input JSON (times in ticks, weights in PyNN units):

    {"rule": "pair" | "nearest_pair", "weight_dependence": "additive" | "multiplicative",
     "dt": 1.0, "tau_plus": 20, "tau_minus": 20, "A_plus": 0.01, "A_minus": 0.01,
     "w_min": 0.0, "w_max": 1.0,
     "global_weight_scale": 1.0,        # 1.0 current input, 1024.0 conductance input
     "ring_buffer_shift": 1,            # of the synapse type (see docs/stdp.md §5)
     "backprop_delay": true,
     "synapses": [[pre, post, weight, delay_ticks], ...],   # one row per pre neuron, in this order
     "pre_spikes": {"0": [t, ...]}, "post_spikes": {"0": [t, ...]},
     "post_first": true}                # post events of tick t are added before rows of tick t

Output: {"w16": [...], "weight": [...] (= w16 / weight_scale, what Projection.get returns),
         "deliveries": [[tick_slot, post, w16], ...], "counters": {...}}.
"""
import decimal
import json
import math
import random
import struct
import sys

STDP_FIXED_POINT = 11
ONE = 1 << STDP_FIXED_POINT
MAX_POST_EVENTS = 16


# --------------------------------------------------------------------------------------
# Host side (spynnaker/pyNN/models/neuron/plasticity/stdp/common.py, FEC DataType.S1615)
# --------------------------------------------------------------------------------------

def exp_lut(dt, tau, shift=0):
    """get_exp_lut_array: returns (size, shift, [int values]) exactly as the host."""
    import numpy
    l_ambda = dt / float(tau)
    size = math.log(ONE) / l_ambda
    size, extra = divmod(size / (1 << shift), 2)
    size = (int(size) + (extra > 0)) * 2
    a = numpy.exp((numpy.arange(size) << shift) * -l_ambda)
    a = numpy.floor(a * ONE)
    return size, shift, [int(x) for x in a.astype(numpy.uint16)]


def lut_words(lut):
    size, shift, vals = lut
    hw = [size, shift] + vals
    if len(hw) % 2:
        hw.append(0)
    return [hw[i] | (hw[i + 1] << 16) for i in range(0, len(hw), 2)]


def s1615(v):
    """DataType.S1615.encode_as_int: round(Decimal(str(v)) * 2^15), ties to even."""
    return int(round(decimal.Decimal(str(v)) * 32768))


def weight_dependence_words(wd, w_min, w_max, a_plus, a_minus, gws):
    """Per synapse type: w_min, w_max, A+, A- as S1615 (weight_dependence_*.py write_parameters)."""
    if wd == "additive":
        return [s1615(w_min * gws), s1615(w_max * gws), s1615(a_plus * gws), s1615(a_minus * gws)]
    return [s1615(w_min * gws), s1615(w_max * gws), s1615(a_plus), s1615(a_minus)]


def weight_scale(shift, gws):
    """get_weight_scales: 2^(16-(shift+1)) * global weight scale."""
    return 2.0 ** (16 - (shift + 1)) * gws


def host_w16(weight, shift, gws):
    """get_plastic_synaptic_data: rint(|w| * weight_scale) as uint16."""
    import numpy
    return int(numpy.array(numpy.rint(abs(weight * weight_scale(shift, gws)))).astype(numpy.uint16))


# --------------------------------------------------------------------------------------
# On-chip arithmetic
# --------------------------------------------------------------------------------------

def s32(x):
    x &= 0xFFFFFFFF
    return x - (1 << 32) if x & 0x80000000 else x


def s16(x):
    x &= 0xFFFF
    return x - 0x10000 if x & 0x8000 else x


def mul16(a, b):
    """smulbb (low half-words, signed) then asr #11."""
    return (s16(a) * s16(b)) >> STDP_FIXED_POINT


def mulk(a, b):
    """accum multiply: smull; (hi << 17) | (lo >> 15) = bits [46:15] of the signed product."""
    return s32((s32(a) * s32(b)) >> 15)


def lut_decay(lut, dt_ticks):
    """maths_lut_exponential_decay: unsigned index dt >> shift, 0 when >= size (ldrsh: signed)."""
    size, shift, vals = lut
    idx = (dt_ticks & 0xFFFFFFFF) >> shift
    return s16(vals[idx]) if idx < size else 0


class Core:
    """One post core: LUTs, weight-dependence words, post histories, rows, ring buffer."""

    def __init__(self, rule, wd, lut_plus, lut_minus, wd_words, shifts, backprop,
                 n_neurons, log_n, log_t, log_d):
        self.rule, self.wd = rule, wd
        self.lut_plus, self.lut_minus = lut_plus, lut_minus
        self.wdw = wd_words                  # per type [w_min, w_max, a2+, a2-] raw s32
        self.shifts = shifts                 # per type ring-buffer left shift
        self.backprop = backprop
        self.log_n, self.log_t, self.log_d = log_n, log_t, log_d
        # post_event_history_t: placeholder entry (time 0, trace 0), count_minus_one = 0
        self.hist = [[[0, 0]] for _ in range(n_neurons)]
        self.ring = {}
        self.n_plastic_pre_events = 0
        self.plastic_saturations = 0
        self.skipped = 0

    # post_events_add + timing_add_post_spike (pair 0x3a78, nearest 0x3a70)
    def add_post(self, t, j):
        h = self.hist[j]
        if self.rule == "pair":
            last_t, last_tr = h[-1]
            tr = s16(mul16(last_tr, lut_decay(self.lut_minus, t - last_t)) + ONE)
        else:
            tr = 0
        if len(h) < MAX_POST_EVENTS:
            h.append([t, tr])
        else:
            del h[1]                       # entry 0 (the placeholder) is kept
            h.append([t, tr])

    # synapse_dynamics_process_plastic_synapses (pair 0x3cac, nearest 0x3b80)
    def process_row(self, row, time, colour_delay=0):
        """row = {"hdr": [prev_time, prev_trace], "syn": [[ctrl, w16], ...]} (mutated)."""
        T = (time - colour_delay) & 0xFFFFFFFF
        last_t, last_tr = row["hdr"]
        self.n_plastic_pre_events += len(row["syn"])
        if self.rule == "pair":
            row["hdr"] = [T, s16(mul16(last_tr, lut_decay(self.lut_plus, T - last_t)) + ONE)]
        else:
            row["hdr"] = [T, 0]
        ln, lt, ld = self.log_n, self.log_t, self.log_d
        for s in row["syn"]:
            ctrl, w16 = s
            typ = (ctrl >> ln) & ((1 << lt) - 1)
            d = (ctrl >> (ln + lt)) & ((1 << ld) - 1)
            j = ctrl & ((1 << ln) - 1)
            w_min, w_max, a2p, a2m = self.wdw[typ]
            W = s32(w16 << self.shifts[typ])
            dd = d if self.backprop else 0
            begin = last_t - dd if last_t >= dd else 0
            end = T - dd if T >= dd else 0
            h = self.hist[j]
            # post_events_get_window_delayed: walk back from the newest entry
            k = len(h) - 1
            while k > 0 and h[k][0] > begin:
                k -= 1
            prev = k                                   # last entry <= begin (or the placeholder)
            window = [e for e in h[k + 1:] if e[0] <= end]
            prev_t, prev_tr = h[prev]
            for (tp, trp) in window:
                dpre = (tp + dd - last_t) & 0xFFFFFFFF
                if dpre != 0:
                    if self.rule == "pair":
                        x = mul16(last_tr, lut_decay(self.lut_plus, dpre)) << 4
                        W = self._pot(W, x, w_max, a2p)
                    else:
                        dpost = (tp + dd - prev_t) & 0xFFFFFFFF   # prev_t is NOT delayed
                        x = (lut_decay(self.lut_plus, dpre) << 4) if dpre <= dpost else 0
                        W = self._pot(W, x, w_max, a2p)
                prev_t, prev_tr = tp, trp
            valid = bool(window) or prev != 0
            if valid:
                dpost = (T - dd - prev_t) & 0xFFFFFFFF         # unclamped T - d
                if self.rule == "pair":
                    x = mul16(prev_tr, lut_decay(self.lut_minus, dpost)) << 4
                else:
                    x = lut_decay(self.lut_minus, dpost) << 4
                W = self._dep(W, x, w_min, a2m)
            w_new = (W >> self.shifts[typ]) & 0xFFFF
            if d > colour_delay:
                slot = ((T + d) & ((1 << ld) - 1)) << (ln + lt) | (ctrl & ((1 << (ln + lt)) - 1))
                v = self.ring.get(slot, 0) + w_new
                if v & 0xFFFF0000:
                    v = 0xFFFF
                    self.plastic_saturations += 1
                self.ring[slot] = v
            else:
                self.skipped += 1
            s[1] = w_new

    def _pot(self, W, x, w_max, a2p):
        if self.wd == "additive":
            W = s32(W + mulk(x, a2p))
            return w_max if w_max < W else W
        return s32(W + mulk(mulk(s32(w_max - W), a2p), x))

    def _dep(self, W, x, w_min, a2m):
        if self.wd == "additive":
            W = s32(W - mulk(x, a2m))
            return W if w_min < W else w_min
        return s32(W - mulk(mulk(s32(W - w_min), a2m), x))


def n_bits(n):
    """spynnaker utility_calls.get_n_bits."""
    return 0 if n == 0 else (1 if n == 1 else int(math.ceil(math.log2(n))))


def run_network(cfg):
    dt = cfg.get("dt", 1.0)
    rule, wd = cfg["rule"], cfg["weight_dependence"]
    gws = cfg.get("global_weight_scale", 1.0)
    shift = cfg["ring_buffer_shift"]
    syns = cfg["synapses"]
    n_post = max(s[1] for s in syns) + 1
    max_d = max(s[3] for s in syns)
    log_n, log_t = max(n_bits(n_post), 1), 1
    log_d = n_bits(max_d + 1)
    core = Core(rule, wd, exp_lut(dt, cfg.get("tau_plus", 20.0)), exp_lut(dt, cfg.get("tau_minus", 20.0)),
                [[s32(x) for x in weight_dependence_words(
                    wd, cfg.get("w_min", 0.0), cfg.get("w_max", 1.0), cfg.get("A_plus", 0.01),
                    cfg.get("A_minus", 0.01), gws)]] * 2,
                [shift, shift], cfg.get("backprop_delay", True), n_post, log_n, log_t, log_d)
    rows = {}
    index = []
    for (i, j, w, d) in syns:
        assert 1 <= d < (1 << log_d)
        row = rows.setdefault(i, {"hdr": [0, 0], "syn": []})
        index.append((i, len(row["syn"])))
        row["syn"].append([(d << (log_n + log_t)) | j, host_w16(w, shift, gws)])
    pre = {int(k): v for k, v in cfg.get("pre_spikes", {}).items()}
    post = {int(k): v for k, v in cfg.get("post_spikes", {}).items()}
    events = sorted({t for v in list(pre.values()) + list(post.values()) for t in v})
    deliveries = []
    for t in events:
        order = ("post", "pre") if cfg.get("post_first", True) else ("pre", "post")
        for kind in order:
            if kind == "post":
                for j in sorted(post):
                    if t in post[j]:
                        core.add_post(t, j)
            else:
                for i in sorted(pre):
                    if t in pre[i] and i in rows:
                        before = dict(core.ring)
                        core.process_row(rows[i], t)
                        for slot, v in core.ring.items():
                            if v != before.get(slot, 0):
                                deliveries.append([t, slot, v - before.get(slot, 0)])
                        core.ring.clear()
    w16 = [rows[i]["syn"][k][1] for (i, k) in index]
    ws = weight_scale(shift, gws)
    return {"w16": w16, "weight": [w / ws for w in w16], "weight_scale": ws,
            "deliveries": deliveries,
            "counters": {"num_plastic_pre_synaptic_events": core.n_plastic_pre_events,
                         "plastic_saturation_count": core.plastic_saturations,
                         "skipped_synapses": core.skipped}}


# --------------------------------------------------------------------------------------
# Worked examples (docs/stdp.md §10)
# --------------------------------------------------------------------------------------

def examples():
    out = []
    base = {"dt": 1.0, "tau_plus": 20.0, "tau_minus": 20.0, "A_plus": 0.5, "A_minus": 0.5,
            "w_min": 0.0, "w_max": 1.0, "ring_buffer_shift": 1, "backprop_delay": True}

    def ex(name, **kw):
        cfg = dict(base)
        cfg.update(kw)
        r = run_network(cfg)
        out.append((name, cfg, r))

    # potentiation: pre 10, post 20, flush pre at 300 (LUT has 154 entries: no depression then)
    for wd in ("additive", "multiplicative"):
        ex(f"potentiation/{wd}", weight_dependence=wd, rule="pair",
           synapses=[[0, 0, 0.25, 1]], pre_spikes={"0": [10, 300]}, post_spikes={"0": [20]})
        ex(f"depression/{wd}", weight_dependence=wd, rule="pair",
           synapses=[[0, 0, 0.75, 1]], pre_spikes={"0": [30]}, post_spikes={"0": [20]})
        ex(f"both/{wd}", weight_dependence=wd, rule="pair",
           synapses=[[0, 0, 0.5, 1]], pre_spikes={"0": [10, 30, 300]}, post_spikes={"0": [20]})
    ex("saturate-wmax/additive", weight_dependence="additive", rule="pair",
       synapses=[[0, 0, 0.9, 1]], pre_spikes={"0": [10, 300]}, post_spikes={"0": [12]})
    ex("saturate-wmin/additive", weight_dependence="additive", rule="pair",
       synapses=[[0, 0, 0.1, 1]], pre_spikes={"0": [30]}, post_spikes={"0": [28]})
    ex("nearest/additive", weight_dependence="additive", rule="nearest_pair",
       synapses=[[0, 0, 0.5, 1]], pre_spikes={"0": [10, 30, 300]}, post_spikes={"0": [20]})
    ex("pair-vs-nearest/pair (pre 10,12; post 20,25; flush 300)", weight_dependence="additive",
       rule="pair", A_plus=0.1, A_minus=0.1,
       synapses=[[0, 0, 0.5, 1]], pre_spikes={"0": [10, 12, 300]}, post_spikes={"0": [20, 25]})
    ex("pair-vs-nearest/nearest (same spikes)", weight_dependence="additive",
       rule="nearest_pair", A_plus=0.1, A_minus=0.1,
       synapses=[[0, 0, 0.5, 1]], pre_spikes={"0": [10, 12, 300]}, post_spikes={"0": [20, 25]})
    ex("default-params/additive w 0.5 shift 1", weight_dependence="additive", rule="pair",
       A_plus=0.01, A_minus=0.01,
       synapses=[[0, 0, 0.5, 1]], pre_spikes={"0": [10, 300]}, post_spikes={"0": [20]})
    for name, cfg, r in out:
        print(f"{name}: pre {cfg['pre_spikes']['0']} post {cfg['post_spikes']['0']} "
              f"w0 {cfg['synapses'][0][2]} -> w16 {r['w16'][0]} = {r['weight'][0]:.9f}; "
              f"deliveries {r['deliveries']}")
    return out


# --------------------------------------------------------------------------------------
# Cross-check against the binaries under Unicorn
# --------------------------------------------------------------------------------------

IMAGES = {
    # name: (sha256, process_plastic_synapses, post_events_add)
    ("pair", "additive"): ("IF_curr_exp_stdp_mad_pair_additive.aplx",
                           "36834f0a6c8e94852cb4148b5bd18769abea4021caa77d3d77ccd4a0aef6a1e2",
                           0x3CAC, 0x3A78),
    ("pair", "multiplicative"): ("IF_curr_exp_stdp_mad_pair_multiplicative.aplx",
                                 "690685bc329718cb21e26c37a882b15ff728e8c351e35df7bc96a1f77252d4c7",
                                 0x3CAC, 0x3A78),
    ("nearest_pair", "additive"): ("IF_curr_exp_stdp_mad_nearest_pair_additive.aplx",
                                   "3fc947dee941d62289f12b5c1dad8ae0aebdb5f24b00bb99665f13718e0f51a9",
                                   0x3B80, 0x3A70),
    ("nearest_pair", "multiplicative"): ("IF_curr_exp_stdp_mad_nearest_pair_multiplicative.aplx",
                                         "9ab93b5deb04d71f7ec16a20b55e3b53e6006a3e1779521873b2f857cf3dd4fb",
                                         0x3B80, 0x3A70),
}

# DTCM globals used by the plastic routines (same addresses in the four images)
G_SYN_TYPE_INDEX_BITS = 0x400120   # delay shift = log_n + log_t
G_TYPE_INDEX_MASK = 0x400124
G_INDEX_BITS = 0x400128            # type shift = log_n
G_INDEX_MASK = 0x40012C
G_TYPE_MASK = 0x400134
G_DELAY_MASK = 0x40013C
G_SKIPPED = 0x400160
G_STDP = 0x4002A4                  # +0 n_plastic_pre, +4 plastic saturations, +8 backprop, +0xc histories
G_WEIGHT_PARAMS = 0x4002B4
G_WEIGHT_SHIFTS = 0x4002B8
G_LUT_PLUS = 0x4002BC
G_LUT_MINUS = 0x4002C0


def find_image(name):
    """The path of a 7.4.1 image (tools/oracle_inputs.py: $SPY_BINARIES, then the cache)."""
    import os
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    from oracle_inputs import binary
    return str(binary(name))


class AplxCore:
    SDRAM = 0x60000000
    RET = 0x00F00000
    STACK_TOP = 0x00480000

    def __init__(self, rule, wd, lut_plus, lut_minus, wd_words, shifts, backprop,
                 n_neurons, log_n, log_t, log_d):
        import hashlib
        import unicorn as uc
        self.uc = uc
        from unicorn import arm_const as A
        self.A = A
        name, sha, self.f_process, self.f_post = IMAGES[(rule, wd)]
        path = find_image(name)
        raw = open(path, "rb").read()
        if hashlib.sha256(raw).hexdigest() != sha:
            raise ValueError(f"{path}: not the 1!7.4.1 image")
        mu = self.mu = uc.Uc(uc.UC_ARCH_ARM, uc.UC_MODE_ARM)
        mu.mem_map(0, 0x00100000)
        mu.mem_map(0x00400000, 0x00100000)
        mu.mem_map(self.RET, 0x1000)
        mu.mem_map(self.SDRAM, 0x00400000)
        pos = 0
        while True:
            op, addr, off, size = struct.unpack_from("<4I", raw, pos)
            if op == 2:
                mu.mem_write(addr, raw[pos + off: pos + off + size])
            elif op != 3:
                break
            pos += 16
        self.rule = rule
        self.hist_size = 100 if rule == "pair" else 68
        self.heap = self.SDRAM
        lp = self._alloc_words(lut_words(lut_plus))
        lm = self._alloc_words(lut_words(lut_minus))
        wp = self._alloc_words([x & 0xFFFFFFFF for t in wd_words for x in t])
        ws = self._alloc_words(list(shifts))
        hist = self._alloc(self.hist_size * n_neurons)   # zeroed = placeholder entries
        self.hist_base = hist
        self.ring_n = (1 << (log_n + log_t + log_d))
        self.ring = self._alloc(2 * self.ring_n)
        self.wb = self._alloc(4)
        self.row_addr = self._alloc(4 * 300)
        g = {G_SYN_TYPE_INDEX_BITS: log_n + log_t, G_TYPE_INDEX_MASK: (1 << (log_n + log_t)) - 1,
             G_INDEX_BITS: log_n, G_INDEX_MASK: (1 << log_n) - 1, G_TYPE_MASK: (1 << log_t) - 1,
             G_DELAY_MASK: (1 << log_d) - 1, G_SKIPPED: 0,
             G_STDP: 0, G_STDP + 4: 0, G_STDP + 8: int(bool(backprop)), G_STDP + 12: hist,
             G_WEIGHT_PARAMS: wp, G_WEIGHT_SHIFTS: ws, G_LUT_PLUS: lp, G_LUT_MINUS: lm}
        for a, v in g.items():
            mu.mem_write(a, struct.pack("<I", v & 0xFFFFFFFF))

    def _alloc(self, n):
        a = self.heap
        self.heap += (n + 15) & ~15
        return a

    def _alloc_words(self, words):
        a = self._alloc(4 * len(words))
        self.mu.mem_write(a, struct.pack(f"<{len(words)}I", *words))
        return a

    def _call(self, fn, args, stack_args=()):
        A, mu = self.A, self.mu
        sp = self.STACK_TOP - 64
        for k, v in enumerate(stack_args):
            mu.mem_write(sp + 4 * k, struct.pack("<I", v & 0xFFFFFFFF))
        for r, v in zip((A.UC_ARM_REG_R0, A.UC_ARM_REG_R1, A.UC_ARM_REG_R2, A.UC_ARM_REG_R3), args):
            mu.reg_write(r, v & 0xFFFFFFFF)
        mu.reg_write(A.UC_ARM_REG_SP, sp)
        mu.reg_write(A.UC_ARM_REG_LR, self.RET)
        mu.emu_start(fn, self.RET, count=2_000_000)
        return mu.reg_read(A.UC_ARM_REG_R0)

    def add_post(self, t, j):
        self._call(self.f_post, (t, j))

    def process_row(self, row, time, colour_delay=0):
        """Same row format as Core.process_row; the row is written, processed, read back."""
        n = len(row["syn"])
        hdr_bytes = 8 if self.rule == "pair" else 4
        pp_bytes = hdr_bytes + 2 * n
        pp_words = (pp_bytes + 3) // 4
        hdr = struct.pack("<I", row["hdr"][0] & 0xFFFFFFFF)
        if self.rule == "pair":
            hdr += struct.pack("<hH", row["hdr"][1], 0)
        pp = hdr + b"".join(struct.pack("<H", w) for _, w in row["syn"])
        pp += b"\0" * (4 * pp_words - len(pp))
        ctrl = b"".join(struct.pack("<H", c) for c, _ in row["syn"])
        ctrl += b"\0" * ((-len(ctrl)) % 4)
        data = struct.pack("<I", pp_words) + pp + struct.pack("<2I", 0, n) + ctrl
        self.mu.mem_write(self.row_addr, data)
        self.mu.mem_write(self.wb, b"\0" * 4)
        self._call(self.f_process, (self.row_addr + 4, self.row_addr + 4 * (1 + pp_words),
                                    self.ring, time), (colour_delay, self.wb))
        back = bytes(self.mu.mem_read(self.row_addr + 4, 4 * pp_words))
        t0 = struct.unpack_from("<I", back, 0)[0]
        tr = struct.unpack_from("<h", back, 4)[0] if self.rule == "pair" else 0
        row["hdr"] = [t0, tr]
        for k, s in enumerate(row["syn"]):
            s[1] = struct.unpack_from("<H", back, hdr_bytes + 2 * k)[0]
        assert self.mu.mem_read(self.wb, 1)[0] == 1

    def read_ring(self):
        vals = struct.unpack(f"<{self.ring_n}H", bytes(self.mu.mem_read(self.ring, 2 * self.ring_n)))
        return {i: v for i, v in enumerate(vals) if v}

    def clear_ring(self):
        self.mu.mem_write(self.ring, b"\0" * (2 * self.ring_n))

    def read_hist(self, j):
        b = bytes(self.mu.mem_read(self.hist_base + self.hist_size * j, self.hist_size))
        c = struct.unpack_from("<I", b, 0)[0]
        times = struct.unpack_from("<16I", b, 4)
        tr = struct.unpack_from("<16h", b, 0x44) if self.rule == "pair" else [0] * 16
        return [[times[k], tr[k]] for k in range(c + 1)]

    def counters(self):
        r = lambda a: struct.unpack("<I", bytes(self.mu.mem_read(a, 4)))[0]
        return r(G_STDP), r(G_STDP + 4), r(G_SKIPPED)


def check_aplx(n_scen, seed=1):
    rng = random.Random(seed)
    n_fail = 0
    n_rows_done = 0
    for scen in range(n_scen):
        rule = rng.choice(["pair", "nearest_pair"])
        wd = rng.choice(["additive", "multiplicative"])
        dt = rng.choice([1.0, 0.1, 0.5])
        tp, tm = rng.uniform(2, 40), rng.uniform(2, 40)
        lp, lm = exp_lut(dt, tp), exp_lut(dt, tm)
        shifts = [rng.randint(0, 8), rng.randint(0, 8)]
        gws = rng.choice([1.0, 1024.0])
        wds = []
        for _ in range(2):
            wmin = rng.choice([0.0, rng.uniform(0, 0.5)])
            wmax = rng.uniform(0.5, 4.0) * (2 ** shifts[len(wds)] / 4)
            a_p, a_m = rng.uniform(0, 1.5), rng.uniform(0, 1.5)
            if gws == 1024.0:
                wmin, wmax = wmin / 1024 * 10, wmax / 1024 * 10
            wds.append([s32(x) for x in weight_dependence_words(wd, wmin, wmax, a_p, a_m, gws)])
        backprop = rng.random() < 0.8
        n_neurons = rng.choice([1, 2, 4, 7])
        log_n = max(n_bits(n_neurons), 1)
        log_t = 1
        log_d = rng.choice([1, 2, 3, 4])
        args = (rule, wd, lp, lm, wds, shifts, backprop, n_neurons, log_n, log_t, log_d)
        ref, emu = Core(*args), AplxCore(*args)
        rows = []
        for _ in range(rng.randint(1, 3)):
            n = rng.randint(0, 9)
            syn = []
            for _ in range(n):
                ctrl = ((rng.randrange(1 << log_d) << (log_n + log_t)) |
                        (rng.randrange(2) << log_n) | rng.randrange(n_neurons))
                syn.append([ctrl, rng.randrange(0x10000) if rng.random() < 0.2
                            else rng.randrange(0x1000)])
            rows.append(syn)
        ref_rows = [{"hdr": [0, 0], "syn": [list(s) for s in r]} for r in rows]
        emu_rows = [{"hdr": [0, 0], "syn": [list(s) for s in r]} for r in rows]
        t = 0
        for step in range(rng.randint(5, 80)):
            t += rng.choice([0, 1, 1, 2, 3, 5, 10, 40, 200])
            for j in range(n_neurons):
                if rng.random() < 0.3:
                    ref.add_post(t, j)
                    emu.add_post(t, j)
            for k in range(len(rows)):
                if rng.random() < 0.4:
                    cd = rng.choice([0, 0, 0, 1, 2]) if t >= 2 else 0
                    ref.ring.clear()
                    emu.clear_ring()
                    ref.process_row(ref_rows[k], t, cd)
                    emu.process_row(emu_rows[k], t, cd)
                    n_rows_done += 1
                    ref_ring = {a: v for a, v in ref.ring.items() if v}
                    if ref_rows[k] != emu_rows[k] or ref_ring != emu.read_ring():
                        n_fail += 1
                        print("MISMATCH", scen, rule, wd, t, ref_rows[k], emu_rows[k],
                              ref.ring, emu.read_ring(), file=sys.stderr)
            for j in range(n_neurons):
                if [list(e) for e in ref.hist[j]] != emu.read_hist(j):
                    n_fail += 1
                    print("HIST MISMATCH", scen, j, ref.hist[j], emu.read_hist(j), file=sys.stderr)
        if (ref.n_plastic_pre_events, ref.plastic_saturations, ref.skipped) != emu.counters():
            n_fail += 1
            print("COUNTER MISMATCH", scen, file=sys.stderr)
    print(f"{n_scen} scenarios, {n_rows_done} row processings: "
          f"{'all bit-identical' if n_fail == 0 else str(n_fail) + ' mismatches'}")
    return n_fail


def main(argv):
    if "--examples" in argv:
        examples()
        return 0
    if "--check-aplx" in argv:
        k = argv.index("--check-aplx")
        n = int(argv[k + 1]) if len(argv) > k + 1 else 200
        try:
            import unicorn  # noqa: F401
        except ImportError:
            print("unicorn is not installed", file=sys.stderr)
            return 3
        import os
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
        from oracle_inputs import MissingInput, binaries_dir
        try:
            binaries_dir()
        except MissingInput as e:
            print(e, file=sys.stderr)
            return 3
        return 1 if check_aplx(n) else 0
    if "--json" in argv:
        cfg = json.load(open(argv[argv.index("--json") + 1]))
        print(json.dumps(run_network(cfg)))
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
