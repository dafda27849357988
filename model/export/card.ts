// The manifest's `card`: a few plain sentences for a person deciding whether to use the model,
// written from the facts the exporter has (nothing here is measured anew).
import type { Metrics, PresetName, Quantization, Training } from '../../contract/index.ts';
import { worstClass } from '../evaluate/scores.ts';

const ARCHITECTURE: Record<PresetName, string> = {
  tutorial: "TensorFlow's DCGAN tutorial architecture, unconditional",
  fast: 'upsampling + convolutions for on-device speed, unconditional',
  'fast-cond':
    'upsampling + convolutions for on-device speed, conditioned on the digit, trained against a projection discriminator',
};

export interface CardFacts {
  preset: PresetName;
  latentDim: number;
  classes: number;
  quantization: Quantization;
  /** Number of weights in the exported generator. */
  weights: number;
  metrics: Metrics;
  training: Training;
  /** Which of the run's generators was exported, when known. */
  weightsKind?: 'ema' | 'raw';
  /** More to say about the training, in plain sentences (e.g. the recipe). */
  notes?: string[];
}

/** The card's sentence on which of the run's generators was exported. */
const EXPORTED = {
  ema: "The exported weights are the moving average of the generator's weights.",
  raw: "The exported weights are the generator's last weights (no moving average).",
} as const;

/** Which generator an earlier card says was exported (a re-export says it again), if it says. */
export const weightsKindOf = (card: string): CardFacts['weightsKind'] =>
  (['ema', 'raw'] as const).find((k) => card.includes(EXPORTED[k]));

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
const int = (x: number) => x.toLocaleString('en-US');

export function modelCard(f: CardFacts): string {
  const m = f.metrics;
  const t = f.training;
  const conditional = f.classes > 0;
  const what =
    `What it is: a GAN generator (preset ${f.preset}: ${ARCHITECTURE[f.preset]}; ${int(f.weights)} weights, ` +
    `${f.quantization}) that draws 28×28 grayscale handwritten digits in the style of MNIST, white on ` +
    `black, one per row of its batch. Give it ${f.latentDim} noise values drawn from normal(0,1)` +
    (conditional ? ` and the digit to draw (class index 0-${f.classes - 1})` : '') +
    "; the same inputs draw the same digit (up to the backend's float rounding).";
  const exported = f.weightsKind ? ` ${EXPORTED[f.weightsKind]}` : '';
  const how =
    `How it was trained: as a GAN on the 60,000 MNIST training digits, ${int(t.steps)} steps at batch ` +
    `${t.batchSize} (${int(t.seconds)} s, backend ${t.backend}, ${t.device}).${exported}` +
    (f.notes?.length ? ` ${f.notes.join(' ')}` : '');
  const perClass = m.perClassAccuracy;
  const worst = perClass ? worstClass(perClass) : null;
  const scores =
    `How it scores (${int(m.samples)} generated digits, judged by the project's own MNIST classifier): ` +
    (m.classAccuracy !== null
      ? `the classifier reads ${pct(m.classAccuracy)} of them as the digit asked for` +
        (worst ? ` (worst: digit ${worst.digit}, ${pct(worst.accuracy)}); ` : '; ')
      : '') +
    `FID ${m.fid.toFixed(2)} (floor ${m.fidFloor.toFixed(2)}: real digits against real digits), ` +
    `precision ${m.precision.toFixed(3)}, recall ${m.recall.toFixed(3)}.`;
  const limits =
    'Limits: it draws only MNIST-like digits (centred, 28×28, thick strokes), nothing else, and its ' +
    'digits are less varied than real handwriting (recall below 1 means styles of real digits it does ' +
    'not draw)' +
    (m.classAccuracy !== null
      ? `; about ${pct(1 - m.classAccuracy)} of the digits it is asked for read as another digit`
      : '; it cannot be asked for a given digit') +
    '. The scores come from one classifier, not from people. Its digits are synthetic: not a stand-in ' +
    "for real data when testing a recogniser, and not anyone's handwriting.";
  return [what, how, scores, limits].join('\n\n');
}
