import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultMnistDir, loadMnist } from '../../train/data/mnist.ts';

describe('MNIST loader', () => {
  it('reads the real training and test digits, scaled to [-1, 1]', () => {
    for (const [split, count] of [
      ['train', 60_000],
      ['test', 10_000],
    ] as const) {
      const d = loadMnist(split);
      expect(d.count).toBe(count);
      expect(d.images.length).toBe(count * 784);
      let min = Infinity;
      let max = -Infinity;
      for (const v of d.images) {
        if (v < min) min = v;
        if (v > max) max = v;
      }
      expect(min).toBe(-1);
      expect(max).toBe(1);
      const hist = new Array(10).fill(0);
      for (const l of d.labels) hist[l]++;
      // Every digit is well represented (MNIST has 5-7k of each in train, ~1k in test).
      for (const h of hist) expect(h).toBeGreaterThan(count / 15);
    }
  });

  describe('corrupted copies give one clear error naming the file and the problem', () => {
    let dir: string;
    const src = defaultMnistDir();
    const files = [
      'train-images-idx3-ubyte',
      'train-labels-idx1-ubyte',
      't10k-images-idx3-ubyte',
      't10k-labels-idx1-ubyte',
    ];
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'mnist-'));
      for (const f of files) copyFileSync(join(src, f), join(dir, f));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const mutate = (file: string, fn: (b: Buffer) => Buffer) => {
      const p = join(dir, file);
      writeFileSync(p, fn(readFileSync(p)));
    };

    it('the pristine copy loads', () => {
      expect(loadMnist('test', dir).count).toBe(10_000);
    });
    it('truncated images', () => {
      mutate('t10k-images-idx3-ubyte', (b) => b.subarray(0, b.length - 100));
      expect(() => loadMnist('test', dir)).toThrow(
        't10k-images-idx3-ubyte: truncated: 7839916 bytes, expected 7840016',
      );
    });
    it('truncated header', () => {
      mutate('t10k-labels-idx1-ubyte', (b) => b.subarray(0, 5));
      expect(() => loadMnist('test', dir)).toThrow('t10k-labels-idx1-ubyte: truncated header');
    });
    it('wrong magic (labels file where images belong)', () => {
      copyFileSync(join(src, 't10k-labels-idx1-ubyte'), join(dir, 't10k-images-idx3-ubyte'));
      expect(() => loadMnist('test', dir)).toThrow(
        't10k-images-idx3-ubyte: bad magic number 0x00000801, expected 0x00000803',
      );
    });
    it('trailing bytes', () => {
      mutate('train-labels-idx1-ubyte', (b) => Buffer.concat([b, Buffer.from([1, 2, 3])]));
      expect(() => loadMnist('train', dir)).toThrow('train-labels-idx1-ubyte: has trailing bytes');
    });
    it('wrong image size', () => {
      mutate('t10k-images-idx3-ubyte', (b) => {
        const c = Buffer.from(b);
        c.writeUInt32BE(27, 8);
        c.writeUInt32BE(Math.floor((b.length - 16) / 10000 / 27), 12);
        return c.subarray(0, 16 + 10000 * 27 * c.readUInt32BE(12));
      });
      expect(() => loadMnist('test', dir)).toThrow(
        /t10k-images-idx3-ubyte: images are 27x\d+, expected 28x28/,
      );
    });
    it('label count does not match image count', () => {
      mutate('t10k-labels-idx1-ubyte', (b) => {
        const c = Buffer.from(b.subarray(0, 8 + 9999));
        c.writeUInt32BE(9999, 4);
        return c;
      });
      expect(() => loadMnist('test', dir)).toThrow(
        't10k-labels-idx1-ubyte: holds 9999 labels but the images file holds 10000',
      );
    });
    it('a label that is not a digit', () => {
      mutate('t10k-labels-idx1-ubyte', (b) => {
        const c = Buffer.from(b);
        c[8 + 42] = 11;
        return c;
      });
      expect(() => loadMnist('test', dir)).toThrow(
        't10k-labels-idx1-ubyte: label 11 at index 42 is not a digit 0-9',
      );
    });
    it('missing file', () => {
      rmSync(join(dir, 't10k-labels-idx1-ubyte'));
      expect(() => loadMnist('test', dir)).toThrow('t10k-labels-idx1-ubyte: cannot be read (ENOENT)');
    });
  });
});
