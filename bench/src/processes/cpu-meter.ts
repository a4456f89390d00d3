import { readdir, readFile } from 'node:fs/promises';

/** Clock ticks per second of the times in /proc (USER_HZ), 100 on Linux. */
const TICKS_PER_SECOND = 100;

/**
 * CPU time a process used since it started, in seconds, from /proc/<pid>/stat (Linux only); 0 once it
 * has exited. With `withExitedChildren`, the time of children it has reaped counts too, which is how
 * the PostgreSQL postmaster keeps the time of ended sessions.
 */
export async function processCpuSeconds(pid: number, withExitedChildren = false): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name in brackets may contain spaces, so the fields are counted after its closing bracket.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    const ownTicks = fields[11]! + fields[12]!;
    const childTicks = withExitedChildren ? fields[13]! + fields[14]! : 0;
    return (ownTicks + childTicks) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Busy and total CPU time of the whole machine since boot, in ticks, from /proc/stat. */
export async function machineCpuTicks(): Promise<{ busy: number; total: number }> {
  const stat = await readFile('/proc/stat', 'utf8');
  const values = stat.split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((sum, value) => sum + value, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0); // idle and iowait
  return { busy: total - idle, total };
}

/** Command names of the servers whose CPU time a phase reports, as /proc/<pid>/comm shows them. */
const SERVER_COMMANDS: Readonly<Record<string, string>> = { postgres: 'PostgreSQL (all sessions)', 'beam.smp': 'RabbitMQ' };

/**
 * CPU time of the PostgreSQL and RabbitMQ servers since they started, in seconds, summed over all
 * their processes. They serve every user of the machine, so a phase's share includes others' work.
 * NOTE: a server restarted during a phase starts its counters again, so that phase's figure is too low.
 */
export async function serverCpuSeconds(): Promise<Record<string, number>> {
  const totals: Record<string, number> = {};
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const command = (await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '')).trim();
    const name = SERVER_COMMANDS[command];
    if (name !== undefined) totals[name] = (totals[name] ?? 0) + (await processCpuSeconds(Number(entry), true));
  }
  return totals;
}
