import { readFile } from 'node:fs/promises';

/** Interval between two samples, in milliseconds. */
const SAMPLE_INTERVAL_MS = 200;

/**
 * Samples the resident set size of a process from /proc/<pid>/status (Linux only) and keeps the
 * peak since the last reset, so that each phase reports its own peak.
 */
export class RssSampler {
  private peakBytes = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly pid: number;

  constructor(pid: number) {
    this.pid = pid;
    this.timer = setInterval(() => void this.sample(), SAMPLE_INTERVAL_MS);
    this.timer.unref();
  }

  /** Returns the peak in MiB since the last call, and starts a new peak. */
  async takePeakMiB(): Promise<number> {
    await this.sample();
    const peak = this.peakBytes;
    this.peakBytes = 0;
    return Math.round((peak / 1024 / 1024) * 10) / 10;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async sample(): Promise<void> {
    try {
      const status = await readFile(`/proc/${this.pid}/status`, 'utf8');
      const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
      if (match !== null) this.peakBytes = Math.max(this.peakBytes, Number(match[1]) * 1024);
    } catch {
      // The process has exited; its last sample is kept.
    }
  }
}
