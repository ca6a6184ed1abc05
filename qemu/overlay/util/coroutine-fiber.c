/*
 * Coroutine backend on Emscripten fibers
 *
 * WebAssembly cannot switch stacks by itself: the wasm call stack is not
 * addressable.  Emscripten's fibers do it with Asyncify, which unwinds
 * the current call stack into a buffer and rewinds the other fiber's
 * saved one.  Each coroutine therefore owns two buffers: the C stack
 * (locals that live in linear memory) and the Asyncify stack (the
 * unwound wasm frames).
 *
 * Copyright (c) 2026 The QEMU wasm32 port authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include <emscripten/fiber.h>
#include "qemu/units.h"
#include "qemu/memalign.h"
#include "qemu/coroutine_int.h"
#include "qemu/coroutine-tls.h"

/*
 * Unwound frames of the deepest call chains seen in QEMU's block layer
 * and 9pfs fit in a few KiB; leave plenty of room, since an overflow
 * aborts the whole program.
 */
#define COROUTINE_ASYNCIFY_STACK_SIZE (64 * KiB)

typedef struct {
    Coroutine base;
    void *stack;
    void *asyncify_stack;
    emscripten_fiber_t fiber;
    CoroutineAction action;
} CoroutineFiber;

/* The thread's own context, used when a coroutine yields to the caller. */
QEMU_DEFINE_STATIC_CO_TLS(CoroutineFiber *, leader);
QEMU_DEFINE_STATIC_CO_TLS(Coroutine *, current);

/*
 * Not inlined, for the same reason as in coroutine-ucontext.c: the
 * address of the TLS variable must not be cached across the switch.
 */
CoroutineAction __attribute__((noinline))
qemu_coroutine_switch(Coroutine *from_, Coroutine *to_,
                      CoroutineAction action)
{
    CoroutineFiber *from = container_of(from_, CoroutineFiber, base);
    CoroutineFiber *to = container_of(to_, CoroutineFiber, base);

    set_current(to_);
    to->action = action;
    emscripten_fiber_swap(&from->fiber, &to->fiber);
    return from->action;
}

/* A fiber's entry function must never return. */
static void coroutine_trampoline(void *opaque)
{
    Coroutine *co = opaque;

    while (true) {
        co->entry(co->entry_arg);
        qemu_coroutine_switch(co, co->caller, COROUTINE_TERMINATE);
    }
}

Coroutine *qemu_coroutine_new(void)
{
    CoroutineFiber *co = g_new0(CoroutineFiber, 1);

    /* There is no guard page to be had in linear memory. */
    co->stack = qemu_memalign(16, COROUTINE_STACK_SIZE);
    co->asyncify_stack = g_malloc(COROUTINE_ASYNCIFY_STACK_SIZE);
    emscripten_fiber_init(&co->fiber, coroutine_trampoline, &co->base,
                          co->stack, COROUTINE_STACK_SIZE,
                          co->asyncify_stack, COROUTINE_ASYNCIFY_STACK_SIZE);
    return &co->base;
}

void qemu_coroutine_delete(Coroutine *co_)
{
    CoroutineFiber *co = container_of(co_, CoroutineFiber, base);

    qemu_vfree(co->stack);
    g_free(co->asyncify_stack);
    g_free(co);
}

Coroutine *qemu_coroutine_self(void)
{
    Coroutine *self = get_current();

    if (!self) {
        CoroutineFiber *leader = g_new0(CoroutineFiber, 1);

        leader->asyncify_stack = g_malloc(COROUTINE_ASYNCIFY_STACK_SIZE);
        emscripten_fiber_init_from_current_context(
            &leader->fiber, leader->asyncify_stack,
            COROUTINE_ASYNCIFY_STACK_SIZE);
        set_leader(leader);
        self = &leader->base;
        set_current(self);
    }
    return self;
}

bool qemu_in_coroutine(void)
{
    Coroutine *self = get_current();

    return self && self->caller;
}
