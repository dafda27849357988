// Kernels the project adds beyond the conv/matmul/BN set: wasm UnsortedSegmentSum (the Embedding
// gradient) and the corrected cpu ResizeNearestNeighborGrad.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers'; // registers tfjs-core's gradients
import { describe, expect, it } from 'vitest';
import { registerCpuFixes, selectBackend } from '../../train/backend.ts';

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
};

describe('cpu ResizeNearestNeighborGrad (fixed)', () => {
  it('is the adjoint of the forward resize for batch > 1, every mode', async () => {
    await tf.setBackend('cpu');
    await registerCpuFixes();
    const cases: [[number, number, number, number], [number, number], boolean, boolean][] = [
      [[3, 7, 7, 5], [14, 14], false, false],
      [[2, 5, 6, 3], [11, 13], false, false],
      [[2, 5, 6, 3], [11, 13], true, false],
      [[2, 5, 6, 3], [9, 4], false, true],
    ];
    for (const [shape, size, alignCorners, halfPixel] of cases) {
      const x = tf.randomNormal(shape, 0, 1, 'float32', 1) as tf.Tensor4D;
      const dy = tf.randomNormal([shape[0], ...size, shape[3]], 0, 1, 'float32', 2);
      const f = (a: tf.Tensor) =>
        tf.sum(tf.mul(tf.image.resizeNearestNeighbor(a as tf.Tensor4D, size, alignCorners, halfPixel), dy));
      // <dy, R x> = <Rᵀ dy, x> for the linear resize R, and Rᵀ dy is the gradient.
      const g = tf.grad(f)(x);
      const lhs = f(x).dataSync()[0];
      const rhs = tf.sum(tf.mul(g, x)).dataSync()[0];
      expect(Math.abs(lhs - rhs)).toBeLessThan(1e-3 * Math.max(1, Math.abs(lhs)));
      // And the integer-factor case is a plain block sum.
      if (size[0] === 2 * shape[1] && !alignCorners && !halfPixel) {
        const [b, h, w, c] = shape;
        const block = tf.sum(tf.reshape(dy, [b, h, 2, w, 2, c]), [2, 4]);
        expect(maxAbs(g.dataSync(), block.dataSync())).toBeLessThan(1e-5);
      }
    }
  });
});

describe('wasm UnsortedSegmentSum', () => {
  const compute = () => {
    const x = tf.randomNormal([9, 3, 2], 0, 1, 'float32', 3);
    const ids = tf.tensor1d([4, 0, 4, 2, -1, 0, 3, 4, 1], 'int32');
    const seg = tf.unsortedSegmentSum(x, ids, 6).dataSync().slice();
    const table = tf.randomNormal([10, 16], 0, 1, 'float32', 4);
    const idx = tf.tensor1d([3, 3, 9, 0, 7], 'int32');
    const w = tf.randomNormal([5, 16], 0, 1, 'float32', 5);
    const embGrad = tf
      .grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, idx), w)))(table)
      .dataSync()
      .slice();
    return { seg, embGrad };
  };
  it('matches cpu, drops out-of-range ids, and gives the Embedding gradient', async () => {
    await tf.setBackend('cpu');
    const cpu = compute();
    await selectBackend('wasm', false, () => {});
    const wasm = compute();
    expect(maxAbs(wasm.seg, cpu.seg)).toBeLessThan(1e-5);
    expect(maxAbs(wasm.embGrad, cpu.embGrad)).toBeLessThan(1e-5);
    // Row 3 of the table was gathered twice, row 5 never.
    expect(wasm.embGrad.slice(5 * 16, 6 * 16).every((v) => v === 0)).toBe(true);
    expect(wasm.embGrad.slice(3 * 16, 4 * 16).some((v) => v !== 0)).toBe(true);
  });
});

describe('wasm ResizeNearestNeighborGrad (block-sum fast path)', () => {
  it('equals the block sum for integer factors, batch > 1, and the stock kernel elsewhere', async () => {
    await selectBackend('wasm', false, () => {});
    const grad = (x: tf.Tensor4D, size: [number, number], alignCorners = false) => {
      const dy = tf.randomNormal([x.shape[0], ...size, x.shape[3]], 0, 1, 'float32', 7);
      const g = tf.grad((a: tf.Tensor) =>
        tf.sum(tf.mul(tf.image.resizeNearestNeighbor(a as tf.Tensor4D, size, alignCorners), dy)),
      )(x);
      return { g, dy };
    };
    for (const [shape, f] of [
      [
        [3, 7, 5, 4],
        [2, 2],
      ],
      [
        [2, 4, 6, 3],
        [3, 2],
      ],
      [
        [1, 14, 14, 32],
        [2, 2],
      ],
    ] as [[number, number, number, number], [number, number]][]) {
      const x = tf.randomNormal(shape, 0, 1, 'float32', 8) as tf.Tensor4D;
      const [b, h, w, c] = shape;
      const { g, dy } = grad(x, [h * f[0], w * f[1]]);
      const block = tf.sum(tf.reshape(dy, [b, h, f[0], w, f[1], c]), [2, 4]);
      expect(maxAbs(g.dataSync(), block.dataSync())).toBeLessThan(1e-5);
    }
    // alignCorners is not a block sum: handed to wasm's own kernel, which is the adjoint of its forward.
    const x = tf.randomNormal([2, 5, 6, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
    const { g, dy } = grad(x, [10, 12], true);
    const lhs = tf.sum(tf.mul(tf.image.resizeNearestNeighbor(x, [10, 12], true), dy)).dataSync()[0];
    const rhs = tf.sum(tf.mul(g, x)).dataSync()[0];
    expect(Math.abs(lhs - rhs)).toBeLessThan(1e-3 * Math.max(1, Math.abs(lhs)));
  });
});

describe('resource hygiene', () => {
  it('UnsortedSegmentSum and the block-sum ResizeNearestNeighborGrad free every intermediate on wasm', async () => {
    await selectBackend('wasm', false, () => {});
    const x = tf.randomNormal([6, 4]);
    const ids = tf.tensor1d([0, 2, 2, 1, 0, 3], 'int32');
    const img = tf.randomNormal([2, 3, 3, 2]);
    const dy = tf.randomNormal([2, 6, 6, 2]);
    const before = tf.engine().backend.numDataIds();
    tf.dispose(tf.unsortedSegmentSum(x, ids, 4));
    tf.dispose(
      tf.engine().runKernel('ResizeNearestNeighborGrad', { images: img, dy }, { alignCorners: false }),
    );
    expect(tf.engine().backend.numDataIds()).toBe(before);
    tf.dispose([x, ids, img, dy]);
  });
});
