// `env` from cloudflare:test carries the worker's own bindings.
import type { Env as WorkerEnv } from '../../edge/env.ts';

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {}
  }
}
