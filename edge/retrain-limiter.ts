import { DurableObject } from 'cloudflare:workers';

export type Acquired = { ok: true; at: number } | { ok: false; retryAfterSeconds: number };

/**
 * One instance for the whole deployment: it lets one retrain through per interval. A Durable
 * Object handles its calls one at a time, so two simultaneous requests cannot both get the slot.
 */
export class RetrainLimiter extends DurableObject {
  async acquire(intervalSeconds: number): Promise<Acquired> {
    const now = Date.now();
    const last = (await this.ctx.storage.get<number>('last')) ?? 0;
    const wait = last + intervalSeconds * 1000 - now;
    if (wait > 0) return { ok: false, retryAfterSeconds: Math.ceil(wait / 1000) };
    await this.ctx.storage.put('last', now);
    return { ok: true, at: now };
  }

  /** Gives the slot back when the dispatch it was taken for failed (nothing was started). */
  async release(at: number): Promise<void> {
    if ((await this.ctx.storage.get<number>('last')) === at) await this.ctx.storage.delete('last');
  }
}
