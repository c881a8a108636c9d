#!/usr/bin/env python3
"""Compute the on-chip derived constants of IF_curr_exp by running the real
initialisation code of IF_curr_exp_neuron.aplx (1!7.4.1) under Unicorn.

It calls neuron_impl_load_neuron_parameters (0x129c in that image) on a
parameter block laid out as the host writes it, then prints what the core
computed: R, exp_TC, T_refract, and the exc/inh synapse decay and init.

    python3 lif_constants.py --dt 1.0 --tau-m 20 --cm 1 --tau-refrac 0.1 \
        --tau-syn-e 5 --tau-syn-i 5 [--n-steps 1]

Values are encoded like the host does (DataType.S1615: round-half-even of
the decimal string x 2^15).
"""
import argparse
import os
import struct
import sys
from decimal import Decimal

sys.path.insert(0, os.path.dirname(__file__))
from aplx import Image                     # noqa: E402
from emulate import make_emu, RET, STACK_TOP, A  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from oracle_inputs import binary  # noqa: E402  (the 7.4.1 images: tools/oracle_inputs.py)
GLOBALS = 0x00400120       # neuron.c / neuron_impl globals in this image
FUNC = 0x129c              # neuron_impl_load_neuron_parameters
PARAMS, NEURONS, SYNS, THRS = 0x00450000, 0x00452000, 0x00453000, 0x00454000


def s1615(x):
    return int(round(Decimal(str(x)) * 32768))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--dt', type=float, default=1.0)
    p.add_argument('--n-steps', type=int, default=1)
    p.add_argument('--tau-m', type=float, default=20.0)
    p.add_argument('--cm', type=float, default=1.0)
    p.add_argument('--tau-refrac', type=float, default=0.1)
    p.add_argument('--tau-syn-e', type=float, default=5.0)
    p.add_argument('--tau-syn-i', type=float, default=5.0)
    a = p.parse_args()
    img = Image(str(binary('IF_curr_exp_neuron.aplx')))
    mu = make_emu(img)
    v, vr, vreset, ioff = -65.0, -65.0, -65.0, 0.0
    words = [a.n_steps]
    words += [s1615(x) for x in (v, vr, a.cm, a.tau_m, ioff, vreset, a.tau_refrac)] + [0, s1615(a.dt)]
    words += [s1615(-50.0)]                                      # threshold
    words += [s1615(a.tau_syn_e), 0, s1615(a.tau_syn_i), 0, s1615(a.dt)]
    mu.mem_write(PARAMS, struct.pack('<%di' % len(words), *words))
    for off, val in ((0x50, NEURONS), (0x54, SYNS), (0x58, THRS)):
        mu.mem_write(GLOBALS + off, struct.pack('<I', val))
    mu.reg_write(A.UC_ARM_REG_R0, PARAMS)
    mu.reg_write(A.UC_ARM_REG_R1, 1)
    mu.reg_write(A.UC_ARM_REG_R2, 0)
    mu.reg_write(A.UC_ARM_REG_SP, STACK_TOP)
    mu.reg_write(A.UC_ARM_REG_LR, RET)
    mu.emu_start(FUNC, RET, count=10_000_000)
    n = struct.unpack('<8i', mu.mem_read(NEURONS, 32))
    s = struct.unpack('<6I', mu.mem_read(SYNS, 24))
    print(f'V={n[0]} V_rest={n[1]} R={n[2]} exp_TC={n[3]} I_offset={n[4]} '
          f'refract_timer={n[5]} V_reset={n[6]} T_refract={n[7]}')
    print(f'exc: decay={s[0]} init={s[1]} isyn={s[2]}   inh: decay={s[3]} init={s[4]} isyn={s[5]}')


if __name__ == '__main__':
    main()
