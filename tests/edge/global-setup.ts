// Runs in Node before the worker tests: builds the page the worker serves, starts a stand-in for
// GitHub's API on loopback (github-stand-in.ts), and hands the tests the shipped model's
// real files to put in the local R2, as a schema 2 export (a copy upgraded by `npm run export --
// --upgrade` while the shipped one is schema 1; the tests derive schema 1 manifests from it).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startGitHubStandIn } from './github-stand-in.ts';

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

declare module 'vitest' {
  export interface ProvidedContext {
    githubApi: string;
    modelFiles: { path: string; base64: string }[];
  }
}

export default async function setup(project: TestProject) {
  execFileSync('npm', ['run', 'build:web', '--silent'], { stdio: 'inherit' });

  const github = await startGitHubStandIn();
  project.provide('githubApi', github.url);
  const model = schema2Model();
  project.provide(
    'modelFiles',
    readdirSync(model.dir).map((path) => ({
      path,
      base64: readFileSync(join(model.dir, path)).toString('base64'),
    })),
  );
  model.cleanup();
  return github.close;
}
