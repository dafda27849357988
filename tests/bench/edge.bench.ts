// npm run bench:edge: autocannon on loopback against the local worker (wrangler dev, local R2 seeded
// with the shipped model), 32 connections for 10 s each: /healthz (the worker's floor), the manifest
// and the weight shard; the same bytes from a plain Node static server in the same run for reference.
// Prints /v1/model's req/s as a share of /healthz's (the target: ≥ 0.9).
//
// npm run bench:edge -- --publish-under-load [--clients 48] [--seconds 60]: clients read /v1/model
// and every file it lists while a new version is published, promoted and rolled back (soak.ts).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { command, integer, parseOrExit } from '../../lib/command.ts';
import { openLocalStore } from '../../release/local-store.ts';
import { startLocalWorker } from '../../release/local-worker.ts';
import { publishModel } from '../../release/publish.ts';
import { formatSoak, soak } from './soak.ts';

const program = command(
  'npm run bench:edge --',
  'Load the local worker with autocannon (/healthz, manifest, weight shard) beside a plain static server.',
)
  .argument('[model]', 'the exported model folder to publish and serve', 'model/shipped')
  .option(
    '--publish-under-load',
    'instead: clients read the model while a version is published and rolled back',
  )
  .option('--clients <n>', 'concurrent clients (--publish-under-load)', integer('--clients', 1, 256), 48)
  .option('--seconds <n>', 'how long (--publish-under-load)', integer('--seconds', 5, 600), 60);
const opts = parseOrExit<{ publishUnderLoad?: boolean; clients: number; seconds: number }>(program);
const MODEL_DIR = program.processedArgs[0] as string;
const DURATION = 10;
const CONNECTIONS = 32;

const loadLine = () =>
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;

async function load(url: string) {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    mbps: r.throughput.average / 1e6,
    errors: r.errors + r.non2xx,
  };
}

async function throughput(): Promise<void> {
  const persist = mkdtempSync(join(tmpdir(), 'bench-edge-'));
  const store = await openLocalStore(persist);
  const { manifest } = await publishModel(store, MODEL_DIR, { promote: true });
  await store.close();
  const shard = manifest.files.find((f) => f.path.endsWith('.bin'))!;
  const shardBytes = readFileSync(join(MODEL_DIR, shard.path));
  const manifestJson = JSON.stringify(manifest);

  const worker = await startLocalWorker({ persistDir: persist });
  const statics = createServer((req, res) => {
    const body = req.url === '/manifest.json' ? manifestJson : shardBytes;
    res.writeHead(200, {
      'Content-Type': req.url === '/manifest.json' ? 'application/json' : 'application/octet-stream',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  });
  await new Promise<void>((r) => statics.listen(0, '127.0.0.1', r));
  const staticUrl = `http://127.0.0.1:${(statics.address() as { port: number }).port}`;

  try {
    const started = loadLine();
    const rows: [string, Awaited<ReturnType<typeof load>>][] = [];
    for (const [name, url] of [
      ['worker GET /healthz', `${worker.url}/healthz`],
      ['worker GET /v1/model', `${worker.url}/v1/model`],
      ['static  manifest', `${staticUrl}/manifest.json`],
      [`worker GET shard (${shard.bytes} B)`, `${worker.url}/v1/models/${manifest.version}/${shard.path}`],
      [`static  shard (${shard.bytes} B)`, `${staticUrl}/${shard.path}`],
    ] as const) {
      process.stderr.write(`loading ${name} …\n`);
      rows.push([name, await load(url)]);
    }
    const w = Math.max(...rows.map(([n]) => n.length));
    console.log(`\n${CONNECTIONS} connections, ${DURATION} s each, loopback, ${new Date().toISOString()}`);
    console.log(`machine: ${started} before, ${loadLine()} after`);
    console.log(`${'target'.padEnd(w)}  req/s     p50 ms  p99 ms  MB/s     errors`);
    for (const [name, r] of rows) {
      console.log(
        `${name.padEnd(w)}  ${r.rps.toFixed(0).padStart(8)}  ${String(r.p50).padStart(6)}  ${String(r.p99).padStart(6)}  ${r.mbps.toFixed(1).padStart(7)}  ${r.errors}`,
      );
    }
    const [health, model, staticManifest, shardRow, staticShard] = rows.map(([, r]) => r);
    console.log(
      `/v1/model vs /healthz in the same worker: ${model.rps.toFixed(0)} / ${health.rps.toFixed(0)} req/s = ${(model.rps / health.rps).toFixed(2)} (target ≥ 0.90)`,
    );
    console.log(
      `worker/static req/s: manifest ${(model.rps / staticManifest.rps).toFixed(2)}, shard ${(shardRow.rps / staticShard.rps).toFixed(2)}`,
    );
  } finally {
    await worker.stop();
    statics.close();
    rmSync(persist, { recursive: true, force: true });
  }
}

execFileSync('npm', ['run', 'build:web', '--silent'], { stdio: 'inherit' });
if (opts.publishUnderLoad) {
  const r = await soak({
    modelDir: MODEL_DIR,
    clients: opts.clients,
    seconds: opts.seconds,
    log: (l) => process.stderr.write(`${l}\n`),
  });
  console.log(`\n${new Date().toISOString()}`);
  console.log(formatSoak(r).join('\n'));
  process.exitCode = r.errors || r.mismatches ? 1 : 0;
} else {
  await throughput();
}
