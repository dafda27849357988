// The worker's entry point (wrangler.toml `main`).
import { app } from './app.ts';

export { RetrainLimiter } from './retrain-limiter.ts';
export default app;
