#!/bin/sh
# Our QEMU changes as a patch series.
#
# qemu/series lists the patches in order; after a patch's name come the
# new files that the same commit adds, kept whole under qemu/overlay/ at
# their QEMU paths.
#
#   series.sh apply TREE     apply the series to an unpacked base tree
#   series.sh export GIT     rewrite qemu/ from the commits on top of the
#                            tag debian-base in git tree GIT
#   series.sh import GIT     make GIT a git tree: base + one commit each
#   series.sh format OUTDIR  git format-patch of the series, for upstream
set -eu
. "$(dirname "$0")/lib.sh"

Q=$TOP/qemu

series_lines() {
    sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$Q/series"
}

apply_series() { # tree
    series_lines | while read -r patch files; do
        if [ -f "$Q/patches/$patch" ]; then
            (cd "$1" && git apply -p1 --whitespace=nowarn "$Q/patches/$patch") ||
                die "patch $patch does not apply to the base tree"
        fi
        for f in $files; do
            mkdir -p "$1/$(dirname "$f")"
            cp "$Q/overlay/$f" "$1/$f"
        done
    done
}

export_series() { # git tree
    g=$1
    rm -rf "$Q/patches" "$Q/overlay"
    mkdir -p "$Q/patches" "$Q/overlay"
    printf '# Applied in order on top of Debian'"'"'s qemu source (see deps/sources.lock).\n# patch  new files the same commit adds (kept in qemu/overlay/)\n' \
        > "$Q/series"
    n=0
    for c in $(git -C "$g" rev-list --reverse debian-base..HEAD); do
        n=$((n + 1))
        name=$(git -C "$g" format-patch -1 --start-number "$n" \
            --filename-max-length=64 -o /dev/null "$c" 2>/dev/null |
            sed 's|.*/||')
        added=$(git -C "$g" diff-tree -r -C --find-copies-harder --name-status --no-commit-id \
            "$c" | awk '$1 == "A" { print $2 }')
        others=$(git -C "$g" diff-tree -r -C --find-copies-harder --name-status --no-commit-id \
            "$c" | awk '$1 != "A" { print $NF }')
        for f in $added; do
            mkdir -p "$Q/overlay/$(dirname "$f")"
            git -C "$g" show "$c:$f" > "$Q/overlay/$f"
        done
        if [ -n "$others" ]; then
            # Whole new files live in the overlay; the rest, forks of
            # existing files included ("copy from"), stays a patch.
            # shellcheck disable=SC2046
            git -C "$g" format-patch -1 -C --find-copies-harder \
                --no-signature --stdout --zero-commit "$c" -- . \
                $(for f in $added; do echo ":(exclude)$f"; done) \
                > "$Q/patches/$name"
        fi
        echo "$name" $added >> "$Q/series"
    done
    say "exported $n patches"
}

case ${1:-} in
apply) apply_series "${2:?tree}" ;;
export) export_series "${2:?git tree}" ;;
*) die "usage: $0 apply TREE | export GIT" ;;
esac
