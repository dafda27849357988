// The command a stopped pipeline prints to continue it (pipeline/continue-command.ts).
import { describe, expect, it } from 'vitest';
import { continueCommand } from '../../pipeline/continue-command.ts';

describe('the command that continues a pipeline', () => {
  it("keeps the invocation's own flags and replaces where it starts", () => {
    const args = [
      '--steps',
      '30000',
      '--out',
      'runs/a',
      '--target',
      'r2',
      '--quantize',
      'float16',
      '--no-gate',
    ];
    expect(continueCommand(args, 'runs/a', ['--from', 'publish'])).toBe(
      'npm run pipeline -- --steps 30000 --target r2 --quantize float16 --no-gate --out runs/a --from publish',
    );
  });

  it('drops --out, --from and --stages in both spellings, and quotes what a shell would split', () => {
    const args = [
      '--out=runs/b',
      '--stages',
      'train,evaluate',
      '--from=evaluate',
      '--persist-to',
      "my state's dir",
    ];
    expect(continueCommand(args, 'runs/new dir', ['--stages', 'evaluate'])).toBe(
      "npm run pipeline -- --persist-to 'my state'\\''s dir' --out 'runs/new dir' --stages evaluate",
    );
  });

  it('a run started without --out continues in the folder it made', () => {
    expect(continueCommand(['--preset', 'fast-cond'], 'runs/fast-cond-20261207', ['--from', 'train'])).toBe(
      'npm run pipeline -- --preset fast-cond --out runs/fast-cond-20261207 --from train',
    );
  });
});
