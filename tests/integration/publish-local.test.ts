// npm run publish --target local, then the real worker (wrangler dev, offline) serving what it wrote.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Manifest, manifestSchema, versionListSchema } from '../../contract/index.ts';
import { sha256 } from '../../lib/hash.ts';
import { openLocalStore } from '../../release/local-store.ts';
import { type LocalWorker, startLocalWorker } from '../../release/local-worker.ts';
import { runCli, usageTests } from './cli-usage.ts';

const MODEL = 'model/shipped';
const root = mkdtempSync(join(tmpdir(), 'publish-'));
const persist = join(root, 'state');
let worker: LocalWorker | undefined;
const publish = (...args: string[]) => runCli('bin/publish.ts', args);
const shipped = manifestSchema.parse(JSON.parse(readFileSync(join(MODEL, 'manifest.json'), 'utf8')));

beforeAll(() => {
  spawnSync('npm', ['run', 'build:web', '--silent'], { stdio: 'inherit' });
});
afterAll(async () => {
  await worker?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('npm run publish --target local', () => {
  it('uploads and verifies every object, promotes last', () => {
    const r = publish('--model', MODEL, '--target', 'local', '--promote', '--persist-to', persist);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    // Every file but model.json first (the shard, and from schema 2 the sample grid and loss chart).
    const before = shipped.files.filter((f) => f.path !== 'model.json');
    expect(lines.slice(1)).toEqual([
      'no promoted model yet: nothing to compare with',
      ...before.map(
        (f) =>
          `uploaded models/${shipped.version}/${f.path} (${f.bytes.toLocaleString('en-US')} bytes, sha256 ok)`,
      ),
      expect.stringMatching(new RegExp(`^uploaded models/${shipped.version}/model.json \\(`)),
      `uploaded models/${shipped.version}/manifest.json`,
      `promoted ${shipped.version} (latest.json)`,
      `published ${shipped.version} and promoted it`,
    ]);
  });

  it('wrangler dev serves it: /v1/model is the manifest and every file matches its hash', async () => {
    worker = await startLocalWorker({ persistDir: persist });
    const res = await fetch(`${worker.url}/v1/model`);
    expect(res.status).toBe(200);
    const served = manifestSchema.parse(await res.json()) as Manifest;
    expect(served).toEqual(shipped);
    for (const f of served.files) {
      const file = await fetch(`${worker.url}/v1/models/${served.version}/${f.path}`);
      expect(file.status).toBe(200);
      const bytes = new Uint8Array(await file.arrayBuffer());
      expect(bytes.length).toBe(f.bytes);
      expect(sha256(bytes)).toBe(f.sha256);
    }
    // The page and its assets: cross-origin isolated, strict CSP (web/public/_headers).
    for (const path of ['/', '/index.html', '/some/client/route']) {
      const page = await fetch(`${worker.url}${path}`);
      expect(page.status, path).toBe(200);
      expect(await page.text()).toContain('<canvas');
      const h = page.headers;
      expect(h.get('Cross-Origin-Opener-Policy'), path).toBe('same-origin');
      expect(h.get('Cross-Origin-Embedder-Policy'), path).toBe('require-corp');
      expect(h.get('X-Content-Type-Options'), path).toBe('nosniff');
      expect(h.get('X-Frame-Options'), path).toBe('DENY');
      const csp = h.get('Content-Security-Policy') ?? '';
      expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval' blob:");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toContain("'unsafe-inline'");
      expect(csp).not.toMatch(/script-src[^;]*'unsafe-eval'/);
    }
  });

  it('re-running is harmless; a tampered export is refused and changes nothing', async () => {
    await worker?.stop();
    worker = undefined;
    const first = publish('--model', MODEL, '--promote', '--persist-to', persist);
    expect(first.status, first.stderr).toBe(0);
    const tampered = join(root, 'tampered');
    cpSync(MODEL, tampered, { recursive: true });
    const shard = readdirSync(tampered).find((f) => f.endsWith('.bin'))!;
    const bytes = readFileSync(join(tampered, shard));
    bytes[7] ^= 0xff;
    writeFileSync(join(tampered, shard), bytes);
    const r = publish('--model', tampered, '--promote', '--persist-to', persist);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`not a valid export: ${shard}: sha256 does not match the manifest`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // A worse model is published but not promoted over a better one, unless forced.
    const worse = join(root, 'worse');
    cpSync(MODEL, worse, { recursive: true });
    const m = {
      ...shipped,
      version: '20990101T000000Z-0000beef',
      metrics: { ...shipped.metrics, fid: shipped.metrics.fid * 2 },
    };
    writeFileSync(join(worse, 'manifest.json'), JSON.stringify(m));
    const unpromoted = publish('--model', worse, '--promote', '--persist-to', persist);
    expect(unpromoted.status).toBe(0);
    expect(unpromoted.stdout).toMatch(/compared with the promoted .*: FAIL FID/);
    expect(unpromoted.stdout).toContain(
      `published ${m.version} (not promoted: worse than the promoted ${shipped.version} (FID`,
    );
    const store = await openLocalStore(persist);
    try {
      const latest = await store.get('latest.json');
      expect(manifestSchema.parse(JSON.parse(new TextDecoder().decode(latest!))).version).toBe(
        shipped.version,
      );
      expect(await store.get(`models/${m.version}/manifest.json`)).not.toBeNull();
    } finally {
      await store.close();
    }
    const forced = publish('--model', worse, '--promote', '--force', '--persist-to', persist);
    expect(forced.status).toBe(0);
    expect(forced.stdout).toContain(`promoted ${m.version}`);
    const nowhere = publish('--model', join(root, 'nowhere'), '--persist-to', persist);
    expect(nowhere.status).toBe(1);
    expect(nowhere.stderr).toContain('not a valid export');
  });

  it('rollback re-points latest.json to a verified version; prune keeps the newest K and the promoted one', async () => {
    const versions = (...args: string[]) => runCli('bin/versions.ts', [...args, '--persist-to', persist]);
    // An older version, published but never promoted.
    const old = join(root, 'old');
    cpSync(MODEL, old, { recursive: true });
    writeFileSync(
      join(old, 'manifest.json'),
      JSON.stringify({ ...shipped, version: '20200101T000000Z-00000001' }),
    );
    const published = publish('--model', old, '--persist-to', persist);
    expect(published.status, published.stderr).toBe(0);

    const back = versions('rollback', '--version', shipped.version);
    expect(back.stderr).toBe('');
    expect(back.stdout).toContain(`latest.json now points to ${shipped.version}`);
    const store = await openLocalStore(persist);
    try {
      const latest = await store.get('latest.json');
      expect(manifestSchema.parse(JSON.parse(new TextDecoder().decode(latest!))).version).toBe(
        shipped.version,
      );
      // A damaged version is refused.
      const shard = shipped.files.find((f) => f.path.endsWith('.bin'))!;
      await store.put(
        `models/20200101T000000Z-00000001/${shard.path}`,
        new Uint8Array([1, 2, 3]),
        'application/octet-stream',
      );
    } finally {
      await store.close();
    }
    const damaged = versions('rollback', '--version', '20200101T000000Z-00000001');
    expect(damaged.status).toBe(1);
    expect(damaged.stderr).toContain(
      `version 20200101T000000Z-00000001 is damaged: ${shipped.files.find((f) => f.path.endsWith('.bin'))!.path} does not match its manifest`,
    );
    expect(versions('rollback', '--version', '20990101T000000Z-12345678').stderr).toContain(
      'there is no version 20990101T000000Z-12345678',
    );

    // Three versions: 2099 (newest), the promoted shipped one, 2020 (oldest). Keep 1 → only 2020 goes.
    const dry = versions('prune', '--keep', '1', '--dry-run');
    expect(dry.stdout).toContain('would delete 20200101T000000Z-00000001');
    expect(dry.stdout).not.toContain(shipped.version);
    const pruned = versions('prune', '--keep', '1');
    expect(pruned.stdout).toContain('pruned 1 version(s)');
    const after = await openLocalStore(persist);
    try {
      const keys = await after.list('models/');
      expect(keys.some((k) => k.startsWith('models/20200101T000000Z-00000001/'))).toBe(false);
      expect(keys.some((k) => k.startsWith(`models/${shipped.version}/`))).toBe(true);
      expect(keys.some((k) => k.startsWith('models/20990101T000000Z-0000beef/'))).toBe(true);
    } finally {
      await after.close();
    }
  });
});

describe('a schema 3 export', () => {
  it('published (after npm run export -- --upgrade when the shipped one is older), served with its sample grid and loss chart', async () => {
    const dir = join(root, 'schema2');
    cpSync(MODEL, dir, { recursive: true });
    if (shipped.schema !== 3) expect(runCli('bin/export.ts', ['--upgrade', dir]).status).toBe(0);
    const r = publish('--model', dir, '--promote', '--persist-to', persist);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`uploaded models/${shipped.version}/samples.png`);
    worker = await startLocalWorker({ persistDir: persist });
    try {
      const m = manifestSchema.parse(await (await fetch(`${worker.url}/v1/model`)).json());
      if (m.schema !== 3) throw new Error(`schema ${m.schema} served`);
      expect(m.version).toBe(shipped.version);
      expect(m.inputs.map((i) => i.name)).toEqual(['noise', 'label']);
      expect(m.card.length).toBeGreaterThan(100);
      const types: Record<string, string> = {
        'model.json': 'application/json; charset=utf-8',
        'samples.png': 'image/png',
        'losses.svg': 'image/svg+xml',
      };
      for (const f of m.files) {
        const file = await fetch(`${worker.url}/v1/models/${m.version}/${f.path}`);
        expect(file.status, f.path).toBe(200);
        expect(file.headers.get('Content-Type'), f.path).toBe(types[f.path] ?? 'application/octet-stream');
        const bytes = new Uint8Array(await file.arrayBuffer());
        expect(sha256(bytes), f.path).toBe(f.sha256);
      }
      const list = versionListSchema.parse(await (await fetch(`${worker.url}/v1/models`)).json());
      const entry = list.versions.find((v) => v.version === m.version);
      expect(entry).toMatchObject({
        schema: 3,
        samplesPath: `/v1/models/${m.version}/samples.png`,
        promoted: true,
      });
    } finally {
      await worker.stop();
      worker = undefined;
    }
  });
});

usageTests('bin/publish.ts', {
  usage: 'npm run publish --',
  help: [
    '--model <dir>',
    '--target <name>',
    'choices: "local", "r2"',
    '--max-regression <p>',
    '(default: 5)',
  ],
  errors: [
    [[], "required option '--model <dir>' not specified"],
    [['--model', MODEL, '--target', 's3'], "argument 's3' is invalid. Allowed choices are local, r2."],
    [['--model', MODEL, '--max-regression=-1'], "--max-regression must be a non-negative number, got '-1'"],
  ],
});

usageTests('bin/versions.ts', {
  usage: 'npm run rollback -- --version V',
  helpArgs: ['rollback', '--help'],
  help: ['--version <v>', '--target <name>', '--persist-to <dir>', '(default: ".wrangler/state")'],
  errors: [
    [['rollback'], "required option '--version <v>' not specified"],
    [['rollback', '--version', 'latest'], "--version 'latest' is not a version name"],
    [
      ['rollback', '--version', '20200101T000000Z-00000001', '--target', 's3'],
      'Allowed choices are local, r2.',
    ],
    [['prune', '--keep', '0'], "--keep must be a positive integer, got '0'"],
    [['prune', '--keep', 'all'], "--keep must be a positive integer, got 'all'"],
    [['undo'], "unknown command 'undo'"],
  ],
});

usageTests('bin/start.ts', {
  usage: 'npm start --',
  help: ['--port <n>', '(default: 8787)', '--persist-to <dir>'],
  errors: [
    [['--port', '0'], "--port must be an integer from 1 to 65535, got '0'"],
    [['--port', 'http'], "--port must be an integer from 1 to 65535, got 'http'"],
  ],
});
