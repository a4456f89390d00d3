import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createIsolatedEnvironment, freePort, startLoad, untilAccepted, waitFor, type LoadEvent } from '@ingestion/core/testing';
import pg from 'pg';

import { NetworkHost } from './support/network-host.js';
import { API_MAIN, WORKER_MAIN } from './support/repo-paths.js';
import { ServiceProcess } from './support/service-process.js';
import { TcpProxy } from './support/tcp-proxy.js';

const EVENT_COUNT = 1500;
const SOURCE = '/tests/scale-out';

/** Environment that makes a process notice a dead peer within seconds instead of the production defaults. */
const FAST_FAILURE_DETECTION = { DATABASE_STATEMENT_TIMEOUT_MS: '5000', WORKER_HANDLER_TIMEOUT_MS: '4000', LOG_LEVEL: 'warn' };

/** Requests per second far above what the processes take, so that only the concurrency limits the load. */
const UNTHROTTLED_RATE = 100_000;

function loadEvents(): LoadEvent[] {
  return Array.from({ length: EVENT_COUNT }, (_, index) => ({
    index,
    body: JSON.stringify({ id: `order-${index}`, source: SOURCE, type: 'order.created', data: { orderId: `O-${index}`, amountCents: index, currency: 'EUR' } }),
  }));
}

/** Returns `url` with its host replaced, and with the given query parameters added. */
function rehost(url: string, host: string, query: Record<string, string> = {}): string {
  const parsed = new URL(url);
  parsed.hostname = host;
  for (const [name, value] of Object.entries(query)) parsed.searchParams.set(name, value);
  return parsed.toString();
}

describe('scale-out', () => {
  it('loses and doubles nothing when an API and a worker fail under load', async (t) => {
    const environment = await createIsolatedEnvironment('scale_out');
    const isolated = await NetworkHost.isSupported();
    t.diagnostic(
      isolated
        ? 'each process runs on its own network namespace host; API 1 and worker 1 are cut off the network and worker 2 is killed'
        : 'network namespaces are not available (needs root and iproute2); API 1 and worker 1 are killed instead',
    );
    const hosts = isolated ? await NetworkHost.createMany(5) : [];
    const proxies: TcpProxy[] = [];
    const processes: ServiceProcess[] = [];
    const pool = new pg.Pool({ connectionString: environment.databaseUrl, max: 2 });

    /** Starts a process on host `index` (0-based), or on this machine's loopback without namespaces. */
    const launch = async (name: string, main: string, index: number, env: Record<string, string>, portVariable: string, port: number) => {
      const host = hosts[index];
      let serverPort = port;
      let serverHost = host?.address ?? '127.0.0.1';
      let connections = { DATABASE_URL: environment.databaseUrl, RABBITMQ_URL: rehost(environment.rabbitmqUrl, '127.0.0.1', { heartbeat: '2' }) };
      if (host !== undefined) {
        proxies.push(await TcpProxy.start(host.gatewayAddress, 5432), await TcpProxy.start(host.gatewayAddress, 5672));
        connections = {
          DATABASE_URL: rehost(environment.databaseUrl, host.gatewayAddress),
          RABBITMQ_URL: rehost(environment.rabbitmqUrl, host.gatewayAddress, { heartbeat: '2' }),
        };
      } else {
        serverPort = await freePort();
        serverHost = '127.0.0.1';
      }
      const processEnv = { ...environment.env, ...FAST_FAILURE_DETECTION, ...env, ...connections, HOST: '0.0.0.0', [portVariable]: String(serverPort) };
      const started = ServiceProcess.start(name, main, processEnv, `http://${serverHost}:${serverPort}`, host?.exec ?? []);
      processes.push(started);
      return started;
    };

    try {
      const api1 = await launch('api-1', API_MAIN, 0, {}, 'PORT', 5001);
      const api2 = await launch('api-2', API_MAIN, 1, {}, 'PORT', 5001);
      const worker1 = await launch('worker-1', WORKER_MAIN, 2, {}, 'WORKER_HTTP_PORT', 5002);
      const worker2 = await launch('worker-2', WORKER_MAIN, 3, {}, 'WORKER_HTTP_PORT', 5002);
      const worker3 = await launch('worker-3', WORKER_MAIN, 4, {}, 'WORKER_HTTP_PORT', 5002);
      await Promise.all(processes.map((started) => started.waitUntilReady()));

      let failed = false;
      const injectFailures = async () => {
        if (isolated) {
          await hosts[0]!.cutOff();
          await hosts[2]!.cutOff();
          await worker2.kill();
        } else {
          await api1.kill();
          await worker1.kill();
        }
      };
      const load = startLoad({
        // A load balancer stops sending to API 1 once it failed; requests already sent to it time out and are retried.
        targets: () => (failed ? [api2.baseUrl] : [api1.baseUrl, api2.baseUrl]),
        events: loadEvents(),
        ratePerSecond: UNTHROTTLED_RATE,
        concurrency: 32,
        requestTimeoutMs: 3_000,
        giveUpAfterMs: 120_000,
        contentType: 'application/json',
      });
      await untilAccepted(load.report, EVENT_COUNT / 2);
      failed = true;
      await injectFailures();
      const report = await load.finished;
      t.diagnostic(`load: ${report.accepted} accepted in ${report.requests} requests, ${report.duplicates} answered as duplicates`);
      assert.equal(report.accepted, EVENT_COUNT);
      assert.equal(report.givenUp, 0);
      assert.deepEqual([...report.unexpected], [], 'no response other than 202 and 503');

      await waitFor(
        `all ${EVENT_COUNT} events to be processed`,
        async () => {
          const result = await pool.query<{ count: string }>(`SELECT count(*) FROM events WHERE status = 'processed'`);
          return Number(result.rows[0]!.count) === EVENT_COUNT ? true : undefined;
        },
        180_000,
        250,
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${processes.map((started) => started.logTail(10)).join('\n')}`, { cause: error });
      });

      const events = await pool.query<{ total: string; distinct_ids: string; not_processed: string }>(
        `SELECT count(*) AS total, count(DISTINCT cloud_event_id) AS distinct_ids, count(*) FILTER (WHERE status <> 'processed') AS not_processed
           FROM events WHERE source = $1`,
        [SOURCE],
      );
      assert.equal(Number(events.rows[0]!.total), EVENT_COUNT, 'one stored event per sent event');
      assert.equal(Number(events.rows[0]!.distinct_ids), EVENT_COUNT);
      assert.equal(Number(events.rows[0]!.not_processed), 0);

      const orders = await pool.query<{ total: string; distinct_events: string }>('SELECT count(*) AS total, count(DISTINCT event_id) AS distinct_events FROM example_orders');
      assert.equal(Number(orders.rows[0]!.distinct_events), EVENT_COUNT, 'every event had its effect');
      assert.equal(Number(orders.rows[0]!.total), EVENT_COUNT, 'no effect happened twice');

      const attempts = await pool.query<{ max: number }>('SELECT max(attempts) AS max FROM events');
      assert.equal(attempts.rows[0]!.max, 1, 'no handler ran twice for one event');

      for (const survivor of [api2, worker3]) assert.ok(survivor.isRunning, `${survivor.name} still runs`);
    } finally {
      await Promise.all(processes.map((started) => started.kill()));
      await Promise.all(proxies.map((proxy) => proxy.close()));
      await Promise.all(hosts.map((host) => host.destroy()));
      await pool.end();
      await environment.cleanup();
    }
  });
});
