/*
 * The benchmark's compiled guest program: a small, deterministic,
 * CPU-bound workload, plus a generator of the text that the shell
 * workloads (gzip, hashing, sort, awk) chew on.
 *
 *   cbench run N      run the kernels N rounds; print one checksum each
 *   cbench gen BYTES  write BYTES of pseudo-random text lines to stdout
 *
 * Built freestanding (no libc, raw Linux system calls) for x86_64 and
 * i386 from this one file, so that no 32-bit C library is needed on the
 * host and both builds print the same numbers: all arithmetic is on
 * fixed-width integers, nothing depends on the word size, and there is
 * no 64-bit division (which on i386 would need libgcc).
 */

#include <stdint.h>

typedef unsigned long ulong;

/* --- the few system calls we need -------------------------------------- */

#if defined(__x86_64__)
#define SYS_WRITE 1
#define SYS_EXIT 60
static long sys3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c)
                     : "rcx", "r11", "memory");
    return r;
}
/* The kernel starts us with argc at the stack pointer; keep the stack
 * 16-byte aligned for the C code, as the ABI wants. */
__asm__(".globl _start\n_start:\n"
        "  mov %rsp, %rdi\n  and $-16, %rsp\n  call cstart\n  hlt\n");
#elif defined(__i386__)
#define SYS_WRITE 4
#define SYS_EXIT 1
static long sys3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c)
                     : "memory");
    return r;
}
__asm__(".globl _start\n_start:\n"
        "  mov %esp, %eax\n  and $-16, %esp\n  sub $12, %esp\n"
        "  push %eax\n  call cstart\n  hlt\n");
#else
#error "x86_64 or i386 only"
#endif

static void sys_exit(int status)
{
    for (;;) {
        sys3(SYS_EXIT, status, 0, 0);
    }
}

/* gcc may emit calls to these for loops and struct copies even when
 * freestanding. */
void *memset(void *d, int c, ulong n)
{
    unsigned char *p = d;
    while (n--) {
        *p++ = (unsigned char)c;
    }
    return d;
}

void *memcpy(void *d, const void *s, ulong n)
{
    unsigned char *p = d;
    const unsigned char *q = s;
    while (n--) {
        *p++ = *q++;
    }
    return d;
}

/* --- buffered output ----------------------------------------------------- */

static char outbuf[65536];
static ulong outlen;
static uint32_t out_total; /* bytes put so far, for gen */

static void flush(void)
{
    ulong done = 0;
    while (done < outlen) {
        long r = sys3(SYS_WRITE, 1, (long)(outbuf + done), outlen - done);
        if (r <= 0) {
            sys_exit(1);
        }
        done += r;
    }
    outlen = 0;
}

static void put(const char *s, ulong n)
{
    while (n--) {
        if (outlen == sizeof(outbuf)) {
            flush();
        }
        outbuf[outlen++] = *s++;
        out_total++;
    }
}

static ulong slen(const char *s)
{
    ulong n = 0;
    while (s[n]) {
        n++;
    }
    return n;
}

static void puts_(const char *s)
{
    put(s, slen(s));
}

static void put_hex(uint64_t v, int digits)
{
    char b[16];
    for (int i = digits - 1; i >= 0; i--) {
        b[i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    }
    put(b, digits);
}

/* 32-bit division only: fine on both targets without libgcc. */
static void put_dec(uint32_t v)
{
    char b[10];
    int i = 10;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(b + i, 10 - i);
}

static uint32_t parse_u32(const char *s)
{
    uint32_t v = 0;
    while (*s >= '0' && *s <= '9') {
        v = v * 10 + (uint32_t)(*s++ - '0');
    }
    return v;
}

/* --- pseudo-random numbers ----------------------------------------------- */

static uint64_t rng_state;

/* splitmix64: 64-bit multiplies and shifts, which an i386 guest must
 * build out of 32-bit operations. */
static uint64_t rnd64(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t rnd32(void)
{
    return (uint32_t)(rnd64() >> 32);
}

/* --- the kernels ----------------------------------------------------------- */

#define SORT_N 60000
#define SIEVE_N 2000000
#define MAT_N 64
#define CRC_LEN 262144
#define HASH_SLOTS 16384

static uint32_t arr[SORT_N];
static unsigned char sieve[SIEVE_N];
static uint32_t ma[MAT_N][MAT_N], mb[MAT_N][MAT_N], mc[MAT_N][MAT_N];
static unsigned char crcbuf[CRC_LEN];
static uint32_t crctab[256];
static uint32_t hkeys[HASH_SLOTS], hvals[HASH_SLOTS];

/* Heap sort: data-dependent branches and memory traffic. */
static void sift(uint32_t *a, ulong i, ulong n)
{
    uint32_t v = a[i];
    for (;;) {
        ulong c = 2 * i + 1;
        if (c >= n) {
            break;
        }
        if (c + 1 < n && a[c + 1] > a[c]) {
            c++;
        }
        if (a[c] <= v) {
            break;
        }
        a[i] = a[c];
        i = c;
    }
    a[i] = v;
}

static uint64_t k_sort(void)
{
    for (ulong i = 0; i < SORT_N; i++) {
        arr[i] = rnd32();
    }
    for (ulong i = SORT_N / 2; i-- > 0;) {
        sift(arr, i, SORT_N);
    }
    for (ulong n = SORT_N; n-- > 1;) {
        uint32_t t = arr[0];
        arr[0] = arr[n];
        arr[n] = t;
        sift(arr, 0, n);
    }
    uint64_t h = 0;
    for (ulong i = 0; i < SORT_N; i++) {
        h = h * 31 + arr[i];
    }
    return h;
}

/* Sieve of Eratosthenes: byte stores in a tight loop. */
static uint64_t k_sieve(void)
{
    uint32_t count = 0;
    memset(sieve, 1, SIEVE_N);
    sieve[0] = sieve[1] = 0;
    for (uint32_t i = 2; i < SIEVE_N; i++) {
        if (sieve[i]) {
            count++;
            for (uint32_t j = i * 2; j < SIEVE_N; j += i) {
                sieve[j] = 0;
            }
        }
    }
    return count;
}

/* Integer matrix product: multiplies and strided loads. */
static uint64_t k_matrix(void)
{
    for (int i = 0; i < MAT_N; i++) {
        for (int j = 0; j < MAT_N; j++) {
            ma[i][j] = rnd32() & 0xffff;
            mb[i][j] = rnd32() & 0xffff;
        }
    }
    for (int i = 0; i < MAT_N; i++) {
        for (int j = 0; j < MAT_N; j++) {
            uint32_t s = 0;
            for (int k = 0; k < MAT_N; k++) {
                s += ma[i][k] * mb[k][j];
            }
            mc[i][j] = s;
        }
    }
    uint64_t h = 0;
    for (int i = 0; i < MAT_N; i++) {
        for (int j = 0; j < MAT_N; j++) {
            h = (h ^ mc[i][j]) * 0x100000001b3ull;
        }
    }
    return h;
}

/* CRC-32 with a table: byte loads, shifts and table look-ups. */
static uint64_t k_crc(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        }
        crctab[i] = c;
    }
    for (ulong i = 0; i < CRC_LEN; i += 4) {
        uint32_t r = rnd32();
        memcpy(crcbuf + i, &r, 4);
    }
    uint32_t crc = 0xffffffffu;
    for (int pass = 0; pass < 4; pass++) {
        for (ulong i = 0; i < CRC_LEN; i++) {
            crc = crctab[(crc ^ crcbuf[i]) & 0xff] ^ (crc >> 8);
        }
    }
    return crc ^ 0xffffffffu;
}

/* Open-addressing hash table: unpredictable loads and compares. */
static uint64_t k_hash(void)
{
    memset(hkeys, 0, sizeof(hkeys));
    memset(hvals, 0, sizeof(hvals));
    uint64_t h = 0;
    for (int i = 0; i < 200000; i++) {
        uint32_t key = (rnd32() & 0x7fff) | 1;
        uint32_t slot = (key * 2654435761u) & (HASH_SLOTS - 1);
        while (hkeys[slot] && hkeys[slot] != key) {
            slot = (slot + 1) & (HASH_SLOTS - 1);
        }
        hkeys[slot] = key;
        hvals[slot]++;
        h += hvals[slot] ^ slot;
    }
    return h;
}

static const struct {
    const char *name;
    uint64_t (*fn)(void);
} kernels[] = {
    { "sort", k_sort },
    { "sieve", k_sieve },
    { "matrix", k_matrix },
    { "crc32", k_crc },
    { "hash", k_hash },
};

#define NKERNELS (sizeof(kernels) / sizeof(kernels[0]))

static void run(uint32_t rounds)
{
    uint64_t sums[NKERNELS] = { 0 };
    rng_state = 42;
    for (uint32_t r = 0; r < rounds; r++) {
        for (ulong k = 0; k < NKERNELS; k++) {
            sums[k] = sums[k] * 0x100000001b3ull + kernels[k].fn();
        }
    }
    uint64_t all = 0;
    for (ulong k = 0; k < NKERNELS; k++) {
        puts_(kernels[k].name);
        puts_(" ");
        put_hex(sums[k], 16);
        puts_("\n");
        all ^= sums[k] + all * 3;
    }
    puts_("total ");
    put_hex(all, 16);
    puts_("\n");
}

/* --- text for the shell workloads ------------------------------------------ */

static const char *const words[] = {
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf",
    "hotel", "india", "juliet", "kilo", "lima", "mike", "november",
    "oscar", "papa", "quebec", "romeo", "sierra", "tango", "uniform",
    "victor", "whiskey", "xray", "yankee", "zulu", "qemu", "wasm",
    "tcg", "guest", "host", "block",
};

/* Lines of 3-8 fields: words, some numbers; compresses like text,
 * sorts with many distinct keys, and gives awk fields to count. */
static void gen(uint32_t bytes)
{
    rng_state = 7;
    while (out_total < bytes) {
        uint32_t r = rnd32();
        int fields = 3 + (int)(r % 6);
        for (int f = 0; f < fields; f++) {
            uint32_t x = rnd32();
            if (f) {
                put(" ", 1);
            }
            if ((x & 3) == 0) {
                put_dec(x >> 12);
            } else {
                puts_(words[(x >> 2) & 31]);
            }
        }
        put("\n", 1);
    }
}

void cstart(long *sp)
{
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    if (argc == 3 && argv[1][0] == 'r') {
        run(parse_u32(argv[2]));
    } else if (argc == 3 && argv[1][0] == 'g') {
        gen(parse_u32(argv[2]));
    } else {
        puts_("usage: cbench run ROUNDS | cbench gen BYTES\n");
        flush();
        sys_exit(2);
    }
    flush();
    sys_exit(0);
}
