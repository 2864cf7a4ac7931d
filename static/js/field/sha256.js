// SHA-256 of a photo, computed on the phone and checked again by the server (the evidence's fingerprint).
// crypto.subtle exists only in secure contexts (https and localhost); a page served over plain http on the
// team's own network gets the small implementation below.

export function hex(buffer) {
  return Array.prototype.map.call(new Uint8Array(buffer), (x) => (x + 0x100).toString(16).slice(1)).join("");
}

export function sha256(blob) {
  return blob.arrayBuffer().then((data) => {
    if (window.crypto && crypto.subtle) return crypto.subtle.digest("SHA-256", data).then(hex);
    return sha256Fallback(new Uint8Array(data));
  });
}

// FIPS 180-4 on a byte array; the hex digest. The constants are the fractional parts of the square and cube
// roots of the first primes, computed rather than typed in.
export function sha256Fallback(bytes) {
  let K = [], H = [], i, j, primes = 0, n = 2;
  const frac = (x) => ((x - Math.floor(x)) * 4294967296) | 0;
  while (primes < 64) {
    for (j = 2; j * j <= n; j++) if (n % j === 0) break;
    if (j * j > n) { if (primes < 8) H[primes] = frac(Math.pow(n, 1 / 2)); K[primes++] = frac(Math.pow(n, 1 / 3)); }
    n++;
  }
  const length = bytes.length, words = new Int32Array(((length + 8) >> 6) * 16 + 16);
  for (i = 0; i < length; i++) words[i >> 2] |= bytes[i] << (24 - (i % 4) * 8);
  words[length >> 2] |= 0x80 << (24 - (length % 4) * 8);
  words[words.length - 1] = length * 8;
  const w = new Int32Array(64);
  for (i = 0; i < words.length; i += 16) {
    let a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
    for (j = 0; j < 64; j++) {
      if (j < 16) w[j] = words[i + j];
      else {
        const s0 = ((w[j - 15] >>> 7) | (w[j - 15] << 25)) ^ ((w[j - 15] >>> 18) | (w[j - 15] << 14)) ^ (w[j - 15] >>> 3);
        const s1 = ((w[j - 2] >>> 17) | (w[j - 2] << 15)) ^ ((w[j - 2] >>> 19) | (w[j - 2] << 13)) ^ (w[j - 2] >>> 10);
        w[j] = (w[j - 16] + s0 + w[j - 7] + s1) | 0;
      }
      const t1 = (h + (((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7))) + ((e & f) ^ (~e & g)) + K[j] + w[j]) | 0;
      const t2 = ((((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10))) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    H = [H[0] + a, H[1] + b, H[2] + c, H[3] + d, H[4] + e, H[5] + f, H[6] + g, H[7] + h].map((x) => x | 0);
  }
  return H.map((x) => ((x >>> 0) + 0x100000000).toString(16).slice(1)).join("");
}
