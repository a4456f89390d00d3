import { OperationsServer, type OperationsServerOptions } from '@ingestion/core';

export interface WorkerServerOptions extends Omit<OperationsServerOptions, 'processName' | 'informationalChecks'> {
  /** True while the consumer has an active subscription; reported by /health/ready, not required by it. */
  readonly isConsuming: () => boolean;
}

/**
 * The worker's HTTP server for orchestrators and Prometheus: GET /health/live, GET /health/ready
 * (PostgreSQL reachable and RabbitMQ connected, with `consuming` in the body) and GET /metrics.
 */
export class WorkerServer extends OperationsServer {
  constructor(options: WorkerServerOptions) {
    const { isConsuming, ...shared } = options;
    super({ ...shared, processName: 'worker', informationalChecks: () => ({ consuming: isConsuming() }) });
  }
}
