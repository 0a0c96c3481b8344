import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkHistory } from '../src/checker';
import { findLincheckDataDir } from '../src/data-path';
import { loadHistory } from '../src/load-history';

const dir = findLincheckDataDir();
const rows = readFileSync(join(dir, 'verdicts.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const [file = '', linearizable = ''] = line.split('\t');
    return { file, expected: linearizable === 'true' ? 'ok' : 'illegal' };
  });

describe('agreement with ../shared/lincheck-data/verdicts.tsv', () => {
  it('covers every file listed, of both formats', () => {
    expect(rows.length).toBeGreaterThanOrEqual(74);
    expect(rows.some((r) => r.file.startsWith('kv/'))).toBe(true);
    expect(rows.some((r) => r.expected === 'ok') && rows.some((r) => r.expected === 'illegal')).toBe(true);
  });

  it.each(rows)('$file is $expected', ({ file, expected }) => {
    const result = checkHistory(loadHistory(join(dir, file)), { timeoutMs: 20_000 });
    expect(result.verdict).toBe(expected);
  });
});
