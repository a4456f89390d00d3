import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the repository, which is also the build context of both Dockerfiles. */
export const REPOSITORY_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** The fields of the root package.json that the checks compare the container setup with. */
export interface RootManifest {
  readonly workspaces: readonly string[];
  readonly scripts: Readonly<Record<string, string>>;
}

export async function readRootManifest(): Promise<RootManifest> {
  return JSON.parse(await readFile(join(REPOSITORY_ROOT, 'package.json'), 'utf8')) as RootManifest;
}

/** An app of the repository that ships as a container image. */
export interface ContainerApp {
  /** Service name in docker-compose.yml. */
  readonly service: string;
  /** Dockerfile path relative to the repository root. */
  readonly dockerfile: string;
  /** Name of the npm script whose command the container must run. */
  readonly npmScript: string;
  /** Workspace name, as `npm --workspace` takes it. */
  readonly workspace: string;
  /** Environment variable that sets the port of the app's health endpoints, and its default. */
  readonly healthPortVariable: string;
  readonly defaultHealthPort: number;
}

export const CONTAINER_APPS: readonly ContainerApp[] = [
  {
    service: 'ingestion-api',
    dockerfile: 'apps/ingestion-api/Dockerfile',
    npmScript: 'start:api',
    workspace: '@ingestion/api',
    healthPortVariable: 'PORT',
    defaultHealthPort: 5001,
  },
  {
    service: 'processor-worker',
    dockerfile: 'apps/processor-worker/Dockerfile',
    npmScript: 'start:worker',
    workspace: '@ingestion/worker',
    healthPortVariable: 'WORKER_HTTP_PORT',
    defaultHealthPort: 5002,
  },
];
