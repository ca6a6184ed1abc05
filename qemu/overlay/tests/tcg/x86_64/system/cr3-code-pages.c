/*
 * Code runs from the frames the page tables name after a write to CR3
 *
 * A MOV to CR3 flushes the TLB entries of pages that are not global,
 * so code at a virtual address whose PDE changed must then be fetched
 * from the new frame.  Two frames hold functions at the same offsets,
 * two of them in one 4 KiB page and one in another, which return the
 * frame's mark; a third frame, mapped just below, holds a function in
 * its last page that runs on into the first page of the other two, of
 * whose immediate only the bytes on that page differ.  Each round maps
 * one of the two frames, writes CR3 and calls all the functions, the
 * same frame staying mapped for two rounds in a row.
 *
 * An emulator that keeps the blocks it found by virtual address across
 * the flush must check each against the pages now mapped: those of a
 * page that an earlier call has just mapped again, and both pages of a
 * block that lies across two.
 *
 * Copyright (c) 2026 The QEMU wasm32 port authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdint.h>
#include <minilib.h>
#include "paging.h"

#define FRAME_LOW   0x01400000ull   /* mapped at VA - LARGE_PAGE */

#define ROUNDS      1000

/*
 * Where the functions are, from VA: two in the first 4 KiB page, one in
 * the second, one in the last page below VA, which the lookup of the
 * next finds mapped, and one whose MOV starts 2 bytes below VA, so that
 * the last three bytes of its immediate and its RET are in the frame
 * mapped at VA.  (QEMU ends a block after an instruction that crosses
 * a page; at 3 bytes below VA, the RET's block would share the MOV's
 * entry in its jump cache, and each would miss.)
 */
#define ACROSS      (-2)
static const int64_t offsets[] = { 0x100, 0x200, 0x1100, -0x800, ACROSS };
#define NFUNCS      ((int)(sizeof(offsets) / sizeof(offsets[0])))

/* What the function at @offset returns with @mark's frame at VA. */
static uint32_t imm_of(int64_t offset, uint8_t mark)
{
    if (offset == ACROSS) {
        return 0x11 | mark << 8;
    }
    return offset < 0 ? 0xc : mark;
}

/* The byte at @offset from VA, with @frame mapped at VA. */
static volatile uint8_t *byte_at(uint64_t frame, int64_t offset)
{
    uint64_t pa = offset < 0 ? FRAME_LOW + LARGE_PAGE + offset
                             : frame + offset;

    /* volatile: only the CPU's fetch reads it, unseen by the compiler */
    return (volatile uint8_t *)pa;
}

/* Put "mov $imm, %eax; ret" at @offset from VA, with @frame at VA. */
static void put_function(uint64_t frame, int64_t offset, uint32_t imm)
{
    *byte_at(frame, offset) = 0xb8;
    for (int i = 0; i < 4; i++) {
        *byte_at(frame, offset + 1 + i) = imm >> (8 * i);
    }
    *byte_at(frame, offset + 5) = 0xc3;
}

int main(void)
{
    volatile uint64_t *pde = pde_of(VA);   /* the MMU reads it */
    int fails = 0;

    for (int i = 0; i < NFUNCS; i++) {
        put_function(FRAME_A, offsets[i], imm_of(offsets[i], 0xa));
        put_function(FRAME_B, offsets[i], imm_of(offsets[i], 0xb));
    }
    *pde_of(VA - LARGE_PAGE) = FRAME_LOW | PTE_P | PTE_RW | PTE_PS;

    for (int round = 0; round < ROUNDS; round++) {
        uint8_t mark = round & 2 ? 0xb : 0xa;

        *pde = (round & 2 ? FRAME_B : FRAME_A) | PTE_P | PTE_RW | PTE_PS;
        write_cr3(read_cr3());

        for (int i = 0; i < NFUNCS; i++) {
            uint32_t want = imm_of(offsets[i], mark);
            uint64_t got = call_at(VA + offsets[i]);

            if (got != want && fails++ < 10) {
                ml_printf("FAIL: round %d: the function at VA %c 0x%lx "
                          "returned %lx, not %x\n", round,
                          offsets[i] < 0 ? '-' : '+',
                          offsets[i] < 0 ? -offsets[i] : offsets[i],
                          got, want);
            }
        }
    }

    if (fails) {
        ml_printf("FAIL: %d of %d calls ran code of a frame no longer "
                  "mapped\n", fails, ROUNDS * NFUNCS);
    }
    ml_printf("Test complete: %s\n", fails ? "FAILED" : "PASSED");
    return fails != 0;
}
