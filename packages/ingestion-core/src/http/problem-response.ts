import type { IncomingMessage, ServerResponse } from 'node:http';

import { ERROR_CATALOGUE, problemTypeUri, type ErrorCode } from '../errors/catalogue.js';

/** Sends `body` as JSON with the given status. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}

/** Sends an RFC 9457 problem for a catalogued error code, as the API does. */
export function sendProblem(response: ServerResponse, request: IncomingMessage, code: ErrorCode, detail: string): void {
  const entry = ERROR_CATALOGUE[code];
  const problem = { type: problemTypeUri(code), title: entry.title, status: entry.status, detail, instance: (request.url ?? '/').split('?', 1)[0], code };
  response.writeHead(entry.status, { 'content-type': 'application/problem+json; charset=utf-8' });
  response.end(JSON.stringify(problem));
}
