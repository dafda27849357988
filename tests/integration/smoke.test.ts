// npm run smoke -- URL against real local deployments (the worker through wrangler, offline, as
// npm start runs it, with the shipped model in a local R2 of its own): the intact one passes every
// check, the page drawing in Chromium; one whose shard was overwritten in R2 and one served through
// a proxy that drops a header each fail, naming the check.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentTypeOf, manifestSchema, r2Keys } from '../../contract/index.ts';
import { sha256 } from '../../lib/hash.ts';
import { openLocalStore } from '../../release/local-store.ts';
import { type LocalWorker, startLocalWorker } from '../../release/local-worker.ts';
import { publishModel } from '../../release/publish.ts';
import { agreement, spread } from '../../release/smoke/model.ts';
import { usageTests } from './cli-usage.ts';

const SMOKE = 'bin/smoke.ts';
const MODEL = 'model/shipped';
const CHECKS = [
  'healthz',
  'manifest',
  'files',
  'tfjs',
  'digits',
  'openapi',
  'page-headers',
  'api-headers',
  'page',
];
const shipped = manifestSchema.parse(JSON.parse(readFileSync(join(MODEL, 'manifest.json'), 'utf8')));
const shard = shipped.files.find((f) => f.path.endsWith('.bin'))!;
const root = mkdtempSync(join(tmpdir(), 'smoke-'));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Each check's line: its status and detail. */
  checks: Map<string, { status: string; detail: string }>;
}

/** Runs the smoke test in a child process; not spawnSync, since the worker runs in this one. */
function smoke(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', SMOKE, ...args],
      { encoding: 'utf8', timeout: 400_000 },
      (err, stdout, stderr) => {
        const checks = new Map<string, { status: string; detail: string }>();
        for (const m of stdout.matchAll(/^(ok|FAIL|skip) +([\w-]+): (.*)$/gm))
          checks.set(m[2], { status: m[1], detail: m[3] });
        const status = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        console.log(`npm run smoke -- ${args.join(' ')} → exit ${status}\n${stdout}${stderr}`);
        resolve({ status, stdout, stderr, checks });
      },
    );
  });
}

/** The statuses of all checks, by name. */
const statuses = (r: Run) => Object.fromEntries([...r.checks].map(([name, c]) => [name, c.status]));

/** A local deployment of the shipped model in a fresh R2; `tamper` may change the bucket first. */
async function deploy(
  name: string,
  tamper?: (put: (key: string, bytes: Uint8Array) => Promise<void>) => Promise<void>,
) {
  const persistDir = join(root, name);
  const store = await openLocalStore(persistDir);
  try {
    await publishModel(store, MODEL, { promote: true });
    if (tamper) await tamper((key, bytes) => store.put(key, bytes, contentTypeOf(key)));
  } finally {
    await store.close();
  }
  return startLocalWorker({ persistDir });
}

/** A proxy in front of `target` that passes everything through but drops one response header. */
async function dropHeader(target: string, header: string): Promise<{ url: string; server: Server }> {
  const to = new URL(target);
  const server = createServer((req, res) => {
    const upstream = request(
      {
        host: to.hostname,
        port: to.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: to.host },
      },
      (answer) => {
        const headers = { ...answer.headers };
        delete headers[header.toLowerCase()];
        res.writeHead(answer.statusCode ?? 502, headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

beforeAll(() => {
  // The page as npm start serves it: the production build.
  const build = spawnSync('npm', ['run', 'build:web', '--silent'], { stdio: 'inherit' }).status;
  if (build !== 0) throw new Error(`npm run build:web failed (${build})`);
}, 300_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

usageTests(SMOKE, {
  usage: 'npm run smoke --',
  help: ['<url>', '--timeout <seconds>', '(default: 120)', '--skip-browser', '--chromium <path>'],
  errors: [
    [[], "missing required argument 'url'"],
    [['not a url'], "'not a url' is not a URL"],
    [['ftp://example.org'], 'is not an http(s) URL'],
    [['http://127.0.0.1:8787/?seed=1'], 'no query'],
    [['http://127.0.0.1:8787', '--timeout', '0'], '--timeout must be a positive number'],
    [['http://127.0.0.1:8787', '--chromium', join(root, 'no-chromium')], '--chromium: no file'],
  ],
});

describe('npm run smoke against npm start’s local deployment', () => {
  let worker: LocalWorker;
  let proxy: { url: string; server: Server } | undefined;
  beforeAll(async () => {
    worker = await deploy('intact');
  }, 300_000);
  afterAll(async () => {
    proxy?.server.close();
    await worker?.stop();
  });

  it('passes every check, the page drawing the digits asked for in Chromium', {
    timeout: 420_000,
  }, async () => {
    const r = await smoke([worker.url]);
    expect(r.stderr).toBe('');
    expect([...r.checks.keys()]).toEqual(CHECKS);
    expect(statuses(r)).toEqual(Object.fromEntries(CHECKS.map((c) => [c, 'ok'])));
    expect(r.status).toBe(0);
    expect(r.checks.get('manifest')?.detail).toContain(shipped.version);
    expect(r.checks.get('files')?.detail).toContain(`${shipped.files.length} files`);
    expect(r.checks.get('digits')?.detail).toMatch(/^\d+\/640 digits read as asked/);
    expect(r.checks.get('page')?.detail).toMatch(/^asked for 16 7s: \d+ read as 7/);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(`passed: 9 ok, 0 failed, 0 skipped (${worker.url})`);
  });

  it('served without COEP: page-headers fails, naming the header; --skip-browser says so', {
    timeout: 300_000,
  }, async () => {
    proxy = await dropHeader(worker.url, 'Cross-Origin-Embedder-Policy');
    const r = await smoke([proxy.url, '--skip-browser']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('');
    expect(statuses(r)).toEqual({
      ...Object.fromEntries(CHECKS.map((c) => [c, 'ok'])),
      'page-headers': 'FAIL',
      page: 'skip',
    });
    expect(r.checks.get('page-headers')?.detail).toBe('/: Cross-Origin-Embedder-Policy missing');
    expect(r.checks.get('page')?.detail).toContain('--skip-browser');
  });
});

describe('npm run smoke against a deployment whose shard was overwritten in R2', () => {
  let worker: LocalWorker;
  beforeAll(async () => {
    worker = await deploy('tampered', async (put) => {
      // Other bytes of the same length: every byte inverted.
      const bytes = readFileSync(join(MODEL, shard.path)).map((b) => b ^ 0xff);
      expect(sha256(bytes)).not.toBe(shard.sha256);
      await put(r2Keys.file(shipped.version, shard.path), bytes);
    });
  }, 300_000);
  afterAll(async () => {
    await worker?.stop();
  });

  it('fails the files check, naming the shard, and the digits check', { timeout: 300_000 }, async () => {
    const r = await smoke([worker.url, '--skip-browser']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('');
    expect(r.checks.get('healthz')?.status).toBe('ok');
    expect(r.checks.get('manifest')?.status).toBe('ok');
    expect(r.checks.get('files')).toEqual({
      status: 'FAIL',
      detail: expect.stringMatching(
        new RegExp(
          `^${shard.path.replace('.', '\\.')}: sha256 [0-9a-f]{12}… is not the manifest's ${shard.sha256.slice(0, 12)}…$`,
        ),
      ),
    });
    // Stock TF.js does not check hashes: it loads the inverted weights, and their digits are noise.
    expect(r.checks.get('tfjs')?.status).toBe('ok');
    expect(r.checks.get('digits')?.status).toBe('FAIL');
    expect(r.stdout).toMatch(/^FAILED: \d ok, 2 failed, 1 skipped/m);
  });
});

describe('npm run smoke against nothing', () => {
  it('every check fails or is skipped on one line; exit 1, no stack', { timeout: 120_000 }, async () => {
    // A port nothing listens on: taken, then freed.
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    await new Promise((done) => server.close(done));
    const r = await smoke([`http://127.0.0.1:${port}`, '--skip-browser', '--timeout', '20']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('');
    expect([...r.checks.keys()]).toEqual(CHECKS);
    expect(r.checks.get('healthz')).toEqual({
      status: 'FAIL',
      detail: expect.stringContaining('ECONNREFUSED'),
    });
    expect(r.checks.get('files')).toEqual({ status: 'skip', detail: expect.stringContaining('/v1/model') });
    expect(r.stdout).not.toMatch(/\n\s+at /);
  });
});

describe('the digit verdicts', () => {
  it('a conditional model passes at 95 % of the digits read as asked, and names its worst class', () => {
    const asked = Int32Array.from({ length: 640 }, (_, i) => Math.floor(i / 64));
    const read = asked.slice();
    for (let i = 0; i < 32; i++) read[i] = 9; // 32 zeros misread: 95.0 %
    expect(agreement(asked, read, 10)).toEqual({
      ok: true,
      detail: '608/640 digits read as asked (95.0 %, 95 % needed); worst: 0 (32/64)',
    });
    read[64] = 9;
    expect(agreement(asked, read, 10).ok).toBe(false);
  });

  it('an unconditional model passes with its digits spread over the classes, fails when collapsed', () => {
    const even = Int32Array.from({ length: 640 }, (_, i) => i % 10);
    expect(spread(even).ok).toBe(true);
    // Two classes missing is still handwriting; three is not.
    expect(spread(even.map((c) => (c < 2 ? 5 : c))).ok).toBe(true);
    expect(spread(even.map((c) => (c < 3 ? 5 : c))).ok).toBe(false);
    // Mostly ones, though every class appears.
    const ones = Int32Array.from({ length: 640 }, (_, i) => (i < 300 ? 1 : i % 10));
    expect(spread(ones)).toEqual({ ok: false, detail: expect.stringContaining('most common: 1 (52 %') });
  });
});
