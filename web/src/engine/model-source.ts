// Which model to run and its verified files: the promoted (or asked-for) version from the API, or,
// when that cannot be had (offline, a damaged file), the last good one from the cache.
import type { Manifest } from '../../../contract/index.ts';
import type { EngineEvent, LoadState, ManifestAnswer } from './api.ts';
import { NoModelError, OfflineError, parseManifest, readManifest } from './manifest.ts';
import { cancelUntaken, IntegrityError, loadFiles, type Prefetched, StalledError } from './model-files.ts';
import { STEP, step } from './steps.ts';

export interface ModelToRun {
  manifest: Manifest;
  files: Map<string, Uint8Array>;
}

const kb = (n: number) => `${(n / 1024).toFixed(0)} KB`;

export async function obtainModel(
  answer: Promise<ManifestAnswer>,
  lastGood: string | null,
  emit: (e: EngineEvent) => void,
  prefetched: Prefetched = new Map(),
): Promise<ModelToRun | null> {
  try {
    return await obtain(answer, lastGood, emit, prefetched);
  } finally {
    cancelUntaken(prefetched);
  }
}

async function obtain(
  answer: Promise<ManifestAnswer>,
  lastGood: string | null,
  emit: (e: EngineEvent) => void,
  prefetched: Prefetched,
): Promise<ModelToRun | null> {
  const good = parseManifest(lastGood);
  // Why the asked-for model cannot be used, then what is shown instead: the last good model, or
  // nothing when none is cached.
  const fromCache = async (why: LoadState, reason: string) => {
    if (good) {
      try {
        const files = await loadFiles(good, () => {}, { cachedOnly: true });
        emit({
          type: 'note',
          text: `${reason} Showing the last good model (${good.version}) from the cache.`,
        });
        return { manifest: good, files };
      } catch {
        // nothing usable cached
      }
    }
    emit({ type: 'status', state: why, text: `${reason} No model is cached yet.` });
    return null;
  };
  let manifest: Manifest;
  try {
    const got = await answer;
    manifest = await step(STEP.manifest, async () => readManifest(got));
  } catch (e) {
    if (e instanceof NoModelError) {
      emit({
        type: 'status',
        state: 'no-model',
        text: 'No model has been published yet. Come back after the first training run.',
      });
      return null;
    }
    if (e instanceof OfflineError) return fromCache('offline', e.message);
    throw e;
  }
  emit({ type: 'status', state: 'downloading', text: `Downloading model ${manifest.version}…` });
  try {
    const files = await step(STEP.files, () =>
      loadFiles(
        manifest,
        (p) => {
          emit({ type: 'progress', version: manifest.version, ...p });
          const fetched = p.loaded - p.fromCache;
          emit({
            type: 'status',
            state: 'downloading',
            text: `Downloading model ${manifest.version}: ${kb(fetched)} downloaded, ${kb(p.fromCache)} from the cache, of ${kb(p.total)}.`,
          });
        },
        { prefetched },
      ),
    );
    return { manifest, files };
  } catch (e) {
    if (e instanceof IntegrityError) {
      return fromCache('integrity', `Integrity error: ${e.message} The model was not used.`);
    }
    if (e instanceof TypeError) return fromCache('offline', 'The download was interrupted (offline?).');
    if (e instanceof StalledError)
      return fromCache('offline', `The download stalled twice (${e.message}) A bad connection?`);
    throw e;
  }
}
