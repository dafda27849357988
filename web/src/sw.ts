/// <reference lib="webworker" />
// The page's service worker. Its own files (HTML, scripts, styles, icons) are precached at install,
// listed with their hashes by the build (hashed files come from the HTTP cache, where the visit
// just put them: no second download), so after one visit the page opens offline. The WASM binary
// is the one the engine ran and kept (wasm-cache.ts), not all three of tfjs's builds; the model's
// files stay with the page's own verified cache (engine/model-files.ts).
// Navigations go to the network first: an online visitor always gets the newest deploy's page
// (whose scripts have new hashed names); the precached page is the offline fallback. The browser
// starts that request while this worker starts (navigation preload), and the handler answers with
// it rather than asking the network a second time.
// A new worker does not take over by itself: the page asks it to once it has drawn (offline.ts), so
// the switch never lands while the page and its engine are still fetching their files.
import { clientsClaim } from 'workbox-core';
import * as navigationPreload from 'workbox-navigation-preload';
import { cleanupOutdatedCaches, matchPrecache, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { SKIP_WAITING } from './sw-messages.ts';
import { WASM_CACHE } from './wasm-cache.ts';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: { url: string; revision: string | null }[] };

// The first worker takes the page that installed it, so one visit is enough to work offline.
clientsClaim();
cleanupOutdatedCaches();
navigationPreload.enable();

registerRoute(
  new NavigationRoute(async ({ event, request }) => {
    try {
      const preloaded = await (event as FetchEvent).preloadResponse;
      return (preloaded as Response | undefined) ?? (await fetch(request));
    } catch {
      return (await matchPrecache('index.html')) ?? Response.error();
    }
  }),
);
registerRoute(
  ({ url }) => url.pathname.endsWith('.wasm'),
  async ({ request }) => (await (await caches.open(WASM_CACHE)).match(request)) ?? fetch(request),
);
precacheAndRoute(self.__WB_MANIFEST);

self.addEventListener('message', (event) => {
  if ((event.data as { type?: unknown } | null)?.type === SKIP_WAITING) void self.skipWaiting();
});
