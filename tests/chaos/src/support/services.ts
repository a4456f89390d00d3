import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';

import { waitFor } from '@ingestion/core/testing';
import amqplib from 'amqplib';
import pg from 'pg';

const run = promisify(execFile);

const RABBITMQ_URL = process.env['TEST_RABBITMQ_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';
const POSTGRES_URL = process.env['TEST_DATABASE_SERVER_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** The PostgreSQL cluster of this machine, as pg_ctlcluster names it: the only version under /etc/postgresql. */
function postgresCluster(): [string, string] {
  const versions = readdirSync('/etc/postgresql');
  if (versions.length !== 1) throw new Error(`Expected one PostgreSQL version in /etc/postgresql, found: ${versions.join(', ') || 'none'}`);
  return [versions[0]!, 'main'];
}

async function pgCtlCluster(action: 'start' | 'stop'): Promise<void> {
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', ...postgresCluster(), action], { timeout: 60_000 });
}

async function rabbitmqctl(...args: string[]): Promise<void> {
  await run('rabbitmqctl', args, { timeout: 60_000 });
}

/**
 * Stops the RabbitMQ application (the node stays up, so start_app brings it back), runs `during`
 * while it is down, and starts it again even when `during` throws. Returns what `during` returned.
 */
export async function withRabbitmqStopped<T>(during: () => Promise<T>): Promise<T> {
  await rabbitmqctl('stop_app');
  try {
    return await during();
  } finally {
    await rabbitmqctl('start_app');
    await waitFor('RabbitMQ to accept connections', () => amqplib.connect(RABBITMQ_URL).then((connection) => connection.close().then(() => true)), 60_000, 250);
  }
}

/**
 * Stops PostgreSQL (fast shutdown: sessions are terminated), runs `during` while it is down, and starts
 * it again even when `during` throws. Returns what `during` returned.
 */
export async function withPostgresStopped<T>(during: () => Promise<T>): Promise<T> {
  await pgCtlCluster('stop');
  try {
    return await during();
  } finally {
    await pgCtlCluster('start');
    await waitFor('PostgreSQL to accept connections', async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2_000 });
      client.on('error', () => undefined);
      await client.connect();
      await client.end();
      return true;
    }, 60_000, 250);
  }
}
