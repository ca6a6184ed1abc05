/*
 * REP STOS and REP MOVS against a model of their element-by-element
 * definition
 *
 * QEMU may do the elements that lie in one page in a single step.  Check,
 * for every element size, both directions and counts and offsets that
 * start, end and cross page boundaries: the bytes written, and RCX, RDI
 * and RSI after the instruction; REP MOVS whose source and destination
 * overlap, either way, which copies element by element (a destination
 * just above its source repeats the source); the 32-bit address size,
 * which counts in ECX and writes the registers back as 32-bit values;
 * and a string that runs into a page it may not touch, which faults
 * there with the elements before it done and the registers pointing at
 * the element that faulted.  Everything runs ROUNDS times, the last time
 * in code that a JIT may have translated by then; the counts printed are
 * the last round's.
 *
 * Copyright (c) 2026 The QEMU wasm32 port authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#define ROUNDS  2
#define PAGE    4096            /* x86's smallest */
#define PAGES   4

enum { STOS, MOVS };

typedef struct Regs {
    uint64_t rcx, rdi, rsi;
} Regs;

static sigjmp_buf fault_jmp;
/* The signal handler sets them, and run() reads them after siglongjmp(). */
static volatile int fault_sig;
static volatile uintptr_t fault_addr;   /* volatile: see above */
static volatile Regs fault_regs;        /* volatile: see above */

static uint8_t *buf;            /* PAGES pages, the last of them PROT_NONE */
static uint8_t *want;           /* what buf should hold */
static uint8_t *pattern;        /* what fill() puts in both */
static int quiet;               /* not the last round: print nothing */

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;

    fault_sig = sig;
    fault_addr = (uintptr_t)si->si_addr;
    fault_regs.rcx = uc->uc_mcontext.gregs[REG_RCX];
    fault_regs.rdi = uc->uc_mcontext.gregs[REG_RDI];
    fault_regs.rsi = uc->uc_mcontext.gregs[REG_RSI];
    siglongjmp(fault_jmp, 1);
}

/*
 * REP @insn with the registers @r and RAX = @val, DF set if @down; the
 * registers as the instruction leaves them.  CLD again before returning,
 * as the ABI wants; a fault skips the asm's CLD, so run() does it too.
 */
#define REP(insn, r, val, down)                                         \
    asm volatile("test %4, %4\n\t"                                      \
                 "jz 1f\n\t"                                            \
                 "std\n"                                                \
                 "1:\t" insn "\n\t"                                     \
                 "cld"                                                  \
                 : "+c"((r)->rcx), "+D"((r)->rdi), "+S"((r)->rsi)      \
                 : "a"(val), "r"(down) : "memory", "cc")

#define REP_FN(name, insn) \
    static void name(Regs *r, uint64_t val, int down) \
    { \
        REP(insn, r, val, down); \
    }

REP_FN(stosb, "rep stosb")
REP_FN(stosw, "rep stosw")
REP_FN(stosl, "rep stosl")
REP_FN(stosq, "rep stosq")
REP_FN(movsb, "rep movsb")
REP_FN(movsw, "rep movsw")
REP_FN(movsl, "rep movsl")
REP_FN(movsq, "rep movsq")
REP_FN(stosb32, "addr32 rep stosb")
REP_FN(stosl32, "addr32 rep stosl")
REP_FN(movsb32, "addr32 rep movsb")
REP_FN(movsl32, "addr32 rep movsl")

/* By operation, log2 of the element size and address size (0: 64-bit). */
static void (*const insns[2][4][2])(Regs *, uint64_t, int) = {
    [STOS] = { { stosb, stosb32 }, { stosw }, { stosl, stosl32 }, { stosq } },
    [MOVS] = { { movsb, movsb32 }, { movsw }, { movsl, movsl32 }, { movsq } },
};

static void rep_insn(int op, int size, int a32, Regs *r, uint64_t val,
                     int down)
{
    insns[op][__builtin_ctz(size)][a32](r, val, down);
}

/*
 * The definition, on want: one element at a time, stopping before an
 * element that reaches @limit (the page that faults).  Returns 1 if it
 * stopped there.
 */
static int model(int op, int size, int a32, Regs *r, uint64_t val,
                 int down, uintptr_t limit)
{
    uint64_t mask = a32 ? 0xffffffff : -1;
    int64_t step = down ? -size : size;

    while (r->rcx & mask) {
        uint8_t *d = want + ((r->rdi & mask) - (uintptr_t)buf);
        uint8_t *s = want + ((r->rsi & mask) - (uintptr_t)buf);
        uint8_t elem[8];

        if (op == MOVS && (r->rsi & mask) + size > limit) {
            return 1;
        }
        if ((r->rdi & mask) + size > limit) {
            return 1;
        }
        memcpy(elem, op == STOS ? (uint8_t *)&val : s, size);
        memcpy(d, elem, size);
        r->rdi = (r->rdi & ~mask) | ((r->rdi + step) & mask);
        if (op == MOVS) {
            r->rsi = (r->rsi & ~mask) | ((r->rsi + step) & mask);
        }
        r->rcx = (r->rcx & ~mask) | ((r->rcx - 1) & mask);
    }
    if (a32) {
        /* 32-bit writes of the registers clear their high halves. */
        r->rcx = (uint32_t)r->rcx;
        r->rdi = (uint32_t)r->rdi;
        if (op == MOVS) {
            r->rsi = (uint32_t)r->rsi;
        }
    }
    return 0;
}

static void fill(void)
{
    memcpy(want, pattern, (PAGES - 1) * PAGE);
    memcpy(buf, pattern, (PAGES - 1) * PAGE);
}

/*
 * One instruction on buf against the model on want: 0 if they agree on
 * the memory, the registers and whether and where it faulted.
 */
static int run(int op, int size, int a32, int down, size_t dst, size_t src,
               uint64_t count)
{
    uintptr_t limit = (uintptr_t)buf + (PAGES - 1) * PAGE;
    uint64_t val = 0x8877665544332211ull ^ (dst * 0x10001);
    Regs r = { count, (uintptr_t)buf + dst, (uintptr_t)buf + src };
    Regs m = r;
    int faults, wrong = 0;

    if (a32) {
        /* Only the low halves count; the instruction clears the high. */
        r.rcx |= 0xdead000000000000ull;
        m.rcx = r.rcx;
    }
    fill();
    faults = model(op, size, a32, &m, val, down, limit);
    fault_sig = 0;
    if (sigsetjmp(fault_jmp, 1) == 0) {
        rep_insn(op, size, a32, &r, val, down);
    } else {
        asm volatile("cld");
        r.rcx = fault_regs.rcx;
        r.rdi = fault_regs.rdi;
        r.rsi = fault_regs.rsi;
        /* Where a MOVS faulted: the page of its source or destination. */
        wrong += fault_addr >> 12 != limit >> 12;
    }
    wrong += faults != (fault_sig == SIGSEGV);
    wrong += memcmp(buf, want, (PAGES - 1) * PAGE) != 0;
    wrong += r.rcx != m.rcx || r.rdi != m.rdi;
    wrong += op == MOVS && r.rsi != m.rsi;
    return wrong != 0;
}

static const int sizes[] = { 1, 2, 4, 8 };

/* Destination offsets: around the first two page boundaries. */
static const size_t dsts[] = {
    0, 1, 3, PAGE - 16, PAGE - 3, PAGE - 1, PAGE, PAGE + 5, 2 * PAGE - 9,
};

/*
 * Counts of elements: none, a few, and (the last NBIG, at the
 * destinations that big() picks) a page's worth and more.
 */
#define NCOUNTS 8
#define NBIG    3

static size_t count_of(int i, int size)
{
    static const size_t bytes[NCOUNTS] = { 0, 1, 2, 7, 64, PAGE - 8,
                                           PAGE + 24, 2 * PAGE - 40 };

    return bytes[i] / size + (bytes[i] && bytes[i] < size);
}

static int big(size_t dst)
{
    return dst == 1 || dst == PAGE - 3 || dst == PAGE;
}

/* Whether the elements from @at on stay within buf's first pages. */
static int fits(size_t at, size_t n, int size, int down)
{
    return down ? at >= (n ? (n - 1) * size : 0)
                : at + n * size <= (PAGES - 1) * PAGE;
}

/* REP STOS at each destination offset, count and size, both directions. */
static int stos(void)
{
    int wrong = 0, checks = 0;

    for (int s = 0; s < 4; s++) {
        for (int d = 0; d < sizeof(dsts) / sizeof(dsts[0]); d++) {
            for (int c = 0; c < NCOUNTS; c++) {
                for (int down = 0; down < 2; down++) {
                    size_t n = count_of(c, sizes[s]);

                    if ((c < NCOUNTS - NBIG || big(dsts[d])) &&
                        fits(dsts[d], n, sizes[s], down)) {
                        wrong += run(STOS, sizes[s], 0, down, dsts[d], 0, n);
                        checks++;
                    }
                }
            }
        }
    }
    if (!quiet) {
        printf("rep stos: %d wrong of %d\n", wrong, checks);
    }
    return wrong;
}

/*
 * REP MOVS from sources near, below and above each destination (the
 * overlapping ones included), and from another page.
 */
static int movs(void)
{
    static const long deltas[] = { -PAGE - 7, -5, -1, 0, 1, 3, PAGE + 2 };
    int wrong = 0, checks = 0;

    for (int s = 0; s < 4; s++) {
        for (int d = 0; d < sizeof(dsts) / sizeof(dsts[0]); d++) {
            for (int x = 0; x < sizeof(deltas) / sizeof(deltas[0]); x++) {
                for (int c = 0; c < NCOUNTS; c++) {
                    for (int down = 0; down < 2; down++) {
                        size_t n = count_of(c, sizes[s]);
                        long src = (long)dsts[d] + deltas[x];

                        if ((c < NCOUNTS - NBIG || big(dsts[d])) &&
                            src >= 0 && fits(dsts[d], n, sizes[s], down) &&
                            fits(src, n, sizes[s], down)) {
                            wrong += run(MOVS, sizes[s], 0, down, dsts[d],
                                         src, n);
                            checks++;
                        }
                    }
                }
            }
        }
    }
    if (!quiet) {
        printf("rep movs: %d wrong of %d\n", wrong, checks);
    }
    return wrong;
}

/*
 * The 32-bit address size: ECX counts and the registers are written back
 * with their high halves clear.  buf is below 4 GiB (MAP_32BIT).
 */
static int addr32(void)
{
    int wrong = 0, checks = 0;

    for (int c = 1; c < NCOUNTS; c++) {
        for (int d = 0; d < sizeof(dsts) / sizeof(dsts[0]); d++) {
            size_t n = count_of(c, 4);

            if ((c < NCOUNTS - NBIG || big(dsts[d])) &&
                fits(dsts[d] + 8, n, 4, 0)) {
                wrong += run(STOS, 1, 1, 0, dsts[d], 0, n);
                wrong += run(STOS, 4, 1, 0, dsts[d], 0, n);
                wrong += run(MOVS, 1, 1, 0, dsts[d] + 8, dsts[d], n);
                wrong += run(MOVS, 4, 1, 0, dsts[d], dsts[d] + 8, n);
                checks += 4;
            }
        }
    }
    if (!quiet) {
        printf("addr32 rep stos, rep movs: %d wrong of %d\n", wrong, checks);
    }
    return wrong;
}

/*
 * Strings that run into the last page, which may not be touched: the
 * destination, or for REP MOVS the source.
 */
static int faults(void)
{
    size_t end = (PAGES - 1) * PAGE;
    int wrong = 0, checks = 0;

    for (int s = 0; s < 4; s++) {
        for (size_t back = 1; back <= 3 * PAGE; back = back * 5 + 3) {
            size_t n = back / sizes[s] + 4;

            wrong += run(STOS, sizes[s], 0, 0, end - back, 0, n);
            wrong += run(MOVS, sizes[s], 0, 0, end - back, 0, n);
            wrong += run(MOVS, sizes[s], 0, 0, 0, end - back, n);
            checks += 3;
        }
    }
    if (!quiet) {
        printf("into a page that faults: %d wrong of %d\n", wrong, checks);
    }
    return wrong;
}

int main(void)
{
    struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO };
    int wrong = 0;

    buf = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    want = malloc(PAGES * PAGE);
    pattern = malloc(PAGES * PAGE);
    if (buf == MAP_FAILED || !want || !pattern ||
        mprotect(buf + (PAGES - 1) * PAGE, PAGE, PROT_NONE)) {
        perror("mmap");
        return 1;
    }
    sigaction(SIGSEGV, &sa, NULL);
    for (size_t i = 0; i < (PAGES - 1) * PAGE; i++) {
        pattern[i] = i * 7 + 1 + (i >> 8);
    }

    for (int r = 0; r < ROUNDS; r++) {
        quiet = r < ROUNDS - 1;
        wrong += stos() + movs() + addr32() + faults();
    }
    printf("%s\n", wrong ? "FAIL" : "PASS");
    return wrong != 0;
}
