// The layout's one-way dependencies (docs/architecture.md), checked on every import of every source
// file: folders are the stages the data passes through, and imports point down the list only.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const PARTS = ['contract', 'lib', 'train', 'model', 'release', 'pipeline', 'bin', 'edge', 'web'] as const;
type Part = (typeof PARTS)[number];
/** What each part may import besides itself. */
const ALLOWED: Record<Part, Part[]> = {
  contract: [],
  lib: [],
  train: ['contract', 'lib'],
  model: ['contract', 'lib', 'train'],
  release: ['contract', 'lib', 'train', 'model'],
  pipeline: ['contract', 'lib', 'train', 'model', 'release'],
  bin: ['contract', 'lib', 'train', 'model', 'release', 'pipeline'],
  edge: ['contract'],
  web: ['contract'],
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : sources(path);
    return /\.(ts|mjs)$/.test(e.name) ? [path] : [];
  });
}

/** Relative import specifiers: static, dynamic and re-exports. */
function relativeImports(text: string): string[] {
  const found = [...text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]);
  return [...new Set(found)];
}

const partOf = (file: string): string => relative(process.cwd(), file).split('/')[0];

describe('the layout', () => {
  it('finds the imports it checks', () => {
    expect(
      relativeImports(`import { a } from '../contract/index.ts';\nconst m = await import('./x.ts');`),
    ).toEqual(['../contract/index.ts', './x.ts']);
  });

  // Inside a stage, sibling subfolders form a hierarchy too: two that import each other are one job
  // split badly (model/evaluate once imported the export's verification while the exporter imported
  // evaluate). A folder and its own subfolder may (the root composes, the subfolder uses root helpers).
  it.each(PARTS)('%s: no two sibling subfolders import each other', (part) => {
    const edges = new Set<string>();
    const folderOf = (file: string) => dirname(relative(process.cwd(), file));
    for (const file of sources(part)) {
      for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
        const from = folderOf(file);
        const to = folderOf(resolve(dirname(file), spec));
        if (from !== to && partOf(resolve(dirname(file), spec)) === part) edges.add(`${from} -> ${to}`);
      }
    }
    const both = [...edges].filter((e) => {
      const [from, to] = e.split(' -> ');
      const nested = `${to}/`.startsWith(`${from}/`) || `${from}/`.startsWith(`${to}/`);
      return !nested && from < to && edges.has(`${to} -> ${from}`);
    });
    expect(both).toEqual([]);
  });

  it.each(PARTS)('%s imports only what it may', (part) => {
    const wrong: string[] = [];
    for (const file of sources(part)) {
      for (const spec of relativeImports(readFileSync(file, 'utf8'))) {
        const target = partOf(resolve(dirname(file), spec));
        if (target !== part && !ALLOWED[part].includes(target as Part)) wrong.push(`${file} imports ${spec}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
