import pg from 'pg';

import type { Logger } from '../logging/logger.js';

const DUPLICATE_DATABASE = '42P04';
const UNIQUE_VIOLATION = '23505';

/**
 * Creates the database named in `connectionString` when it does not exist yet,
 * by connecting to the server's `postgres` maintenance database with the same credentials.
 */
export async function ensureDatabase(connectionString: string, logger: Logger): Promise<void> {
  const target = new URL(connectionString);
  const name = decodeURIComponent(target.pathname.slice(1));
  if (name === '' || name === 'postgres') return;

  const maintenance = new URL(connectionString);
  maintenance.pathname = '/postgres';
  const client = new pg.Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount === 0) {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      logger.info({ database: name }, 'database created');
    }
  } catch (error) {
    // Another instance created it between our check and our CREATE.
    const code = (error as { code?: string }).code;
    if (code !== DUPLICATE_DATABASE && code !== UNIQUE_VIOLATION) throw error;
  } finally {
    await client.end();
  }
}
