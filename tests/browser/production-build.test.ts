// The production page (npm run build:web → web/dist, what `npm start` and deploys serve) carries no
// test or benchmark hooks: none of the debug interface's names is in any of its files. The test build
// (web/dist-test) is searched the same way and must contain every name, so the search is known to
// find them where they are.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { EngineDebugApi } from '../../web/src/engine/api.ts';
import { buildProductionPage, buildTestPage } from './builds.ts';

// Every method of the engine's debug API: a new one fails the typecheck until it is listed here.
const ENGINE_DEBUG_METHODS: Record<keyof EngineDebugApi, true> = {
  benchTime: true,
  matmulGflops: true,
  kernelProfile: true,
  loseDevice: true,
  requestTimings: true,
  stepMarks: true,
};
/** Names a minifier keeps (globals, property keys, a chunk's exports and file name). */
const HOOK_NAMES = ['__gan', 'installDebugHooks', '__DEBUG_HOOKS__', ...Object.keys(ENGINE_DEBUG_METHODS)];
const DEBUG_CHUNK = /assets\/debug-[\w-]+\.js/;

/** Every file of a build as text (WASM and images too: a name in them would count as well). */
function files(dir: string): Map<string, string> {
  return new Map(
    readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => {
        const path = join(e.parentPath, e.name);
        return [relative(dir, path), readFileSync(path, 'latin1')];
      }),
  );
}

/** Where each name occurs: "name in file" lines, or none. */
function hooksIn(build: Map<string, string>): string[] {
  const found: string[] = [];
  for (const [file, text] of build) {
    for (const name of HOOK_NAMES) if (text.includes(name)) found.push(`${name} in ${file}`);
    if (DEBUG_CHUNK.test(file) || DEBUG_CHUNK.test(text)) found.push(`the debug chunk in ${file}`);
  }
  return found;
}

let production: Map<string, string>;
let test: Map<string, string>;

// The npm scripts' builds, each into a folder of this file's own (see builds.ts): the output
// folder is all that differs from web/dist and web/dist-test.
const productionDir = mkdtempSync(join(tmpdir(), 'production-build-'));
const testDir = mkdtempSync(join(tmpdir(), 'test-build-'));

beforeAll(() => {
  buildProductionPage({ outDir: productionDir });
  buildTestPage({ outDir: testDir });
  production = files(productionDir);
  test = files(testDir);
}, 120_000);

afterAll(() => {
  rmSync(productionDir, { recursive: true, force: true });
  rmSync(testDir, { recursive: true, force: true });
});

it('the production build has no debug hook in any file', () => {
  expect(production.size).toBeGreaterThan(10); // a whole build was searched
  expect(hooksIn(production)).toEqual([]);
});

it('the test build has every one of them (the search finds them where they are)', () => {
  const found = hooksIn(test).join('\n');
  for (const name of HOOK_NAMES.filter((n) => n !== '__DEBUG_HOOKS__'))
    expect(found).toContain(`${name} in `);
  expect(found).toContain('the debug chunk in ');
});
