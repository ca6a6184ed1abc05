/*
 * Code and data in the same pages
 *
 * A store to a page that holds translated code must invalidate the
 * blocks whose code it changes, and only those need to go; stores to
 * the page's data must not stop its code from running.  Put a function
 * (MOV $imm32, %eax; RET) in the middle of one page, and another across
 * the boundary between two pages, the two high bytes of its immediate
 * on the second page; then, round after round, store to data next to
 * them and call them, change their immediates (only the high bytes of
 * the second one's) and call them again.
 *
 * Copyright (c) 2026 The QEMU wasm32 port authors
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include <stdint.h>
#include <minilib.h>

#define PAGE        4096
#define ROUNDS      2000
#define DATA_STORES 64

/* boot.S maps all of it writable and executable. */
static uint8_t area[3 * PAGE] __attribute__((aligned(PAGE)));

/* Memory that instructions are fetched from, or that must be stored to */
typedef volatile uint8_t code_u8;

typedef uint32_t fn(void);

/*
 * Where each function starts, the data stored next to it, and the
 * shift of the round's number in its immediate, whose bytes below it
 * stay 0 and are not stored to again
 */
static const struct {
    unsigned code;
    unsigned data;
    unsigned shift;
} place[] = {
    { PAGE + 100, PAGE + 2048, 0 },         /* within the second page */
    { 2 * PAGE - 3, 2 * PAGE + 1024, 16 },  /* changed on the third */
};

/* Change the bytes of the immediate of the function at @p from @shift. */
static void put_imm(code_u8 *p, uint32_t imm, unsigned shift)
{
    for (int i = shift / 8; i < 4; i++) {
        p[1 + i] = imm >> (8 * i);
    }
}

/* Write MOV $@imm, %eax; RET at @p. */
static void put_function(code_u8 *p, uint32_t imm)
{
    p[0] = 0xb8;
    put_imm(p, imm, 0);
    p[5] = 0xc3;
}

/* Count it in *@fails if function @k does not return @want. */
static void check(int k, int r, const char *when, uint32_t want, int *fails)
{
    uint32_t got = ((fn *)(uintptr_t)(area + place[k].code))();

    if (got == want) {
        return;
    }
    if (!(*fails)++) {
        ml_printf("FAIL: function %d, round %d, %s: returned %x, not %x\n",
                  k, r, when, got, want);
    }
}

int main(void)
{
    int nplaces = sizeof(place) / sizeof(place[0]);
    int fails = 0;

    for (int k = 0; k < nplaces; k++) {
        put_function(area + place[k].code, 0);
    }
    for (int r = 1; r <= ROUNDS; r++) {
        for (int k = 0; k < nplaces; k++) {
            code_u8 *data = area + place[k].data;

            for (int i = 0; i < DATA_STORES; i++) {
                data[i] = r + i;
            }
            check(k, r, "after storing data", (r - 1) << place[k].shift,
                  &fails);
            put_imm(area + place[k].code, r << place[k].shift,
                    place[k].shift);
            check(k, r, "after changing it", r << place[k].shift, &fails);
        }
    }
    if (fails) {
        ml_printf("FAIL: %d of %d calls\n", fails, 2 * ROUNDS * nplaces);
    }
    ml_printf("Test complete: %s\n", fails ? "FAILED" : "PASSED");
    return fails ? 1 : 0;
}
