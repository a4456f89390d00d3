import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

import type { ErrorCode } from '@ingestion/core';
import type { FastifyInstance } from 'fastify';

import { catalogueProblem } from './problem.js';

/** Error codes of Node.js's HTTP parser for requests it cannot read, mapped to the catalogue. */
const PARSER_ERRORS: Record<string, ErrorCode> = {
  HPE_HEADER_OVERFLOW: 'INGEST_HEADERS_TOO_LARGE',
  ERR_HTTP_REQUEST_TIMEOUT: 'INGEST_REQUEST_TIMEOUT',
};

/**
 * Responds with problem details to a request that Node.js's HTTP parser rejected before Fastify saw it,
 * such as a malformed Content-Length, headers over the size limit or a request timeout. It then closes
 * the connection, because the bytes left on it can no longer be trusted.
 */
export function handleClientError(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const code = PARSER_ERRORS[error.code ?? ''] ?? 'INGEST_REQUEST_MALFORMED';
  this.log.info({ err: error, code }, 'request rejected by the HTTP parser');
  if (socket.writable) {
    const problem = catalogueProblem(code);
    const body = JSON.stringify(problem);
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\nContent-Type: application/problem+json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
