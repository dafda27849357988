// Runs in Node before the worker tests: builds the page the worker serves, starts a stand-in for
// GitHub's API on loopback (github-stand-in.ts), and hands the tests the shipped model's
// real files to put in the local R2, as a current export (a copy upgraded by `npm run export --
// --upgrade` while the shipped one is older; the tests derive older manifests from it).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { MANIFEST_SCHEMA } from '../../contract/index.ts';
import { startGitHubStandIn } from './github-stand-in.ts';

export const MODEL_DIR = 'model/shipped';

/** The shipped model in the current schema: itself, or an upgraded copy (removed by `cleanup`). */
function currentModel(): { dir: string; cleanup: () => void } {
  const schema = (JSON.parse(readFileSync(join(MODEL_DIR, 'manifest.json'), 'utf8')) as { schema: number })
    .schema;
  if (schema === MANIFEST_SCHEMA) return { dir: MODEL_DIR, cleanup: () => {} };
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
  const model = currentModel();
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
