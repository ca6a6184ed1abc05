#!/bin/sh
# Build QEMU's own guest-side TCG tests for x86_64 with the host's gcc,
# from the unpatched base tree (they are never copied into the
# repository), into $OUT/tcg-tests:
#
#   system/NAME   bare-metal kernels: tests/tcg/x86_64/system/boot.S, the
#                 minilib and each tests/tcg/multiarch/system/*.c, and
#                 the series' own tests/tcg/x86_64/system/*.c (from
#                 qemu/overlay), built as tests/tcg/x86_64/
#                 Makefile.softmmu-target does; run with -kernel, output
#                 on isa-debugcon
#   system/LIST   their names
#   user/NAME     static Linux programs built as tests/tcg/x86_64/
#                 Makefile.target does (test-x86_64 is test-i386.c),
#                 and the series' own tests/tcg/x86_64/*.c
#   user/NAME.ref the tree's reference output, where it has one
#   user/LIST     their names, in the order the guest runs them
#
# CC picks another compiler (it must emit x86_64). Without gcc or a
# static libc, and as root, gcc and libc6-dev are installed with apt.
# The outputs are rebuilt when this script, the series' tests or the base
# tree change.
set -eu
. "$(dirname "$0")/lib.sh"

CC=${CC:-gcc}
DEST=$OUT/tcg-tests
LOG=$OUT/logs/tcg-tests.log

# Flags from tests/tcg/Makefile.target (user mode) and from
# tests/tcg/minilib/Makefile.target plus the x86_64 Makefile.softmmu-target.
UFLAGS="-Wall -Werror -O0 -g -fno-strict-aliasing"

# User-mode tests: name, then the compiler arguments (sources relative to
# tests/tcg), per the rules in tests/tcg/{multiarch,i386,x86_64}/
# Makefile.target. Left out: vsyscall (prints the time), sha1 (much
# slower than sha512 under an interpreter for the same coverage), the
# test-avx/mmx/3dnow family (generated headers; 3DNow! is not on every
# host) and the threaded multiarch ones that test linux-user itself.
user_tests() {
    cc_user test-x86_64 $UFLAGS i386/test-i386.c -lm -lc
    cc_user sha512 $UFLAGS multiarch/sha512.c
    cc_user sha512-sse -msse4.1 -O3 multiarch/sha512.c
    for t in float_convs float_convd float_madds; do
        cc_user $t $UFLAGS multiarch/$t.c multiarch/libs/float_helpers.c -lm
    done
    for t in test-2413 noexec cmpxchg segment-prefixes test-1648 test-2175 \
        fma; do
        cc_user $t $UFLAGS x86_64/$t.c
    done
    cc_user adox -O2 x86_64/adox.c
    cc_user cross-modifying-code $UFLAGS -pthread x86_64/cross-modifying-code.c
    cc_user test-i386-adcox -O2 i386/test-i386-adcox.c
    cc_user test-i386-bmi2 -O2 -fwrapv i386/test-i386-bmi2.c
    for src in "$X64_USER"/*.c; do
        [ -f "$src" ] || continue
        cc_user "$(basename "$src" .c)" $UFLAGS "$src"
    done
}

cc_user() { # name args...
    name=$1
    shift
    run $CC "$@" -o "$DEST/user.tmp/$name" -static
    echo "$name" >> "$DEST/user.tmp/LIST"
    # Upstream diffs float_conv* against these on x86_64 hosts and guests.
    if [ -f "x86_64/$name.ref" ]; then
        cp "x86_64/$name.ref" "$DEST/user.tmp/$name.ref"
    fi
}

system_tests() {
    d=$DEST/system.tmp
    sflags="-ffreestanding -fno-stack-protector -nostdlib -ggdb -O0
        -isystem $PWD/minilib"
    run $CC $sflags -Wa,--noexecstack -c x86_64/system/boot.S -o "$d/boot.o"
    run $CC $sflags -c minilib/printf.c -o "$d/printf.o"
    for src in multiarch/system/*.c "$X64_SYSTEM"/*.c; do
        name=$(basename "$src" .c)
        extra=
        [ "$name" != memory ] || extra=-DCHECK_UNALIGNED=1
        run $CC $sflags $extra "$src" -o "$d/$name" \
            -Wl,-T"$PWD/x86_64/system/kernel.ld" -Wl,-melf_x86_64 \
            -static -nostdlib "$d/boot.o" "$d/printf.o" -lgcc
        echo "$name" >> "$d/LIST"
    done
}

# Compiler output goes to the log; on failure its tail goes to stderr.
run() {
    echo "+ $*" >> "$LOG"
    "$@" >> "$LOG" 2>&1 || {
        tail -n 20 "$LOG" >&2
        die "failed: $* (see $LOG)"
    }
}

# gcc and a static libc (libc6-dev's libc.a) are all the tests need.
have_compiler() {
    command -v "$CC" >/dev/null 2>&1 || return 1
    printf 'int main(void) { return 0; }\n' > "$DEST/cc-check.c"
    "$CC" -static "$DEST/cc-check.c" -o "$DEST/cc-check" >/dev/null 2>&1
}

ensure_compiler() {
    mkdir -p "$DEST"
    have_compiler && return 0
    [ "$CC" = gcc ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null ||
        die "need $CC that links static x86_64 programs (Debian: gcc libc6-dev)"
    say "installing gcc and libc6-dev"
    { apt-get update -q && apt-get install -y -q gcc libc6-dev; } \
        > "$OUT/logs/tcg-tests-apt.log" 2>&1 ||
        die "cannot install gcc libc6-dev (see $OUT/logs/tcg-tests-apt.log)"
    have_compiler || die "$CC still cannot link a static program"
}

mkdir -p "$OUT/logs"
BASE=$("$TOP/scripts/qemu.sh" base)
[ -d "$BASE/tests/tcg" ] || die "no tests/tcg in the base tree $BASE"
# The series' own x86_64 tests, new files kept in qemu/overlay.
X64_USER=$TOP/qemu/overlay/tests/tcg/x86_64
X64_SYSTEM=$X64_USER/system
want=$( (cat "$0" "$X64_USER"/*.c "$X64_SYSTEM"/*.[ch]; echo "$BASE"
         "${CC}" --version 2>/dev/null | head -n1) |
    recipe_hash)
if [ -f "$DEST/.stamp" ] && [ "$(cat "$DEST/.stamp")" = "$want" ]; then
    say "QEMU's TCG tests are up to date in $DEST"
    exit 0
fi
ensure_compiler
say "building QEMU's x86_64 TCG tests from $BASE/tests/tcg"
: > "$LOG"
rm -rf "$DEST/user.tmp" "$DEST/system.tmp" "$DEST/.stamp"
mkdir -p "$DEST/user.tmp" "$DEST/system.tmp"
cd "$BASE/tests/tcg"
system_tests
user_tests
rm -rf "$DEST/user" "$DEST/system" "$DEST"/cc-check*
mv "$DEST/user.tmp" "$DEST/user"
mv "$DEST/system.tmp" "$DEST/system"
echo "$want" > "$DEST/.stamp"
say "built $(wc -l < "$DEST/system/LIST") system and" \
    "$(wc -l < "$DEST/user/LIST") user-mode tests"
