import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { loadConfig } from '../src/index.js';

describe('loadConfig', () => {
  it('uses defaults that work on a development machine', () => {
    const config = loadConfig('test', {});
    assert.equal(config.DATABASE_URL, 'postgres://postgres@127.0.0.1:5432/ingestion');
    assert.equal(config.RABBITMQ_URL, 'amqp://guest:guest@127.0.0.1:5672');
    assert.equal(config.PORT, 5001);
    assert.equal(config.RABBITMQ_PREFIX, 'ingestion');
    assert.equal(config.RELAY_ENABLED, true);
    assert.equal(config.RELAY_HTTP_PORT, 5003);
  });

  it('reads and converts variables', () => {
    const config = loadConfig('test', { PORT: '8080', RELAY_ENABLED: 'false', RABBITMQ_PREFIX: 'run-1' });
    assert.equal(config.PORT, 8080);
    assert.equal(config.RELAY_ENABLED, false);
    assert.equal(config.RABBITMQ_PREFIX, 'run-1');
  });

  it('rejects a pending-data bound below the body limit', () => {
    assert.throws(
      () => loadConfig('test', { INGEST_BODY_LIMIT_BYTES: '2097152', INGEST_MAX_PENDING_BYTES: '1048576' }),
      /INGEST_MAX_PENDING_BYTES: must be at least INGEST_BODY_LIMIT_BYTES/,
    );
  });

  it('caps the body limit below RabbitMQ 4.x message size', () => {
    assert.equal(loadConfig('test', { INGEST_BODY_LIMIT_BYTES: String(15 * 1024 * 1024) }).INGEST_BODY_LIMIT_BYTES, 15 * 1024 * 1024);
    assert.throws(() => loadConfig('test', { INGEST_BODY_LIMIT_BYTES: String(15 * 1024 * 1024 + 1) }), /INGEST_BODY_LIMIT_BYTES/);
  });

  it('treats an empty variable as unset', () => {
    assert.equal(loadConfig('test', { PORT: '' }).PORT, 5001);
  });

  it('requires API keys unless told otherwise', () => {
    assert.equal(loadConfig('test', {}).AUTH_DISABLED, false);
    assert.equal(loadConfig('test', { AUTH_DISABLED: 'true' }).AUTH_DISABLED, true);
  });

  it('rejects a short bootstrap key without showing it', () => {
    assert.throws(
      () => loadConfig('test', { AUTH_BOOTSTRAP_KEY: 'short-secret-value' }),
      (error: Error) => {
        assert.match(error.message, /AUTH_BOOTSTRAP_KEY: must be at least 32 characters/);
        assert.doesNotMatch(error.message, /short-secret-value/);
        return true;
      },
    );
  });

  it('names every invalid variable', () => {
    assert.throws(
      () => loadConfig('test', { PORT: 'eighty', DATABASE_URL: 'mysql://x', RABBITMQ_PREFIX: 'a b' }),
      (error: Error) => {
        assert.equal((error as { code?: string }).code, 'CONFIGURATION_INVALID');
        assert.match(error.message, /PORT/);
        assert.match(error.message, /DATABASE_URL/);
        assert.match(error.message, /RABBITMQ_PREFIX/);
        return true;
      },
    );
  });
});
