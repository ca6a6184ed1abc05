#!/bin/sh
# Download a Debian trixie source package's files into the cache and
# check them against deps/sources.lock.
#
#   fetch-source.sh PACKAGE     prints the cache folder holding its files
#
# For qemu, trixie's current version is looked up first: when it has
# moved past the recorded point release, this says so, and the newer
# version is used if the recorded one is gone from the mirror (apt checks
# it against the signed index; our patches must still apply).
set -eu
. "$(dirname "$0")/lib.sh"

pkg=${1:?usage: fetch-source.sh PACKAGE}
LOCK=$TOP/deps/sources.lock
SRC=$CACHE/sources
APTDIR=$CACHE/apt
mkdir -p "$SRC"

apt_private() {
    "$@" -o Dir::State::Lists="$APTDIR/lists" -o Dir::Cache="$APTDIR/cache" \
        -o Dir::Etc::SourceList="$APTDIR/sources.list" \
        -o Dir::Etc::SourceParts=/nonexistent -o Debug::NoLocking=1 \
        -o APT::Sandbox::User="$(id -un)"
}

# A private apt setup with trixie's deb-src lines: needs no root and
# leaves the host's apt configuration alone.
apt_update() {
    [ -n "$(find "$APTDIR/lists" -name '*Sources*' -mmin -720 2>/dev/null)" ] &&
        return 0
    mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
    kr=/usr/share/keyrings/debian-archive-keyring.gpg
    cat > "$APTDIR/sources.list" <<EOT
deb-src [signed-by=$kr] $DEBIAN_MIRROR trixie main
deb-src [signed-by=$kr] ${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security} trixie-security main
EOT
    apt_private apt-get -q update > "$APTDIR/update.log" 2>&1
    # apt-get update succeeds even when nothing could be fetched.
    [ -n "$(find "$APTDIR/lists" -name '*Sources*' 2>/dev/null)" ]
}

current_version() {
    apt_private apt-cache showsrc "$1" 2>/dev/null |
        sed -n 's/^Version: //p' | sort -V | tail -n1
}

pool_url() {
    case $1 in
    lib?*) p=$(echo "$1" | cut -c1-4) ;;
    *) p=$(echo "$1" | cut -c1) ;;
    esac
    echo "$DEBIAN_MIRROR/pool/main/$p/$1/$2"
}

fetch_file() { # file sha256
    f=$SRC/$1
    if [ -f "$f" ] && echo "$2  $f" | sha256sum -c --status; then
        return 0
    fi
    url=$(pool_url "$pkg" "$1")
    say "downloading $1"
    # A progress bar for people; errors are ours to report, in one line.
    if [ -t 2 ]; then progress=--progress-bar; else progress=--silent; fi
    curl -fL $progress --connect-timeout 20 --retry 2 -o "$f.part" "$url" ||
        {
            rc=$?
            rm -f "$f.part"
            # 22: the mirror answered with an HTTP error, as for a file
            # Debian has dropped; anything else is the network.
            [ $rc = 22 ] && return 1
            die "cannot download $url (curl exit $rc: is the mirror reachable?)"
        }
    echo "$2  $f.part" | sha256sum -c --status ||
        die "$1: sha256 mismatch (expected $2); refusing to use it"
    mv "$f.part" "$f"
}

recorded=$(awk -v p="$pkg" '$1 == p { print $2; exit }' "$LOCK")
[ -n "$recorded" ] || die "$pkg is not listed in $LOCK"

ok=1
for line in $(awk -v p="$pkg" '$1 == p { print $3 "=" $4 }' "$LOCK"); do
    fetch_file "${line%%=*}" "${line#*=}" || { ok=0; break; }
done
if [ $ok = 1 ]; then
    if [ "$pkg" = qemu ] && apt_update 2>/dev/null; then
        cur=$(current_version qemu)
        [ -n "$cur" ] && [ "$cur" != "$recorded" ] &&
            say "note: trixie now has qemu $cur; building the recorded" \
                "$recorded (update deps/sources.lock to move)"
    fi
    echo "$SRC"
    exit 0
fi

# The recorded version is gone from the mirror: Debian keeps only the
# newest point release.
apt_update ||
    die "cannot read Debian trixie's source index (see $APTDIR/update.log)"
cur=$(current_version "$pkg")
[ -n "$cur" ] || die "$pkg: recorded $recorded is gone and trixie has none"
case $pkg:$cur in
qemu:*:10.0.*) ;;
qemu:*) die "trixie's qemu is now $cur, not 10.0.x; the patches target 10.0" ;;
esac
say "warning: $pkg $recorded is gone from the mirror; trixie now has $cur:" \
    "using it (checked by apt against the signed index, not by our hash)"
dir=$SRC/$pkg-$cur
mkdir -p "$dir"
(cd "$dir" && apt_private apt-get -q source --download-only "$pkg=$cur") \
    > "$dir/fetch.log" 2>&1 || die "cannot download $pkg $cur (see $dir/fetch.log)"
echo "$dir"
