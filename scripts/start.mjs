// `npm start`: runs what exists of RingKV today. Until the node (apps/server) exists there is no
// cluster to start, and this says so plainly instead of pretending.
import { existsSync } from 'node:fs';

if (!existsSync(new URL('../apps/server/package.json', import.meta.url))) {
  console.log(
    [
      'RingKV: the node process (apps/server) is not built yet, so there is no cluster to start.',
      'What exists today: the libraries under packages/ (run their tests with `npm test`).',
      'See README.md, section "Status".',
    ].join('\n'),
  );
  process.exit(0);
}
await import('./start-cluster.mjs');
