/** The harness's ports: a cluster's ports are all different even when the OS repeats itself. */
import { describe, expect, it } from 'vitest';
import { distinctFreePorts } from '../src/ports';

describe('distinctFreePorts', () => {
  it('skips a port the OS hands out twice', async () => {
    const handed = [34473, 34473, 41945, 34473, 40001];
    const ports = await distinctFreePorts(3, () => Promise.resolve(handed.shift()!));
    expect(ports).toEqual([34473, 41945, 40001]);
  });

  it('gives up with a clear error rather than looping', async () => {
    await expect(distinctFreePorts(2, () => Promise.resolve(5000))).rejects.toThrow('could not find 2 distinct free ports');
  });

  it('finds six real ones', async () => {
    expect(new Set(await distinctFreePorts(6)).size).toBe(6);
  });
});
