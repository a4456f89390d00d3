import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';

import { ManagedProcess } from '../src/managed-process.js';
import { REPOSITORY_ROOT } from '../src/repository.js';

const SCRIPT = join(REPOSITORY_ROOT, 'stress_test.sh');

interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
  readonly body: string;
}

/** Response of the stub API, set per test. */
interface StubBehaviour {
  /** HTTP status for the n-th ingest request (1-based). */
  ingestStatus(n: number): number;
  /** Status reported for an accepted event. */
  eventStatus: 'accepted' | 'processed' | 'failed';
  /** Time each ingest request is held before its response, so that requests overlap. */
  ingestDelayMs: number;
}

/**
 * A stand-in for the API that records every request, so that the script's requests and its handling of
 * responses can be checked without the real services. The real API is driven by container-commands.test.ts.
 */
describe('stress_test.sh against a stub API', () => {
  let server: Server;
  let baseUrl: string;
  let requests: RecordedRequest[];
  let behaviour: StubBehaviour;
  let inFlight = 0;
  let maxInFlight = 0;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    requests.push({ method: request.method ?? '', url: request.url ?? '', authorization: request.headers.authorization, body });

    if (request.method === 'POST' && request.url === '/Ingestion/ingest') {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const n = requests.filter((recorded) => recorded.method === 'POST').length;
      await new Promise((resolve) => setTimeout(resolve, behaviour.ingestDelayMs));
      inFlight -= 1;
      const status = behaviour.ingestStatus(n);
      const id = `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`;
      const payload = status === 202 ? { id, status: 'accepted' } : { title: 'Service Unavailable', status, detail: 'stub rejection' };
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
      return;
    }
    const match = /^\/Ingestion\/events\/([0-9a-f-]+)$/.exec(request.url ?? '');
    if (request.method === 'GET' && match !== null) {
      const error = behaviour.eventStatus === 'failed' ? 'handler threw' : null;
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: match[1], type: 'order.created', status: behaviour.eventStatus, error }));
      return;
    }
    response.writeHead(404).end();
  }

  function runScript(env: Record<string, string> = {}, args: string[] = [baseUrl]) {
    return ManagedProcess.run(['bash', SCRIPT, ...args], { cwd: REPOSITORY_ROOT, env: { PATH: process.env['PATH'], ...env }, timeoutMs: 60_000 });
  }

  const ingestRequests = () => requests.filter((request) => request.method === 'POST');

  before(async () => {
    server = createServer((request, response) => void handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  beforeEach(() => {
    requests = [];
    behaviour = { ingestStatus: () => 202, eventStatus: 'processed', ingestDelayMs: 0 };
    inFlight = 0;
    maxInFlight = 0;
  });

  it('sends valid order events', async () => {
    const result = await runScript({ STRESS_EVENTS: '5' });
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /^accepted 5\/5, processed 5\/5 in \d+\.\d s$/m);

    const sent = ingestRequests().map((request) => JSON.parse(request.body) as { type: string; data: { orderId: string; amountCents: number; currency: string } });
    assert.equal(sent.length, 5);
    for (const event of sent) {
      assert.equal(event.type, 'order.created');
      assert.match(event.data.orderId, new RegExp(`^stress-.+-${event.data.amountCents}$`));
      assert.equal(event.data.currency, 'EUR');
    }
    assert.deepEqual(sent.map((event) => event.data.amountCents).sort((a, b) => a - b), [1, 2, 3, 4, 5]);
    assert.ok(requests.every((request) => request.authorization === undefined));
  });

  it('sends API_KEY as a bearer token', async () => {
    const result = await runScript({ STRESS_EVENTS: '3', API_KEY: 'stub-key-123' });
    assert.equal(result.code, 0, result.output);
    assert.ok(requests.length >= 6);
    for (const request of requests) assert.equal(request.authorization, 'Bearer stub-key-123', `${request.method} ${request.url}`);
    assert.ok(!result.output.includes('stub-key-123'), 'the key must not be printed');
  });

  it('bounds requests in flight', async () => {
    behaviour.ingestDelayMs = 50;
    const result = await runScript({ STRESS_EVENTS: '12', STRESS_CONCURRENCY: '3' });
    assert.equal(result.code, 0, result.output);
    assert.equal(ingestRequests().length, 12);
    assert.ok(maxInFlight <= 3, `${maxInFlight} requests were in flight at once`);
  });

  it('fails when a request is not accepted', async () => {
    behaviour.ingestStatus = (n) => (n === 2 ? 503 : 202);
    const result = await runScript({ STRESS_EVENTS: '4' });
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, /^accepted 3\/4, processed 3\/4 in /m);
    assert.match(result.output, /^not accepted: 1 with HTTP 503$/m);
    assert.match(result.output, /stub rejection/);
  });

  it('fails on unprocessed events', async () => {
    behaviour.eventStatus = 'accepted';
    const result = await runScript({ STRESS_EVENTS: '2', STRESS_TIMEOUT_SECONDS: '1' });
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, /^accepted 2\/2, processed 0\/2 in /m);
    assert.match(result.output, /^not processed within 1 s: 2$/m);
  });

  it('reports failed events', async () => {
    behaviour.eventStatus = 'failed';
    const result = await runScript({ STRESS_EVENTS: '2' });
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, /^failed: 2$/m);
    assert.match(result.output, /00000000-0000-7000-8000-000000000001: handler threw/);
  });

  it('fails when the API is unreachable', async () => {
    const result = await runScript({ STRESS_EVENTS: '2' }, ['http://127.0.0.1:1']);
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, /^not accepted: 2 with HTTP 000$/m);
  });

  it('rejects invalid arguments with exit code 2', async () => {
    for (const [env, args] of [
      [{}, ['ftp://example.test']],
      [{ STRESS_EVENTS: '0' }, [baseUrl]],
      [{ STRESS_CONCURRENCY: 'many' }, [baseUrl]],
      [{}, [baseUrl, 'extra']],
    ] as [Record<string, string>, string[]][]) {
      const result = await runScript(env, args);
      assert.equal(result.code, 2, `${JSON.stringify(env)} ${args.join(' ')}: ${result.output}`);
      assert.equal(requests.length, 0);
    }
  });
});
