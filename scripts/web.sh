#!/bin/sh
# The browser page: its npm packages, the static site and Chromium for
# its test.
#
#   web.sh deps        npm ci in web/ when node_modules is missing or older
#                      than web/package-lock.json
#   web.sh chromium    install Debian's chromium when /usr/bin/chromium is
#                      missing (the browser test drives it)
#   web.sh site        deps, then assemble $OUT/site: the page (web/),
#                      xterm.js, QEMU's .js/.wasm, firmware and the guests,
#                      with gzip'd copies of what compresses
#   web.sh serve [serve.mjs options]    serve $OUT/site (web/serve.mjs)
set -eu
. "$(dirname "$0")/lib.sh"

WEB=$TOP/web
SITE=$OUT/site
# What the pc machine loads with -kernel and no NIC (see FIRMWARE_NEEDED
# in guest.sh; efi-e1000.rom is only for the default NIC).  The same list
# is qemu-vm.mjs's default.
FIRMWARE="bios-256k.bin vgabios-stdvga.bin kvmvapic.bin linuxboot_dma.bin
linuxboot.bin pvh.bin"
PAGE="index.html style.css app.mjs qemu-vm.mjs embed.html"

# True if file $1 was modified after $2 (or $2 is missing).  POSIX test
# has no -nt; find's -newer is POSIX.
newer() {
    [ ! -e "$2" ] || [ -n "$(find "$1" -prune -newer "$2")" ]
}

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# apt-get install, updating the package lists first if they are stale or
# missing (fresh container images ship none).
apt_install() {
    set -- install -y --no-install-recommends "$@"
    apt "$@" > /dev/null 2>&1 || { apt update > /dev/null && apt "$@" > /dev/null; }
}

apt() {
    as_root env DEBIAN_FRONTEND=noninteractive apt-get "$@"
}

deps() {
    if ! command -v npm > /dev/null; then
        say "installing npm (Debian package)"
        apt_install npm || die "could not install npm with apt-get"
    fi
    stamp=$WEB/node_modules/.package-lock.json
    if ! newer "$WEB/package-lock.json" "$stamp"; then
        return 0
    fi
    say "installing the page's npm packages (npm ci in web/)"
    (cd "$WEB" && npm ci --no-audit --no-fund --loglevel=error) ||
        die "npm ci failed in $WEB"
}

chromium() {
    [ -x /usr/bin/chromium ] && return 0
    say "installing Debian's chromium for the browser test"
    apt_install chromium fonts-dejavu-core ||
        die "could not install chromium with apt-get"
}

# Copy when the source is newer than the copy (or there is none).
put() { # SRC DST
    [ -f "$1" ] || die "missing $1: run 'make build' first"
    mkdir -p "$(dirname "$2")"
    if newer "$1" "$2"; then
        cp "$1" "$2.tmp" && mv "$2.tmp" "$2"
    fi
}

# A gzip'd copy next to each file it shrinks by a tenth or more, for
# servers that send precompressed files (serve.mjs, nginx gzip_static).
precompress() {
    find "$SITE" -type f ! -name '*.gz' ! -name '*.tmp' | while read -r f; do
        newer "$f" "$f.gz" || continue
        rm -f "$f.gz"
        gzip -9 -n -c "$f" > "$f.gz.tmp"
        if [ $(( $(wc -c < "$f.gz.tmp") * 10 )) -le $(( $(wc -c < "$f") * 9 )) ]; then
            mv "$f.gz.tmp" "$f.gz"
        else
            rm -f "$f.gz.tmp"
        fi
    done
}

json_string() {
    printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"
}

size() { wc -c < "$1" | tr -d ' '; }

# guests/NAME.json: the config qemu-vm.mjs takes, URLs relative to it.
guest_json() { # NAME SRC-DIR KERNEL-FILE
    name=$1 src=$2 kernel=$3
    dir=$SITE/guests/$name
    put "$src/$kernel" "$dir/$kernel"
    put "$src/initramfs.cpio.gz" "$dir/initramfs.cpio.gz"
    title="$(head -n 1 "$src/VERSIONS" | cut -d' ' -f1,2), busybox shell"
    fw="" sizes=""
    for f in $FIRMWARE; do
        fw="$fw${fw:+, }\"../firmware/$f\""
        sizes="$sizes,
    \"../firmware/$f\": $(size "$SITE/firmware/$f")"
    done
    wasm=qemu/qemu-system-x86_64.wasm
    cat > "$SITE/guests/$name.json.tmp" <<EOF
{
  "name": "$name",
  "title": $(json_string "$title"),
  "target": "x86_64",
  "memory": "256M",
  "kernel": "$name/$kernel",
  "initrd": "$name/initramfs.cpio.gz",
  "append": $(json_string "$(cat "$src/cmdline")"),
  "firmware": [$fw],
  "sizes": {
    "../$wasm": $(size "$SITE/$wasm"),
    "$name/$kernel": $(size "$dir/$kernel"),
    "$name/initramfs.cpio.gz": $(size "$dir/initramfs.cpio.gz")$sizes
  }
}
EOF
    mv "$SITE/guests/$name.json.tmp" "$SITE/guests/$name.json"
    printf '%s' "{ \"name\": \"$name\", \"title\": $(json_string "$title") }"
}

site() {
    deps
    G=$OUT/guest
    [ -f "$G/cmdline" ] || die "no guest in $G: run 'make build' first"
    mkdir -p "$SITE"
    for f in $PAGE; do put "$WEB/$f" "$SITE/$f"; done
    X=$WEB/node_modules/@xterm
    put "$X/xterm/lib/xterm.mjs" "$SITE/xterm/xterm.mjs"
    put "$X/xterm/css/xterm.css" "$SITE/xterm/xterm.css"
    put "$X/addon-fit/lib/addon-fit.mjs" "$SITE/xterm/addon-fit.mjs"
    for f in qemu-system-x86_64.js qemu-system-x86_64.wasm; do
        put "$OUT/qemu/$f" "$SITE/qemu/$f"
    done
    for f in $FIRMWARE; do put "$G/firmware/$f" "$SITE/firmware/$f"; done

    # The uncompressed kernel boots (PVH) without the slow unpacking under
    # emulation, and gzip brings it to about the bzImage's size.
    kernel=bzImage
    [ -f "$G/vmlinux" ] && kernel=vmlinux
    list=$(guest_json x86_64 "$G" $kernel)
    if [ -f "$G/i386/cmdline" ]; then
        list="$list,
  $(guest_json i386 "$G/i386" bzImage)"
    fi
    printf '[\n  %s\n]\n' "$list" > "$SITE/guests/index.json"
    precompress
    say "site in $SITE ($(du -sh "$SITE" | cut -f1)); 'make serve' serves it"
}

case ${1:-} in
deps) deps ;;
chromium) chromium ;;
site) site ;;
serve) shift; exec node "$WEB/serve.mjs" --root "$SITE" "$@" ;;
*) die "usage: web.sh deps|chromium|site|serve [options]" ;;
esac
