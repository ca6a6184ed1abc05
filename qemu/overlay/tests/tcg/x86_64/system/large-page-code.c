/*
 * Code in a large page runs from the new frame after INVLPG
 *
 * INVLPG of any address in a 2 MiB page drops the whole translation,
 * so the CPU must then fetch every 4 KiB page of it from the frame the
 * page tables name.  Two frames each hold a function at the start of a
 * few of their 4 KiB pages that returns the frame's mark.  Each round
 * points the PDE of VA at the other frame, invalidates one of those
 * pages and calls all of them.  An emulator that finds blocks by
 * virtual address must forget those of the other pages too.
 *
 * Copyright (c) 2026 The QEMU wasm32 port authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdint.h>
#include <minilib.h>
#include "paging.h"

#define ROUNDS      1000

/* Where the functions are in each frame: the first page, and others. */
static const uint64_t offsets[] = { 0, 0x1000, 0x7f000, 0x1ff000 };
#define NFUNCS      ((int)(sizeof(offsets) / sizeof(offsets[0])))

/* Put "mov $mark, %eax; ret" at @offset in @frame. */
static void put_function(uint64_t frame, uint64_t offset, uint8_t mark)
{
    /* volatile: only the CPU's fetch reads them, unseen by the compiler */
    volatile uint8_t *p = (volatile uint8_t *)(frame + offset);

    p[0] = 0xb8;
    p[1] = mark;
    p[2] = 0;
    p[3] = 0;
    p[4] = 0;
    p[5] = 0xc3;
}

int main(void)
{
    volatile uint64_t *pde = pde_of(VA);   /* the MMU reads it */
    int fails = 0;

    for (int i = 0; i < NFUNCS; i++) {
        put_function(FRAME_A, offsets[i], 0xa);
        put_function(FRAME_B, offsets[i], 0xb);
    }

    for (int round = 0; round < ROUNDS; round++) {
        uint64_t frame = round & 1 ? FRAME_B : FRAME_A;
        uint64_t mark = round & 1 ? 0xb : 0xa;
        uint64_t flushed = VA + offsets[(round / 2) % NFUNCS];

        *pde = frame | PTE_P | PTE_RW | PTE_PS;
        asm volatile("invlpg (%0)" : : "r"(flushed) : "memory");

        for (int i = 0; i < NFUNCS; i++) {
            uint64_t got = call_at(VA + offsets[i]);

            if (got != mark && fails++ < 10) {
                ml_printf("FAIL: round %d: the function at +%lx returned "
                          "%lx, not %lx, after INVLPG of +%lx\n", round,
                          offsets[i], got, mark, flushed - VA);
            }
        }
    }

    if (fails) {
        ml_printf("FAIL: %d of %d calls ran the old frame's code\n", fails,
                  ROUNDS * NFUNCS);
    }
    ml_printf("Test complete: %s\n", fails ? "FAILED" : "PASSED");
    return fails != 0;
}
