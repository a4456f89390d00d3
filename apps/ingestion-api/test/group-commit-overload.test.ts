import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { createLogger, type NewEvent } from '@ingestion/core';
import { waitFor } from '@ingestion/core/testing';
import type pg from 'pg';

import { GroupCommitWriter, OverloadedError } from '../src/ingest/group-commit.js';

/** A pool whose queries never finish, as when PostgreSQL stalls. */
const stalledPool = { query: () => new Promise(() => undefined) } as unknown as pg.Pool;

const event = { id: '00000000-0000-7000-8000-000000000001', data: null, fingerprint: Buffer.alloc(32) } as NewEvent;

function writer(options: { maxPendingEvents?: number; maxPendingBytes?: number; maxQueueWaitMs?: number }) {
  return new GroupCommitWriter(
    stalledPool,
    { windowMs: 0, maxBatchEvents: 1, maxConcurrentCommits: 1, maxPendingEvents: 1_000, maxPendingBytes: 1_000_000, maxQueueWaitMs: 60_000, ...options },
    createLogger('test', 'silent'),
    () => undefined,
  );
}

describe('group commit overload', () => {
  it('sheds requests once the oldest has waited too long', async () => {
    const subject = writer({ maxQueueWaitMs: 20 });
    void subject.submit([event]); // takes the only commit slot and never finishes
    void subject.submit([event]); // waits in the queue

    const rejection = await waitFor('a request to be shed', async () => {
      try {
        void (await Promise.race([subject.submit([event]), Promise.resolve('queued')]));
        return undefined;
      } catch (error) {
        return error;
      }
    });

    assert.ok(rejection instanceof OverloadedError);
    assert.match(rejection.message, /oldest request has waited \d+ ms/);
  });

  it('sheds requests beyond the pending-event bound at once', async () => {
    const subject = writer({ maxPendingEvents: 2 });
    void subject.submit([event]);
    void subject.submit([event]);

    await assert.rejects(subject.submit([event]), OverloadedError);
    assert.equal(subject.pendingEvents, 2);
  });

  it('sheds requests beyond the pending-byte bound at once', async () => {
    const subject = writer({ maxPendingBytes: 2_500 });
    const large = { ...event, data: Buffer.alloc(1_000) } as NewEvent;
    void subject.submit([large]);
    void subject.submit([large]);

    await assert.rejects(subject.submit([large]), /2000 bytes of event data are waiting/);
    assert.equal(subject.pendingEvents, 2);
  });
});
