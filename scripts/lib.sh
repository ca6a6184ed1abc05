# Shared helpers for the build scripts; sourced, not run.
# shellcheck shell=sh

TOP=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${QEMU_WASM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/qemu-wasm}
OUT=${QEMU_WASM_OUT:-$TOP/build}
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

say() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }
die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# Hash of files and strings, used to key cached artefacts on their recipe.
recipe_hash() {
    cat "$@" | sha256sum | cut -c1-16
}

# Print elapsed wall time of a stage, for the build log and closing notes.
stage_begin() { STAGE_NAME=$1; STAGE_T0=$(date +%s); say "== $1"; }
stage_end() {
    t=$(( $(date +%s) - STAGE_T0 ))
    say "== $STAGE_NAME done in ${t}s"
    mkdir -p "$OUT"
    printf '%s\t%s\n' "$STAGE_NAME" "$t" >> "$OUT/timings.tsv"
}
