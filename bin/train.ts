// npm run train -- [options]: trains a GAN on the MNIST digits into a run folder, then (unless
// --no-export) evaluates and exports its final checkpoint. `npm run pipeline` runs the same training
// as its first stage.
import { join } from 'node:path';
import { command, integer, parse, run, UsageError } from '../lib/command.ts';
import { INTERRUPTED_EXIT, ignoreClosedStdout, interruptSignal } from '../lib/interrupt.ts';
import { defaultExportDir, exportRun } from '../model/export/finish.ts';
import {
  addTrainingOptions,
  explicitOptions,
  type TrainingOptions,
  trainConfigFrom,
} from '../train/options.ts';
import { formatDuration } from '../train/progress.ts';
import { OUT_OF_TIME_EXIT, outOfTime, TrainingError, train } from '../train/train.ts';

const program = addTrainingOptions(
  command(
    'npm run train --',
    'Train a GAN on the MNIST digits. Writes metrics.jsonl, losses.svg, samples/ and an atomic checkpoint/ into --out.',
  ),
)
  .option('--out <dir>', 'run folder (default runs/<preset>-<time>)')
  .option('--resume', 'continue the run in --out from its last checkpoint, to the same final step', false)
  .option('--no-export', 'skip evaluating and exporting the final checkpoint (uint8, into <out>/export)')
  .option(
    '--eval-samples <n>',
    'digits generated for the final evaluation',
    integer('--eval-samples', 1),
    10_000,
  );

interface TrainCliOptions extends TrainingOptions {
  export: boolean;
  evalSamples: number;
}

run(
  async () => {
    const o = parse<TrainCliOptions>(program);
    if (o.export && o.evalSamples < 100)
      throw new UsageError(`--eval-samples must be at least 100, got ${o.evalSamples}`);
    const config = trainConfigFrom(o);
    const explicit = explicitOptions(program, o);

    ignoreClosedStdout();
    const signal = interruptSignal('finishing this step and saving a checkpoint');

    const r = await train(config, { signal, isTTY: process.stdout.isTTY === true, explicit });
    const how = {
      finished: 'finished',
      'time-limit': 'stopped at the time limit',
      interrupted: 'interrupted',
    }[r.status];
    console.log(
      `${how} at step ${r.step}${r.target ? `/${r.target}` : ''} after ${formatDuration(r.seconds)} on ${r.backend.name}` +
        (r.last ? ` (D ${r.last.dLoss.toFixed(3)}, G ${r.last.gLoss.toFixed(3)})` : ''),
    );
    console.log(`run folder: ${config.out} (checkpoint/, samples/, metrics.jsonl, losses.svg)`);
    if (r.status !== 'finished' && (r.target === null || r.step < r.target)) {
      console.log(`resume with: npm run train -- --out ${config.out} --resume`);
    }
    // A run that did not reach its final step is not the model it was asked for: export it once it has.
    if (o.export && r.status !== 'interrupted' && !outOfTime(r)) {
      // Evaluate and export the final checkpoint (uint8), as the publishing step will want it.
      const exportDir = defaultExportDir(config.out);
      const manifest = await exportRun(config.out, exportDir, {
        quantization: 'uint8',
        samples: o.evalSamples,
        reportFile: join(config.out, 'report.json'),
        log: (l) => console.log(l),
      });
      console.log(
        `exported ${manifest.version} to ${exportDir} (report: ${join(config.out, 'report.json')})`,
      );
    }
    if (r.status === 'interrupted') return INTERRUPTED_EXIT;
    return outOfTime(r) ? OUT_OF_TIME_EXIT : 0;
  },
  // A diverged run exits 3, a crashed training thread 4, a refused run folder 2 (see TrainingError);
  // out of --max-minutes before the final step 75, interrupted 130.
  (e) => (e instanceof TrainingError ? e.exitCode : 1),
);
