/** Ephemeral ports: ask the OS for a free one, release it, hand it to a node about to start. */
import net from 'node:net';

/** Binds `port` (0: any free one) and releases it; the port bound, or undefined when the bind failed. */
async function bindAndRelease(port: number, host: string): Promise<number | undefined> {
  const server = net.createServer();
  const bound = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, host, () => resolve(true));
  });
  if (!bound) return undefined;
  const address = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const port = await bindAndRelease(0, host);
  if (port === undefined) throw new Error(`no free port on ${host}`);
  return port;
}

/**
 * `count` ports, all different. The OS may hand the same free port to two binds in a row once the
 * first is released (a cluster got node 1's API port equal to node 3's peer port, and node 1
 * failed to start with EADDRINUSE), so each pick is checked against the ones before it.
 */
export async function distinctFreePorts(count: number, pick: () => Promise<number> = () => freePort()): Promise<number[]> {
  const ports: number[] = [];
  for (let tries = 0; ports.length < count; tries++) {
    if (tries >= count * 20) throw new Error(`could not find ${count} distinct free ports`);
    const port = await pick();
    if (!ports.includes(port)) ports.push(port);
  }
  return ports;
}

/** True when nothing listens on `port` (the OS lets us bind it). */
export async function portIsFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return (await bindAndRelease(port, host)) !== undefined;
}
