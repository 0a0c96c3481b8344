/**
 * Placement properties over random memberships (1-64 nodes, RF 1-5, P up to 4096), as the ring
 * promises them in its README. numRuns are modest so the suite stays fast on a loaded machine;
 * `RING_PROPERTY_RUNS=500 npx vitest run` checks harder.
 */
import type { NodeId } from '@ringkv/stdx';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RingNode } from '../src/index';
import { Ring, diffPlacements, placementLoad } from '../src/index';

const RUNS = Number(process.env.RING_PROPERTY_RUNS ?? 25);
const params = { numRuns: RUNS };
const TIMEOUT_MS = Math.max(60_000, RUNS * 1_000);

const ids = (min: number, max: number) => fc.uniqueArray(fc.integer({ min: 1, max: 1_000_000 }), { minLength: min, maxLength: max, size: 'max' });
const partitions = (minLog2 = 0) => fc.integer({ min: minLog2, max: 12 }).map((e) => 2 ** e);
const rf = fc.integer({ min: 1, max: 5 });
const members = (list: number[]): RingNode[] => list.map((id) => ({ id: id as NodeId }));
/** With `zones`, every node sits in one of that many zones (chosen by id, so stable across rings). */
const zoned = (list: number[], zones: number): RingNode[] =>
  zones === 0 ? members(list) : list.map((id) => ({ id: id as NodeId, zone: `zone-${id % zones}` }));
const zoneCounts = fc.integer({ min: 0, max: 6 });

function build(nodes: RingNode[], p: number, r: number): Ring {
  return Ring.create({ nodes, partitions: p, replicationFactor: r });
}

function replicaCounts(ring: Ring): number[] {
  return [...placementLoad(ring.placement(), ring.nodes.map((n) => n.id)).replicas.values()];
}

describe('placement properties', () => {
  it('gives every partition min(RF, N) distinct replicas, and a preferred leader among them', () => {
    fc.assert(
      fc.property(ids(1, 64), partitions(), rf, (list, p, r) => {
        const ring = build(members(list), p, r);
        const known = new Set(list);
        const bad: string[] = [];
        for (let q = 0; q < p; q++) {
          const replicas = ring.replicasOf(q);
          const ok =
            replicas.length === Math.min(r, list.length) &&
            new Set(replicas).size === replicas.length &&
            replicas.every((n) => known.has(n)) &&
            replicas.includes(ring.preferredLeaderOf(q));
          if (!ok) bad.push(`partition ${q}: replicas ${replicas.join(',')} leader ${ring.preferredLeaderOf(q)}`);
        }
        expect(bad).toEqual([]);
      }),
      params,
    );
  }, TIMEOUT_MS);

  it('keeps the busiest node within 1.35x the mean when the mean is at least 100 replicas', () => {
    // A statistical bound (vnodes place by hash): 1.3x held in 758 random memberships (worst
    // 1.299x) until CI drew 16 nodes, P 1024, RF 3, whose busiest node holds 250 against a mean
    // of 192 (1.302x). That membership stays an example.
    const busiest: [number[], number, number] = [[598553, 607706, 712271, 589261, 212118, 781306, 621474, 7995, 816093, 89002, 900009, 666090, 1, 884559, 605502, 32463], 1024, 3];
    fc.assert(
      fc.property(ids(1, 64), partitions(8), rf, (list, p, r) => {
        const mean = (p * Math.min(r, list.length)) / list.length;
        fc.pre(mean >= 100);
        const ring = build(members(list), p, r);
        expect(Math.max(...replicaCounts(ring))).toBeLessThanOrEqual(1.35 * mean);
      }),
      { ...params, examples: [busiest] },
    );
  }, TIMEOUT_MS);

  it('moves replicas only onto an added node, and not many more than its fair share', () => {
    fc.assert(
      fc.property(ids(2, 65), partitions(), rf, zoneCounts, (list, p, r, zones) => {
        const added = list[list.length - 1]! as NodeId;
        const before = build(zoned(list.slice(0, -1), zones), p, r);
        const after = build(zoned(list, zones), p, r);
        const moves = diffPlacements(before.placement(), after.placement());
        for (const m of moves) expect(m.to).toBe(added);
        const n = list.length - 1;
        const fairShare = (r * p) / (n + 1);
        // The count bound is for rings without zones: with zones, a node alone in its zone must
        // hold a replica of every partition (e.g. nodes in zones a, b, b, b plus a new one in c).
        if (zones === 0 && fairShare >= 50) expect(moves.length).toBeLessThanOrEqual(1.5 * fairShare);
        // Every replica the new node holds arrived by one of these moves.
        expect(moves.length).toBe(placementLoad(after.placement(), [added]).replicas.get(added));
      }),
      params,
    );
  }, TIMEOUT_MS);

  it('moves only the removed node replicas when a node leaves', () => {
    fc.assert(
      fc.property(ids(2, 64), partitions(), rf, zoneCounts, fc.nat(), (list, p, r, zones, pick) => {
        const removed = list[pick % list.length]! as NodeId;
        const before = build(zoned(list, zones), p, r);
        const after = build(zoned(list.filter((id) => id !== removed), zones), p, r);
        const moves = diffPlacements(before.placement(), after.placement());
        for (const m of moves) expect(m.from).toBe(removed);
        expect(moves.length).toBe(placementLoad(before.placement(), [removed]).replicas.get(removed));
      }),
      params,
    );
  }, TIMEOUT_MS);

  it('gives the same placement whatever order the nodes are listed in', () => {
    fc.assert(
      fc.property(ids(1, 64), partitions(), rf, fc.integer(), (list, p, r, seed) => {
        const zoned = list.map((id) => ({ id: id as NodeId, zone: `z${id % 4}` }));
        const shuffled = fc.sample(fc.shuffledSubarray(zoned, { minLength: zoned.length }), { numRuns: 1, seed })[0]!;
        expect(build(shuffled, p, r).placement()).toEqual(build(zoned, p, r).placement());
      }),
      params,
    );
  }, TIMEOUT_MS);

  it('puts replicas in distinct zones when there are at least RF zones, and spreads over all zones otherwise', () => {
    fc.assert(
      fc.property(ids(1, 64), fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 64, maxLength: 64 }), partitions(), rf, (list, zoneOf, p, r) => {
        const nodes = list.map((id, i) => ({ id: id as NodeId, zone: `zone-${zoneOf[i]!}` }));
        const zone = new Map(nodes.map((n) => [n.id, n.zone]));
        const zoneCount = new Set(nodes.map((n) => n.zone)).size;
        const ring = build(nodes, p, r);
        const bad: number[] = [];
        for (let q = 0; q < p; q++) {
          const zones = new Set(ring.replicasOf(q).map((n) => zone.get(n)));
          if (zones.size !== Math.min(r, zoneCount)) bad.push(q);
        }
        expect(bad).toEqual([]);
      }),
      params,
    );
  }, TIMEOUT_MS);

  it('never prefers a node for more than ceil(P/N)+1 partitions (RF >= 2)', () => {
    fc.assert(
      fc.property(ids(1, 64), partitions(), fc.integer({ min: 2, max: 5 }), (list, p, r) => {
        const ring = build(members(list), p, r);
        const leaders = placementLoad(ring.placement(), ring.nodes.map((n) => n.id)).leaders;
        expect(Math.max(...leaders.values())).toBeLessThanOrEqual(Math.ceil(p / list.length) + 1);
      }),
      params,
    );
  }, TIMEOUT_MS);
});
