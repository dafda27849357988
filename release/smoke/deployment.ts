// The deployment under test, as its users reach it: its base URL, requests with a deadline, and what
// earlier checks learnt about it (the manifest, the loaded model) for the checks after them.
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { Manifest } from '../../contract/index.ts';
import { UsageError } from '../../lib/command.ts';
import { Skip } from './check.ts';

/** The base URL from the command line: http(s), no query or fragment; without its trailing slash. */
export function deploymentUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`'${text}' is not a URL (e.g. https://mnist-gan.example.workers.dev)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`'${text}' is not an http(s) URL`);
  if (url.search || url.hash) throw new UsageError(`'${text}': give the deployment's base URL, no query`);
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/** One line for a request that got no answer: the cause Node's fetch hides behind "fetch failed". */
function requestFailure(path: string, e: unknown): Error {
  const err = e instanceof Error ? e : new Error(String(e));
  const cause = err.cause instanceof Error ? err.cause.message : '';
  const why = err.name === 'TimeoutError' ? 'no answer in time' : cause || err.message;
  return new Error(`GET ${path}: ${why}`);
}

export class Deployment {
  /** Set by the manifest check once /v1/model is valid. */
  manifest?: Manifest;
  /** Set by the tfjs check once model.json has loaded. */
  model?: LayersModel;

  constructor(
    readonly base: string,
    private readonly timeoutMs: number,
  ) {}

  url(path: string): string {
    return `${this.base}${path}`;
  }

  /** The URL of one of the promoted version's files. */
  fileUrl(manifest: Manifest, file: string): string {
    return this.url(`/v1/models/${manifest.version}/${encodeURIComponent(file)}`);
  }

  /** A request as a browser or script would make it; a network failure is one line naming the path. */
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const once = () => fetch(this.url(path), { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    try {
      return await once();
    } catch (first) {
      // A kept-alive connection the server closed meanwhile ("other side closed", seen against
      // wrangler dev between checks): browsers send the request again on a new one, so do we.
      if (first instanceof Error && first.name === 'TimeoutError') throw requestFailure(path, first);
      try {
        return await once();
      } catch (e) {
        throw requestFailure(path, e);
      }
    }
  }

  /** A GET that must answer 200; its body otherwise, shortened, says why not. */
  async get(path: string, init: RequestInit = {}): Promise<Response> {
    const res = await this.fetch(path, init);
    if (res.status !== 200) {
      const body = (await res.text().catch(() => '')).replace(/\s+/g, ' ').slice(0, 200);
      throw new Error(`GET ${path} answered ${res.status}${body ? `: ${body}` : ''}`);
    }
    return res;
  }

  /** A GET whose 200 body must be JSON. */
  async getJson(path: string): Promise<unknown> {
    const res = await this.get(path);
    const text = await res.text();
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(`GET ${path}: not JSON (${res.headers.get('content-type') ?? 'no content type'})`);
    }
  }

  needManifest(): Manifest {
    if (!this.manifest) throw new Skip('needs a valid /v1/model (see the manifest check)');
    return this.manifest;
  }

  needModel(): LayersModel {
    if (!this.model) throw new Skip('needs the model loaded (see the tfjs check)');
    return this.model;
  }
}
