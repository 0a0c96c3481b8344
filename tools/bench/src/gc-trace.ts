/**
 * The nodes' young-generation collections, read from V8's `--trace-gc-nvp` lines on their
 * stdout (`--gc-trace`): what each scavenge promoted to the old generation, what survived it, its
 * main-thread pause and its helper threads' time. Promoted bytes per operation move little
 * between runs of the same code on this noisy machine (a few %, where throughput moves 20 %), so
 * they show what a change does to the GC's work long before throughput can.
 *
 * V8 writes the lines through C's stdio, so on a pipe they come in blocks: a workload's figures
 * may include a few scavenges of the one before (a block holds ~6 lines, ~0.3 s of puts).
 */

export interface GcTotals {
  scavenges: number;
  pauseMs: number;
  helpersMs: number;
  promotedBytes: number;
  survivedBytes: number;
}

export function emptyGcTotals(): GcTotals {
  return { scavenges: 0, pauseMs: 0, helpersMs: 0, promotedBytes: 0, survivedBytes: 0 };
}

/** One `--trace-gc-nvp` line of a scavenge (`gc=s`), or undefined for any other line. */
export function parseScavenge(line: string): Omit<GcTotals, 'scavenges'> | undefined {
  if (!line.includes(' gc=s ')) return undefined;
  // name=value fields separated by spaces (the line starts with "[pid:isolate]  <ms> ms:").
  const fields = new Map<string, number>();
  for (const part of line.split(' ')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq), Number.parseFloat(part.slice(eq + 1)));
  }
  const field = (name: string): number => fields.get(name) ?? 0;
  return {
    pauseMs: field('pause'),
    helpersMs: field('background.scavenge.parallel'),
    promotedBytes: field('promoted'),
    survivedBytes: field('new_space_survived'),
  };
}

function add(into: GcTotals, scavenges: number, s: Omit<GcTotals, 'scavenges'>): void {
  into.scavenges += scavenges;
  into.pauseMs += s.pauseMs;
  into.helpersMs += s.helpersMs;
  into.promotedBytes += s.promotedBytes;
  into.survivedBytes += s.survivedBytes;
}

/** Sums the scavenges of one process's stdout, fed in chunks that may cut lines anywhere. */
export class GcTrace {
  readonly totals = emptyGcTotals();
  private partial = '';

  feed(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) {
      const s = parseScavenge(line);
      if (s !== undefined) add(this.totals, 1, s);
    }
  }
}

/** A new sum of the totals given. */
export function sumGcTotals(all: readonly GcTotals[]): GcTotals {
  const sum = emptyGcTotals();
  for (const t of all) add(sum, t.scavenges, t);
  return sum;
}

/** The bench's `gc:` line: per operation and per node, between two sums over `nodes` nodes. */
export function describeGc(before: GcTotals, after: GcTotals, ops: number, nodes: number): string {
  if (ops <= 0 || nodes <= 0) return 'no operations';
  const per = (a: number, b: number, scale: number, digits: number): string => (((b - a) * scale) / ops / nodes).toFixed(digits);
  return [
    `scavenges per 1k ops per node ${per(before.scavenges, after.scavenges, 1000, 2)}`,
    `promoted ${per(before.promotedBytes, after.promotedBytes, 1 / 1024, 2)} KB/op per node`,
    `survived ${per(before.survivedBytes, after.survivedBytes, 1 / 1024, 2)} KB/op per node`,
    `pause ${per(before.pauseMs, after.pauseMs, 1000, 2)} µs/op per node`,
    `helpers ${per(before.helpersMs, after.helpersMs, 1000, 2)} µs/op per node`,
  ].join(', ');
}
