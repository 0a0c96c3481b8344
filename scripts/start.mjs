// `npm start`: starts a local 3-node RingKV cluster (see start-cluster.mjs for what it does).
await import('./start-cluster.mjs');
