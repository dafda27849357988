// POST /v1/retrain against a stand-in GitHub API on loopback (github-stand-in.ts) that lists the
// workflow's runs as GitHub does and records what it receives.
import { createExecutionContext, env, runInDurableObject } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { ACTIVE_RUN_STATUSES, retrainConflictSchema, workflowInputs } from '../../contract/index.ts';
import worker from '../../edge/index.ts';
import { gitHubStandIn, run } from './github-client.ts';
import { errorOf, get } from './helpers.ts';

const TOKEN = 'test-retrain-token-7f3a';
const GITHUB_TOKEN = 'ghp_never_echo_this_token';
const WORKFLOW = '/repos/octo-org/mnist-gan/actions/workflows/train.yml';
const github = gitHubStandIn('octo-org'); // vitest.edge.config.ts's GITHUB_OWNER
const received = github.received;
const dispatches = async () => (await received()).filter((r) => r.method === 'POST');

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

beforeEach(async () => {
  await github.setRuns([]); // no run unfinished: what each test needs unless it says otherwise
});

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
    await github.nextReply('POST', 422, { message: "Unexpected inputs provided: ['bogus']" });
    const res = await retrain({ preset: 'fast' });
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(JSON.parse(text).error.code).toBe('github_error');
    expect(text).toContain("Unexpected inputs provided: ['bogus']");
    expect(text).not.toContain(GITHUB_TOKEN);
    expect(text).not.toContain(TOKEN);
    expect((await retrain({})).status).toBe(202); // the slot was given back
  });

  it('no run unfinished: asks GitHub for each unfinished status, dispatches with the validated inputs, 202 with the run', async () => {
    await freeSlot();
    // Finished runs do not count.
    await github.setRuns([run(1, 'completed'), run(2, 'completed', '2026-04-21T10:00:00Z')]);
    const before = (await received()).length;
    const res = await retrain({ preset: 'fast-cond', steps: 5000, quantization: 'float16' });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { runId: number; runUrl: string; inputs: Record<string, string> };
    const calls = (await received()).slice(before);
    const lists = calls.filter((c) => c.method === 'GET');
    expect(lists.map((c) => new URL(c.url, 'http://x').searchParams.get('status')).sort()).toEqual(
      [...ACTIVE_RUN_STATUSES].sort(),
    );
    for (const list of lists) {
      expect(new URL(list.url, 'http://x').pathname).toBe(`${WORKFLOW}/runs`);
      expect(list.headers.authorization).toBe(`Bearer ${GITHUB_TOKEN}`);
    }
    const call = calls[calls.length - 1];
    expect(calls.length).toBe(lists.length + 1);
    expect(call.method).toBe('POST');
    expect(call.url).toBe(`${WORKFLOW}/dispatches`);
    expect(call.headers.authorization).toBe(`Bearer ${GITHUB_TOKEN}`);
    expect(call.headers['x-github-api-version']).toBe('2022-11-28');
    const sent = JSON.parse(call.body) as {
      ref: string;
      inputs: Record<string, string>;
      return_run_details: boolean;
    };
    const expected = workflowInputs({
      mode: 'full',
      preset: 'fast-cond',
      steps: 5000,
      quantization: 'float16',
      publish: true,
      force: false,
    });
    expect(sent).toEqual({ ref: 'main', inputs: expected, return_run_details: true });
    expect(body.inputs).toEqual(expected);
    // The run GitHub said it started, which it now lists as queued.
    const started = (await github.runs()).find((r) => r.status === 'queued');
    expect(started).toBeDefined();
    expect(body.runId).toBe(started?.id);
    expect(body.runUrl).toBe(started?.html_url);
    expect(JSON.stringify(body)).not.toContain(GITHUB_TOKEN);
  });

  it.each(['queued', 'in_progress', 'pending', 'waiting', 'requested'] as const)(
    'a run %s: 409 with its URL, nothing dispatched, the slot given back',
    async (status) => {
      await freeSlot();
      await github.setRuns([run(77, 'completed', '2026-04-22T00:00:00Z'), run(76, status)]);
      const before = (await dispatches()).length;
      const res = await retrain({ preset: 'fast' });
      expect(res.status).toBe(409);
      expect(res.headers.get('Cache-Control')).toBe('no-store');
      const body = retrainConflictSchema.parse(await res.json());
      expect(body).toEqual({
        error: { code: 'run_in_progress', message: expect.stringContaining(run(76, status).html_url) },
        runId: 76,
        runUrl: run(76, status).html_url,
        runStatus: status,
      });
      expect((await dispatches()).length).toBe(before);
      // Not rate limited: once the run is over, the next request starts one.
      await github.setRuns([run(76, 'completed')]);
      expect((await retrain({ preset: 'fast' })).status).toBe(202);
    },
  );

  it('a run in progress and a newer one pending: 409 names the newest', async () => {
    await freeSlot();
    await github.setRuns([
      run(80, 'in_progress', '2026-04-20T10:00:00Z'),
      run(81, 'pending', '2026-04-20T11:00:00Z'),
    ]);
    const res = await retrain({});
    expect(res.status).toBe(409);
    const body = retrainConflictSchema.parse(await res.json());
    expect([body.runId, body.runStatus]).toEqual([81, 'pending']);
  });

  it('a second retrain once the interval is over, while the first run is still queued: 409 naming it', async () => {
    await freeSlot();
    const first = await retrain({});
    expect(first.status).toBe(202);
    const { runUrl } = (await first.json()) as { runUrl: string };
    await freeSlot(); // the interval is over; the run is not
    const before = (await dispatches()).length;
    const second = await retrain({});
    expect(second.status).toBe(409);
    const body = retrainConflictSchema.parse(await second.json());
    expect(body.runUrl).toBe(runUrl);
    expect(body.runStatus).toBe('queued');
    expect((await dispatches()).length).toBe(before);
  });

  it("GitHub's list of runs refused, not understood or unreachable: 502, nothing dispatched, the slot given back", async () => {
    const before = (await dispatches()).length;
    await freeSlot();
    await github.nextReply('GET', 500, { message: 'Server Error' });
    const refused = await retrain({});
    expect(refused.status).toBe(502);
    const error = await errorOf(refused);
    expect(error.code).toBe('github_error');
    expect(error.message).toBe(
      'GitHub refused the list of training runs (500): Server Error; no retrain was started.',
    );

    await github.nextReply('GET', 200, { runs: [] });
    const garbled = await retrain({});
    expect(garbled.status).toBe(502);
    expect(await errorOf(garbled)).toEqual({
      code: 'github_error',
      message: "GitHub's list of training runs was not understood; no retrain was started.",
    });

    // Nothing listens on port 9 of loopback (discard): the connection is refused. workerd logs each
    // refused fetch as an "uncaught exception" (Network connection lost) even though it is caught.
    const req = new Request('https://gan.example/v1/retrain', {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}` },
      body: '{}',
    });
    const unreachable = await worker.fetch(
      req,
      { ...env, GITHUB_API: 'http://127.0.0.1:9' },
      createExecutionContext(),
    );
    expect(unreachable.status).toBe(502);
    expect((await errorOf(unreachable)).code).toBe('github_unreachable');

    expect((await dispatches()).length).toBe(before);
    expect((await retrain({})).status).toBe(202); // each failure gave the slot back
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
