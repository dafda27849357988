// Scores digits: every metric, in both shipped classifiers' feature spaces, on given images and the
// classes they were asked to be. evaluateGenerator (evaluate.ts) is generateDigits followed by this;
// rejection sampling (model/drs/) scores the digits it accepted with it.

import type { Metrics } from '../../contract/index.ts';
import { loadMnist, PIXELS } from '../../train/data/mnist.ts';
import {
  accuracy,
  type Classified,
  classify,
  loadShippedClassifier,
  shippedClassifierName,
} from '../classifier/classify.ts';
import type { Arch } from '../classifier/model.ts';
import { frechetDistance, gaussianFit } from './frechet.ts';
import { precisionRecall } from './precision-recall.ts';
import { classAccuracy, classKL, inceptionScore, perClassAccuracy } from './scores.ts';

export interface Report {
  model: string;
  preset: string;
  metrics: Metrics;
  /** The same scores for the real test digits (what a perfect generator would get). */
  reference: {
    inceptionScore: number;
    classAccuracy: number;
    classKL: number;
    precision: number;
    recall: number;
    /** Real digits' precision and recall in the second space (absent in reports made before it). */
    second?: { precision: number; recall: number };
  };
  seconds: number;
}

/** Digits to score: n × 784 values in [-1, 1], and for conditional models the class asked of each. */
export interface Digits {
  images: Float32Array;
  requested: Int32Array | null;
}

/** FID, its floor and precision/recall of generated and of real (training) digits in one feature space. */
function featureSpaceScores({
  fake,
  test,
  train,
}: {
  fake: Classified;
  test: Classified;
  train: Classified;
}) {
  const testFit = gaussianFit(test.features, test.dim);
  const pr = precisionRecall(test.features, fake.features, test.dim);
  const real = precisionRecall(test.features, train.features, test.dim);
  return {
    fid: frechetDistance(gaussianFit(fake.features, fake.dim), testFit),
    fidFloor: frechetDistance(gaussianFit(train.features, train.dim), testFit),
    precision: pr.precision,
    recall: pr.recall,
    real,
  };
}

/**
 * The report of evaluateGenerator for given digits: against the 10,000 MNIST test digits in both
 * shipped classifiers' feature spaces, the floor from as many training digits as there are digits.
 */
export async function evaluateImages(
  fake: Digits,
  opts: { preset: string; model: string; log?: (line: string) => void },
): Promise<Report> {
  const log = opts.log ?? (() => {});
  const started = performance.now();
  const n = fake.images.length / PIXELS;
  if (!Number.isInteger(n) || n < 2)
    throw new Error(`evaluate: expected n × ${PIXELS} pixel values, got ${fake.images.length}`);
  if (fake.requested && fake.requested.length !== n)
    throw new Error(`evaluate: ${n} digits but ${fake.requested.length} requested classes`);
  const test = loadMnist('test');
  const train = loadMnist('train');
  const trainImages = train.images.subarray(0, Math.min(n, train.count) * PIXELS);
  const classified = async (arch: Arch) => {
    log(`classifying generated, test and training digits (${arch})`);
    const classifier = await loadShippedClassifier(arch);
    try {
      return {
        fake: classify(classifier, fake.images),
        test: classify(classifier, test.images),
        train: classify(classifier, trainImages),
      };
    } finally {
      classifier.dispose();
    }
  };
  const cnn = await classified('cnn');
  const mlp = await classified('mlp');
  log('Fréchet distances, precision and recall');
  const first = featureSpaceScores(cnn);
  const second = featureSpaceScores(mlp);
  return {
    model: opts.model,
    preset: opts.preset,
    metrics: {
      fid: first.fid,
      fidFloor: first.fidFloor,
      inceptionScore: inceptionScore(cnn.fake.probs),
      classAccuracy: fake.requested ? classAccuracy(cnn.fake.probs, fake.requested) : null,
      perClassAccuracy: fake.requested ? perClassAccuracy(cnn.fake.probs, fake.requested) : null,
      classKL: classKL(cnn.fake.probs),
      precision: first.precision,
      recall: first.recall,
      samples: n,
      second: {
        classifier: shippedClassifierName('mlp'),
        fid: second.fid,
        fidFloor: second.fidFloor,
        precision: second.precision,
        recall: second.recall,
      },
    },
    reference: {
      inceptionScore: inceptionScore(cnn.test.probs),
      classAccuracy: accuracy(cnn.test.probs, test),
      classKL: classKL(cnn.test.probs),
      precision: first.real.precision,
      recall: first.real.recall,
      second: second.real,
    },
    seconds: (performance.now() - started) / 1000,
  };
}
