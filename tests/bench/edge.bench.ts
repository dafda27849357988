// npm run bench:edge: autocannon on loopback against the local worker (wrangler dev, local R2 seeded
// with the shipped model), 32 connections for 10 s each, for the manifest and the weight shard; the
// same bytes from a plain Node static server in the same run give the reference ratio.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { openLocalStore } from '../../release/local-store.ts';
import { startLocalWorker } from '../../release/local-worker.ts';
import { publishModel } from '../../release/publish.ts';
import { command, parseOrExit } from '../../train/command.ts';

const program = command(
  'npm run bench:edge --',
  'Load the local worker with autocannon (manifest and weight shard) beside a plain static server.',
).argument('[model]', 'the exported model folder to publish and serve', 'train/pretrained');
parseOrExit(program);
const MODEL_DIR = program.processedArgs[0] as string;
const DURATION = 10;
const CONNECTIONS = 32;

async function load(url: string) {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION });
  const ok = r['2xx'];
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    mbps: r.throughput.average / 1e6,
    errors: r.errors + r.non2xx,
    ok,
  };
}

execFileSync('npm', ['run', 'build:web', '--silent'], { stdio: 'inherit' });
const persist = mkdtempSync(join(tmpdir(), 'bench-edge-'));
const store = await openLocalStore(persist);
const manifest = await publishModel(store, MODEL_DIR, { promote: true });
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
  const rows: [string, Awaited<ReturnType<typeof load>>][] = [];
  for (const [name, url] of [
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
  console.log(`${'target'.padEnd(w)}  req/s     p50 ms  p99 ms  MB/s     errors`);
  for (const [name, r] of rows) {
    console.log(
      `${name.padEnd(w)}  ${r.rps.toFixed(0).padStart(8)}  ${String(r.p50).padStart(6)}  ${String(r.p99).padStart(6)}  ${r.mbps.toFixed(1).padStart(7)}  ${r.errors}`,
    );
  }
  console.log(
    `worker/static req/s: manifest ${(rows[0][1].rps / rows[1][1].rps).toFixed(2)}, shard ${(rows[2][1].rps / rows[3][1].rps).toFixed(2)}`,
  );
} finally {
  await worker.stop();
  statics.close();
  rmSync(persist, { recursive: true, force: true });
}
