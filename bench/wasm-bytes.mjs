// Encoding WebAssembly modules by hand, for the benchmarks that measure
// V8 apart from QEMU (code-footprint.mjs, module-hops.mjs,
// throw-cost.mjs) and the tests' probe of an engine's tail calls
// (tests/wasm-modules.test.mjs): LEB128s, sections, vectors and names,
// as the binary format defines them.

// The module's magic number and version.
export const HEADER = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0];

export const uleb = (n) => {
  const b = [];
  do {
    let x = n & 0x7f;
    n >>>= 7;
    if (n) x |= 0x80;
    b.push(x);
  } while (n);
  return b;
};

// Signed, as i32.const and i64.const take their operand.
export const sleb = (n) => {
  const b = [];
  for (;;) {
    const x = n & 0x7f;
    n >>= 7;
    if ((n === 0 && !(x & 0x40)) || (n === -1 && (x & 0x40))) {
      b.push(x);
      return b;
    }
    b.push(x | 0x80);
  }
};

export const section = (id, body) => [id, ...uleb(body.length), ...body];
export const vector = (items) => [...uleb(items.length), ...items.flat()];
export const name = (s) => [...uleb(s.length), ...Buffer.from(s)];
