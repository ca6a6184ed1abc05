#!/bin/sh
# Build the demo guest (kernel, initramfs, firmware) from Debian bookworm
# binary packages, into $OUT/guest.
#
#   guest.sh [amd64|i386]...    build the guest for these architectures
#                               (default amd64)
#   guest.sh extra-cpio OUT.cpio.gz SRC:/guest/path[:MODE]...
#                               make a small gzip'd newc archive holding
#                               these files; `cat initramfs.cpio.gz
#                               OUT.cpio.gz > combined.cpio.gz` gives an
#                               initrd where Linux unpacks them on top of
#                               the base (parent folders are made; MODE
#                               is octal, default 0755 if SRC is
#                               executable, else 0644)
#
# Outputs (amd64 at the top, i386 in a subfolder; firmware is shared):
#   $OUT/guest/bzImage, initramfs.cpio.gz, cmdline, VERSIONS, kernel.config
#   $OUT/guest/vmlinux  the same kernel uncompressed, which QEMU boots
#                       (PVH) without the slow unpacking; amd64 only
#   $OUT/guest/modules/ the kernel's virtio PCI and virtio-blk modules, in
#                       the order to insmod them (modules.order), for
#                       tests that give the guest a disk
#   $OUT/guest/i386/    the same for i386 (linux-image-686)
#   $OUT/guest/firmware/  for `qemu-system-x86_64 -L $OUT/guest/firmware`
#
# The initramfs's /init is guest/init in the repository: a root shell on
# the console; leaving it, or `poweroff -f`, powers the VM off. Executable
# files under /etc/rc.d/ in the guest run (in name order) before the shell,
# so a test can add a script with extra-cpio to run unattended.
#
# The .debs come from a private apt configuration (no root, the host's
# apt setup untouched) and are cached in $CACHE/debs; the outputs are
# rebuilt only when this script, guest/init or a package version changes.
set -eu
. "$(dirname "$0")/lib.sh"

GUEST=$OUT/guest
DEBS=$CACHE/debs
APTDIR=$CACHE/apt-bookworm
INIT=$TOP/guest/init
# Firmware for QEMU's x86 machines. qemu-system-data's /usr/share/qemu
# mostly holds links into seabios and ipxe-qemu (the efi-*.rom NIC roms
# that a machine with a NIC loads), so all three are needed.
FIRMWARE_PKGS="seabios qemu-system-data ipxe-qemu"
# What qemu-system-x86_64 10.0's pc machine loads with -kernel (checked
# with strace); missing ones are an error.
FIRMWARE_NEEDED="bios-256k.bin vgabios-stdvga.bin kvmvapic.bin
linuxboot_dma.bin linuxboot.bin pvh.bin efi-e1000.rom"
# The recommended kernel command line. Measured with QEMU's TCG in a
# slow-CPU model (-icount shift=5,sleep=off: ~31 MIPS, deterministic),
# booting vmlinux: 48.3 s of guest time to the prompt with only
# console=ttyS0 panic=-1, 19.8 s with all of these.
#   console=ttyS0       the shell and messages on the first serial port
#   cryptomgr.notests   skip the crypto self-tests: 28.6 of those 48.3 s
#   quiet loglevel=3    only errors on the console: each byte written to
#                       an emulated UART is a trap, and the shell's
#                       console stays clean
#   mitigations=off     TCG does not speculate, so Spectre workarounds
#                       (retpolines, RSB filling) can only cost time
#   no_timer_check      skip the IO-APIC timer test, which can misfire
#                       when the emulator runs slowly
#   tsc=reliable        keep the TSC clocksource; its watchdog can judge
#                       it unstable under slow emulation and fall back to
#                       the HPET, whose every read is an MMIO trap
#   nowatchdog          no soft-lockup/NMI watchdog: a slow emulator
#                       makes it cry wolf
#   rcupdate.rcu_cpu_stall_suppress=1   same for RCU stall warnings
#   hpet=disable        Linux makes the HPET its tick broadcast device
#                       (/sys/devices/system/clockevents/broadcast), and
#                       its timer woke QEMU's main loop 250 times a
#                       second even with the guest idle; the wasm32
#                       build pays a call to the JS main thread for each
#   panic=-1            reboot at once on a panic; with -no-reboot QEMU
#                       then exits instead of hanging
# Apart from cryptomgr.notests none changed that count measurably
# (hpet=disable came later, and was timed only in real boots): they are
# there for robustness, a clean console and an idle guest that stays
# idle.
CMDLINE="console=ttyS0 cryptomgr.notests quiet loglevel=3 mitigations=off\
 no_timer_check tsc=reliable nowatchdog rcupdate.rcu_cpu_stall_suppress=1\
 hpet=disable panic=-1"

# The host may switch apt's binary cache off (Docker images do), which
# makes each apt-cache call re-read the whole index: ours keeps one.
apt_private() {
    "$@" -o Dir::State::Lists="$APTDIR/lists" -o Dir::Cache="$APTDIR/cache" \
        -o Dir::Cache::pkgcache=pkgcache.bin \
        -o Dir::Cache::srcpkgcache=srcpkgcache.bin \
        -o Dir::State::status="$APTDIR/status" \
        -o Dir::Etc::SourceList="$APTDIR/sources.list" \
        -o Dir::Etc::SourceParts=/nonexistent \
        -o Dir::Etc::Preferences=/nonexistent \
        -o Dir::Etc::PreferencesParts=/nonexistent \
        -o APT::Architecture=amd64 -o APT::Architectures::=amd64 \
        -o APT::Architectures::=i386 \
        -o Debug::NoLocking=1 -o APT::Sandbox::User="$(id -un)"
}

# A private apt setup for bookworm's binary packages: needs no root,
# leaves the host's apt configuration alone, and an empty dpkg status
# file makes apt consider nothing installed. An index read within 12
# hours is reused.
apt_sources() { # architectures for bookworm-security, comma-separated
    kr=/usr/share/keyrings/debian-archive-keyring.gpg
    sec=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
    echo "deb [signed-by=$kr] $DEBIAN_MIRROR bookworm main"
    echo "deb [signed-by=$kr] $DEBIAN_MIRROR bookworm-updates main"
    [ -z "$1" ] ||
        echo "deb [arch=$1 signed-by=$kr] $sec bookworm-security main"
}

apt_update() {
    mkdir -p "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
    : > "$APTDIR/status"
    if [ -n "$(find "$APTDIR" -maxdepth 1 -name updated -mmin -720)" ] &&
        [ "$(cat "$APTDIR/updated")" = "$DEBIAN_MIRROR" ]; then
        return 0
    fi
    say "reading Debian bookworm's package index"
    # apt drops a whole suite when one of its index files fails. That
    # happens while a mirror syncs, so try again; and a mirror has been
    # seen serving a bad i386 index of bookworm-security for days, so
    # then do without that one (the i386 guest then comes from the
    # point release), then without bookworm-security at all.
    for secarch in amd64,i386 amd64,i386 amd64 ''; do
        apt_sources "$secarch" > "$APTDIR/sources.list"
        if apt_private apt-get -q update > "$APTDIR/update.log" 2>&1; then
            case $secarch in
            amd64,i386) ;;
            '') say "warning: bookworm-security unreadable; not using it" ;;
            *) say "warning: bookworm-security unreadable for some" \
                "architectures; using it for $secarch only" ;;
            esac
            echo "$DEBIAN_MIRROR" > "$APTDIR/updated"
            return 0
        fi
        [ -z "$secarch" ] || sleep 5
    done
    [ -n "$(find "$APTDIR/lists" -name '*_Packages*')" ] ||
        die "cannot read Debian bookworm's index (see $APTDIR/update.log)"
    say "warning: cannot refresh bookworm's index (see" \
        "$APTDIR/update.log); using the old one"
}

# Candidate version of PKG (may carry an :arch suffix). policy reads
# only apt's binary cache, so it is quick; show would unpack the index.
pkg_version() {
    v=$(apt_private apt-cache policy "$1" 2>/dev/null |
        sed -n 's/^ *Candidate: //p' | head -n1)
    case $v in
    '' | '(none)') die "bookworm has no package $1" ;;
    esac
    echo "$v"
}

# The real kernel package a linux-image-FLAVOUR metapackage depends on
# (in the candidate version).
kernel_pkg() { # metapackage[:arch]
    k=$(apt_private apt-cache depends "$1" 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-[0-9][^: ]*\).*/\1/p' |
        head -n1)
    [ -n "$k" ] || die "cannot tell which kernel $1 depends on"
    echo "$k"
}

# Download PKG:ARCH=VERSION into $DEBS unless it is there; prints its path.
# apt checks the file against the signed index while downloading.
fetch_deb() { # pkg arch version
    mkdir -p "$DEBS"
    spec=$1:$2=$3
    [ "$2" != all ] || spec=$1=$3 # apt names arch: all packages bare
    f=$(apt_private apt-get download --print-uris "$spec" 2>/dev/null |
        awk 'NR == 1 { print $2 }')
    [ -n "$f" ] || die "cannot locate $1:$2 $3 on the mirror"
    if [ ! -s "$DEBS/$f" ]; then
        say "downloading $f"
        (cd "$DEBS" && apt_private apt-get -q download "$spec") \
            > "$DEBS/download.log" 2>&1 ||
            die "cannot download $1:$2 $3 (see $DEBS/download.log)"
    fi
    echo "$DEBS/$f"
}

# Delete older versions of the named debs (kernel debs are 50-70 MB and
# change name with each ABI bump); other files in $DEBS are left alone.
prune_debs() { # kept-deb-path pattern...
    keep=$1
    shift
    for pat; do
        for f in "$DEBS"/$pat; do
            [ "$f" = "$keep" ] || rm -f "$f"
        done
    done
}

# --- a small newc cpio writer ---------------------------------------------
# Written in sh so that it needs no cpio on the host and can make device
# nodes and root-owned files without root. Entries go to stdout; every
# file gets uid/gid 0 and mtime 0, so archives are reproducible.

CPIO_INO=720

# One newc header plus the name, padded to a multiple of 4 bytes.
cpio_header() { # name mode size nlink rdevmajor rdevminor
    CPIO_INO=$((CPIO_INO + 1))
    n=$((${#1} + 1))
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
        $CPIO_INO "$2" 0 0 "$4" 0 "$3" 0 0 "$5" "$6" $n 0
    printf '%s\000' "$1"
    cpio_pad $(((110 + n) % 4))
}

cpio_pad() { # bytes-past-alignment
    case $1 in
    1) printf '\000\000\000' ;;
    2) printf '\000\000' ;;
    3) printf '\000' ;;
    esac
}

cpio_dir() { # path mode
    cpio_header "${1#/}" $((0040000 | 0$2)) 0 2 0 0
}

cpio_file() { # path source mode
    s=$(($(wc -c < "$2")))
    cpio_header "${1#/}" $((0100000 | 0$3)) $s 1 0 0
    cat "$2"
    cpio_pad $((s % 4))
}

cpio_slink() { # path target
    cpio_header "${1#/}" $((0120777)) ${#2} 1 0 0
    printf '%s' "$2"
    cpio_pad $((${#2} % 4))
}

cpio_cnod() { # path mode major minor
    cpio_header "${1#/}" $((0020000 | 0$2)) 0 1 "$3" "$4"
}

cpio_trailer() {
    cpio_header 'TRAILER!!!' 0 0 1 0 0
}

# Folders leading to a path, outermost first ("/a/b/c" gives /a, /a/b).
parents() {
    rest=${1#/}
    acc=
    while :; do
        case $rest in */*) ;; *) return 0 ;; esac
        acc=$acc/${rest%%/*}
        rest=${rest#*/}
        echo "$acc"
    done
}

# guest.sh extra-cpio OUT SRC:/path[:MODE]...
extra_cpio() {
    [ $# -ge 2 ] || die "usage: guest.sh extra-cpio OUT.cpio.gz SRC:/guest/path[:MODE]..."
    out=$1
    shift
    for spec; do
        case $spec in
        *:/*) ;;
        *) die "extra-cpio: '$spec' is not SRC:/guest/path[:MODE]" ;;
        esac
        src=${spec%%:/*}
        [ -f "$src" ] || die "extra-cpio: no file $src"
    done
    oldifs=$IFS
    set -f
    {
        seen=' '
        for spec; do
            src=${spec%%:/*}
            dst=/${spec#*:/}
            mode=
            case $dst in
            *:[0-7]*) mode=${dst##*:}; dst=${dst%:*} ;;
            esac
            [ -n "$mode" ] || { [ -x "$src" ] && mode=755 || mode=644; }
            # One folder a line: guest paths may hold blanks.
            IFS='
'
            for d in $(parents "$dst"); do
                case $seen in *" $d "*) continue ;; esac
                seen="$seen$d "
                cpio_dir "$d" 755
            done
            IFS=$oldifs
            cpio_file "$dst" "$src" "$mode"
        done
        cpio_trailer
    } | gzip -9n > "$out.tmp"
    mv "$out.tmp" "$out"
}

# --- the guest -------------------------------------------------------------

# The firmware folder for -L: what QEMU's x86 machines may load. Debian's
# QEMU finds these through its firmware path (/usr/share/qemu,
# /usr/share/seabios, /usr/lib/ipxe/qemu); ours through -L, so they are
# gathered in one folder, links resolved inside the unpacked tree. Other
# targets' blobs in qemu-system-data (slof.bin, opensbi, ...) and the
# old pxe-*.rom are left out.
build_firmware() {
    fw=$GUEST/firmware
    vers=
    for p in $FIRMWARE_PKGS; do
        v=$(pkg_version "$p")
        vers="$vers$p $v all
"
    done
    want=$(printf '%s' "$vers" | cat "$0" - | recipe_hash)
    if [ -f "$fw/.stamp" ] && [ "$(cat "$fw/.stamp")" = "$want" ]; then
        say "firmware is up to date"
        return 0
    fi
    tmp=$CACHE/work/guest-firmware
    rm -rf "$tmp" "$fw"
    mkdir -p "$tmp" "$fw"
    for p in $FIRMWARE_PKGS; do
        v=$(printf '%s' "$vers" | awk -v p="$p" '$1 == p { print $2 }')
        deb=$(fetch_deb "$p" all "$v")
        prune_debs "$deb" "${p}_*_all.deb"
        dpkg-deb -x "$deb" "$tmp"
    done
    q=$tmp/usr/share/qemu
    for f in "$tmp"/usr/share/seabios/*.bin "$q"/kvmvapic.bin \
        "$q"/linuxboot*.bin "$q"/multiboot*.bin "$q"/pvh.bin "$q"/qboot.rom \
        "$q"/bios-microvm.bin "$tmp"/usr/lib/ipxe/qemu/efi-*.rom; do
        [ -e "$f" ] || [ -L "$f" ] || continue
        b=${f##*/}
        [ -e "$fw/$b" ] && continue
        # Follow links by hand: absolute targets are inside $tmp.
        r=$f
        while [ -L "$r" ]; do
            t=$(readlink "$r")
            case $t in
            /*) r=$tmp$t ;;
            *) r=${r%/*}/$t ;;
            esac
        done
        [ -f "$r" ] && cp "$r" "$fw/$b"
    done
    for b in $FIRMWARE_NEEDED; do
        [ -f "$fw/$b" ] || die "firmware: $b is missing from $FIRMWARE_PKGS"
    done
    rm -rf "$tmp"
    printf '%s' "$vers" > "$fw/VERSIONS"
    echo "$want" > "$fw/.stamp"
}

# The bzImage's kernel is xz-compressed, and unpacking it is the largest
# part of a boot under TCG (4 of 7 s natively). QEMU can also start a
# kernel built with CONFIG_PVH (amd64's, not 686's) straight from its
# uncompressed ELF: -kernel vmlinux, with pvh.bin. It is 8 times larger
# but compresses well for transfer. Found like the kernel's
# scripts/extract-vmlinux does: try each xz magic until one unpacks.
extract_vmlinux() { # bzImage out
    command -v xz >/dev/null 2>&1 || {
        say "warning: no xz (xz-utils), so no vmlinux"; return 0; }
    for off in $(LC_ALL=C grep -aob "$(printf '\3757zXZ')" "$1" |
        cut -d: -f1); do
        if tail -c +$((off + 1)) "$1" |
            xz -dc --single-stream > "$2.tmp" 2>/dev/null &&
            [ "$(head -c 4 "$2.tmp" | tr -d '\177')" = ELF ]; then
            mv "$2.tmp" "$2"
            return 0
        fi
    done
    rm -f "$2.tmp"
    say "warning: no xz-compressed ELF in $1, so no vmlinux"
}

# The unsigned little-endian integer of $3 bytes at offset $2 of file $1.
le_get() {
    od -An --endian=little -t u"$3" -j "$2" -N "$3" "$1" | tr -d ' '
}

# Overwrite it with $4.
le_put() {
    v=$4 i=0 s=
    while [ $i -lt "$3" ]; do
        s="$s$(printf '\\%03o' $((v & 255)))"
        v=$((v >> 8)) i=$((i + 1))
    done
    # shellcheck disable=SC2059
    printf "$s" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# amd64's vmlinux ends in .bss, .brk and .init.scratch, 24 of its 66 MB:
# zeros, written out only because .init.scratch has contents (zeros too)
# and comes last.  QEMU maps the whole file (under Emscripten that means
# reading it; in the browser the file also sits in memory), and at each
# reset copies a segment's file bytes into guest RAM and zero-fills the
# rest of its memory size.  So the zeros leave the file but stay in the
# last segment's memory size; what lies behind them in no segment (the
# section headers; Debian's kernel has no symbols there) goes too, as
# booting reads none of it.  If a segment has anything but zeros past
# the cut, the file is left as it is.
trim_vmlinux() { # elf
    f=$1
    # ELFCLASS64, ELFDATA2LSB
    [ "$(le_get "$f" 4 1) $(le_get "$f" 5 1)" = "2 1" ] || return 0
    phoff=$(le_get "$f" 32 8) phsize=$(le_get "$f" 54 2)
    phnum=$(le_get "$f" 56 2) shoff=$(le_get "$f" 40 8)
    shsize=$(le_get "$f" 58 2) shnum=$(le_get "$f" 60 2)
    # The PT_LOAD whose file bytes end last, and where the others' end.
    last= start=0 end=0 others=0 i=0
    while [ $i -lt "$phnum" ]; do
        o=$((phoff + i * phsize))
        off=$(le_get "$f" $((o + 8)) 8)
        e=$((off + $(le_get "$f" $((o + 32)) 8)))
        if [ "$(le_get "$f" "$o" 4)" = 1 ] && [ $e -gt $end ]; then
            [ $end -le $others ] || others=$end
            last=$o start=$off end=$e
        elif [ $e -gt $others ]; then
            others=$e
        fi
        i=$((i + 1))
    done
    [ -n "$last" ] || return 0
    # Cut where its first SHT_NOBITS section (.bss) starts.
    cut=$end i=0
    while [ $i -lt "$shnum" ]; do
        o=$((shoff + i * shsize))
        off=$(le_get "$f" $((o + 24)) 8)
        if [ "$(le_get "$f" $((o + 4)) 4)" = 8 ] &&
            [ $off -gt $start ] && [ $off -lt $cut ]; then
            cut=$off
        fi
        i=$((i + 1))
    done
    # Nothing but zeros from there, and no other segment's bytes.
    [ $cut -lt $end ] && [ $others -le $cut ] || return 0
    cmp -s -n $((end - cut)) -i "$cut:0" "$f" /dev/zero || return 0
    le_put "$f" $((last + 32)) 8 $((cut - start))      # p_filesz
    le_put "$f" 40 8 0                                  # e_shoff
    le_put "$f" 60 4 0                                  # e_shnum, e_shstrndx
    truncate -s "$cut" "$f"
    say "vmlinux: $(((end - cut) / 1000000)) MB of zeros left to the loader"
}

build_arch() { # amd64|i386
    arch=$1
    case $arch in
    amd64) meta=linux-image-amd64; dir=$GUEST ;;
    i386) meta=linux-image-686; dir=$GUEST/i386 ;;
    *) die "unknown architecture $arch (amd64 or i386)" ;;
    esac
    # One look-up per assignment, so that set -e sees each failure.
    kpkg=$(kernel_pkg "$meta:$arch")
    metav=$(pkg_version "$meta:$arch")
    kver=$(pkg_version "$kpkg:$arch")
    bbver=$(pkg_version "busybox-static:$arch")
    vers="$meta $metav $arch
$kpkg $kver $arch
busybox-static $bbver $arch
"
    want=$(printf '%s' "$vers" | cat "$0" "$INIT" - | recipe_hash)
    if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$want" ] &&
        [ -s "$dir/bzImage" ] && [ -s "$dir/initramfs.cpio.gz" ]; then
        say "$arch guest is up to date"
        return 0
    fi
    stage_begin "guest-$arch"
    tmp=$CACHE/work/guest-$arch
    rm -rf "$tmp"
    mkdir -p "$tmp/kernel" "$tmp/busybox" "$dir"
    rm -f "$dir/.stamp"

    # The kernel and its config: serial, devtmpfs, initramfs and ACPI
    # power-off are built in.  Of the modules, only those a virtio disk
    # needs, kept beside the initramfs rather than in it.
    deb=$(fetch_deb "$kpkg" "$arch" "$kver")
    prune_debs "$deb" "linux-image-[0-9]*-${meta#linux-image-}_*_$arch.deb"
    dpkg-deb --fsys-tarfile "$deb" |
        tar -x -C "$tmp/kernel" --wildcards './boot/vmlinuz-*' './boot/config-*' \
            "./lib/modules/*/kernel/drivers/virtio/virtio*.ko" \
            "./lib/modules/*/kernel/drivers/block/virtio_blk.ko"
    cp "$tmp"/kernel/boot/vmlinuz-* "$dir/bzImage"
    cp "$tmp"/kernel/boot/config-* "$dir/kernel.config"
    rm -rf "$dir/modules"
    mkdir -p "$dir/modules"
    : > "$dir/modules/modules.order"
    for m in virtio/virtio_ring virtio/virtio virtio/virtio_pci_legacy_dev \
        virtio/virtio_pci_modern_dev virtio/virtio_pci block/virtio_blk; do
        ko=$(find "$tmp/kernel/lib/modules" -path "*/drivers/$m.ko")
        [ -n "$ko" ] || die "$kpkg:$arch has no $m.ko"
        cp "$ko" "$dir/modules/"
        echo "${m#*/}.ko" >> "$dir/modules/modules.order"
    done
    rm -f "$dir/vmlinux"
    if grep -q '^CONFIG_PVH=y' "$dir/kernel.config"; then
        extract_vmlinux "$dir/bzImage" "$dir/vmlinux"
        [ ! -f "$dir/vmlinux" ] || trim_vmlinux "$dir/vmlinux"
    fi

    deb=$(fetch_deb busybox-static "$arch" "$bbver")
    prune_debs "$deb" "busybox-static_*_$arch.deb"
    dpkg-deb -x "$deb" "$tmp/busybox"
    bb=$tmp/busybox/bin/busybox
    [ -f "$bb" ] || bb=$tmp/busybox/usr/bin/busybox
    [ -f "$bb" ] || die "busybox-static:$arch has no busybox binary"

    # /dev/console must exist before /init runs, or init gets no console;
    # the applet links are made by /init itself (busybox --install).
    {
        for d in /bin /dev /etc /etc/rc.d /proc /root /sbin /sys /tmp \
            /usr /usr/bin /usr/sbin; do
            cpio_dir $d 755
        done
        cpio_cnod /dev/console 600 5 1
        cpio_cnod /dev/null 666 1 3
        cpio_file /bin/busybox "$bb" 755
        cpio_slink /bin/sh busybox
        cpio_file /init "$INIT" 755
        cpio_trailer
    } | gzip -9n > "$dir/initramfs.cpio.gz"

    echo "$CMDLINE" > "$dir/cmdline"
    printf '%s' "$vers" > "$dir/VERSIONS"
    rm -rf "$tmp"
    echo "$want" > "$dir/.stamp"
    stage_end
}

case ${1:-} in
extra-cpio)
    shift
    extra_cpio "$@"
    exit 0
    ;;
-h | --help)
    sed -n '2,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//'
    exit 0
    ;;
esac

[ -f "$INIT" ] || die "missing $INIT"
command -v dpkg-deb >/dev/null 2>&1 || die "dpkg-deb is needed (Debian's dpkg)"
apt_update
build_firmware
[ $# -gt 0 ] || set -- amd64
for arch; do
    build_arch "$arch"
done
