/*
 * What writes to CR3 and CR4, and INVLPG, flush from the TLB
 *
 * A MOV to CR3 flushes the TLB entries of pages that are not global.
 * With CR4.PGE set, the entries of global pages may stay, until an
 * INVLPG of the page or a write to CR4 that changes PGE.  Map a 2 MiB
 * page at VA to one frame, read it so that the TLB holds the mapping,
 * point its PDE at another frame without telling the CPU, flush in
 * one of those ways and check that the CPU reads the new frame.
 *
 * Whether a MOV to CR3 keeps a global page's entry is up to the CPU,
 * so that case is not tested.  Each case runs ROUNDS times: an
 * emulator may flush more than it must at some times and not at others
 * (QEMU flushes global entries too once per TLB resize window).
 *
 * Copyright (c) 2026 The QEMU wasm32 port authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdint.h>
#include <minilib.h>
#include "paging.h"

#define CR4_PGE     (1ull << 7)

#define ROUNDS      1000

/* Memory that the MMU reads, or that must be read through it each time */
typedef volatile uint64_t mmu_u64;

/* Set or clear CR4.PGE: a change flushes the whole TLB. */
static void set_pge(int on)
{
    uint64_t cr4;

    asm volatile("mov %%cr4, %0" : "=r"(cr4));
    cr4 = on ? cr4 | CR4_PGE : cr4 & ~CR4_PGE;
    asm volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
}

static void invlpg(uint64_t va)
{
    asm volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static uint64_t read_at(uint64_t va)
{
    return *(mmu_u64 *)va;
}

/*
 * Map VA to FRAME_A with @flags, read it so that the TLB holds it, then
 * point the PDE at FRAME_B.
 */
static int map_stale(mmu_u64 *pde, uint64_t flags)
{
    *pde = FRAME_A | flags;
    invlpg(VA);
    if (read_at(VA) != 0xa) {
        ml_printf("FAIL: VA does not map FRAME_A\n");
        return 1;
    }
    *pde = FRAME_B | flags;
    return 0;
}

/* The cases, in the order main() runs them. */
static const char *const cases[] = {
    "MOV to CR3 flushes a page, CR4.PGE clear",
    "MOV to CR3 flushes a global page, CR4.PGE clear",
    "MOV to CR3 flushes a page that is not global, CR4.PGE set",
    "INVLPG flushes a global page",
    "clearing CR4.PGE flushes a global page",
    "MOV to CR3 flushes a page that was global before",
};
#define NCASES      ((int)(sizeof(cases) / sizeof(cases[0])))

/* Count a round of case @k in which VA did not read the new frame. */
static void check(int k, int round, int *fails)
{
    uint64_t got = read_at(VA);

    if (got == 0xb) {
        return;
    }
    if (!fails[k]) {
        ml_printf("FAIL: %s: read %lx, not the new frame's b (round %d)\n",
                  cases[k], got, round);
    }
    fails[k]++;
}

int main(void)
{
    mmu_u64 *pde = pde_of(VA);
    uint64_t flags = PTE_P | PTE_RW | PTE_PS;
    int fails[NCASES];
    int err = 0;

    /* Not "= { 0 }": gcc would clear it with SSE, which is off here. */
    for (int k = 0; k < NCASES; k++) {
        fails[k] = 0;
    }

    *(mmu_u64 *)FRAME_A = 0xa;
    *(mmu_u64 *)FRAME_B = 0xb;

    for (int i = 0; i < ROUNDS; i++) {
        set_pge(0);
        err |= map_stale(pde, flags);
        write_cr3(read_cr3());
        check(0, i, fails);

        err |= map_stale(pde, flags | PTE_G);
        write_cr3(read_cr3());
        check(1, i, fails);

        set_pge(1);
        err |= map_stale(pde, flags);
        write_cr3(read_cr3());
        check(2, i, fails);

        err |= map_stale(pde, flags | PTE_G);
        invlpg(VA);
        check(3, i, fails);

        err |= map_stale(pde, flags | PTE_G);
        set_pge(0);
        set_pge(1);
        check(4, i, fails);

        /* Once the page is no longer global, a MOV to CR3 flushes it. */
        err |= map_stale(pde, flags | PTE_G);
        invlpg(VA);
        *pde = FRAME_A | flags;
        read_at(VA);
        *pde = FRAME_B | flags;
        write_cr3(read_cr3());
        check(5, i, fails);
    }

    for (int k = 0; k < NCASES; k++) {
        if (fails[k]) {
            ml_printf("FAIL: %s in %d of %d rounds\n", cases[k], fails[k],
                      ROUNDS);
            err = 1;
        } else {
            ml_printf("ok: %s\n", cases[k]);
        }
    }
    ml_printf("Test complete: %s\n", err ? "FAILED" : "PASSED");
    return err;
}
