// The service worker (built by vite-plugin-pwa from web/vite.config.ts) keeps the page's own files,
// so after one visit the page opens and draws with the network off. When a deploy brings new files,
// the new worker takes over and the page offers a reload instead of running on stale scripts.
export function registerServiceWorker(): void {
  if (!('serviceWorker' in navigator)) return;
  const hadController = !!navigator.serviceWorker.controller;
  navigator.serviceWorker.addEventListener('controllerchange', () => {
    if (!hadController) return; // the first install: this page's files are already the newest
    const bar = document.getElementById('update') as HTMLElement;
    bar.hidden = false;
    document.getElementById('reload')?.addEventListener('click', () => location.reload());
  });
  navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(() => {
    // Without a service worker the page still works online; nothing to tell the visitor.
  });
}
