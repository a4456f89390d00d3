import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';

import amqplib from 'amqplib';
import pg from 'pg';

/**
 * The naive baseline, as most tutorials build it: for each request, insert the event, then publish
 * it straight to RabbitMQ and wait for its confirm before responding 202. No outbox and no batching:
 * every request costs one commit and one confirm round trip. Run as a child process with HOST, PORT,
 * DATABASE_URL, RABBITMQ_URL and NAIVE_QUEUE; GET /ready returns 200.
 */
const queue = process.env['NAIVE_QUEUE']!;
const pool = new pg.Pool({ connectionString: process.env['DATABASE_URL'], max: 10 });
// A restart of PostgreSQL or RabbitMQ fails the requests of the moment with 500 instead of ending the server.
pool.on('error', () => undefined);
const connection = await amqplib.connect(process.env['RABBITMQ_URL']!);
connection.on('error', () => undefined);
const channel = await connection.createConfirmChannel();
channel.on('error', () => undefined);
await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function publish(content: Buffer, messageId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    channel.sendToQueue(queue, content, { persistent: true, messageId }, (error: unknown) => (error ? reject(error as Error) : resolve()));
  });
}

async function ingest(body: Buffer): Promise<string> {
  const event = JSON.parse(body.toString('utf8')) as { type: string; source: string; data: unknown };
  const id = randomUUID();
  const data = Buffer.from(JSON.stringify(event.data));
  await pool.query(
    `INSERT INTO events (id, cloud_event_id, source, type, data_content_type, data, fingerprint)
     VALUES ($1::uuid, $1::text, $2, $3, 'application/json', $4, '\\x00')`,
    [id, event.source, event.type, data],
  );
  await publish(data, id);
  return id;
}

/** Failed requests; only the first is logged, so that a systematic failure does not flood the log. */
let failures = 0;

const server = createServer((request, response) => {
  if (request.method === 'GET') {
    response.writeHead(200).end();
    return;
  }
  readBody(request)
    .then(ingest)
    .then(
      (id) => response.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ id, status: 'accepted' })),
      (error: unknown) => {
        failures += 1;
        if (failures === 1) console.error(`naive baseline request failed: ${String(error)}`);
        response.writeHead(500).end();
      },
    );
});

server.listen(Number(process.env['PORT']), process.env['HOST'] ?? '127.0.0.1');
process.once('SIGTERM', () => {
  server.close(() => {
    void channel
      .close()
      .then(() => connection.close())
      .then(() => pool.end())
      .finally(() => process.exit(0));
  });
  server.closeAllConnections();
});
