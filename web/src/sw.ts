/// <reference lib="webworker" />
// The page's service worker. Its own files (HTML, scripts, styles, WASM, icons) are precached at
// install, listed with their hashes by the build, so after one visit the page opens offline. The
// model's files stay with the page's own verified cache (engine/model-files.ts), not here.
// Navigations go to the network first: an online visitor always gets the newest deploy's page
// (whose scripts have new hashed names); the precached page is the offline fallback.
// A new worker does not take over by itself: the page asks it to once it has drawn (offline.ts), so
// the switch never lands while the page and its engine are still fetching their files.
import { clientsClaim } from 'workbox-core';
import * as navigationPreload from 'workbox-navigation-preload';
import { cleanupOutdatedCaches, matchPrecache, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';
import { SKIP_WAITING } from './sw-messages.ts';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: { url: string; revision: string | null }[] };

// The first worker takes the page that installed it, so one visit is enough to work offline.
clientsClaim();
cleanupOutdatedCaches();
// No navigation preload: it did not make the page measurably faster here, and with it a new deploy's
// worker stayed in "waiting" (the old worker not idle) in about half of the browser test's runs;
// without it, in about 1 of 15. Turned off for registrations where an earlier deploy turned it on.
navigationPreload.disable();

registerRoute(
  new NavigationRoute(async ({ request }) => {
    try {
      return await fetch(request);
    } catch {
      return (await matchPrecache('index.html')) ?? Response.error();
    }
  }),
);
precacheAndRoute(self.__WB_MANIFEST);

self.addEventListener('message', (event) => {
  if ((event.data as { type?: unknown } | null)?.type === SKIP_WAITING) void self.skipWaiting();
});
