// What the page's service workers still have under way, for a test to say why a new worker is kept
// waiting. Chromium activates a new worker that called skipWaiting() once the old one has no work
// left (no event it was sent still unfinished: a fetch event whose respondWith or waitUntil promise
// is pending, a message event, …), or after 5 minutes (kMaxLameDuckTime in Chromium's
// service_worker_registration.cc). The tracker is put into a running worker through DevTools: it
// sees the events that worker gets from then on (a worker that stops and starts again loses it).
import type { BrowserContext } from 'playwright-core';

interface Tracked {
  __inflight?: Map<number, string>;
}

/** Starts recording, in each running service worker, the events it has not finished yet. */
export async function trackInflight(context: BrowserContext): Promise<void> {
  for (const sw of context.serviceWorkers()) {
    await sw
      .evaluate(() => {
        const scope = self as unknown as Tracked & {
          FetchEvent: { prototype: { respondWith(r: unknown): void; request: Request } };
          ExtendableEvent: { prototype: { waitUntil(p: unknown): void; type: string } };
        };
        if (scope.__inflight) return;
        const inflight = new Map<number, string>();
        scope.__inflight = inflight;
        let id = 0;
        const track = (what: string, p: unknown) => {
          const key = ++id;
          inflight.set(key, `${what} (since ${new Date().toISOString()})`);
          Promise.resolve(p).finally(() => inflight.delete(key));
        };
        const respondWith = scope.FetchEvent.prototype.respondWith;
        scope.FetchEvent.prototype.respondWith = function (r) {
          track(`fetch ${this.request.mode} ${this.request.url}: respondWith`, r);
          respondWith.call(this, r);
        };
        const waitUntil = scope.ExtendableEvent.prototype.waitUntil;
        scope.ExtendableEvent.prototype.waitUntil = function (p) {
          track(`${this.type} event: waitUntil`, p);
          waitUntil.call(this, p);
        };
      })
      .catch(() => {}); // a worker that is stopping
  }
}

/** Each service worker's URL and what it has not finished (as far as its tracker saw). */
export async function inflightReport(context: BrowserContext): Promise<string> {
  const lines: string[] = [];
  for (const sw of context.serviceWorkers()) {
    const pending = await Promise.race([
      sw.evaluate(() => {
        const m = (self as unknown as Tracked).__inflight;
        return m ? [...m.values()].join('; ') || 'nothing' : 'not tracked';
      }),
      new Promise<string>((done) => setTimeout(() => done('no answer within 5 s'), 5000)),
    ]).catch((e: unknown) => `not reachable (${e instanceof Error ? e.message : String(e)})`);
    lines.push(`${sw.url()}: ${pending}`);
  }
  return lines.join('\n') || 'no service worker running';
}
