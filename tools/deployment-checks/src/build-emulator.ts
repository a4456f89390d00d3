import { appendFile, cp, mkdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';

import type { BuildContext } from './build-context.js';
import { parseHealthCheck, type DockerInstruction, type DockerStage, type HealthCheck } from './dockerfile.js';
import { ManagedProcess } from './managed-process.js';

/** Time one RUN step may take before the emulated build fails. */
const RUN_STEP_TIMEOUT_MS = 5 * 60_000;

/**
 * Host environment variables that RUN steps see. PATH supplies this machine's Node.js and npm in place
 * of the base image's, and the proxy and certificate settings let npm reach the registry from here.
 */
const PASSED_THROUGH_VARIABLES = [
  'PATH',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
];

/** The result of one emulated stage: a folder that represents its file system, and its image settings. */
export interface EmulatedImage {
  /** Folder on this machine that represents the image's `/`. */
  readonly root: string;
  /** WORKDIR, as a path inside the image. */
  readonly workdir: string;
  /** ENV values. */
  readonly env: Readonly<Record<string, string>>;
  readonly user: string | undefined;
  /** CMD in exec form. */
  readonly command: readonly string[] | undefined;
  readonly healthCheck: HealthCheck | undefined;
}

/** Returns the folder on this machine that represents a path inside an emulated image. */
export function hostPath(image: EmulatedImage, imagePath: string): string {
  return join(image.root, posix.resolve(image.workdir, imagePath));
}

/**
 * Stages built earlier, by a key made of their base and instructions. Like Docker's build cache, it
 * lets a second Dockerfile reuse identical stages of the first, which assumes that the context does not
 * change between the builds that share it.
 */
export type StageCache = Map<string, EmulatedImage>;

/** The stages of an emulated build. */
export interface EmulatedBuild {
  /** Named stages, by name. */
  readonly stages: ReadonlyMap<string, EmulatedImage>;
  /** The last stage, which is the image that `docker build` produces without `--target`. */
  readonly final: EmulatedImage;
}

export interface EmulationOptions {
  readonly stages: readonly DockerStage[];
  readonly context: BuildContext;
  /** Empty folder that receives one sub-folder per stage and the build log. */
  readonly outputDir: string;
  readonly cache?: StageCache;
}

/**
 * Runs the instructions of every stage on this machine, in order, with the host's Node.js in place of
 * the base image. COPY copies into the stage's folder and RUN runs in it. FROM of an earlier stage
 * starts from a copy of that stage's folder.
 *
 * The emulation does not switch users and does not isolate RUN steps from the host. It supports only
 * the instructions that the project's Dockerfiles use, and any other instruction fails the build.
 */
export async function emulateBuild(options: EmulationOptions): Promise<EmulatedBuild> {
  const cache = options.cache ?? new Map<string, EmulatedImage>();
  const built = new Map<string, EmulatedImage>();
  const keys = new Map<string, string>();
  let last: EmulatedImage | undefined;
  for (const [index, stage] of options.stages.entries()) {
    const key = stageKey(stage, keys);
    let image = cache.get(key);
    if (image === undefined) {
      image = await buildStage(stage, join(options.outputDir, `stage-${index}-${stage.name ?? 'unnamed'}`), built, options);
      cache.set(key, image);
    }
    if (stage.name !== undefined) {
      built.set(stage.name, image);
      keys.set(stage.name, key);
    }
    last = image;
  }
  if (last === undefined) throw new Error('The Dockerfile has no stages');
  return { stages: built, final: last };
}

/** Identifies a stage by its base and its instructions, with earlier stages replaced by their own keys. */
function stageKey(stage: DockerStage, keys: ReadonlyMap<string, string>): string {
  const instructions = stage.instructions.map((instruction) => {
    const from = instruction.flags.get('from');
    return [instruction.keyword, from === undefined || from === null ? null : (keys.get(from) ?? from), instruction.text];
  });
  return JSON.stringify([keys.get(stage.base) ?? stage.base, instructions]);
}

async function buildStage(stage: DockerStage, root: string, built: ReadonlyMap<string, EmulatedImage>, options: EmulationOptions): Promise<EmulatedImage> {
  const parent = built.get(stage.base);
  let image: EmulatedImage = { root, workdir: '/', env: {}, user: undefined, command: undefined, healthCheck: undefined };
  if (parent === undefined) {
    await mkdir(root, { recursive: true });
  } else {
    await cp(parent.root, root, { recursive: true, verbatimSymlinks: true });
    image = { ...parent, root };
  }
  for (const instruction of stage.instructions) {
    image = await applyInstruction(image, instruction, built, options);
  }
  return image;
}

async function applyInstruction(
  image: EmulatedImage,
  instruction: DockerInstruction,
  built: ReadonlyMap<string, EmulatedImage>,
  options: EmulationOptions,
): Promise<EmulatedImage> {
  switch (instruction.keyword) {
    case 'WORKDIR': {
      const workdir = posix.resolve(image.workdir, instruction.text.trim());
      await mkdir(join(image.root, workdir), { recursive: true });
      return { ...image, workdir };
    }
    case 'ENV':
      return { ...image, env: { ...image.env, ...Object.fromEntries(instruction.properties) } };
    case 'COPY':
      await copy(image, instruction, built, options.context);
      return image;
    case 'RUN':
      await run(image, instruction, options.outputDir);
      return image;
    case 'USER':
      return { ...image, user: instruction.text.trim() };
    case 'CMD':
      if (instruction.execForm === undefined) throw new Error(`CMD on line ${instruction.line} must use the exec form`);
      return { ...image, command: instruction.execForm };
    case 'HEALTHCHECK':
      return { ...image, healthCheck: parseHealthCheck(instruction) };
    case 'EXPOSE':
      return image;
    default:
      throw new Error(`The build emulation does not support ${instruction.keyword} (line ${instruction.line})`);
  }
}

async function copy(image: EmulatedImage, instruction: DockerInstruction, built: ReadonlyMap<string, EmulatedImage>, context: BuildContext): Promise<void> {
  const unsupported = [...instruction.flags.keys()].filter((flag) => flag !== 'from' && flag !== 'chown' && flag !== 'chmod');
  if (unsupported.length > 0) throw new Error(`COPY on line ${instruction.line} uses unsupported flags: ${unsupported.join(', ')}`);
  const paths = instruction.execForm ?? instruction.arguments.filter((argument) => !argument.startsWith('--'));
  const sources = paths.slice(0, -1);
  const destination = paths.at(-1);
  if (destination === undefined || sources.length === 0) throw new Error(`COPY on line ${instruction.line} needs a source and a destination`);
  if (sources.some((source) => /[*?[]/.test(source))) throw new Error(`COPY on line ${instruction.line} uses wildcards, which the emulation does not support`);

  const from = instruction.flags.get('from');
  const fromImage = from === undefined || from === null ? undefined : built.get(from);
  if (from !== undefined && fromImage === undefined) throw new Error(`COPY --from=${from} on line ${instruction.line} names no earlier stage`);

  const target = hostPath(image, destination);
  const intoFolder = destination.endsWith('/') || sources.length > 1;
  for (const source of sources) {
    const sourcePath = fromImage === undefined ? context.resolve(source) : hostPath(fromImage, source);
    const isFolder = (await stat(sourcePath)).isDirectory();
    // Like Docker, copy a folder's contents rather than the folder, and a file into a folder destination.
    const sourceTarget = !isFolder && intoFolder ? join(target, basename(sourcePath)) : target;
    await mkdir(isFolder ? sourceTarget : dirname(sourceTarget), { recursive: true });
    await cp(sourcePath, sourceTarget, {
      recursive: true,
      verbatimSymlinks: true,
      filter: (path) => fromImage !== undefined || !context.excludes(path),
    });
  }
}

async function run(image: EmulatedImage, instruction: DockerInstruction, outputDir: string): Promise<void> {
  await mkdir(hostPath(image, '/root'), { recursive: true });
  const command = instruction.execForm ?? ['/bin/sh', '-c', instruction.text];
  const hostEnvironment: NodeJS.ProcessEnv = {};
  for (const name of PASSED_THROUGH_VARIABLES) {
    if (process.env[name] !== undefined) hostEnvironment[name] = process.env[name];
  }
  const startedAt = Date.now();
  const result = await ManagedProcess.run(command, {
    cwd: hostPath(image, '.'),
    // HOME is the stage's /root, as for a RUN step in a container, so the user's npm settings stay out.
    // npm's cache is this machine's, which the project's own `npm ci` has filled, so RUN steps need
    // the registry only for packages that are not cached yet.
    env: { ...hostEnvironment, HOME: hostPath(image, '/root'), npm_config_cache: join(homedir(), '.npm'), ...image.env },
    timeoutMs: RUN_STEP_TIMEOUT_MS,
  });
  await appendFile(join(outputDir, 'build.log'), `$ ${command.join(' ')}\n${result.output}\n(${Date.now() - startedAt} ms)\n`);
  if (result.code !== 0) {
    throw new Error(`RUN on line ${instruction.line} failed with exit code ${result.code ?? result.signal}: ${instruction.text}\n${result.output.slice(-4000)}`);
  }
}
