import { parseArgs } from 'node:util';

import { ContractViolation } from '@ingestion/core';
import type pg from 'pg';

import { UUID } from '../routes/events.js';
import { parseReplayRequest, REPLAY_DEFAULT_LIMIT, REPLAY_MAX_LIMIT, type ReplayFilter } from './replay-filter.js';
import { replayEvent, replayFailedEvents } from './replay-store.js';

export const REPLAY_USAGE = `Usage: npm run replay -- [options]

Puts failed events back to "accepted" and queues them for the workers again.
The database is the one in DATABASE_URL.

Replay single events:
  --id <uuid>          Event id, as returned by the ingest request; repeat for several events.

Replay every failed event that matches all the filters given:
  --type <type>        Event type, matched exactly.
  --from <time>        Earliest receive time, inclusive (RFC 3339 with offset, e.g. 2026-01-31T00:00:00Z).
  --to <time>          Latest receive time, exclusive (RFC 3339 with offset).
  --batch-size <n>     Events replayed per transaction, 1 to ${REPLAY_MAX_LIMIT} (default ${REPLAY_DEFAULT_LIMIT}).

  -h, --help           Print this help.

Events that fail again while the command runs are not replayed a second time.
Exit status: 0 when every requested event was replayed, 1 when one was not found, was not failed,
or the database failed, 2 for invalid options.`;

/** Exit status of the command, as listed in the usage text. */
export type ExitStatus = 0 | 1 | 2;

/** Destination of the command's result lines and error lines. */
export interface CommandOutput {
  info(line: string): void;
  error(line: string): void;
}

type Command = { readonly kind: 'help' } | { readonly kind: 'ids'; readonly ids: string[] } | { readonly kind: 'filter'; readonly filter: ReplayFilter; readonly batchSize: number };

/** Thrown for invalid command-line options; the message names the option. */
class UsageError extends Error {}

/** Parses the options, then replays; returns the exit status. `openPool` is called only when there is work to do. */
export async function runReplayCommand(argv: readonly string[], openPool: () => pg.Pool, output: CommandOutput): Promise<ExitStatus> {
  let command: Command;
  try {
    command = parseCommand(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    output.error(`${error.message}\nRun with --help for the options.`);
    return 2;
  }
  if (command.kind === 'help') {
    output.info(REPLAY_USAGE);
    return 0;
  }
  const pool = openPool();
  try {
    return command.kind === 'ids' ? await replayIds(pool, command.ids, output) : await replayMatching(pool, command.filter, command.batchSize, output);
  } finally {
    await pool.end();
  }
}

function parseCommand(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        id: { type: 'string', multiple: true },
        type: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        'batch-size': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values } = parsed;
  if (values.help === true) return { kind: 'help' };

  const filtering = values.type !== undefined || values.from !== undefined || values.to !== undefined;
  if (values.id !== undefined) {
    if (filtering) throw new UsageError('Give either --id or the filters --type, --from and --to, not both.');
    const invalid = values.id.find((id) => !UUID.test(id));
    if (invalid !== undefined) throw new UsageError(`--id ${invalid} is not a UUID.`);
    return { kind: 'ids', ids: values.id };
  }
  if (!filtering) throw new UsageError('Give --id, or at least one of --type, --from and --to.');

  const batchSize = values['batch-size'] === undefined ? REPLAY_DEFAULT_LIMIT : Number(values['batch-size']);
  try {
    const request = parseReplayRequest({ type: values.type, from: values.from, to: values.to, limit: batchSize });
    return { kind: 'filter', filter: request.filter, batchSize: request.limit };
  } catch (error) {
    if (!(error instanceof ContractViolation)) throw error;
    const option = (pointer: string) => (pointer === '/limit' ? '--batch-size' : pointer.replace('/', '--'));
    throw new UsageError(error.issues.map((issue) => (issue.pointer === '' ? issue.detail : `${option(issue.pointer)}: ${issue.detail}`)).join('\n'));
  }
}

async function replayIds(pool: pg.Pool, ids: readonly string[], output: CommandOutput): Promise<ExitStatus> {
  let status: ExitStatus = 0;
  for (const id of ids) {
    const outcome = await replayEvent(pool, id);
    if (outcome.kind === 'replayed') {
      output.info(`replayed ${id}`);
    } else {
      status = 1;
      output.error(outcome.kind === 'not-found' ? `not found: no event has the id ${id}` : `not replayed: event ${id} is ${outcome.status}, not failed`);
    }
  }
  return status;
}

/** Replays in batches until no matching event that failed before the start is left. */
async function replayMatching(pool: pg.Pool, filter: ReplayFilter, batchSize: number, output: CommandOutput): Promise<ExitStatus> {
  const startedAt = (await pool.query<{ now: Date }>('SELECT now()')).rows[0]!.now;
  let total = 0;
  for (;;) {
    const result = await replayFailedEvents(pool, { ...filter, failedBefore: startedAt }, batchSize);
    for (const id of result.ids) output.info(`replayed ${id}`);
    total += result.ids.length;
    // An empty batch with matches left means another replay has those rows locked right now.
    if (result.remaining === 0 || result.ids.length === 0) {
      output.info(`replayed ${total} failed events; ${result.remaining} matching events left`);
      return 0;
    }
  }
}
