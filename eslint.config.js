// Process boundaries (DESIGN.md §3) are enforced here, not by convention.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const electron = { name: 'electron', message: 'Only src/main/app/ and src/preload/ may import electron.' };

const mainNoUi = { group: ['**/renderer/**', '**/preload/**'], message: 'main does not import renderer or preload code.' };
const mainNoServer = { group: ['**/server/**'], message: 'src/main never imports server/: move shared code to src/common/.' };
const restrict = (paths, patterns) => ({
  'no-restricted-imports': ['error', { paths, patterns }],
});

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'release/**', 'node_modules/**', 'models/**', 'coverage/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: restrict(
      [electron, ...nodeBuiltins.map((name) => ({ name, message: 'src/shared must run in every process: no Node built-ins.' }))],
      [{ group: ['react', 'react-dom', '**/main/**', '**/renderer/**', '**/preload/**'], message: 'src/shared imports nothing process-specific.' }],
    ),
  },
  {
    files: ['src/renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      ...restrict(
        [electron, ...nodeBuiltins.map((name) => ({ name, message: 'The renderer never imports Node.' }))],
        [{ group: ['**/main/**', '**/preload/**', '../../server/**'], message: 'The renderer talks to main only through the contract.' }],
      ),
    },
  },
  {
    // The customer join page: a browser page of its own (vite.join.config.ts) that shares only the wire schemas.
    files: ['src/join/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: restrict(
      [electron, ...nodeBuiltins.map((name) => ({ name, message: "The join page runs in the customer's browser: no Node built-ins." }))],
      [
        {
          group: ['react', 'react-dom', '**/main/**', '**/renderer/**', '**/preload/**', '**/common/**', '**/server/**'],
          message: 'The join page imports only src/shared (and simple-peer, zod).',
        },
      ],
    ),
  },
  // main: no renderer or preload code; electron only in src/main/app/; and never server/ — the workstation and the
  // backend are built and versioned apart, what both need lives in src/common and src/shared (tests may start a
  // real backend). ESLint replaces a rule per file rather than merging, so each combination is one block.
  {
    files: ['src/main/**/*.ts'],
    ignores: ['src/main/app/**', 'src/main/**/*.test.ts'],
    rules: restrict([electron], [mainNoUi, mainNoServer]),
  },
  {
    files: ['src/main/app/**/*.ts'],
    ignores: ['src/main/**/*.test.ts'],
    rules: restrict([], [mainNoUi, mainNoServer]),
  },
  {
    files: ['src/main/**/*.test.ts'],
    ignores: ['src/main/app/**'],
    rules: restrict([electron], [mainNoUi]),
  },
  {
    files: ['src/preload/**/*.ts'],
    rules: restrict(
      nodeBuiltins.map((name) => ({ name, message: 'A sandboxed preload has no Node built-ins.' })),
      [{ group: ['**/main/**', '**/renderer/**'], message: 'The preload imports only electron and src/shared.' }],
    ),
  },
  {
    files: ['src/common/**/*.ts'],
    rules: restrict([electron], [{ group: ['**/main/**', '**/renderer/**', '**/preload/**', '**/server/**'], message: 'src/common is shared by the workstation and the server: it imports only src/shared and Node.' }]),
  },
  {
    // DESIGN.md §4: the server shares code with the workstation only through src/common and src/shared.
    files: ['server/**/*.ts'],
    rules: restrict(
      [electron],
      [
        { group: ['**/renderer/**'], message: 'Only the renderer build uses renderer code.' },
        { group: ['**/src/main/**'], message: 'server/ never imports src/main/: move shared code to src/common/.' },
      ],
    ),
  },
  {
    files: ['scripts/**/*.ts', 'bench/**/*.ts', 'tests/**/*.ts'],
    rules: restrict([electron], [{ group: ['**/renderer/**'], message: 'Only the renderer build uses renderer code.' }]),
  },
);
