import { readFile } from 'node:fs/promises';

import { DockerfileParser, type Instruction, type JSONInstruction, type PropertyInstruction } from 'dockerfile-ast';

/** One instruction of a Dockerfile, reduced to what the checks and the build emulation read. */
export interface DockerInstruction {
  readonly keyword: string;
  /** Flags such as `--from=build`, by name without the dashes; a flag without a value maps to null. */
  readonly flags: ReadonlyMap<string, string | null>;
  /** Arguments split on white space, as the shell form would see them. */
  readonly arguments: readonly string[];
  /** The argument text without the flags and with line continuations joined. */
  readonly text: string;
  /** The `name=value` pairs of ENV, ARG and LABEL. */
  readonly properties: ReadonlyMap<string, string>;
  /** The JSON array of the exec form (`CMD ["node", "main.js"]`), or undefined for the shell form. */
  readonly execForm: readonly string[] | undefined;
  /** 1-based line number in the Dockerfile. */
  readonly line: number;
}

/** The instructions from one FROM to the next. */
export interface DockerStage {
  readonly name: string | undefined;
  /** Image reference or name of an earlier stage. */
  readonly base: string;
  readonly instructions: readonly DockerInstruction[];
}

export interface HealthCheck {
  /** Options such as `interval`, by name without the dashes. */
  readonly options: ReadonlyMap<string, string | null>;
  /** The command in exec form. */
  readonly command: readonly string[];
}

/** Reads a Dockerfile and splits it into build stages. */
export async function readDockerfile(path: string): Promise<DockerStage[]> {
  return parseDockerfile(await readFile(path, 'utf8'));
}

/** Splits a Dockerfile into build stages. Throws when an instruction comes before the first FROM. */
export function parseDockerfile(content: string): DockerStage[] {
  const stages: { name: string | undefined; base: string; instructions: DockerInstruction[] }[] = [];
  for (const instruction of DockerfileParser.parse(content).getInstructions()) {
    const reduced = reduceInstruction(instruction);
    if (reduced.keyword === 'FROM') {
      const [base, as, name] = reduced.arguments;
      if (base === undefined) throw new Error(`FROM without an image on line ${reduced.line}`);
      stages.push({ name: as?.toUpperCase() === 'AS' ? name : undefined, base, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (stage === undefined) throw new Error(`${reduced.keyword} before the first FROM on line ${reduced.line}`);
    stage.instructions.push(reduced);
  }
  return stages;
}

function reduceInstruction(instruction: Instruction): DockerInstruction {
  const flags = 'getFlags' in instruction ? (instruction as JSONInstruction).getFlags() : [];
  const jsonStrings = 'getJSONStrings' in instruction ? (instruction as JSONInstruction).getJSONStrings() : [];
  const properties = 'getProperties' in instruction ? (instruction as PropertyInstruction).getProperties() : [];
  return {
    keyword: instruction.getKeyword(),
    flags: new Map(flags.map((flag) => [flag.getName(), flag.getValue()])),
    arguments: instruction.getArguments().map((argument) => argument.getValue()),
    text: instruction.getArgumentsContent() ?? '',
    properties: new Map(properties.map((property) => [property.getName(), property.getValue() ?? ''])),
    execForm: jsonStrings.length > 0 ? jsonStrings.map((argument) => argument.getJSONValue()) : undefined,
    line: instruction.getRange().start.line + 1,
  };
}

/** Returns the last stage, which is the image that `docker build` produces without `--target`. */
export function finalStage(stages: readonly DockerStage[]): DockerStage {
  const stage = stages.at(-1);
  if (stage === undefined) throw new Error('The Dockerfile has no FROM instruction');
  return stage;
}

/** Returns the last instruction with this keyword in a stage, which is the one that takes effect. */
export function lastInstruction(stage: DockerStage, keyword: string): DockerInstruction | undefined {
  return stage.instructions.findLast((instruction) => instruction.keyword === keyword);
}

/** Returns the HEALTHCHECK of a stage. Throws when it has none. */
export function healthCheckOf(stage: DockerStage): HealthCheck {
  const instruction = lastInstruction(stage, 'HEALTHCHECK');
  if (instruction === undefined) throw new Error('The stage has no HEALTHCHECK');
  return parseHealthCheck(instruction);
}

/** Reads a HEALTHCHECK instruction. Throws unless it is `HEALTHCHECK [options] CMD [exec form]`. */
export function parseHealthCheck(instruction: DockerInstruction): HealthCheck {
  const match = /^CMD\s+(\[.*\])$/s.exec(instruction.text.trim());
  if (match === null) throw new Error(`HEALTHCHECK on line ${instruction.line} is not of the form CMD ["executable", ...]`);
  return { options: instruction.flags, command: JSON.parse(match[1]!) as string[] };
}
