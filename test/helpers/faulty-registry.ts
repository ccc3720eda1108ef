// A TCP relay in front of the machine's registry that a test can take down and bring back: while
// down it accepts connections and drops them at once, as a registry that is restarting does.
// Slipway pointed at it (SLIPWAY_REGISTRY=127.0.0.1:PORT) sees a real transient fault.
import net from 'node:net';

export interface FaultyRegistry {
  /** host:port to use as Slipway's registry. */
  address: string;
  up(): void;
  down(): void;
  close(): Promise<void>;
}

export async function faultyRegistry(target = process.env.SLIPWAY_REGISTRY ?? '127.0.0.1:5000'): Promise<FaultyRegistry> {
  const [host, port] = target.split(':') as [string, string];
  let serving = true;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    if (!serving) return void client.destroy();
    const upstream = net.connect(Number(port), host);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  return {
    address,
    up: () => void (serving = true),
    down() {
      serving = false;
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
