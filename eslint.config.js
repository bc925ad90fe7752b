// Lint = the layer rules of shared/STYLE.md, enforced: what each folder may import, and no
// import cycles. Part of `npm test`.
import tseslint from 'typescript-eslint';
import { importX } from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const nodeBuiltins = { group: ['node:*'], message: 'no Node built-ins in this layer' };
const layer = (files, patterns) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { patterns }] },
});

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'out/', 'test-results/', 'bench/results/', '**/*.d.ts'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: ['tsconfig.json', 'src-renderer/tsconfig.json'] })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  // shared/: pure TS + typebox; imports nothing of ours outside shared/.
  layer(['shared/**/*.ts'], [
    nodeBuiltins,
    { group: ['electron', 'fastify', 'undici', 'react', 'better-sqlite3'], message: 'shared/ is pure: typebox only' },
    { group: ['**/daemon/**', '**/src-main/**', '**/src-renderer/**'], message: 'shared/ imports nothing of ours' },
  ]),
  // daemon/: plain Node; shared/ only.
  layer(['daemon/**/*.ts'], [
    { group: ['electron', 'electron/*'], message: 'the daemon runs on plain Node' },
    { group: ['**/src-main/**', '**/src-renderer/**'], message: 'daemon/ imports shared/ only' },
  ]),
  // src-main/: Electron main; shared/ only, never the daemon (it runs it as a child process).
  layer(['src-main/**/*.ts'], [
    { group: ['**/daemon/**', '**/src-renderer/**'], message: 'src-main talks to the daemon over HTTP' },
  ]),
  // src-renderer/: browser; shared/ + React.
  layer(['src-renderer/**/*.ts', 'src-renderer/**/*.tsx'], [
    nodeBuiltins,
    { group: ['electron', 'electron/*'], message: 'the renderer reaches main through window.kagami only' },
    { group: ['**/daemon/**', '**/src-main/**'], message: 'the renderer imports shared/ only' },
  ]),
);
