/** A named series of one value per second. */
export interface Series {
  readonly name: string;
  readonly values: readonly number[];
}

/**
 * Renders a Mermaid xychart with one line per series over seconds. Mermaid draws no legend, so the
 * title names the series in the order of their colours.
 */
export function lineChart(title: string, yAxis: string, series: readonly Series[]): string {
  const length = Math.max(1, ...series.map((line) => line.values.length));
  const seconds = Array.from({ length }, (_, index) => index);
  const lines = series.map((line) => {
    const padded = seconds.map((second) => Math.round(line.values[second] ?? 0));
    return `    line [${padded.join(', ')}]`;
  });
  return [
    '```mermaid',
    'xychart-beta',
    `    title "${title} (${series.map((line) => line.name).join(', then ')})"`,
    `    x-axis "seconds" [${seconds.join(', ')}]`,
    `    y-axis "${yAxis}"`,
    ...lines,
    '```',
  ].join('\n');
}
