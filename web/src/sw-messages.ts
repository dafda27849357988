// What the page and its service worker say to each other.

/** Page → waiting worker: take over now (the page has drawn; nothing of it is loading). */
export const SKIP_WAITING = 'SKIP_WAITING';
