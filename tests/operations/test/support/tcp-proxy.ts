import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * Forwards TCP connections from `listenHost:port` to the same port on 127.0.0.1, so that processes in
 * a network namespace reach PostgreSQL and RabbitMQ, which listen on loopback only (and RabbitMQ's
 * guest user may connect from loopback only).
 */
export class TcpProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  private constructor(server: Server) {
    this.server = server;
  }

  static async start(listenHost: string, port: number): Promise<TcpProxy> {
    const proxy: TcpProxy = new TcpProxy(
      createServer((client) => {
        const upstream = connect(port, '127.0.0.1');
        for (const socket of [client, upstream]) {
          proxy.sockets.add(socket);
          socket.on('close', () => proxy.sockets.delete(socket));
        }
        client.pipe(upstream);
        upstream.pipe(client);
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      }),
    );
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(port, listenHost, () => resolve());
    });
    return proxy;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
