// Stage 5: upload the export to R2 (or the local R2 `npm start` serves) as its version, and promote
// it unless it is worse than the promoted model. Re-running it after a failure uploads the same
// export under the same version: objects already there are overwritten with the same bytes.
import { defaultExportDir } from '../../model/export/finish.ts';
import { openStore } from '../../release/open-store.ts';
import { publishModel } from '../../release/publish.ts';
import { needs } from '../records.ts';
import type { StageContext, StageOutcome } from './context.ts';

export interface PublishStageOptions {
  target: 'local' | 'r2';
  persistTo: string;
  promote: boolean;
  force: boolean;
  maxRegression: number;
}

export async function publishStage(
  opts: PublishStageOptions,
  ctx: StageContext,
): Promise<StageOutcome<'publish'>> {
  const exported = needs(ctx.runDir, 'export', 'publish');
  const gated = needs(ctx.runDir, 'gate', 'publish');
  if (gated.result.version !== exported.result.version)
    throw new Error(
      `the gate judged ${gated.result.version}, but the export is ${exported.result.version}: run the gate again (--from gate)`,
    );
  if (!gated.result.passed) throw new Error(`the gate refused ${gated.result.version}: nothing to publish`);
  const store = await openStore(opts.target, opts.persistTo);
  try {
    ctx.log(`publishing ${exported.result.version} to ${store.description}`);
    const r = await publishModel(store, defaultExportDir(ctx.runDir), {
      promote: opts.promote,
      force: opts.force,
      maxRegression: opts.maxRegression,
      log: ctx.log,
    });
    ctx.log(
      r.promoted
        ? `published and promoted ${r.manifest.version}`
        : `published ${r.manifest.version}, not promoted: ${r.notPromotedBecause}`,
    );
    return {
      result: {
        version: r.manifest.version,
        target: opts.target,
        store: store.description,
        promoted: r.promoted,
        notPromotedBecause: r.notPromotedBecause,
        previous: r.previous,
        fid: r.manifest.metrics.fid,
      },
      outputs: [],
    };
  } finally {
    await store.close();
  }
}
