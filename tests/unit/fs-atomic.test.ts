// replaceDir: every state a kill or a failed write can leave behind still reads as a whole folder.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { previousDir, readableDir, replaceDir } from '../../lib/fs-atomic.ts';

const root = mkdtempSync(join(tmpdir(), 'fs-atomic-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const put = (dir: string, content: string) => {
  mkdirSync(dir);
  writeFileSync(join(dir, 'data.txt'), content);
};
/** A folder `model` under its own parent `name`, holding data.txt = `content` when given. */
function folder(name: string, content?: string): { parent: string; target: string } {
  const parent = join(root, name);
  mkdirSync(parent);
  const target = join(parent, 'model');
  if (content !== undefined) put(target, content);
  return { parent, target };
}
const write = (content: string) => (tmp: string) => writeFileSync(join(tmp, 'data.txt'), content);
const read = (target: string) => {
  const dir = readableDir(target, 'data.txt');
  return dir === null ? null : readFileSync(join(dir, 'data.txt'), 'utf8');
};

describe('replaceDir', () => {
  it('creates, then replaces a folder whole, leaving nothing else beside it', () => {
    const { parent, target } = folder('replace');
    replaceDir(target, write('one'));
    expect(read(target)).toBe('one');
    replaceDir(target, (tmp) => {
      writeFileSync(join(tmp, 'data.txt'), 'two');
      mkdirSync(join(tmp, 'sub'));
      writeFileSync(join(tmp, 'sub', 'more.txt'), 'nested');
    });
    expect(read(target)).toBe('two');
    expect(readdirSync(target).sort()).toEqual(['data.txt', 'sub']);
    expect(readdirSync(parent)).toEqual(['model']);
  });

  // A kill after replaceDir's first rename (the old folder set aside, the new one not yet in place),
  // or after its second (both there, the clean-up not done).
  it.each([
    ['between the two renames', null, 'old'],
    ['after the second rename', 'new', 'new'],
  ])(
    'a kill %s: the reader finds the last whole folder; the next write cleans up',
    (_, renamedIn, expected) => {
      const { parent, target } = folder(`kill-${expected}`, 'old');
      renameSync(target, previousDir(target));
      if (renamedIn !== null) put(target, renamedIn);
      expect(read(target)).toBe(expected);
      replaceDir(target, write('next'));
      expect(read(target)).toBe('next');
      expect(readdirSync(parent)).toEqual(['model']);
    },
  );

  it('a write that fails leaves the previous folder as it was, and no temporary folder', () => {
    const { parent, target } = folder('fails', 'previous');
    expect(() =>
      replaceDir(target, (tmp) => {
        writeFileSync(join(tmp, 'data.txt'), 'half');
        throw new Error('disk full');
      }),
    ).toThrow('disk full');
    expect(read(target)).toBe('previous');
    expect(readdirSync(parent)).toEqual(['model']);
  });

  it('a temporary folder of a killed writer is ignored by readers and removed by the next write', () => {
    const { parent, target } = folder('stale', 'kept');
    mkdirSync(join(parent, '.model-tmp-99999'));
    writeFileSync(join(parent, '.model-tmp-99999', 'data.txt'), 'half');
    expect(read(target)).toBe('kept');
    replaceDir(target, write('next'));
    expect(read(target)).toBe('next');
    expect(existsSync(join(parent, '.model-tmp-99999'))).toBe(false);
  });

  it('nothing written yet: nothing to read', () => {
    expect(read(folder('empty').target)).toBeNull();
  });
});
