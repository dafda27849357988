// POST /v1/retrain against a stand-in GitHub API on loopback that records what it receives.
import { createExecutionContext, env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, inject, it } from 'vitest';
import { workflowInputs } from '../../contract/index.ts';
import worker from '../../edge/index.ts';
import type { ReceivedRequest } from './global-setup.ts';
import { errorOf, get } from './helpers.ts';

const TOKEN = 'test-retrain-token-7f3a';
const GITHUB_TOKEN = 'ghp_never_echo_this_token';
const github = inject('githubApi');
const received = async () => (await (await fetch(`${github}/__received`)).json()) as ReceivedRequest[];
const nextGithubReply = (status: number, body: unknown) =>
  fetch(`${github}/__next`, { method: 'POST', body: JSON.stringify({ status, body: JSON.stringify(body) }) });

const retrain = (body: unknown, headers: Record<string, string> = { Authorization: `Bearer ${TOKEN}` }) =>
  get('/v1/retrain', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

/** Empties the rate limiter, so a test that needs the slot does not depend on what ran before it. */
const freeSlot = () =>
  runInDurableObject(env.RETRAIN_LIMITER.get(env.RETRAIN_LIMITER.idFromName('global')), (_limiter, state) =>
    state.storage.deleteAll(),
  );

describe('POST /v1/retrain', () => {
  it('no token configured: 503, never open by default', async () => {
    const req = new Request('https://gan.example/v1/retrain', {
      method: 'POST',
      headers: { Authorization: 'Bearer anything' },
      body: '{}',
    });
    const res = await worker.fetch(req, { ...env, RETRAIN_TOKEN: undefined }, createExecutionContext());
    expect(res.status).toBe(503);
    expect((await errorOf(res)).code).toBe('retrain_disabled');
  });

  it('missing or wrong token: 401 with WWW-Authenticate, GitHub not called', async () => {
    const before = (await received()).length;
    for (const headers of <Record<string, string>[]>[
      {},
      { Authorization: 'Basic dXNlcjpwYXNz' },
      { Authorization: 'Bearer' },
      { Authorization: 'Bearer wrong-token' },
      { Authorization: `Bearer ${TOKEN}x` },
      { Authorization: `Bearer ${TOKEN.slice(0, -1)}` },
    ]) {
      const res = await retrain({}, headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.headers.get('WWW-Authenticate')).toMatch(/^Bearer realm="retrain"/);
      expect((await errorOf(res)).code).toBe('unauthorized');
    }
    expect((await received()).length).toBe(before);
  });

  it('bad bodies: 400 listing the bad fields (unknown keys rejected); GitHub not called', async () => {
    const before = (await received()).length;
    const cases: [unknown, RegExp][] = [
      ['{oops', /not valid JSON/],
      [{ preset: 'huge' }, /preset/],
      [{ steps: 0 }, /steps/],
      [{ steps: 1.5, quantization: 'int4' }, /steps.*quantization|quantization.*steps/],
      [{ publish: 'yes' }, /publish/],
      [{ preset: 'fast', sneaky: true }, /sneaky/],
      [[], /body/],
    ];
    for (const [body, message] of cases) {
      const res = await retrain(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toMatch(/^invalid_(json|request)$/);
      expect(error.message).toMatch(message);
    }
    const big = await retrain({ preset: 'fast', pad: 'x'.repeat(10_000) });
    expect(big.status).toBe(413);
    expect((await received()).length).toBe(before);
  });

  it("GitHub's refusal is a 502 with GitHub's message; the slot is given back; the token never leaks", async () => {
    await freeSlot();
    await nextGithubReply(422, { message: "Unexpected inputs provided: ['bogus']" });
    const res = await retrain({ preset: 'fast' });
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(JSON.parse(text).error.code).toBe('github_error');
    expect(text).toContain("Unexpected inputs provided: ['bogus']");
    expect(text).not.toContain(GITHUB_TOKEN);
    expect(text).not.toContain(TOKEN);
  });

  it('dispatches the workflow with the validated inputs and answers 202 with the run', async () => {
    await freeSlot();
    const res = await retrain({ preset: 'fast-cond', steps: 5000, quantization: 'float16' });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { runId: number; runUrl: string; inputs: Record<string, string> };
    const calls = await received();
    const call = calls[calls.length - 1];
    expect(call.method).toBe('POST');
    expect(call.url).toBe('/repos/octo-org/mnist-gan/actions/workflows/train.yml/dispatches');
    expect(call.headers.authorization).toBe(`Bearer ${GITHUB_TOKEN}`);
    expect(call.headers['x-github-api-version']).toBe('2022-11-28');
    const sent = JSON.parse(call.body) as {
      ref: string;
      inputs: Record<string, string>;
      return_run_details: boolean;
    };
    const expected = workflowInputs({
      preset: 'fast-cond',
      steps: 5000,
      quantization: 'float16',
      publish: true,
      force: false,
    });
    expect(sent).toEqual({ ref: 'main', inputs: expected, return_run_details: true });
    expect(body.inputs).toEqual(expected);
    expect(body.runId).toBe(4242 + calls.length);
    expect(body.runUrl).toBe(`https://github.com/o/r/actions/runs/${4242 + calls.length}`);
    expect(JSON.stringify(body)).not.toContain(GITHUB_TOKEN);
  });

  it('rate limited: a second retrain within the interval is 429 with Retry-After; GitHub not called', async () => {
    await freeSlot();
    expect((await retrain({})).status).toBe(202); // takes the slot
    const before = (await received()).length;
    const res = await retrain({});
    expect(res.status).toBe(429);
    const retryAfter = Number(res.headers.get('Retry-After'));
    expect(retryAfter).toBeGreaterThan(500);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect((await errorOf(res)).code).toBe('rate_limited');
    // Concurrent attempts: all refused, none reaches GitHub.
    const burst = await Promise.all(Array.from({ length: 5 }, () => retrain({ preset: 'fast' })));
    expect(burst.map((r) => r.status)).toEqual([429, 429, 429, 429, 429]);
    expect((await received()).length).toBe(before);
  });
});
