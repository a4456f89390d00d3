import assert from 'node:assert/strict';
import { connect, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { startApiHarness, type ApiHarness } from './support/api-harness.js';

/** Sends raw bytes on a new connection and returns everything the server wrote before it closed. */
function sendRaw(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => socket.end(request));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** Parses the JSON body of the last response in a raw HTTP exchange. */
function lastBody(exchange: string): Record<string, unknown> {
  return JSON.parse(exchange.slice(exchange.lastIndexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
}

describe('requests the HTTP parser rejects', () => {
  let harness: ApiHarness;
  let port: number;

  before(async () => {
    harness = await startApiHarness('client-error');
    await harness.app.listen({ host: '127.0.0.1', port: 0 });
    port = (harness.app.server.address() as AddressInfo).port;
  });

  after(() => harness?.close());

  it('rejects oversized headers with 431', async () => {
    const exchange = await sendRaw(port, `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);

    assert.match(exchange, /^HTTP\/1\.1 431 /);
    assert.match(exchange, /content-type: application\/problem\+json/i);
    assert.equal(lastBody(exchange)['code'], 'INGEST_HEADERS_TOO_LARGE');
    assert.equal(lastBody(exchange)['status'], 431);
  });

  it('rejects a malformed request with 400', async () => {
    const exchange = await sendRaw(port, 'POST /Ingestion/ingest HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}');

    assert.match(exchange, /^HTTP\/1\.1 400 /);
    assert.match(exchange, /content-type: application\/problem\+json/i);
    assert.equal(lastBody(exchange)['code'], 'INGEST_REQUEST_MALFORMED');
    assert.equal(lastBody(exchange)['type'], '/problems/ingest-request-malformed');
  });
});
