import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkHistory } from './checker';
import { findLincheckDataDir } from './data-path';
import { loadHistory } from './load-history';

/**
 * Times the check of every file in ../shared/lincheck-data (parse excluded, best of --runs) and
 * prints a Markdown table. Run: npm run bench -w @ringkv/lincheck [-- --runs 3]
 */
const runsFlag = process.argv.indexOf('--runs');
const runs = runsFlag >= 0 ? Math.max(1, Number(process.argv[runsFlag + 1] ?? '1')) : 3;
const dir = findLincheckDataDir();
const rows = readFileSync(join(dir, 'verdicts.tsv'), 'utf8').trim().split('\n').slice(1);
console.log('| file | ops | expected | verdict | check ms (best of ' + String(runs) + ') |');
console.log('| --- | ---: | --- | --- | ---: |');
let totalMs = 0;
let mismatches = 0;
for (const row of rows) {
  const [file = '', linearizable = ''] = row.split('\t');
  const history = loadHistory(join(dir, file));
  let bestMs = Infinity;
  let verdict = '';
  for (let i = 0; i < runs; i++) {
    const result = checkHistory(history, { timeoutMs: 60_000 });
    bestMs = Math.min(bestMs, result.elapsedMs);
    verdict = result.verdict;
  }
  const expected = linearizable === 'true' ? 'ok' : 'illegal';
  if (verdict !== expected) mismatches++;
  totalMs += bestMs;
  console.log(`| ${file} | ${history.operations.length} | ${expected} | ${verdict}${verdict === expected ? '' : ' MISMATCH'} | ${bestMs.toFixed(1)} |`);
}
console.log(`\n${rows.length} files, total ${totalMs.toFixed(0)} ms, ${mismatches} mismatches`);
process.exitCode = mismatches === 0 ? 0 : 1;
