import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';

import { ConfigurationError, type EventHandler } from '@ingestion/core';

import { defaultHandler } from './default-handler.js';
import { orderCreatedHandler } from './order-created.js';

/** Handlers that ship with the worker. Add a module per event type under handlers/ and list it here. */
const BUILT_IN_HANDLERS: readonly EventHandler[] = [orderCreatedHandler];

/** Looks up the handler of an event type, falling back to the default handler. */
export class HandlerRegistry {
  private readonly handlers = new Map<string, EventHandler>();
  private readonly fallback: EventHandler;

  constructor(handlers: readonly EventHandler[], fallback: EventHandler = defaultHandler) {
    for (const handler of handlers) {
      if (this.handlers.has(handler.type)) throw new ConfigurationError(`Two handlers are registered for event type ${handler.type}`);
      this.handlers.set(handler.type, handler);
    }
    this.fallback = fallback;
  }

  handlerFor(type: string): EventHandler {
    return this.handlers.get(type) ?? this.fallback;
  }

  get types(): string[] {
    return [...this.handlers.keys()];
  }
}

/**
 * Builds the registry from the built-in handlers and the modules listed in WORKER_HANDLER_MODULES.
 * Each module default-exports one EventHandler or an array of them.
 */
export async function loadHandlerRegistry(modulePaths: string): Promise<HandlerRegistry> {
  const extra: EventHandler[] = [];
  for (const path of modulePaths.split(',').map((part) => part.trim()).filter(Boolean)) {
    let exported: unknown;
    try {
      exported = ((await import(pathToFileURL(resolve(path)).href)) as { default?: unknown }).default;
    } catch (error) {
      throw new ConfigurationError(`WORKER_HANDLER_MODULES: cannot load ${path}: ${(error as Error).message}`, { cause: error });
    }
    for (const handler of Array.isArray(exported) ? exported : [exported]) {
      if (!isEventHandler(handler)) {
        throw new ConfigurationError(`WORKER_HANDLER_MODULES: ${path} must default-export an EventHandler ({ type, handle }) or an array of them`);
      }
      extra.push(handler);
    }
  }
  return new HandlerRegistry([...BUILT_IN_HANDLERS, ...extra]);
}

function isEventHandler(value: unknown): value is EventHandler {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as EventHandler).type === 'string' &&
    typeof (value as EventHandler).handle === 'function'
  );
}
