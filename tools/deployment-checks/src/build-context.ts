import { readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

import dockerignore from '@balena/dockerignore';

/** The files `docker build` sends to the builder: a folder filtered by its .dockerignore. */
export class BuildContext {
  private constructor(
    readonly root: string,
    private readonly ignores: (relativePath: string) => boolean,
  ) {}

  /** Reads `<root>/.dockerignore`; a context without one includes every file. */
  static async open(root: string): Promise<BuildContext> {
    const patterns = await readFile(join(root, '.dockerignore'), 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    // The package is CommonJS with an ES-style default export in its types, so TypeScript types the
    // function as `.default`. At run time both name the same function.
    const matcher = dockerignore.default().add(patterns.split('\n'));
    return new BuildContext(root, (relativePath) => matcher.ignores(relativePath));
  }

  /** Returns whether .dockerignore keeps a path of this machine out of the context. The root itself is always in. */
  excludes(path: string): boolean {
    const relativePath = relative(this.root, path);
    return relativePath !== '' && this.ignores(relativePath.split(sep).join('/'));
  }

  /**
   * Returns the path on this machine of a COPY source. Throws, as `docker build` fails, when the
   * source lies outside the context or .dockerignore excludes it.
   */
  resolve(source: string): string {
    const path = join(this.root, source);
    if (relative(this.root, path).startsWith('..')) throw new Error(`COPY source ${source} is outside the build context`);
    if (this.excludes(path)) throw new Error(`COPY source ${source} is excluded by .dockerignore`);
    return path;
  }
}
