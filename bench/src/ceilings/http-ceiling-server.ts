import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

/**
 * The HTTP ceiling: a bare node:http server that reads and parses the same JSON body as the API and
 * responds 202 with a body of the same shape, without storing anything. Run as a child process with
 * HOST and PORT; GET /ready returns 200.
 */
const server = createServer((request, response) => {
  if (request.method === 'GET') {
    response.writeHead(200).end();
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    try {
      JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      response.writeHead(400).end();
      return;
    }
    const id = randomUUID();
    response
      .writeHead(202, { 'content-type': 'application/json', location: `/Ingestion/events/${id}` })
      .end(JSON.stringify({ id, status: 'accepted' }));
  });
});

server.listen(Number(process.env['PORT']), process.env['HOST'] ?? '127.0.0.1');
// Nothing to flush: stop at once, also with keep-alive connections of the load generator still open.
process.once('SIGTERM', () => process.exit(0));
