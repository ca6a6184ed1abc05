// The benchmark's guest workloads: shell commands run on the guest's
// console, each printing something that must be identical on every
// emulator (a checksum, a count), and sized to take a few seconds on
// native QEMU TCG.  `quick` sizes are for developing the benchmark.

// The text the shell workloads read: made in the guest by cbench (see
// cbench.c) before any timing starts, so the initrd stays small.
export const DATA = '/root/data.txt';

// Sizes: full and quick.  The times are native QEMU TCG's on the 2-core
// machine this was written on (x86_64 guest; i386 is up to 1.5x that).
// A workload that reads less than all the text takes its first bytes
// (`head -c`); the cut may split a line, the same way everywhere.
const SIZES = {
  full: {
    data: 6 << 20,     // bytes of text
    shell: 50000,      // loop iterations                (native ~3 s)
    gzip: 6 << 20,     // bytes compressed, decompressed (native ~3 s)
    hashRounds: 12,    // sha256 + md5 of all the text   (native ~3 s)
    sort: 3 << 20,     // bytes of lines sorted          (native ~3 s)
    awk: 1 << 20,      // bytes of lines counted         (native ~3 s)
    cbench: 45,        // rounds of all kernels          (native ~3 s)
    exec: 250,         // programs started               (native ~3 s)
  },
  quick: {
    data: 1 << 20,
    shell: 5000,
    gzip: 1 << 20,
    hashRounds: 2,
    sort: 512 << 10,
    awk: 128 << 10,
    cbench: 4,
    exec: 50,
  },
};

function bytesText(bytes) {
  return bytes >= 1 << 20 ? `${bytes / (1 << 20)} MiB` : `${bytes >> 10} KiB`;
}

// `seq` is busybox's; a `for r in $(seq N)` loop repeats a step.
function repeat(n, body) {
  return n === 1 ? body : `for r in $(seq ${n}); do ${body}; done | sort -u`;
}

// Every workload: a name, whether it counts as CPU-bound (the geometric
// means), and its command.  Boot is timed by the runner itself.
export function workloads(size = 'full') {
  const s = SIZES[size];
  return [
    {
      name: 'shell', cpu: true,
      what: `ash arithmetic loop, ${s.shell} rounds`,
      cmd: `i=0; s=0; while [ $i -lt ${s.shell} ]; do` +
        ` s=$(( (s * 31 + i) & 0xffffff )); i=$((i + 1)); done; echo $s`,
    },
    {
      // The gzip header holds no name or time when compressing stdin;
      // skipping its 10 bytes anyway keeps the check on the deflate
      // stream alone.
      name: 'gzip', cpu: true,
      what: `gzip -6 and gunzip of ${bytesText(s.gzip)} of text`,
      cmd: `head -c ${s.gzip} ${DATA} | gzip -c > /tmp/d.gz &&` +
        ` tail -c +11 /tmp/d.gz | md5sum && gzip -dc /tmp/d.gz | md5sum`,
    },
    {
      name: 'hash', cpu: true,
      what: `sha256sum + md5sum of ${bytesText(s.data)} of text, ${s.hashRounds} times`,
      cmd: repeat(s.hashRounds, `sha256sum < ${DATA} && md5sum < ${DATA}`),
    },
    {
      name: 'sort', cpu: true,
      what: `sort of ${bytesText(s.sort)} of text lines`,
      cmd: `head -c ${s.sort} ${DATA} | sort | md5sum`,
    },
    {
      name: 'awk', cpu: true,
      what: `awk counting the words of ${bytesText(s.awk)} of text`,
      cmd: `head -c ${s.awk} ${DATA} | awk '{ for (i = 1; i <= NF; i++)` +
        ` { n[$i]++; t += length($i) } } END { for (k in n) u++;` +
        ` print NR, u, t }'`,
    },
    {
      name: 'cbench', cpu: true,
      what: `compiled C (sort, sieve, matrix, crc32, hash), ${s.cbench} rounds`,
      cmd: `cbench run ${s.cbench}`,
    },
    {
      // Starting programs: fork, exec of busybox, exit, wait.  Most of
      // the time goes to the guest kernel, whose code is a wide working
      // set run a little at a time, unlike the loops above; so it is
      // reported but kept out of the geometric means.
      name: 'exec', cpu: false,
      what: `fork and exec of /bin/true, ${s.exec} times`,
      cmd: `i=0; while [ $i -lt ${s.exec} ]; do /bin/true; i=$((i + 1));` +
        ' done; echo $i',
    },
  ];
}

// Untimed: what the workloads need in place.
export function setupCommand(size = 'full') {
  return `cbench gen ${SIZES[size].data} > ${DATA} && wc -c < ${DATA}`;
}

export function sizes(size = 'full') {
  return SIZES[size];
}
