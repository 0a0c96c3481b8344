import type { NodeId } from '@ringkv/stdx';
import { describe, expect, it } from 'vitest';
import { Ring, RingConfigError } from '../src/index';

const nodes = (...ids: number[]) => ids.map((id) => ({ id: id as NodeId }));

describe('ring config', () => {
  it('fills in the defaults: 64 partitions, RF 3, 256 vnodes', () => {
    const config = Ring.create({ nodes: nodes(1, 2, 3) }).config();
    expect(config).toMatchObject({ version: 1, partitions: 64, replicationFactor: 3, vnodes: 256 });
  });

  it.each([
    [{ nodes: nodes(1), partitions: 48 }, /power of two/],
    [{ nodes: nodes(1), partitions: 8192 }, /partitions must be an integer from 1 to 4096/],
    [{ nodes: nodes(1), partitions: 0 }, /partitions must be an integer/],
    [{ nodes: nodes(1), replicationFactor: 0 }, /replicationFactor must be an integer from 1 to 7/],
    [{ nodes: nodes(1), vnodes: 2.5 }, /vnodes must be an integer/],
    [{ nodes: [] }, /at least one node/],
    [{ nodes: nodes(1, 2, 1) }, /node id 1 is listed twice/],
    [{ nodes: nodes(0) }, /node id must be an integer from 1/],
    [{ nodes: [{ id: 1 as NodeId, zone: '' }] }, /zone of node 1 must be a non-empty string/],
  ])('refuses %o with a clear error', (options, message) => {
    expect(() => Ring.create(options)).toThrow(RingConfigError);
    expect(() => Ring.create(options)).toThrow(message);
  });

  it('round-trips through JSON to an identical ring, whatever order the nodes came in', () => {
    const a = Ring.create({ nodes: [{ id: 5 as NodeId, zone: 'b' }, { id: 2 as NodeId, zone: 'a' }, { id: 9 as NodeId }], partitions: 128, replicationFactor: 2, vnodes: 16 });
    const wire = JSON.stringify(a);
    const b = Ring.fromConfig(JSON.parse(wire));
    expect(b.config()).toEqual(a.config());
    expect(b.placement()).toEqual(a.placement());
    expect(a.config().nodes.map((n) => n.id)).toEqual([2, 5, 9]);
  });

  it('refuses a serialised config of another version or with a field missing', () => {
    const config = Ring.create({ nodes: nodes(1) }).config();
    expect(() => Ring.fromConfig({ ...config, version: 2 })).toThrow(/version 2 is not supported/);
    expect(() => Ring.fromConfig({ ...config, vnodes: undefined })).toThrow(/lacks "vnodes"/);
    expect(() => Ring.fromConfig('ring')).toThrow(RingConfigError);
  });

  it('gives a config nobody can change under the ring', () => {
    const config = Ring.create({ nodes: nodes(1, 2) }).config();
    expect(Object.isFrozen(config) && Object.isFrozen(config.nodes) && Object.isFrozen(config.nodes[0])).toBe(true);
  });
});
