#!/usr/bin/env python3
"""A small reference of SpikeSourcePoisson as `spike_source_poisson.aplx` of sPyNNaker 1!7.4.1 runs it.

Written from the fact sheet §7.2 with the corrections read in the binary (listed at the top of
src/engine/cpu/poisson.rs): rates are handled as unsigned accum (u16.16), the cut-offs are u16.16,
exp(-λ) has 16 result bits, start/end/next ticks are rounded in unsigned long accum. The
spinn_common primitives (__expi64, sqrtk, __norminv_rbits, KISS) are transcribed with their
tables; the Poisson logic is written independently of the Rust engine.
Standard library only, so it runs wherever python3 does.

Input: JSON on stdin
    {"seed": [x, y, z, c], "seconds_per_tick": u032, "ticks_per_ms": u1616,
     "slow_cutoff": u1616, "fast_cutoff": u1616, "n_colour_bits": 4, "ticks": T,
     "sources": [[[rate_u3232, start_u3232, duration_u3232], ...], ...]}
Output: a line `t i n` for every source i that sent n > 0 spikes in tick t, in send order,
then `seed x y z c` (the RNG state after the last tick). `poisson_aplx.py` prints the same
from the real binary.
"""
import json
import os
import sys

M32 = 0xFFFFFFFF
M64 = 0xFFFFFFFFFFFFFFFF
FOREVER = 0xFFFFFFFF << 32      # U3232 of DURATION_FOREVER = 0xFFFFFFFF ms
END_OF_TIME = 0xFFFFFFFF


def s32(x):
    x &= M32
    return x - (1 << 32) if x & 0x80000000 else x


def s64(x):
    x &= M64
    return x - (1 << 64) if x >> 63 else x


# ------------------------------------------------------------------ spinn_common primitives

class Kiss:
    def __init__(self, seed):
        self.x, self.y, self.z, self.c = seed

    def __call__(self):
        self.x = (314527869 * self.x + 1234567) & M32
        y = self.y
        y ^= (y << 5) & M32
        y ^= y >> 7
        y ^= (y << 22) & M32
        self.y = y
        t = 4294584393 * self.z + self.c
        self.z, self.c = t & M32, t >> 32
        return (self.x + self.y + self.z) & M32

    def state(self):
        return [self.x, self.y, self.z, self.c]


EXP_HI = [9708, 26389, 71733, 194991, 530041, 1440801, 3916503, 10646160, 28939262, 78665070,
          213833830, 581260615, 1580030169, 4294967296, 11674931555, 31735754293, 86266724208,
          234497268814, 637429664642, 1732713474316, 4710003551159, 12803117065094,
          34802480465680, 94602950235157, 257157480542844, 699026506411923]
EXPM1_MID = [0, 260218914, 504671961, 734314346, 950043403, 1152702096, 1343082321, 1521927990,
             1689937949, 1847768698, 1996036966, 2135322113, 2266168400, 2389087112, 2504558555,
             2613033936]
S0, S1, S2 = 5294, 4293434720, 2081624032


def scale64(x, y):
    lo = (x & M32) * y
    return (((lo >> 32) + ((lo & M32) >= 0x80000000)) + (x >> 32) * y) & M64


def expi64(n):
    z, f = n >> 15, n & 0x7FFF
    if f == 0:
        return EXP_HI[13 + z]
    z += 1
    f = 32768 - f
    t = EXP_HI[13 + z]
    t = (t - scale64(t, EXPM1_MID[f >> 11])) & M64
    y = ((f & 0x7FF) << 17) & M32
    s = (S1 - ((S2 * y) >> 32)) & M32
    s = ((s * y) >> 32) & M32
    s = (s + S0) & M32
    return (t - scale64(t, s)) & M64


def exp_uk(n):
    """The exp linked into the Poisson binary: s16.15 in, u16.16 out (bits 47:16 of __expi64)."""
    if n > 363408:
        return M32
    if n == 0:
        return 0
    return (expi64(n) >> 16) & M32


def _mulhi_round(a, h):
    return ((a * h + (1 << 31)) >> 32) & M64


def _rsqrt32(x, y):
    a = ((x << 32) - ((x * y) >> 1)) & M64
    h = y >> 1
    b = (a + (1 << 63) - _mulhi_round(a, h)) & M64
    neg = b >> 63
    m = (-b) & M64 if neg else b
    c = (m - _mulhi_round(m, h)) & M64
    if neg:
        c = (-c) & M64
    return ((y << 32) + (c << 1)) & M64


def _rsqrt64(x, y):
    p = _mulhi_round(y, x)
    a = ((x << 32) - (p >> 1)) & M64
    h = y >> 1
    hl, hh, al, ah = h & M32, h >> 32, a & M32, a >> 32
    r1 = ((hl * ah) & M32) + (((al * hl) & M32) >> 31)
    r7 = ((hl * ah) >> 32) + (r1 >> 32)
    s = ((al * hh) & M32) + (r1 & M32)
    r5 = ((al * hh) >> 32) + (s >> 32)
    b = (a + (1 << 63) - ah * hh - r7 - r5 - ((s & M32) >> 31)) & M64
    neg = b >> 63
    m = (-b) & M64 if neg else b
    ml, mh = m & M32, m >> 32
    t = mh * hl + ((ml * hl) >> 32) + (((ml * hl) & M32) >> 31)
    c = (m - mh * hh - ((ml * hh) >> 32) - (((ml * hh) & M32) >> 31) - (t >> 32)) & M64
    if neg:
        c = (-c) & M64
    return (y + (c << 1)) & M64


def sqrtk(x):
    if x <= 0:
        return 0
    if x == 0x8000:
        return x
    lz = 32 - x.bit_length()
    m = (x << lz) & M32
    y = _rsqrt32(m, (m >> 1) & 0x3FFFFFFF)
    y = _rsqrt32(m, y >> 32)
    y = _rsqrt32(m, y >> 32)
    y = _rsqrt64(m, y)
    y = _rsqrt64(m, y)
    q = _mulhi_round(y, m)
    s = ((m << 32) - (q >> 1)) & M64
    v = s >> (16 + ((lz - 16) >> 1))
    if lz & 1:
        return s32((v * 0xB504F334 + (1 << 31)) >> 64)
    return s32(v >> 32)


def sqrt_uk(x):
    return (sqrtk(x >> 1) << 1) & M32


NI_OFFSET = [98304, 98304, 65536, 65536, 65536, 16, 14, 13, 11, 10, 0]
NI_TAIL = [229376, 136628, 131359, 128187, 125892, 124086, 122593, 121318, 120204, 119213, 118321,
           117508, 116762, 116072, 115430, 114830, 114265, 113733, 113229, 112751, 112295, 111860,
           111444, 111045, 110662, 110294, 109939, 109596, 109265, 108945, 108635, 108334, 108042]
NI_B = [32, 16, 8, 6, 6, 0]
NI_A = [7200, 6272, 4608, 2048, 0, 0]
NI_COEF = [
    [489693536, -966086639, 1048652819, -1202555181, 638185482],
    [510971994, -1008958387, 1097593202, -1269255408, 208850025],
    [535062308, -1057614622, 1153468280, -1347876992, 1901851228],
    [562587223, -1113360216, 1217886707, -1442344496, 1417447081],
    [594357355, -1177895230, 1292890733, -1558625637, 896662126],
    [1364524482, 4157352, 893590920, 482307216, -56131990],
    [1594011413, 34197350, 980366094, 540913971, 14157698],
    [2059946197, 130876674, 1126841309, 628910107, -391651081],
    [669410721, 151375990, 657881394, 208981697, -111730420],
    [135763632, 134215538, 347443147, -134393924, 14235314],
    [0, 0, 0, 0, 0],
]


def _smlawb(a, b, acc):
    b16 = ((b & 0xFFFF) ^ 0x8000) - 0x8000
    return s32(acc + ((a * b16) >> 16))


def _quartic(row, t):
    acc = row[0]
    for c in row[1:]:
        acc = _smlawb(acc, t, c)
    return acc


def norminv_rbits(x):
    if x < -32736:
        return -NI_TAIL[x + 32768]
    if 32768 - x <= 31:
        return NI_TAIL[32768 - x]
    a = abs(x)
    r = 32768 - a
    lz = 32 - r.bit_length()
    if lz <= 21:
        i = lz - 16
        seg, row = 5 - i, 10 - i
        u = s32((s32(((a * a) >> 17) - NI_A[seg])) * NI_B[seg])
        p = _quartic(NI_COEF[row], s32(u << 1))
        w = s32((NI_OFFSET[row] << 13) + (s32(p + s32(u << 15)) >> 16))
        v = s32((w * (((a & 0xFFFF) ^ 0x8000) - 0x8000)) >> 16)
    else:
        e = lz - 17
        row = 9 - e
        t = s32((r - (1 << (14 - e))) << (lz - 16))
        p = _quartic(NI_COEF[row], t)
        p = (((p >> 14) & 1) + (p >> 15)) << 15
        v = s32(NI_OFFSET[row] + (s32(p) >> 16))
    return s32(-v) if x < 0 else v


# ------------------------------------------------------------------ fixed-point conversions

def roundk(x):
    return s32((((x >> 15) + ((x >> 14) & 1))) << 15)


def accum_to_uint(x):
    """(uint32_t) of an accum: truncation toward zero."""
    r = (x >> 15) + (1 if x < 0 and (x & 0x7FFF) else 0)
    return r & M32


def ulk_mul(a, b):
    """unsigned long accum × unsigned long accum, rounded to nearest (libgcc helper 0x551c)."""
    return ((a * b + (1 << 31)) >> 32) & M64


def lk_to_uint(v):
    """(uint32_t) of a long accum (s32.31): truncation toward zero (0x5824)."""
    v = s64(v)
    r = (v >> 31) + (1 if v < 0 and (v & 0x7FFFFFFF) else 0)
    return r & M32


class Params:
    def __init__(self, cfg):
        self.spt = cfg["seconds_per_tick"]
        self.tpm = cfg["ticks_per_ms"]
        self.slow = cfg["slow_cutoff"]
        self.fast = cfg["fast_cutoff"]
        self.ts_per_second = (self.tpm * 1000) & M32
        self.tpm_ulk = self.tpm << 16

    def ticks(self, v):
        """(uint32_t)(v · ticks_per_ms + 0.5k), v a u32.32 time in ms."""
        p = ulk_mul(v, self.tpm_ulk)
        return lk_to_uint(((p >> 1) + (1 << 30)) & M64)

    def next_ticks(self, v):
        """As ticks(), but the time first passes through an accum (truncated, 16 integer bits)."""
        a = s32(v >> 17)
        return self.ticks((a << 17) & M64)


class Source:
    def __init__(self, rates):
        self.rates = rates
        self.index = 0
        self.start = self.end = self.next = 0
        self.is_fast = 0
        self.eml = 0
        self.sqrt = 0
        self.mean_isi = 0
        self.tts = 0


class Poisson:
    def __init__(self, cfg):
        self.p = Params(cfg)
        self.rng = Kiss(cfg["seed"])
        self.mask = (1 << cfg["n_colour_bits"]) - 1
        self.sources = [Source(r) for r in cfg["sources"]]
        # read_rates(rate_changed = true, next_time = 0)
        for s in self.sources:
            n = len(s.rates)
            j = 0
            while j + 1 < n and self.p.ticks(s.rates[j + 1][1]) <= 0:
                j += 1
            s.index = j
            self.set_rate(s, s.rates[j][0] >> 16 & M32)
            self.set_times(s)

    def set_times(self, s):
        _, start, duration = s.rates[s.index]
        s.start = self.p.ticks(start)
        s.end = END_OF_TIME if duration == FOREVER else (s.start + self.p.ticks(duration)) & M32
        s.next = self.p.next_ticks(s.rates[s.index + 1][1]) if s.index + 1 < len(s.rates) else END_OF_TIME

    def exp_variate(self):
        a = 0
        while True:
            u = self.rng()
            u0 = u
            while True:
                us = self.rng()
                if u < us:
                    return s32(a + (u0 >> 17))
                u = self.rng()
                if not u < us:
                    break
            a += 1 << 15

    def isi_draw(self, mean_isi):
        v = s32(self.exp_variate() * 1000)
        return (accum_to_uint(roundk(v)) * mean_isi) & M32

    def set_rate(self, s, rate_uk):
        rpt = (rate_uk * self.p.spt) >> 32
        if rpt >= self.p.slow:
            s.is_fast, s.mean_isi, s.tts = 1, 0, 0
            if rpt >= self.p.fast:
                s.eml, s.sqrt = 0, sqrt_uk(rpt)
            else:
                lam = rpt >> 1
                s.eml, s.sqrt = (exp_uk(-lam) << 16) & M32, 0
        else:
            s.is_fast, s.eml, s.sqrt = 0, 0, 0
            s.mean_isi = self.p.ts_per_second // rate_uk if s32(rate_uk >> 1) > 0 else 0
            s.tts = self.isi_draw(s.mean_isi)

    def tick(self, t):
        out = []
        for s in self.sources:          # loop A
            if s.next <= t and s.index < len(s.rates):
                s.index += 1
                self.set_rate(s, s.rates[s.index][0] >> 16 & M32)
                self.set_times(s)
        for i, s in enumerate(self.sources):   # loop B
            if not (s.start <= t < s.end):
                continue
            n = 0
            if s.is_fast:
                if s32(s.sqrt >> 1) > 0:
                    z = norminv_rbits(s32(self.rng()) >> 16)
                    x = s32((z >> 1) + (s.sqrt >> 1))
                    n = accum_to_uint(roundk(s32((x * x) >> 15)))
                elif s.eml != 0:
                    p, k = M32, 0
                    while True:
                        k += 1
                        p = (p * self.rng()) >> 32
                        if not p > s.eml:
                            break
                    n = k - 1
            else:
                if s.mean_isi == 0:
                    continue
                if s.tts < 1000:
                    while True:
                        n += 1
                        s.tts = (s.tts + self.isi_draw(s.mean_isi)) & M32
                        if not s.tts < 1000:
                            break
                s.tts = (s.tts - 1000) & M32
            if n:
                out.append((i, n))
        return out


def main():
    cfg = json.load(sys.stdin)
    sim = Poisson(cfg)
    lines = []
    if os.environ.get("POISSON_DUMP_SOURCES"):
        for i, s in enumerate(sim.sources):
            lines.append(" ".join(str(v) for v in ["source", i, s.start, s.end, s.next, s.is_fast, s.eml,
                                                   s.sqrt, s.mean_isi, s.tts]))
    for t in range(cfg["ticks"]):
        lines.extend(f"{t} {i} {n}" for i, n in sim.tick(t))
    lines.append("seed " + " ".join(str(w) for w in sim.rng.state()))
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
