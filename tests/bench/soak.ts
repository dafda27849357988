// Publishing under load: `clients` concurrent clients each read /v1/model and then every file it
// lists, again and again, for `seconds`, against the local worker (wrangler dev, loopback), while a
// new version is published and promoted and later rolled back. Each file is checked against the
// manifest the client read (size and sha256). Used by `npm run bench:edge -- --publish-under-load`
// (the full run) and tests/integration/soak.test.ts (a short one).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { type Manifest, manifestSchema } from '../../contract/index.ts';
import { sha256 } from '../../lib/hash.ts';
import { exportGenerator } from '../../model/export/export.ts';
import { loadLayersModelFromDir } from '../../model/model-io.ts';
import { openLocalStore } from '../../release/local-store.ts';
import { type LocalWorker, startLocalWorker } from '../../release/local-worker.ts';
import { publishModel } from '../../release/publish.ts';
import type { ObjectStore } from '../../release/store.ts';
import { rollback } from '../../release/versions.ts';
import { getPreset } from '../../train/models/presets.ts';

export interface SoakOptions {
  /** The exported model to start from (it is promoted first). */
  modelDir: string;
  clients: number;
  seconds: number;
  log?: (line: string) => void;
}

export interface RouteStats {
  requests: number;
  errors: number;
  p50: number;
  p99: number;
}

export interface SoakEvent {
  what: string;
  version: string;
  /** Seconds from the start of the load to latest.json written (and read back). */
  at: number;
  /** Milliseconds from then until a client was first served that version by /v1/model (null: never). */
  visibleAfterMs: number | null;
}

export interface SoakReport {
  clients: number;
  seconds: number;
  requests: number;
  errors: number;
  /** Files whose bytes did not match the manifest the client had just read. */
  mismatches: number;
  routes: Record<string, RouteStats>;
  events: SoakEvent[];
  /** How many /v1/model answers named each version. */
  versionsServed: Record<string, number>;
  /**
   * Resident memory of the worker's workerd process(es), kB: before the load, after its first tenth
   * (warmed up), at the end, and the highest seen (sampled every second).
   */
  workerdKb: { idle: number | null; warm: number | null; end: number | null; peak: number | null };
  /** The machine's 1-minute load average at the start and end. */
  load: { start: number; end: number };
  errorSamples: string[];
}

/** The workerd processes started below this process (Linux `ps`), by pid. */
function workerdPids(): Set<number> {
  let table: string;
  try {
    table = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,comm='], { encoding: 'utf8' });
  } catch {
    return new Set();
  }
  const rows = table
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .map(([pid, ppid, comm]) => ({ pid: Number(pid), ppid: Number(ppid), comm }));
  const mine = new Set([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of rows)
      if (mine.has(r.ppid) && !mine.has(r.pid)) {
        mine.add(r.pid);
        grew = true;
      }
  }
  return new Set(rows.filter((r) => mine.has(r.pid) && r.comm.startsWith('workerd')).map((r) => r.pid));
}

function rssKb(pids: Iterable<number>): number | null {
  let total = 0;
  let found = false;
  for (const pid of pids) {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) {
        total += Number(m[1]);
        found = true;
      }
    } catch {
      // gone, or not Linux
    }
  }
  return found ? total : null;
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The route a request counts under: the manifest, or the kind of file. */
const routeOf = (path: string): string =>
  path === 'model.json' ? 'GET model.json' : path.endsWith('.bin') ? 'GET weight shard' : `GET ${path}`;

/**
 * The second version: the same generator exported again as float16 (every file differs, and its
 * manifest is schema 2 whatever the first one's is), a day later.
 */
async function nextVersion(modelDir: string, out: string): Promise<Manifest> {
  const first = manifestSchema.parse(JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8')));
  await tf.setBackend('cpu');
  const model = await loadLayersModelFromDir(modelDir);
  const next = exportGenerator(model, getPreset(first.preset), out, {
    quantization: first.quantization === 'float16' ? 'float32' : 'float16',
    metrics: first.metrics,
    training: first.training,
    now: new Date(Date.parse(first.createdAt) + 86_400_000),
  });
  model.dispose();
  return next;
}

export async function soak(o: SoakOptions): Promise<SoakReport> {
  const log = o.log ?? (() => {});
  const root = mkdtempSync(join(tmpdir(), 'soak-'));
  const persist = join(root, 'state');
  let worker: LocalWorker | undefined;
  let store: ObjectStore | undefined;
  try {
    const next = await nextVersion(o.modelDir, join(root, 'next'));
    store = await openLocalStore(persist);
    const { manifest: first } = await publishModel(store, o.modelDir, { promote: true });
    const before = workerdPids();
    worker = await startLocalWorker({ persistDir: persist });
    const mine = [...workerdPids()].filter((p) => !before.has(p));
    log(
      `worker at ${worker.url} (workerd ${mine.join(', ') || 'not found'}); first version ${first.version}`,
    );
    return await underLoad(o, worker.url, store, { first, nextDir: join(root, 'next'), next }, mine, log);
  } finally {
    await worker?.stop();
    await store?.close();
    rmSync(root, { recursive: true, force: true });
  }
}

async function underLoad(
  o: SoakOptions,
  url: string,
  store: ObjectStore,
  v: { first: Manifest; next: Manifest; nextDir: string },
  workerd: number[],
  log: (line: string) => void,
): Promise<SoakReport> {
  const latencies = new Map<string, number[]>();
  const failures = new Map<string, number>();
  /** Every /v1/model answer: when it arrived and the version it named. */
  const served: { at: number; version: string }[] = [];
  const errorSamples: string[] = [];
  let mismatches = 0;
  const sample = (what: string) => {
    if (errorSamples.length < 10) errorSamples.push(what);
  };
  const fail = (route: string, what: string) => {
    failures.set(route, (failures.get(route) ?? 0) + 1);
    sample(`${route}: ${what}`);
  };
  /** One request, timed; its body, or null (counted as an error) for anything but a 200. */
  const timed = async (route: string, path: string): Promise<Uint8Array | null> => {
    const t0 = performance.now();
    try {
      const res = await fetch(`${url}${path}`);
      const body = new Uint8Array(await res.arrayBuffer());
      const list = latencies.get(route) ?? [];
      latencies.set(route, list);
      list.push(performance.now() - t0);
      if (res.status === 200) return body;
      fail(route, `HTTP ${res.status} ${new TextDecoder().decode(body.subarray(0, 200))}`);
    } catch (e) {
      fail(route, e instanceof Error ? e.message : String(e));
    }
    return null;
  };

  const start = performance.now();
  const end = start + o.seconds * 1000;
  const client = async () => {
    while (performance.now() < end) {
      const body = await timed('GET /v1/model', '/v1/model');
      if (!body) continue;
      const parsed = manifestSchema.safeParse(JSON.parse(new TextDecoder().decode(body)));
      if (!parsed.success) {
        fail('GET /v1/model', 'a manifest that breaks the contract');
        continue;
      }
      const m = parsed.data;
      served.push({ at: performance.now(), version: m.version });
      for (const f of m.files) {
        const bytes = await timed(routeOf(f.path), `/v1/models/${m.version}/${encodeURIComponent(f.path)}`);
        if (bytes && (bytes.length !== f.bytes || sha256(bytes) !== f.sha256)) {
          mismatches++;
          sample(`${m.version}/${f.path}: does not match the manifest the client read`);
        }
      }
    }
  };

  const events: { what: string; version: string; at: number }[] = [];
  const until = (fraction: number) =>
    new Promise((r) => setTimeout(r, Math.max(0, start + fraction * o.seconds * 1000 - performance.now())));
  const schedule = async () => {
    await until(0.25);
    await publishModel(store, v.nextDir, { promote: true, force: true });
    events.push({ what: 'publish + promote', version: v.next.version, at: performance.now() });
    log(`promoted ${v.next.version}`);
    await until(0.6);
    await rollback(store, v.first.version, () => {});
    events.push({ what: 'rollback', version: v.first.version, at: performance.now() });
    log(`rolled back to ${v.first.version}`);
  };

  const loadStart = loadavg()[0];
  const idle = rssKb(workerd);
  const memory: { at: number; kb: number }[] = [];
  const sampler = setInterval(() => {
    const kb = rssKb(workerd);
    if (kb !== null) memory.push({ at: performance.now() - start, kb });
  }, 1000);
  try {
    await Promise.all([schedule(), ...Array.from({ length: o.clients }, client)]);
  } finally {
    clearInterval(sampler);
  }
  const memEnd = rssKb(workerd);
  const loadEnd = loadavg()[0];
  const warm = memory.find((m) => m.at >= o.seconds * 100)?.kb ?? null;
  const peak = memory.length ? Math.max(...memory.map((m) => m.kb)) : null;
  if (memory.length)
    log(`workerd RSS (MiB) each second: ${memory.map((m) => (m.kb / 1024).toFixed(0)).join(' ')}`);

  const routes: Record<string, RouteStats> = {};
  for (const route of new Set([...latencies.keys(), ...failures.keys()])) {
    const l = (latencies.get(route) ?? []).sort((a, b) => a - b);
    routes[route] = {
      requests: l.length,
      errors: failures.get(route) ?? 0,
      p50: percentile(l, 50),
      p99: percentile(l, 99),
    };
  }
  const versionsServed: Record<string, number> = {};
  for (const s of served) versionsServed[s.version] = (versionsServed[s.version] ?? 0) + 1;
  return {
    clients: o.clients,
    seconds: o.seconds,
    requests: [...latencies.values()].reduce((n, l) => n + l.length, 0),
    errors: [...failures.values()].reduce((n, k) => n + k, 0),
    mismatches,
    routes,
    events: events.map((e) => {
      // Before the event /v1/model named the other version; the first answer after it naming this one.
      const seen = served.find((s) => s.at >= e.at && s.version === e.version);
      return {
        what: e.what,
        version: e.version,
        at: (e.at - start) / 1000,
        visibleAfterMs: seen ? seen.at - e.at : null,
      };
    }),
    versionsServed,
    workerdKb: { idle, warm, end: memEnd, peak },
    load: { start: loadStart, end: loadEnd },
    errorSamples,
  };
}

/** The report as text lines. */
export function formatSoak(r: SoakReport): string[] {
  const kb = (k: number | null) => (k === null ? 'n/a' : `${(k / 1024).toFixed(1)} MiB`);
  const names = Object.keys(r.routes).sort();
  const w = Math.max(5, ...names.map((n) => n.length));
  return [
    `${r.clients} clients for ${r.seconds} s on loopback: ${r.requests} requests, ${r.errors} errors, ` +
      `${r.mismatches} files not matching the manifest the client read`,
    `${'route'.padEnd(w)}  requests  errors  p50 ms  p99 ms`,
    ...names.map((n) => {
      const s = r.routes[n];
      return `${n.padEnd(w)}  ${String(s.requests).padStart(8)}  ${String(s.errors).padStart(6)}  ${s.p50.toFixed(1).padStart(6)}  ${s.p99.toFixed(1).padStart(6)}`;
    }),
    ...r.events.map(
      (e) =>
        `${e.what} of ${e.version} at ${e.at.toFixed(1)} s: served by /v1/model ${e.visibleAfterMs === null ? 'never' : `${(e.visibleAfterMs / 1000).toFixed(2)} s later`}`,
    ),
    `/v1/model answers per version: ${JSON.stringify(r.versionsServed)}`,
    `workerd resident memory: ${kb(r.workerdKb.idle)} idle before the load, ${kb(r.workerdKb.warm)} after its first tenth, ${kb(r.workerdKb.end)} at the end (peak ${kb(r.workerdKb.peak)})`,
    `machine load (1-min average): ${r.load.start.toFixed(2)} at the start, ${r.load.end.toFixed(2)} at the end`,
    ...r.errorSamples.map((e) => `  error: ${e}`),
  ];
}
