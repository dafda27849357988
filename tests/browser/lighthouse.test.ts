// Lighthouse on the real local worker with the shipped model: accessibility, best practices and SEO
// score 100, and the page's workers raise no Issues-panel entry. Only these: timings depend on the
// machine's load and are `npm run audit:web`'s printed numbers, not a test's. One desktop-preset run
// of the three categories (no performance trace) keeps it short.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { LocalWorker } from '../../release/local-worker.ts';
import { type Category, formatFailing, runLighthouse } from '../bench/lighthouse.ts';
import { startShippedWorker } from '../bench/shipped-worker.ts';

const CHECKED: Category[] = ['accessibility', 'best-practices', 'seo'];
let worker: LocalWorker;

beforeAll(async () => {
  worker = await startShippedWorker();
}, 180_000);

afterAll(async () => {
  await worker?.stop();
});

it('accessibility, best practices and SEO score 100, no issue in the workers (Lighthouse, desktop)', async () => {
  const result = await runLighthouse(`${worker.url}/`, 'desktop', CHECKED);
  // Lighthouse's inspector-issues audit looks at the page only: a CSP violation inside the module
  // worker that runs the model would cost no points, so the run's worker issues are checked too.
  const failing = [formatFailing(result.failing), ...result.workerIssues.map((i) => `  worker: ${i}`)]
    .filter((l) => l)
    .join('\n');
  if (failing) console.error(`Lighthouse's failing audits:\n${failing}`);
  expect({ scores: result.scores, workerIssues: result.workerIssues }, `failing audits:\n${failing}`).toEqual(
    {
      scores: Object.fromEntries(CHECKED.map((c) => [c, 100])),
      workerIssues: [],
    },
  );
}, 120_000);
