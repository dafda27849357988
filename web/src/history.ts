// The model history panel: every published version with its date, training, scores and sample
// grid, a chart of FID and class accuracy over versions, and a link that runs that version.
import type * as Comlink from 'comlink';
import type { VersionSummary } from '../../contract/index.ts';
import { lineChart } from './chart.ts';
import type { EngineApi } from './engine/api.ts';
import { formatCount, formatDay } from './format.ts';

const num = (v: number | null, d: number) => (v === null ? '—' : v.toFixed(d));

/** A version's facts; one that is not promoted is set beside the promoted one (a retrain worse than it stays unpromoted). */
function item(
  v: VersionSummary,
  running: string | null,
  promoted: VersionSummary | undefined,
): HTMLLIElement {
  const li = document.createElement('li');
  li.className = 'version';
  if (v.version === running) li.setAttribute('aria-current', 'true');
  const head = document.createElement('p');
  head.className = 'version-head';
  const name = document.createElement('strong');
  name.textContent = formatDay(v.createdAt);
  const tags = [v.promoted ? 'promoted' : 'not promoted', v.version === running ? 'running here' : ''].filter(
    Boolean,
  );
  head.append(name, ` · ${v.version}${tags.length ? ` · ${tags.join(', ')}` : ''}`);
  const facts = document.createElement('p');
  facts.textContent =
    `${formatCount(v.steps)} steps on ${v.backend} · FID ${num(v.metrics.fid, 2)}` +
    ` (floor ${num(v.metrics.fidFloor, 2)}${promoted && !v.promoted ? `; promoted: ${num(promoted.metrics.fid, 2)}` : ''})` +
    ` · class accuracy ${num(v.metrics.classAccuracy, 3)}`;
  li.append(head, facts);
  if (v.samplesPath) {
    const img = document.createElement('img');
    Object.assign(img, {
      src: v.samplesPath,
      alt: `Sample digits of version ${v.version}`,
      loading: 'lazy',
      // The exporter's grid: 8 × 10 digits (train/samples.ts); the box keeps that shape before it loads.
      width: 484,
      height: 604,
    });
    li.append(img);
  }
  if (v.version !== running) {
    const a = document.createElement('a');
    const q = new URLSearchParams(location.search);
    // The promoted version is what the bare page runs: link there rather than pin it.
    if (v.promoted) q.delete('version');
    else q.set('version', v.version);
    a.href = `?${q}`;
    a.textContent = v.promoted ? 'Run the promoted version' : 'Run this version';
    li.append(a);
  }
  return li;
}

export async function showHistory(engine: Comlink.Remote<EngineApi>, running: string | null): Promise<void> {
  const panel = document.getElementById('history') as HTMLElement;
  const body = document.getElementById('history-body') as HTMLElement;
  try {
    const { versions } = await engine.versions();
    if (!versions.length) {
      body.textContent = 'No version has been published yet.';
      panel.dataset.versions = '0';
      return;
    }
    const oldestFirst = [...versions].reverse();
    const charts = document.createElement('div');
    charts.className = 'charts';
    charts.append(
      lineChart({
        title: 'FID',
        values: oldestFirst.map((v) => v.metrics.fid),
        format: (x) => x.toFixed(2),
        lowerIsBetter: true,
      }),
      lineChart({
        title: 'Class accuracy',
        values: oldestFirst.map((v) => v.metrics.classAccuracy),
        format: (x) => x.toFixed(3),
        lowerIsBetter: false,
      }),
    );
    const list = document.createElement('ol');
    list.className = 'versions';
    const promoted = versions.find((v) => v.promoted);
    list.append(...versions.map((v) => item(v, running, promoted)));
    body.replaceChildren(charts, list);
    panel.dataset.versions = String(versions.length);
  } catch (e) {
    body.textContent = `The version history could not be loaded: ${e instanceof Error ? e.message : String(e)}`;
    panel.dataset.versions = 'error';
  }
}
