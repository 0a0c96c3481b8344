/**
 * Reading V8 CPU profiles (`node --cpu-prof`) of the bench's node processes. A whole-run profile
 * is dominated by start-up and the preload; the bench prints each workload's window in the
 * profiles' clock (CLOCK_MONOTONIC in µs, which every process on the machine shares), and
 * `npm run profile -w @ringkv/bench -- <file.cpuprofile> [--from µs --to µs]` summarizes one
 * (self time by package/file and by function) over that window.
 *
 * Caution on a loaded 2-core machine: V8 samples by wall clock, so a thread descheduled inside a
 * native call (a LevelDB write waking a pool thread, a socket write) charges that time to the
 * call. Compare CPU per operation (the bench prints it) before trusting a profile's shares.
 */

export interface CpuProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

export interface CpuProfile {
  readonly nodes: readonly CpuProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface ProfileSummary {
  readonly windowUs: number;
  readonly idleUs: number;
  /** Self time by where the code lives: a package under node_modules, else the last path segments. */
  readonly byPlace: ReadonlyArray<readonly [string, number]>;
  readonly byFunction: ReadonlyArray<readonly [string, number]>;
}

/** The current monotonic time in the profiles' unit (µs). */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

function placeOf(url: string, fallback: string): string {
  if (url === '') return fallback;
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  return url.split('/').slice(-3).join('/');
}

/** Self time per place and per function over [fromUs, toUs] (the whole profile by default). */
export function summarize(profile: CpuProfile, fromUs = -Infinity, toUs = Infinity): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i]!;
    if (t < fromUs || t > toUs) continue;
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + profile.timeDeltas[i]!);
  }
  const places = new Map<string, number>();
  const functions = new Map<string, number>();
  let idleUs = 0;
  let windowUs = 0;
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    const name = functionName === '' ? '(anonymous)' : functionName;
    windowUs += us;
    if (name === '(idle)') idleUs += us;
    const place = placeOf(url, name);
    places.set(place, (places.get(place) ?? 0) + us);
    const fn = `${name} ${url === '' ? '' : `${placeOf(url, '')}:${lineNumber}`}`.trim();
    functions.set(fn, (functions.get(fn) ?? 0) + us);
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]);
  return { windowUs, idleUs, byPlace: sorted(places), byFunction: sorted(functions) };
}
