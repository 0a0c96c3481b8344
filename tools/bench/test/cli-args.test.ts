import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseCommandLine } from '../src/cli-args';

const OPTIONS = { pairs: { type: 'string', default: '6' }, 'a-env': { type: 'string', multiple: true, default: [] as string[] } } as const;

class Exited extends Error {
  constructor(readonly code: number | undefined) {
    super(`exit ${code}`);
  }
}

function run(argv: string[]): { exit?: number; out: string; err: string; values?: unknown } {
  let out = '';
  let err = '';
  vi.spyOn(console, 'log').mockImplementation((s: unknown) => void (out += String(s)));
  vi.spyOn(console, 'error').mockImplementation((s: unknown) => void (err += String(s)));
  vi.spyOn(process, 'exit').mockImplementation((code?: string | number | null) => {
    throw new Exited(code === null || code === undefined ? undefined : Number(code));
  });
  try {
    return { out, err, values: parseCommandLine(OPTIONS, 'USAGE TEXT', argv) };
  } catch (error) {
    if (!(error instanceof Exited)) throw error;
    return { exit: error.code, out, err };
  }
}

afterEach(() => vi.restoreAllMocks());

describe('parseCommandLine', () => {
  it('returns the options with their defaults', () => {
    expect(run(['--a-env', 'X=1', '--a-env', 'Y=2']).values).toEqual({ pairs: '6', 'a-env': ['X=1', 'Y=2'] });
  });

  it('prints the usage on --help and -h and exits 0', () => {
    for (const flag of ['--help', '-h']) {
      const r = run([flag]);
      expect(r.exit).toBe(0);
      expect(r.out).toBe('USAGE TEXT');
    }
  });

  it('refuses an unknown option or a missing value with a message and exit code 2, not a stack trace', () => {
    const unknown = run(['--bogus']);
    expect(unknown.exit).toBe(2);
    expect(unknown.err).toMatch(/Unknown option '--bogus'[\s\S]*--help/);
    const missing = run(['--pairs']);
    expect(missing.exit).toBe(2);
    expect(missing.err).toMatch(/--pairs/);
  });
});
