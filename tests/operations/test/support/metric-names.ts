import { readdir, readFile } from 'node:fs/promises';

import { REPO_ROOT } from './repo-paths.js';

const METRIC_SOURCE_DIRS = ['apps/ingestion-api/src/metrics', 'apps/processor-worker/src/metrics'];

/** Series suffixes that prom-client adds to a histogram's name. */
const HISTOGRAM_SUFFIXES = ['_bucket', '_count', '_sum'];

/** Returns the names of the product's own metrics, read from the `name:` fields of the metric definitions. */
export async function productMetricNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const dir of METRIC_SOURCE_DIRS) {
    for (const file of await readdir(`${REPO_ROOT}${dir}`)) {
      const text = await readFile(`${REPO_ROOT}${dir}/${file}`, 'utf8');
      for (const match of text.matchAll(/name: '(ingestion_[a-z0-9_]+)'/g)) names.add(match[1]!);
    }
  }
  return names;
}

/** Returns the `ingestion_*` metric names a PromQL text uses that the product does not define. */
export function unknownMetrics(promql: string, known: ReadonlySet<string>): string[] {
  const used = [...promql.matchAll(/\bingestion_[a-z0-9_]+/g)].map((match) => match[0]);
  return used.filter((name) => !known.has(name) && !HISTOGRAM_SUFFIXES.some((suffix) => name.endsWith(suffix) && known.has(name.slice(0, -suffix.length))));
}
