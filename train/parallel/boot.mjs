// Entry of a training replica thread. Node does not pass the parent's `--import tsx` loader on to
// worker threads, so register it here, then load the TypeScript entry named in workerData.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
