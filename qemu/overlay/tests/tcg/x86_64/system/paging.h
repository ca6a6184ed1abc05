/*
 * Page tables for the x86_64 system tests that remap memory
 *
 * boot.S maps the first 4 GiB to themselves with 2 MiB pages.  The tests
 * point the PDE of VA at frames of their own and change it as they go.
 *
 * Copyright (c) 2026 The QEMU wasm32 port authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#ifndef X86_64_SYSTEM_PAGING_H
#define X86_64_SYSTEM_PAGING_H

#include <stdint.h>

#define PTE_P       (1ull << 0)
#define PTE_RW      (1ull << 1)
#define PTE_PS      (1ull << 7)
#define PTE_G       (1ull << 8)
#define PTE_ADDR    0x000ffffffffff000ull

#define VA          0x40000000ull
#define LARGE_PAGE  0x200000ull
#define FRAME_A     0x01000000ull
#define FRAME_B     0x01200000ull

static inline uint64_t read_cr3(void)
{
    uint64_t v;

    asm volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}

static inline void write_cr3(uint64_t v)
{
    asm volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

/* The PDE that maps @va, which the MMU reads. */
static inline volatile uint64_t *pde_of(uint64_t va)
{
    uint64_t *table = (uint64_t *)(read_cr3() & PTE_ADDR);

    table = (uint64_t *)(table[(va >> 39) & 511] & PTE_ADDR);
    table = (uint64_t *)(table[(va >> 30) & 511] & PTE_ADDR);
    return &table[(va >> 21) & 511];
}

/* Call the function at @va, which returns its result in RAX. */
static inline uint64_t call_at(uint64_t va)
{
    uint64_t (*fn)(void) = (uint64_t (*)(void))va;

    return fn();
}

#endif
