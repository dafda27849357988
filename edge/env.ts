import type { RetrainLimiter } from './retrain-limiter.ts';

/** The worker's bindings (wrangler.toml) and secrets (`wrangler secret put`). */
export interface Env {
  MODELS: R2Bucket;
  RETRAIN_LIMITER: DurableObjectNamespace<RetrainLimiter>;
  GITHUB_API: string;
  GITHUB_OWNER: string;
  GITHUB_REPO: string;
  GITHUB_WORKFLOW: string;
  GITHUB_REF: string;
  /** Seconds between two accepted retrains. */
  RETRAIN_INTERVAL_SECONDS: string;
  /** Secret: a GitHub token allowed to dispatch the workflow (actions: write). */
  GITHUB_TOKEN?: string;
  /** Secret: what callers of POST /v1/retrain present as their bearer token. */
  RETRAIN_TOKEN?: string;
}

export type AppEnv = { Bindings: Env };
