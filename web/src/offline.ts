// The service worker (built by vite-plugin-pwa from web/vite.config.ts) keeps the page's own files,
// so after one visit the page opens and draws with the network off.
//
// A deploy's new worker waits until a page that has finished loading asks it to take over. The page
// asks again, with growing pauses, while a worker is still waiting: the switch also needs the old
// worker to be idle, and one message at a busy moment would leave the new one waiting. A page whose
// own script the new worker does not keep is stale: it offers a reload.
import { SKIP_WAITING } from './sw-messages.ts';

const ASK_FOR = 60_000; // then the next visit asks again

async function activateWaiting(reg: ServiceWorkerRegistration): Promise<void> {
  const started = Date.now();
  for (let pause = 250; reg.waiting && Date.now() - started < ASK_FOR; pause = Math.min(pause * 2, 4000)) {
    reg.waiting.postMessage({ type: SKIP_WAITING });
    await new Promise((r) => setTimeout(r, pause));
  }
}

/** True when the worker now in charge keeps this page's own script (the page is the newest). */
async function pageIsCurrent(): Promise<boolean> {
  // The old worker's files are dropped while the new one activates: look once it has.
  const now = navigator.serviceWorker.controller;
  if (now && now.state !== 'activated')
    await new Promise<void>((done) =>
      now.addEventListener('statechange', () => {
        if (now.state === 'activated' || now.state === 'redundant') done();
      }),
    );
  const script = document.querySelector<HTMLScriptElement>('script[type=module]');
  if (!script || typeof caches === 'undefined') return true;
  return (await caches.match(script.src)) !== undefined;
}

export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return;
  const hadController = !!navigator.serviceWorker.controller;
  navigator.serviceWorker.addEventListener('controllerchange', async () => {
    if (!hadController || (await pageIsCurrent())) return; // first install, or this page is the new deploy
    const bar = document.getElementById('update') as HTMLElement;
    bar.hidden = false;
    document.getElementById('reload')?.addEventListener('click', () => location.reload());
  });
  navigator.serviceWorker
    .register('/sw.js', { scope: '/' })
    .then((reg) => {
      const watch = (w: ServiceWorker | null) =>
        w?.addEventListener('statechange', () => {
          if (w.state === 'installed') void activateWaiting(reg);
        });
      watch(reg.installing);
      reg.addEventListener('updatefound', () => watch(reg.installing));
      void activateWaiting(reg);
    })
    .catch(() => {
      // Without a service worker the page still works online; nothing to tell the visitor.
    });
}
