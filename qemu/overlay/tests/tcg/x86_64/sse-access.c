/*
 * 128-bit loads and stores (MOVDQU, MOVDQA) around the end of a page
 *
 * A TCG backend may do a guest's 128-bit access with a TLB lookup of its
 * own instead of calling a helper.  Check what such accesses read and
 * write at each offset around the end of a page, that MOVDQA faults
 * where it is misaligned, and that an access reaching into a page that
 * it may not read or write faults at that page, before it writes any
 * byte of the first.  Each check runs ROUNDS times, so that a JIT that
 * translates only code that has run a while translates these too.
 *
 * Copyright (c) 2026 The QEMU wasm32 port authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define ROUNDS  200
/* Offsets from the end of the first page that the sweeps start at. */
#define BEFORE  24
#define AFTER   8

static sigjmp_buf fault_jmp;
/* The signal handler sets them, and try() reads them after siglongjmp(). */
static volatile int fault_sig;          /* volatile: see above */
static void *volatile fault_addr;       /* volatile: see above */

static const size_t page = 4096;       /* x86's smallest */
static uint8_t *buf;            /* three pages */
static uint8_t *want;           /* what they should hold */

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    fault_sig = sig;
    fault_addr = si->si_addr;
    siglongjmp(fault_jmp, 1);
}

/*
 * Move 16 bytes from @src to @dst through %xmm0, with the load @ld and
 * the store @st.
 */
#define MOVE16(ld, st, dst, src) \
    asm volatile(ld " (%1), %%xmm0\n\t" st " %%xmm0, (%0)" \
                 : : "r"(dst), "r"(src) : "xmm0", "memory")

/*
 * The accesses under test, at @p; @data is where a load puts the 16
 * bytes, or what a store writes.
 */
static void load_u(uint8_t *p, uint8_t *data)
{
    MOVE16("movdqu", "movdqu", data, p);
}

static void store_u(uint8_t *p, uint8_t *data)
{
    MOVE16("movdqu", "movdqu", p, data);
}

static void load_a(uint8_t *p, uint8_t *data)
{
    MOVE16("movdqa", "movdqu", data, p);
}

static void store_a(uint8_t *p, uint8_t *data)
{
    MOVE16("movdqu", "movdqa", p, data);
}

static void fill(void)
{
    for (size_t i = 0; i < 3 * page; i++) {
        want[i] = i * 7 + 1;
    }
    memcpy(buf, want, 2 * page);
}

/* Whether the first two pages hold what they should. */
static int intact(void)
{
    return memcmp(buf, want, 2 * page) == 0;
}

/*
 * Run fn(p, data) and return 0, or the signal it raised, with its
 * address's offset from buf in *ofs.
 */
static int try(void (*fn)(uint8_t *, uint8_t *), uint8_t *p, uint8_t *data,
               long *ofs)
{
    fault_sig = 0;
    if (sigsetjmp(fault_jmp, 1) == 0) {
        fn(p, data);
        return 0;
    }
    *ofs = (uint8_t *)fault_addr - buf;
    return fault_sig;
}

/* MOVDQU at each offset from page - BEFORE to page + AFTER. */
static int sweep(void)
{
    uint8_t data[16], got[16];
    int wrong = 0;

    for (size_t o = page - BEFORE; o <= page + AFTER; o++) {
        fill();
        load_u(buf + o, got);
        wrong += memcmp(got, want + o, 16) != 0;
        for (int i = 0; i < 16; i++) {
            data[i] = 0xa0 + i + o;
        }
        store_u(buf + o, data);
        memcpy(want + o, data, 16);
        wrong += !intact();
    }
    return wrong;
}

/* MOVDQA at aligned offsets, and faults at misaligned ones. */
static int aligned(void)
{
    uint8_t data[16] = { 0x5a }, got[16];
    int wrong = 0;
    long ofs;

    fill();
    for (size_t o = page - 32; o <= page + 16; o += 16) {
        load_a(buf + o, got);
        wrong += memcmp(got, want + o, 16) != 0;
        store_a(buf + o, data);
        memcpy(want + o, data, 16);
        wrong += !intact();
    }
    for (size_t o = page - 12; o <= page + 12; o += 4) {
        if (o % 16 == 0) {
            continue;
        }
        wrong += try(load_a, buf + o, got, &ofs) != SIGSEGV;
        wrong += try(store_a, buf + o, data, &ofs) != SIGSEGV;
        wrong += !intact();
    }
    return wrong;
}

/*
 * Accesses from the second page into the third, which gives @prot: the
 * signal of the load and of the store, where they faulted, and whether
 * the store left the second page alone.
 */
static void crossing(int prot, const char *what)
{
    uint8_t data[16] = { 0xee }, got[16];
    long lofs = 0, sofs = 0;
    int lsig, ssig;

    if (mprotect(buf + 2 * page, page, prot)) {
        perror("mprotect");
        exit(1);
    }
    for (int r = 0; r < ROUNDS; r++) {
        fill();
        lsig = try(load_u, buf + 2 * page - 8, got, &lofs);
        ssig = try(store_u, buf + 2 * page - 8, data, &sofs);
    }
    printf("crossing into a %s page: load %s at %+ld, store %s at %+ld, "
           "%s\n", what,
           lsig ? strsignal(lsig) : "ok", lsig ? lofs - 2 * (long)page : 0,
           ssig ? strsignal(ssig) : "ok", ssig ? sofs - 2 * (long)page : 0,
           ssig ? (intact() ? "nothing written" : "some bytes written")
                : "written");
}

int main(void)
{
    struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO };
    int wrong = 0;

    buf = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    want = malloc(3 * page);
    if (buf == MAP_FAILED || !want) {
        perror("mmap");
        return 1;
    }
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);

    for (int r = 0; r < ROUNDS; r++) {
        wrong += sweep();
    }
    printf("movdqu across a page end: %d wrong of %d\n", wrong,
           ROUNDS * 2 * (BEFORE + AFTER + 1));
    wrong = 0;
    for (int r = 0; r < ROUNDS; r++) {
        wrong += aligned();
    }
    printf("movdqa, aligned and not: %d wrong\n", wrong);

    crossing(PROT_NONE, "PROT_NONE");
    crossing(PROT_READ, "read-only");
    crossing(PROT_READ | PROT_WRITE, "writable");
    return 0;
}
