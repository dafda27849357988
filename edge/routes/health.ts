import { Hono } from 'hono';
import type { AppEnv } from '../env.ts';

/** Liveness: the worker runs. It does not touch R2, so a store outage does not look like a dead worker. */
export const health = new Hono<AppEnv>().get('/healthz', (c) => c.json({ ok: true }));
