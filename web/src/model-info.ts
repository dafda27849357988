import type { Manifest } from '../../contract/index.ts';
import { runtimeFiles } from '../../contract/model-files.ts';
import { formatCount, formatTime } from './format.ts';

const num = (v: number | null, d = 3) => (v === null ? '—' : v.toFixed(d));

/** The "About this model" panel: version, date, size and the quality numbers. */
export function showModelInfo(dl: HTMLElement, m: Manifest): void {
  // What the engine downloads to run it: model.json and the shards, not the documentation images.
  const bytes = runtimeFiles(m).reduce((s, f) => s + f.bytes, 0);
  const rows: [string, string][] = [
    ['Version', m.version],
    [
      'Trained',
      `${formatTime(m.createdAt)} · ${formatCount(m.training.steps)} steps on ${m.training.backend}`,
    ],
    ['Architecture', `${m.preset} (${m.classes ? `${m.classes} classes, ` : ''}latent ${m.latentDim})`],
    ['Weights', `${m.quantization}, ${(bytes / 1024).toFixed(0)} KB download`],
    ['FID', `${num(m.metrics.fid, 2)} (floor ${num(m.metrics.fidFloor, 2)}; lower is better)`],
    ['Inception score', `${num(m.metrics.inceptionScore, 2)} of 10`],
    ['Class accuracy', num(m.metrics.classAccuracy)],
    ['Precision / recall', `${num(m.metrics.precision)} / ${num(m.metrics.recall)}`],
    ...(m.classes
      ? ([
          [
            'Style grid',
            'filtered on this page: a style whose digits a small classifier reads badly is redrawn from new noise (the generator at /v1/model is not filtered)',
          ],
        ] as [string, string][])
      : []),
  ];
  dl.replaceChildren(
    ...rows.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      return [dt, dd];
    }),
  );
}
