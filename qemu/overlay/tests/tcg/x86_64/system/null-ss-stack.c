/*
 * The stack of 64-bit code, with SS's B bit set and with a null SS
 *
 * In 64-bit mode the stack is 64-bit whatever the B bit of SS's
 * descriptor says, and at CPL 0 SS may hold a null selector, as it does
 * after an interrupt or an exception; Linux runs its code with either,
 * depending on how it was entered.  Run the same stack operations with
 * SS loaded from boot.S's flat data descriptor (B set) and with a null
 * SS (no attributes), taking turns, so that code translated under one
 * runs under the other: PUSH and POP, PUSH of a sign-extended immediate,
 * CALL and RET, ENTER and LEAVE, PUSHFQ and POPFQ.
 *
 * Copyright (c) 2026 The QEMU wasm32 port authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdint.h>
#include <minilib.h>

#define DATA_SEL    0x10    /* boot.S's flat data segment, B set */
#define NULL_SEL    0
#define ROUNDS      1000

/* What stack_ops() saw; the offsets are written out in its assembly. */
struct result {
    uint64_t push2;     /* how far two PUSHes moved RSP */
    uint64_t call;      /* how far CALL moved it, seen by the callee */
    uint64_t enter;     /* how far ENTER $16, $0 moved it */
    uint64_t pushf;     /* how far PUSHFQ moved it */
    uint64_t popped;    /* the register pushed, popped */
    uint64_t imm;       /* PUSH $-2, popped */
    uint64_t after;     /* RSP at the end less RSP at the start */
};

static void load_ss(uint16_t sel)
{
    asm volatile("mov %0, %%ss" : : "r"(sel) : "memory");
}

static uint16_t read_ss(void)
{
    uint16_t sel;

    asm volatile("mov %%ss, %0" : "=r"(sel));
    return sel;
}

/* The operations, run 128 bytes below RSP: the red zone is the compiler's. */
static void __attribute__((noinline)) stack_ops(uint64_t v, struct result *r)
{
    asm volatile(
        "sub $128, %%rsp\n\t"
        "mov %%rsp, %%r8\n\t"
        "push %%rsi\n\t"
        "pushq $-2\n\t"
        "mov %%r8, %%rax\n\t"
        "sub %%rsp, %%rax\n\t"
        "mov %%rax, 0(%%rdi)\n\t"
        "pop %%rax\n\t"
        "mov %%rax, 40(%%rdi)\n\t"
        "pop %%rax\n\t"
        "mov %%rax, 32(%%rdi)\n\t"
        "call 1f\n\t"
        "jmp 2f\n"
        "1:\n\t"
        "mov %%r8, %%rax\n\t"
        "sub %%rsp, %%rax\n\t"
        "mov %%rax, 8(%%rdi)\n\t"
        "ret\n"
        "2:\n\t"
        "enter $16, $0\n\t"
        "mov %%r8, %%rax\n\t"
        "sub %%rsp, %%rax\n\t"
        "mov %%rax, 16(%%rdi)\n\t"
        "leave\n\t"
        "pushfq\n\t"
        "mov %%r8, %%rax\n\t"
        "sub %%rsp, %%rax\n\t"
        "mov %%rax, 24(%%rdi)\n\t"
        "popfq\n\t"
        "mov %%rsp, %%rax\n\t"
        "sub %%r8, %%rax\n\t"
        "mov %%rax, 48(%%rdi)\n\t"
        "add $128, %%rsp\n\t"
        : : "S"(v), "D"(r) : "rax", "r8", "memory", "cc");
}

/* Whether stack_ops(@v) saw what 64-bit code must see. */
static int result_ok(const struct result *r, uint64_t v)
{
    return r->push2 == 16 && r->call == 8 && r->enter == 24 &&
           r->pushf == 8 && r->popped == v && r->imm == -2ull &&
           r->after == 0;
}

/* Run stack_ops() with SS = @sel; count it in *@fails if it went wrong. */
static void check(uint16_t sel, int round, int *fails)
{
    struct result r;
    uint64_t v = 0x8000000000000001ull ^ ((uint64_t)round << 20);
    uint16_t ss;

    load_ss(sel);
    stack_ops(v, &r);
    ss = read_ss();
    load_ss(DATA_SEL);

    if (ss == sel && result_ok(&r, v)) {
        return;
    }
    if (!(*fails)++) {
        ml_printf("FAIL: SS %x (read back %x), round %d: RSP moved by "
                  "%ld/%ld/%ld/%ld (PUSH x2/CALL/ENTER/PUSHFQ), popped "
                  "%lx and %lx, RSP off by %lx\n",
                  sel, ss, round, r.push2, r.call, r.enter, r.pushf,
                  r.popped, r.imm, r.after);
    }
}

int main(void)
{
    int fails = 0;

    for (int round = 0; round < ROUNDS; round++) {
        check(DATA_SEL, round, &fails);
        check(NULL_SEL, round, &fails);
    }
    if (fails) {
        ml_printf("FAIL: %d of %d runs\n", fails, 2 * ROUNDS);
    }
    ml_printf("Test complete: %s\n", fails ? "FAILED" : "PASSED");
    return fails ? 1 : 0;
}
