// Runs in Node before the worker tests: builds the page the worker serves, starts a stand-in for
// GitHub's API on loopback (it records what it receives), and hands the tests the shipped model's
// real files to put in the local R2, as a schema 2 export (a copy upgraded by `npm run export --
// --upgrade` while the shipped one is schema 1; the tests derive schema 1 manifests from it).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

export const MODEL_DIR = 'model/shipped';

/** The shipped model as a schema 2 folder: itself, or an upgraded copy (removed by `cleanup`). */
function schema2Model(): { dir: string; cleanup: () => void } {
  const schema = (JSON.parse(readFileSync(join(MODEL_DIR, 'manifest.json'), 'utf8')) as { schema: number })
    .schema;
  if (schema === 2) return { dir: MODEL_DIR, cleanup: () => {} };
  const root = mkdtempSync(join(tmpdir(), 'edge-model-'));
  const dir = join(root, 'model');
  cpSync(MODEL_DIR, dir, { recursive: true });
  execFileSync(process.execPath, ['--import', 'tsx', 'bin/export.ts', '--upgrade', dir], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { dir, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    githubApi: string;
    modelFiles: { path: string; base64: string }[];
  }
}

export default async function setup(project: TestProject) {
  execFileSync('npm', ['run', 'build:web', '--silent'], { stdio: 'inherit' });

  const received: ReceivedRequest[] = [];
  let next: { status: number; body: string } | null = null;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => {
      body += d.toString('utf8');
    });
    req.on('end', () => {
      const send = (status: number, text: string) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(text);
      };
      // Control endpoints, used by the tests only.
      if (req.url === '/__received') return send(200, JSON.stringify(received));
      if (req.url === '/__next') {
        next = JSON.parse(body) as { status: number; body: string };
        return send(204, '');
      }
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body,
      });
      const reply = next ?? {
        status: 200,
        body: JSON.stringify({
          workflow_run_id: 4242 + received.length,
          run_url: `https://api.github.com/repos/o/r/actions/runs/${4242 + received.length}`,
          html_url: `https://github.com/o/r/actions/runs/${4242 + received.length}`,
        }),
      };
      next = null;
      send(reply.status, reply.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  project.provide('githubApi', `http://127.0.0.1:${port}`);
  const model = schema2Model();
  project.provide(
    'modelFiles',
    readdirSync(model.dir).map((path) => ({
      path,
      base64: readFileSync(join(model.dir, path)).toString('base64'),
    })),
  );
  model.cleanup();
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
