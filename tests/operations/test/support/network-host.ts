import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * A test host: a network namespace joined to the machine's namespace by a veth pair on a /30 of
 * 198.18.0.0/15, the range RFC 2544 reserves for benchmarks, so no real address is ever used.
 * Processes started with `exec` run inside it; `cutOff` takes its link down without touching the
 * processes, as a network partition would.
 */
export class NetworkHost {
  readonly namespace: string;
  /** The machine's end of the link, where the host reaches the test's proxies. */
  readonly gatewayAddress: string;
  /** The host's own address, where its servers are reachable. */
  readonly address: string;
  private readonly hostLink: string;

  private constructor(tag: string, index: number) {
    this.namespace = `ingestion-test-${tag}-${index}`;
    this.hostLink = `ing${tag}${index}h`;
    this.gatewayAddress = `198.18.${index}.1`;
    this.address = `198.18.${index}.2`;
  }

  /** Returns whether this process may create network namespaces (root with iproute2). */
  static async isSupported(): Promise<boolean> {
    const probe = `ingestion-test-probe-${randomBytes(3).toString('hex')}`;
    try {
      await run('ip', ['netns', 'add', probe]);
      await run('ip', ['netns', 'del', probe]);
      return true;
    } catch {
      return false;
    }
  }

  /** Creates hosts 1..count with a tag of their own, so parallel runs do not clash. */
  static async createMany(count: number): Promise<NetworkHost[]> {
    const tag = randomBytes(2).toString('hex');
    const hosts: NetworkHost[] = [];
    try {
      for (let index = 1; index <= count; index += 1) {
        const host = new NetworkHost(tag, index);
        hosts.push(host);
        await host.create();
      }
      return hosts;
    } catch (error) {
      await Promise.all(hosts.map((host) => host.destroy()));
      throw error;
    }
  }

  /** The command prefix that runs a program inside the namespace. */
  get exec(): string[] {
    return ['ip', 'netns', 'exec', this.namespace];
  }

  async cutOff(): Promise<void> {
    await run('ip', ['link', 'set', this.hostLink, 'down']);
  }

  /**
   * Deletes the veth pair and the namespace. The link is deleted explicitly because sockets still
   * retransmitting to a cut-off peer keep the namespace, and so its link, alive for minutes. Safe to call twice.
   */
  async destroy(): Promise<void> {
    await run('ip', ['link', 'del', this.hostLink]).catch(() => undefined);
    await run('ip', ['netns', 'del', this.namespace]).catch(() => undefined);
  }

  private async create(): Promise<void> {
    const peer = `${this.hostLink.slice(0, -1)}n`;
    await run('ip', ['netns', 'add', this.namespace]);
    await run('ip', ['link', 'add', this.hostLink, 'type', 'veth', 'peer', 'name', peer]);
    await run('ip', ['link', 'set', peer, 'netns', this.namespace]);
    await run('ip', ['addr', 'add', `${this.gatewayAddress}/30`, 'dev', this.hostLink]);
    await run('ip', ['link', 'set', this.hostLink, 'up']);
    const inside = (...args: string[]) => run('ip', ['netns', 'exec', this.namespace, 'ip', ...args]);
    await inside('addr', 'add', `${this.address}/30`, 'dev', peer);
    await inside('link', 'set', peer, 'up');
    await inside('link', 'set', 'lo', 'up');
  }
}
