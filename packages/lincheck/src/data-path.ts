import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Finds ../shared/lincheck-data: beside the repository (as CI and the dev box lay it out), found
 * by walking up from this package, or in $RINGKV_LINCHECK_DATA when set.
 */
export function findLincheckDataDir(): string {
  const fromEnv = process.env.RINGKV_LINCHECK_DATA;
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'shared', 'lincheck-data');
    if (existsSync(join(candidate, 'verdicts.tsv'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error('lincheck data not found: expected <repo>/../shared/lincheck-data (or set RINGKV_LINCHECK_DATA)');
}
