/*
 * Pages that share an index of the TLB
 *
 * QEMU's TLB is direct mapped: an access to a page evicts the entry of
 * the page with the same index to a small victim table, from which an
 * access to that page swaps it back.  The TLB is resized, and flushed,
 * when it evicts or swaps in many entries between two flushes.  Write
 * and read back pages that share an index in a TLB of any size QEMU
 * uses: more of them than the victim table holds, so that some are
 * filled again from the page tables, and few enough in a larger TLB
 * that they take turns in the victim table, for long enough that the
 * TLB is resized in between.
 *
 * Copyright (c) 2026 The QEMU wasm32 port authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdint.h>
#include <minilib.h>

/* boot.S maps the first 4 GiB to themselves; the test runs with -m 128M. */
#define SPREAD_BASE 0x02000000ull   /* pages 16 MiB apart */
#define SPREAD_STEP 0x01000000ull
#define SPREAD_N    4
#define CROWD_BASE  0x06000000ull   /* pages 256 KiB apart */
#define CROWD_STEP  0x00040000ull
#define CROWD_N     12
#define NPAGES      (SPREAD_N + CROWD_N)

#define ROUNDS      20000

/* Memory that must be read through the TLB each time */
typedef volatile uint64_t mmu_u64;

static uint64_t page_addr(int i)
{
    if (i < SPREAD_N) {
        return SPREAD_BASE + i * SPREAD_STEP;
    }
    return CROWD_BASE + (i - SPREAD_N) * CROWD_STEP;
}

/* The word of page @i that round @r writes, and what it writes there. */
static mmu_u64 *word(int i, int r)
{
    return (mmu_u64 *)(page_addr(i) + (r % 512) * 8);
}

static uint64_t pattern(int i, int r)
{
    return (uint64_t)r << 32 | (uint32_t)(i + 1) * 0x01010101u;
}

/* Count it in *@fails if page @i does not hold round @r's word. */
static void check(int i, int r, int *fails)
{
    uint64_t got = *word(i, r);

    if (got == pattern(i, r)) {
        return;
    }
    if (!(*fails)++) {
        ml_printf("FAIL: page %lx round %d: read %lx, not %lx\n",
                  page_addr(i), r, got, pattern(i, r));
    }
}

int main(void)
{
    int fails = 0;

    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < NPAGES; i++) {
            *word(i, r) = pattern(i, r);
        }
        /* Read back in the other order, and the last round's words. */
        for (int i = NPAGES - 1; i >= 0; i--) {
            check(i, r, &fails);
            if (r > 0) {
                check(i, r - 1, &fails);
            }
        }
    }

    if (fails) {
        ml_printf("FAIL: %d wrong reads in %d rounds of %d pages\n",
                  fails, ROUNDS, NPAGES);
    }
    ml_printf("Test complete: %s\n", fails ? "FAILED" : "PASSED");
    return fails != 0;
}
