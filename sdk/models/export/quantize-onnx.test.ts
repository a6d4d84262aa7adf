/**
 * The weight quantizers behind the ONNX q8/q4 variants: every value comes back within half a step of its
 * row's or block's scale, zero rows stay zero, and the 4-bit layout is MatMulNBits' (the even element of a pair
 * in the low nibble, a zero-padded last block, the default zero point 8).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Q4_BLOCK, quantizeBlocksQ4, quantizeRowsInt8 } from "./quantize-onnx";

function random(n: number, seed = 1): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s / 2 ** 31 - 0.5) * 2;
  });
}

test("int8 rows: dequantized values within half a step, one scale per row, zero rows exact", () => {
  const [N, K] = [3, 40];
  const w = random(N * K);
  w.fill(0, K, 2 * K); // the middle row is zero
  const { q, scales } = quantizeRowsInt8(w, N);
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const err = Math.abs(q[n * K + k] * scales[n] - w[n * K + k]);
      assert.ok(err <= scales[n] / 2 + 1e-7, `row ${n} col ${k}: ${err}`);
    }
  }
  assert.ok(q.subarray(K, 2 * K).every((v) => v === 0));
  assert.equal(Math.max(...Array.from(q.subarray(0, K), Math.abs)), 127, "the row maximum maps to ±127");
});

test("4-bit blocks: MatMulNBits layout, padded last block, values within half a step", () => {
  const [N, K] = [2, Q4_BLOCK + 10]; // the second block of each row is padded
  const w = random(N * K, 7);
  const { packed, scales, blocks } = quantizeBlocksQ4(w, N);
  assert.equal(blocks, 2);
  assert.equal(packed.length, N * blocks * (Q4_BLOCK / 2));
  const nibble = (n: number, b: number, j: number) => {
    const byte = packed[(n * blocks + b) * (Q4_BLOCK / 2) + (j >> 1)];
    return (j & 1) === 0 ? byte & 15 : byte >> 4;
  };
  for (let n = 0; n < N; n++) {
    for (let k = 0; k < K; k++) {
      const b = Math.floor(k / Q4_BLOCK);
      const scale = scales[n * blocks + b];
      const err = Math.abs((nibble(n, b, k % Q4_BLOCK) - 8) * scale - w[n * K + k]);
      assert.ok(err <= scale / 2 + 1e-7, `row ${n} col ${k}: ${err}`);
    }
    for (let j = K - Q4_BLOCK; j < Q4_BLOCK; j++)
      assert.equal(nibble(n, 1, j), 8, "padding dequantizes to 0");
  }
});
