/** Returns the value of one series, such as `name{label="value"}`, in a Prometheus text exposition, or undefined when it is absent. */
export function sampleValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
