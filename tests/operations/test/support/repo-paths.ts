import { fileURLToPath } from 'node:url';

/** Root of the repository; this file is compiled to tests/operations/dist/test/support/. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../../', import.meta.url));

export const API_MAIN = `${REPO_ROOT}apps/ingestion-api/dist/src/main.js`;
export const WORKER_MAIN = `${REPO_ROOT}apps/processor-worker/dist/src/main.js`;
