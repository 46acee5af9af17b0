import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed operations from the public contract (api/contract.graphql) and the operations the pages
 * write with graphql(`…`). The output (src/gql) is committed, not made at build time: `npm run
 * typecheck` runs before `npm run build` in `npm test` and on a fresh clone, and it needs the types;
 * a change to an operation or to the contract shows in the diff. `npm run build` runs this with
 * --check, so a stale src/gql fails the build (`npm run codegen` brings it up to date).
 */
const config: CodegenConfig = {
  schema: 'api/contract.graphql',
  documents: ['apps/web/src/**/*.{ts,tsx}', '!apps/web/src/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    'apps/web/src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        // Operations travel as strings: no graphql runtime in the page.
        documentMode: 'string',
        onlyOperationTypes: true,
        enumsAsTypes: true,
        useTypeImports: true,
        scalars: { DateTime: 'string', Decimal: 'string' },
      },
    },
  },
};

export default config;
