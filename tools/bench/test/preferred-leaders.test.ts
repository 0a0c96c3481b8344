import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { waitForPreferredLeaders } from '../src/ringkv';

/** A node's /trpc/cluster.placement, answering with `groups()` at each request. */
async function fakeNode(groups: () => Array<{ replicas: number[]; leader: number | null }>): Promise<{ endpoint: string; requests: () => number; close: () => Promise<void> }> {
  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    if (req.url !== '/trpc/cluster.placement') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ result: { data: { partitions: 2, groups: groups() } } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { endpoint: `127.0.0.1:${port}`, requests: () => requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('waitForPreferredLeaders', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    vi.restoreAllMocks();
  });

  it('returns once every node sees each partition led by the first of its replicas', async () => {
    let moved = false;
    const node = await fakeNode(() => [
      { replicas: [1, 2, 3], leader: 1 },
      { replicas: [2, 3, 1], leader: moved ? 2 : 3 },
    ]);
    closers.push(node.close);
    setTimeout(() => (moved = true), 500);
    const started = Date.now();
    await waitForPreferredLeaders([node.endpoint], 10_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(node.requests()).toBeGreaterThan(1);
  });

  it('goes on, saying so, when the leaders do not settle in time', async () => {
    const node = await fakeNode(() => [{ replicas: [1, 2, 3], leader: null }]);
    closers.push(node.close);
    const said = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    await waitForPreferredLeaders([node.endpoint], 300);
    expect(said).toHaveBeenCalledWith(expect.stringContaining('not all on their preferred nodes'));
  });
});
