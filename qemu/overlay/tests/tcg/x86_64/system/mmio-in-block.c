/*
 * Loads and stores to a device in the middle of a block
 *
 * QEMU lets a translation block reach a device only in its last
 * instruction: an access to I/O before that restarts the instruction
 * as a block of its own.  The loop's blocks write and read back the
 * local APIC's task priority register between ordinary loads and stores
 * to RAM, and the values of both are checked.
 *
 * Copyright (c) 2026 The QEMU wasm32 port authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdint.h>
#include <minilib.h>

/* boot.S maps the first 4 GiB to themselves, the local APIC's too. */
#define APIC_TPR    ((volatile uint32_t *)0xfee00080)

#define ROUNDS      20000

/* volatile: each access stays a load or store of its own in the block */
static volatile uint32_t ram[64];

int main(void)
{
    int fails = 0;

    for (uint32_t i = 0; i < ROUNDS; i++) {
        uint32_t want = (i & 0xf) << 4;
        uint32_t tpr, got;

        ram[i & 63] = i;
        *APIC_TPR = want;
        tpr = *APIC_TPR & 0xff;
        got = ram[i & 63];
        ram[(i + 1) & 63] = tpr + got;
        if ((tpr != want || got != i) && fails++ < 10) {
            ml_printf("FAIL: round %u: TPR %x, not %x; RAM %u, not %u\n",
                      i, tpr, want, got, i);
        }
    }
    *APIC_TPR = 0;

    if (fails) {
        ml_printf("FAIL: %d of %d rounds read back the wrong values\n",
                  fails, ROUNDS);
    }
    ml_printf("Test complete: %s\n", fails ? "FAILED" : "PASSED");
    return fails != 0;
}
