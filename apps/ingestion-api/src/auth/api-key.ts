import { createHash, randomBytes } from 'node:crypto';

/** Permissions of a key: `ingest` posts events, `read` reads their status, `admin` replays events and manages keys. */
export const SCOPES = ['ingest', 'read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** A stored API key, without its secret. */
export interface ApiKey {
  readonly id: string;
  readonly name: string;
  readonly keyPrefix: string;
  readonly scopes: readonly Scope[];
  /** Requests per minute, or null for the API's default. */
  readonly rateLimitPerMinute: number | null;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
}

/** Marks keys made by this API, so that a leaked one is easy to find with secret scanners. */
const KEY_MARK = 'ik_';
/** Characters of a key kept in the database, enough to recognise it but not to use it. */
const SHOWN_PREFIX_LENGTH = KEY_MARK.length + 6;

/** Generates a new secret key: the mark and 256 random bits in base64url. */
export function generateApiKey(): string {
  return `${KEY_MARK}${randomBytes(32).toString('base64url')}`;
}

/** SHA-256 of a key, the only form in which keys are stored or compared. */
export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export function shownPrefix(key: string): string {
  return key.slice(0, SHOWN_PREFIX_LENGTH);
}

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}
