#!/usr/bin/env python3
"""Run the neuron-update code fragments of the 7.4.1 binaries under Unicorn
with random inputs and compare them, bit for bit, with Python models of the
semantics documented in docs/decisions.md.

The fragments are entered in the middle of neuron_do_timestep_update with
the registers / stack slots the compiler uses at that point (read off the
listings made by aplx.py), and stopped at the threshold comparison.  The
addresses below are for the wheel of sPyNNaker 1!7.4.1; another build will
need new addresses.

    python3 check_fragments.py [N_RANDOM_CASES]
"""
import os
import random
import struct
import sys

sys.path.insert(0, os.path.dirname(__file__))
from aplx import Image                       # noqa: E402
from emulate import make_emu, s32, A         # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from oracle_inputs import binary  # noqa: E402  (the 7.4.1 images: tools/oracle_inputs.py)

M32 = 0xFFFFFFFF
NEURON = 0x00460000      # scratch DTCM areas used for the fake structures
THRESH = 0x00461000
THRESH_PTR = 0x00461100
SP = 0x00470000


def w32(x):
    return s32(x & M32)


def mul(a, b):
    """s16.15 x s16.15 as compiled: smull then (hi<<17)|(lo>>15) = floor."""
    return w32((a * b) >> 15)


def put(mu, addr, *vals):
    mu.mem_write(addr, struct.pack('<%di' % len(vals), *[w32(v) for v in vals]))


def get(mu, addr):
    return struct.unpack('<i', mu.mem_read(addr, 4))[0]


def reg(name):
    return getattr(A, 'UC_ARM_REG_' + name.upper())


def run(img, start, stop, regs, stack):
    mu = make_emu(img)
    for k, v in regs.items():
        mu.reg_write(reg(k), v & M32)
    mu.reg_write(A.UC_ARM_REG_SP, SP)
    for off, v in stack.items():
        put(mu, SP + off, v)
    return mu, (lambda: mu.emu_start(start, stop, count=100000))


# ---------------------------------------------------------------- LIF
def lif_model(V, V_rest, R, exp_tc, I_off, exc, inh, I_cs):
    I = w32(exc - inh + I_off + I_cs)
    alpha = w32(mul(I, R) + V_rest)
    return w32(alpha - mul(exp_tc, w32(alpha - V)))


def check_lif(img, rnd):
    # IF_curr_exp_neuron.aplx: 0x21b0 = non-refractory branch, 0x2210 = bgt
    V, V_rest, R, exp_tc, I_off = (rnd.randint(-3000000, 0), rnd.randint(-2500000, -1500000),
                                   rnd.randint(1000, 3000000), rnd.randint(0, 32767),
                                   rnd.randint(-200000, 200000))
    exc, inh, I_cs = rnd.randint(0, 800000), rnd.randint(0, 800000), rnd.randint(-100000, 100000)
    mu, go = run(img, 0x21b0, 0x2210, {'r5': exc, 'r7': I_cs, 'r8': NEURON},
                 {0xc: inh, 0x10: THRESH_PTR})
    put(mu, NEURON, V, V_rest, R, exp_tc, I_off, 0, 0, 0)
    put(mu, THRESH_PTR, THRESH)
    put(mu, THRESH, 0)
    go()
    got = get(mu, NEURON)
    return got, lif_model(V, V_rest, R, exp_tc, I_off, exc, inh, I_cs)


# ---------------------------------------------------------------- conductance LIF
def cond_model(V, V_rest, R, exp_tc, I_off, g_exc, g_inh, E_e, E_i, I_cs,
               negate_after=False):
    ge, gi = g_exc >> 10, g_inh >> 10            # input_type_get_input_value
    exc_c = mul(ge, w32(E_e - V))
    if negate_after:                             # -(inh * (E_rev_I - V))
        inh_c = w32(-mul(gi, w32(E_i - V)))
    else:                                        # (-inh) * (E_rev_I - V)
        inh_c = mul(w32(-gi), w32(E_i - V))
    return lif_model(V, V_rest, R, exp_tc, I_off, exc_c, inh_c, I_cs)


def check_cond(img, rnd, negate_after=False):
    # IF_cond_exp_neuron.aplx: 0x2264 = non-refractory branch, 0x22f0 = bgt;
    # the >>10 (helper at 0x5784, 'asr r0, r0, r1') is applied before 0x2264,
    # so it is applied here in Python to build the register inputs.
    V, V_rest, R, exp_tc, I_off = (rnd.randint(-3000000, 0), rnd.randint(-2500000, -1500000),
                                   rnd.randint(1000, 3000000), rnd.randint(0, 32767),
                                   rnd.randint(-200000, 200000))
    g_exc, g_inh, I_cs = rnd.randint(0, 1 << 24), rnd.randint(0, 1 << 24), rnd.randint(-100000, 100000)
    E_e, E_i = rnd.randint(-100000, 100000), rnd.randint(-2500000, -2000000)
    mu, go = run(img, 0x2264, 0x22f0,
                 {'r2': g_exc >> 10, 'r5': I_cs, 'r8': NEURON},
                 {0x8: V, 0xc: g_inh >> 10, 0x14: THRESH_PTR, 0x1c: E_e, 0x20: E_i})
    put(mu, NEURON, V, V_rest, R, exp_tc, I_off, 0, 0, 0)
    put(mu, THRESH_PTR, THRESH)
    put(mu, THRESH, 0)
    go()
    got = get(mu, NEURON)
    return got, cond_model(V, V_rest, R, exp_tc, I_off, g_exc, g_inh, E_e, E_i, I_cs,
                           negate_after)


# ---------------------------------------------------------------- delta synapse LIF
def delta_model(V, V_rest, R, exp_tc, I_off, exc, inh, scale, I_cs):
    return lif_model(V, V_rest, R, exp_tc, I_off, mul(exc, scale), mul(inh, scale), I_cs)


def check_delta(img, rnd):
    # IF_curr_delta_neuron.aplx: 0x20b8 = non-refractory branch, 0x2138 = bgt
    V, V_rest, R, exp_tc, I_off = (rnd.randint(-3000000, 0), rnd.randint(-2500000, -1500000),
                                   rnd.randint(1000, 3000000), rnd.randint(0, 32767),
                                   rnd.randint(-200000, 200000))
    exc, inh, I_cs = rnd.randint(0, 800000), rnd.randint(0, 800000), rnd.randint(-100000, 100000)
    scale = rnd.choice([32768, 327660, 65536, 3273603, rnd.randint(1, 400000)])
    mu, go = run(img, 0x20b8, 0x2138, {'r5': I_cs, 'r7': 0, 'fp': NEURON},
                 {0x8: exc, 0xc: inh, 0x14: THRESH_PTR, 0x20: scale})
    put(mu, NEURON, V, V_rest, R, exp_tc, I_off, 0, 0, 0)
    put(mu, THRESH_PTR, THRESH)
    put(mu, THRESH, 0)
    go()
    got = get(mu, NEURON)
    return got, delta_model(V, V_rest, R, exp_tc, I_off, exc, inh, scale, I_cs)


# ---------------------------------------------------------------- Izhikevich
MAGIC, C140, C5, HALF = 1311, 140 << 15, 5 << 15, 16384


def izk_model(a, b, V, U, I_off, h, exc, inh, I_cs, fact_sheet=False):
    I = w32(exc - inh + I_off + I_cs)
    pre = w32(C140 + I - U)
    alpha = w32(pre + mul(w32(C5 + mul(MAGIC, V)), V))
    eta = w32(V + mul(mul(h, alpha), HALF))
    if fact_sheet:                      # h*(bV-U)*a evaluated left to right
        beta = mul(mul(mul(h, w32(mul(b, V) - U)), a), HALF)
    else:                               # what the binary computes
        beta = mul(mul(w32(mul(b, V) - U), mul(h, a)), HALF)
    Vn = w32(V + mul(h, w32(w32(pre - beta) + mul(w32(C5 + mul(MAGIC, eta)), eta))))
    Un = w32(U + mul(mul(a, h), w32(-U - beta + mul(b, eta))))
    return Vn, Un


def check_izk(img, rnd, fact_sheet=False):
    # IZK_curr_exp_neuron.aplx: 0x20d0 = start of rk2 (after current sources),
    # 0x2210 = ble to the spike branch
    a, b = rnd.randint(0, 3300), rnd.randint(0, 10000)
    V, U = rnd.randint(-2800000, 1000000), rnd.randint(-700000, 300000)
    I_off = rnd.randint(-300000, 300000)
    h = rnd.choice([32768, 3277, 60620, 6062, 16384, rnd.randint(1, 70000)])
    exc, inh, I_cs = rnd.randint(0, 500000), rnd.randint(0, 500000), rnd.randint(-50000, 50000)
    mu, go = run(img, 0x20d0, 0x2210, {'r3': I_cs, 'r4': NEURON, 'r5': inh, 'r6': exc},
                 {0x10: THRESH_PTR})
    put(mu, NEURON, a, b, 0, 0, V, U, I_off, h, 32768)
    put(mu, THRESH_PTR, THRESH)
    put(mu, THRESH, 30 << 15)
    go()
    got = (get(mu, NEURON + 0x10), get(mu, NEURON + 0x14))
    return got, izk_model(a, b, V, U, I_off, h, exc, inh, I_cs, fact_sheet)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    rnd = random.Random(1)
    imgs = {k: Image(str(binary(k + '.aplx'))) for k in
            ('IF_curr_exp_neuron', 'IF_cond_exp_neuron', 'IZK_curr_exp_neuron',
             'IF_curr_delta_neuron')}
    for name, fn, img in (('LIF (IF_curr_exp_neuron)', check_lif, imgs['IF_curr_exp_neuron']),
                          ('LIF+conductance (IF_cond_exp_neuron)', check_cond, imgs['IF_cond_exp_neuron']),
                          ('LIF+delta (IF_curr_delta_neuron)', check_delta, imgs['IF_curr_delta_neuron']),
                          ('Izhikevich rk2 (IZK_curr_exp_neuron)', check_izk, imgs['IZK_curr_exp_neuron'])):
        bad = 0
        for _ in range(n):
            got, exp = fn(img, rnd)
            bad += got != exp
        print(f'{name}: {n - bad}/{n} bit-exact with the documented model')
    bad = 0
    for _ in range(n):
        got, exp = check_izk(imgs['IZK_curr_exp_neuron'], rnd, fact_sheet=True)
        bad += got != exp
    print(f'Izhikevich with beta = HALF((h*(bV-U))*a) (source order): {n - bad}/{n} agree')
    bad = 0
    for _ in range(n):
        got, exp = check_cond(imgs['IF_cond_exp_neuron'], rnd, negate_after=True)
        bad += got != exp
    print(f'Conductance with inh current = -(inh*(E_rev_I-V)): {n - bad}/{n} agree')


if __name__ == '__main__':
    main()
