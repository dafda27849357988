/// <reference lib="webworker" />
// The page's service worker. Its own files (HTML, scripts, styles, WASM, icons) are precached at
// install, listed with their hashes by the build, so after one visit the page opens offline. The
// model's files stay with the page's own verified cache (engine/model-files.ts), not here.
// Navigations go to the network first: an online visitor always gets the newest deploy's page
// (whose scripts have new hashed names); the precached page is the offline fallback.
import { clientsClaim } from 'workbox-core';
import * as navigationPreload from 'workbox-navigation-preload';
import { cleanupOutdatedCaches, matchPrecache, precacheAndRoute } from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';

declare const self: ServiceWorkerGlobalScope & { __WB_MANIFEST: { url: string; revision: string | null }[] };

self.skipWaiting();
clientsClaim();
cleanupOutdatedCaches();
// The page's request starts while this worker boots, instead of after it.
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
precacheAndRoute(self.__WB_MANIFEST);
