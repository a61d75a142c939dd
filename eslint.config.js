// Lint rules, including the layering rules of ../shared/DESIGN.md §2:
//   - only main/app and preload import 'electron';
//   - the renderer imports nothing from main but types from the API contract.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'release/**', 'node_modules/**', 'test-results/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': ['error', { allow: ['error', 'warn'] }],
    },
  },
  {
    files: ['main/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    ignores: ['main/app/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': ['error', { paths: [{ name: 'electron', message: "Only main/app/ may import 'electron' (DESIGN.md §2)." }] }],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer never talks to Electron; use the API client.' }],
          patterns: [
            {
              regex: '^(\\.\\./)+main/(?!api/(contract|errors)$)',
              message: 'The renderer may import only types from main/api/contract or main/api/errors.',
            },
            {
              regex: '^(\\.\\./)+main/api/(contract|errors)$',
              allowTypeImports: true,
              message: 'Import only types from the contract (import type …).',
            },
            { group: ['node:*'], message: 'The renderer has no Node.' },
          ],
        },
      ],
    },
  },
  {
    // Benchmarks and the lab builder exist to print figures.
    files: ['bench/**/*.ts', 'test/lab/build.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['bin/**/*.js', '*.mjs', '*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: { 'no-console': 'off' },
  },
);
