import type { Config } from '@ingestion/core';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type pg from 'pg';

import { sendProblem } from '../http/problem.js';
import type { ApiKey, Scope } from './api-key.js';
import { ApiKeyCache } from './key-cache.js';
import { FixedWindowRateLimiter } from './rate-limiter.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The key that authenticated the request; null when authentication is disabled or the route is public. */
    apiKey: ApiKey | null;
  }
  interface FastifyContextConfig {
    /** Lets requests in without an API key (health checks, API reference). */
    public?: boolean;
  }
}

export interface AuthenticationOptions {
  /** AUTH_DISABLED: let every request in without a key, for local development only. */
  readonly disabled: boolean;
  readonly keys: ApiKeyCache;
  readonly rateLimiter: FixedWindowRateLimiter;
  readonly defaultRateLimitPerMinute: number;
}

/** Authentication settings of an API process, from its configuration. */
export function authenticationOptions(config: Config, pool: pg.Pool): AuthenticationOptions {
  return {
    disabled: config.AUTH_DISABLED,
    keys: new ApiKeyCache(pool, config.AUTH_CACHE_TTL_MS),
    rateLimiter: new FixedWindowRateLimiter(),
    defaultRateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
  };
}

/** Maximum length of a bearer token that is looked up; keys made by this API have 46 characters. */
const MAX_TOKEN_LENGTH = 512;
const BEARER = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)[ ]*$/i;
const POLICY = 'per-key';

/**
 * Requires an API key (`Authorization: Bearer <key>`) on every route not marked `config: { public: true }`,
 * and counts each request against the key's rate limit. Runs before the body is read, so a rejected request
 * never reaches the database. Scopes are checked per route with `requireScope`.
 */
export function registerAuthentication(app: FastifyInstance, options: AuthenticationOptions): void {
  app.decorateRequest('apiKey', null);
  if (options.disabled) {
    app.log.warn({ setting: 'AUTH_DISABLED' }, 'authentication is disabled: every request is let in without an API key');
    return;
  }
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.public === true) return;
    const token = bearerToken(request.headers.authorization);
    if (token === undefined) {
      return rejectUnauthenticated(request, reply, 'INGEST_API_KEY_MISSING', 'Send an API key as Authorization: Bearer <key>.');
    }
    const key = await options.keys.find(token);
    if (key === undefined) {
      return rejectUnauthenticated(request, reply, 'INGEST_API_KEY_INVALID', 'The API key is unknown or revoked.');
    }
    request.apiKey = key;

    const decision = options.rateLimiter.take(key.id, key.rateLimitPerMinute ?? options.defaultRateLimitPerMinute);
    reply.header('ratelimit-policy', `"${POLICY}";q=${decision.limit};w=${options.rateLimiter.windowSeconds}`);
    reply.header('ratelimit', `"${POLICY}";r=${decision.remaining};t=${decision.resetSeconds}`);
    if (!decision.allowed) {
      request.log.info({ code: 'INGEST_RATE_LIMITED', keyId: key.id }, 'request rejected');
      return sendProblem(request, reply, 'INGEST_RATE_LIMITED', {
        detail: `This API key may make ${decision.limit} requests per ${options.rateLimiter.windowSeconds} s; retry in ${decision.resetSeconds} s.`,
        retryAfterSeconds: decision.resetSeconds,
      });
    }
    return undefined;
  });
}

/**
 * Returns a hook that lets a request through only when its API key has `scope`; use it as a route's
 * `onRequest` option, for example `{ onRequest: requireScope('admin') }`. Passes every request when
 * authentication is disabled.
 */
export function requireScope(scope: Scope): onRequestAsyncHookHandler {
  return async function checkScope(request, reply) {
    const key = request.apiKey;
    if (key === null || key.scopes.includes(scope)) return undefined;
    request.log.info({ code: 'INGEST_SCOPE_MISSING', keyId: key.id, scope }, 'request rejected');
    return sendProblem(request, reply, 'INGEST_SCOPE_MISSING', {
      detail: `The API key "${key.name}" lacks the ${scope} scope that ${request.method} ${request.routeOptions.url} requires.`,
    });
  };
}

function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || header.length > MAX_TOKEN_LENGTH + 16) return undefined;
  return BEARER.exec(header)?.[1];
}

function rejectUnauthenticated(request: FastifyRequest, reply: FastifyReply, code: 'INGEST_API_KEY_MISSING' | 'INGEST_API_KEY_INVALID', detail: string) {
  request.log.info({ code }, 'request rejected');
  return sendProblem(request, reply, code, {
    detail,
    headers: { 'www-authenticate': code === 'INGEST_API_KEY_MISSING' ? 'Bearer realm="ingestion"' : 'Bearer realm="ingestion", error="invalid_token"' },
  });
}
