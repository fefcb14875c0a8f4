// Lint rules. The folder table of DESIGN.md §2 is enforced by test/arch/imports.test.ts; here the
// pure folders also get editor-time warnings for the clock, timer, random and I/O globals.
import tseslint from 'typescript-eslint';

const PURE = [
  'src/sip/message/**', 'src/sip/transaction/**', 'src/sip/proxy/**', 'src/sip/registrar/**',
  'src/cluster/wire/**', 'src/cluster/membership/**', 'src/cluster/topology/**',
  'src/cluster/capability/**', 'src/cluster/messaging/**', 'src/cluster/node.ts',
];
const why = 'pure folder: inject Clock/Timers/Random (DESIGN.md §2)';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dashboard/dist/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: PURE,
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-globals': ['error',
        { name: 'setTimeout', message: why }, { name: 'setInterval', message: why },
        { name: 'setImmediate', message: why }],
      'no-restricted-properties': ['error',
        { object: 'Date', property: 'now', message: why },
        { object: 'performance', property: 'now', message: why },
        { object: 'Math', property: 'random', message: why }],
      'no-restricted-imports': ['error', {
        paths: ['node:net', 'node:dgram', 'node:fs', 'node:fs/promises', 'net', 'dgram', 'fs', 'node:http', 'node:tls']
          .map((name) => ({ name, message: 'pure folder: no I/O modules (DESIGN.md §2)' })),
      }],
    },
  },
);
