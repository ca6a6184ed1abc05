#!/bin/sh
# Our QEMU changes as a patch series.
#
# qemu/series lists the patches in order; after a patch's name come the
# new files that the same commit adds, kept whole under qemu/overlay/ at
# their QEMU paths.  A commit that only adds files has a patch all the
# same, with its message and no diff.
#
#   series.sh apply TREE     apply the series to an unpacked base tree
#   series.sh export GIT     rewrite qemu/ from the commits on top of the
#                            tag debian-base in git tree GIT
#   series.sh import BASE GIT  make GIT a git tree: BASE + one commit each
#   series.sh format OUTDIR  git format-patch of the series, for upstream
set -eu
. "$(dirname "$0")/lib.sh"

Q=$TOP/qemu

series_lines() {
    sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$Q/series"
}

# Whether a patch changes files (a message-only one does not).
has_diff() { # patch
    [ -f "$1" ] && grep -q '^diff --git ' "$1"
}

# Commit nothing, with the message and author of a message-only patch.
commit_message() { # git-dir patch
    info=$(git -C "$1" mailinfo "$1.msg" /dev/null < "$2")
    field() { printf '%s\n' "$info" | sed -n "s/^$1: //p"; }
    { field Subject; echo; cat "$1.msg"; } > "$1.msg2"
    git -C "$1" -c user.name=base -c user.email=base@localhost \
        commit -q --allow-empty --author="$(field Author) <$(field Email)>" \
        --date="$(field Date)" -F "$1.msg2"
    rm -f "$1.msg" "$1.msg2"
}

apply_series() { # tree
    series_lines | while read -r patch files; do
        if has_diff "$Q/patches/$patch"; then
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
        else
            # Only new files: the message, up to the diffstat.
            git -C "$g" format-patch -1 --no-signature --stdout \
                --zero-commit "$c" | sed '/^---$/q' > "$Q/patches/$name"
        fi
        echo "$name" $added >> "$Q/series"
    done
    say "exported $n patches"
}

# A git tree of the base with one commit per patch, new files included.
# Only the files the series touches are copied from the base: that is all
# git format-patch needs, and the whole tree would take minutes.
import_series() { # base-tree git-dir
    rm -rf "$2"
    mkdir -p "$2"
    for f in $(sed -n 's|^diff --git a/\([^ ]*\) .*|\1|p' "$Q"/patches/*.patch |
               sort -u); do
        [ -f "$1/$f" ] || continue
        mkdir -p "$2/$(dirname "$f")"
        cp -p "$1/$f" "$2/$f"
    done
    git -C "$2" init -q
    git -C "$2" add -A
    git -C "$2" -c user.name=base -c user.email=base@localhost \
        commit -q -m "Debian's qemu $(cat "$1/VERSION") (files the series touches)"
    git -C "$2" tag debian-base
    series_lines > "$2.series"
    while read -r patch files; do
        if has_diff "$Q/patches/$patch"; then
            git -C "$2" am -q --keep-cr "$Q/patches/$patch" ||
                die "patch $patch does not apply"
        elif [ -f "$Q/patches/$patch" ]; then
            commit_message "$2" "$Q/patches/$patch"
        fi
        for f in $files; do
            mkdir -p "$2/$(dirname "$f")"
            cp "$Q/overlay/$f" "$2/$f"
            git -C "$2" add "$f"
        done
        [ -z "$files" ] || git -C "$2" commit -q --amend --no-edit
    done < "$2.series"
    rm -f "$2.series"
}

format_series() { # outdir
    base=$("$TOP/scripts/qemu.sh" base)
    g=$CACHE/work/qemu-series
    import_series "$base" "$g"
    rm -rf "$1"
    mkdir -p "$1"
    out=$(cd "$1" && pwd)
    git -C "$g" format-patch -q -C --find-copies-harder --cover-letter \
        -o "$out" debian-base..HEAD
    say "wrote $(ls "$out" | wc -l) files to $out"
}

case ${1:-} in
apply) apply_series "${2:?tree}" ;;
export) export_series "${2:?git tree}" ;;
import) import_series "${2:?base tree}" "${3:?git dir}" ;;
format) format_series "${2:?output folder}" ;;
*) die "usage: $0 apply TREE | export GIT | import BASE GIT | format OUTDIR" ;;
esac
