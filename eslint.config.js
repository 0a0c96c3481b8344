// Lint rules that carry the architecture: which package may import which (../DESIGN.md's table),
// and no wall clock, dice or timers in code that must be deterministic.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const ALL = ['stdx', 'ring', 'raft', 'storage', 'multiraft', 'api', 'client', 'lincheck', 'sim'];

/** What each package may import from @ringkv/* (type-only imports are listed separately). */
const ALLOWED = {
  stdx: [],
  ring: ['stdx'],
  raft: ['stdx'],
  storage: ['stdx'],
  multiraft: ['stdx', 'ring', 'raft', 'storage'],
  api: ['stdx', 'multiraft'],
  client: ['stdx', 'ring'],
  lincheck: [],
  sim: ['stdx', 'ring', 'raft', 'storage', 'multiraft', 'api', 'client', 'lincheck'],
};

const APPS = ['server', 'balancer', 'admin'];

function boundaryRule(pkg) {
  const allowed = ALLOWED[pkg];
  const forbidden = ALL.filter((p) => p !== pkg && !allowed.includes(p));
  const patterns = [
    {
      group: APPS.map((a) => `@ringkv/${a}`).concat(APPS.map((a) => `**/apps/${a}/**`)),
      message: 'Nothing in packages/ imports from apps/.',
    },
  ];
  if (forbidden.length > 0) {
    patterns.push({
      group: forbidden.map((p) => `@ringkv/${p}`).concat(forbidden.map((p) => `**/packages/${p}/**`)),
      message: `packages/${pkg} may import only: ${allowed.join(', ') || 'nothing of ours'} (see docs/architecture.md).`,
      ...(pkg === 'client' ? { allowTypeImports: true } : {}),
    });
  }
  return { 'no-restricted-imports': ['error', { patterns }] };
}

const nondeterminism = {
  'no-restricted-properties': [
    'error',
    { object: 'Math', property: 'random', message: 'Randomness comes from an injected Prng (stdx).' },
    { object: 'Date', property: 'now', message: 'Time comes in from outside (ticks or a Clock).' },
    { object: 'performance', property: 'now', message: 'Time comes in from outside (ticks or a Clock).' },
    { object: 'process', property: 'hrtime', message: 'Time comes in from outside (ticks or a Clock).' },
  ],
  'no-restricted-globals': [
    'error',
    { name: 'setTimeout', message: 'No timers in deterministic code: time arrives as ticks.' },
    { name: 'setInterval', message: 'No timers in deterministic code: time arrives as ticks.' },
    { name: 'setImmediate', message: 'No timers in deterministic code: time arrives as ticks.' },
  ],
  'no-restricted-syntax': [
    'error',
    { selector: "NewExpression[callee.name='Date']", message: 'No wall clock in deterministic code.' },
  ],
};

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', '.nx/**', 'data/**', 'reports/**', '**/.stryker-tmp/**', '**/coverage/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        console: 'readonly', process: 'readonly', Buffer: 'readonly', URL: 'readonly',
        TextEncoder: 'readonly', TextDecoder: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly',
        setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', queueMicrotask: 'readonly',
        performance: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', structuredClone: 'readonly',
        WebSocket: 'readonly', fetch: 'readonly', globalThis: 'readonly', window: 'readonly', document: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  ...ALL.map((pkg) => ({ files: [`packages/${pkg}/**/*.ts`], rules: boundaryRule(pkg) })),
  {
    files: ['packages/raft/src/**/*.ts', 'packages/ring/src/**/*.ts', 'packages/multiraft/src/**/*.ts'],
    rules: nondeterminism,
  },
);
