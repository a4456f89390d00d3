import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../../../', import.meta.url));

/** Built entry points of the product's processes, as `npm run start:*` runs them. */
export const API_ENTRY = `${root}apps/ingestion-api/dist/src/main.js`;
export const WORKER_ENTRY = `${root}apps/processor-worker/dist/src/main.js`;
