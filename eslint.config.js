// @ts-check
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const { builtinModules } = require('node:module');

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
// The lab sits beside the product: the worker image has no lab/, so src/ never imports it.
const noLab = { group: ['**/lab', '**/lab/**'], message: 'src/ must not import the lab (the launcher adds its commands).' };
// Lower layers never import upper ones: only the CLI (and its entry) may import src/cli.
const noCli = { group: ['**/cli', '**/cli/**'], message: 'only src/cli and src/starter.ts import src/cli; shared pieces such as src/exit.ts sit below it.' };

module.exports = tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', '.hakube/**', '.lab/**', 'dist/**', 'lab/sim/**/*.go'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly', __dirname: 'readonly', __filename: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noLab, noCli] }] },
  },
  {
    files: ['src/cli/**/*.ts', 'src/starter.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noLab] }] },
  },
  {
    // Workflow code is replayed in a sandbox: no Node built-ins, no I/O, and activities only as types.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code must be deterministic: no Node built-ins.' })),
        patterns: [
          { group: ['**/activities', '**/activities/**'], allowTypeImports: true, message: 'Import activities only as types (proxyActivities<typeof acts>).' },
          { group: ['**/ssh', '**/ssh/**', 'ssh2', 'pino'], message: 'Workflow code must not do I/O.' },
          noLab,
          noCli,
        ],
      }],
    },
  },
);
