/**
 * The layers of the codebase, checked by `npm test` (npm run check:dependencies). An app talks to
 * another over NATS, never by importing it; the host agent keeps no database; the contracts are
 * plain types and functions; test helpers and scripts are never part of what runs in production.
 */
const TESTS = '(\\.spec|\\.int-spec|\\.e2e-spec)\\.ts$|/test/';

module.exports = {
  forbidden: [
    {
      name: 'app-imports-another-app',
      comment: 'Apps talk over NATS with the contracts of libs/contracts; one never imports another, tests included.',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/', pathNot: '^apps/$1/' },
    },
    {
      name: 'agent-imports-a-database',
      comment: 'A host agent keeps no database: its host is its state.',
      severity: 'error',
      from: { path: '^apps/host-agent/' },
      to: { path: '^(libs/(event-store|event-sourcing)/|node_modules/(pg|pg-pool)/)' },
    },
    {
      name: 'contracts-import-something',
      comment: 'libs/contracts is what crosses process boundaries, in plain TypeScript: nothing of ours, no framework.',
      severity: 'error',
      from: { path: '^libs/contracts/' },
      to: { pathNot: '^libs/contracts/' },
    },
    {
      name: 'cli-imports-more-than-the-api',
      comment: 'The awan CLI is a client of the public GraphQL API alone: no NATS, no database, no framework, none of the services\' libs.',
      severity: 'error',
      from: { path: '^apps/cli/', pathNot: TESTS },
      to: { path: '^(libs/|node_modules/(@nats-io|pg|pg-pool|@nestjs)/)' },
    },
    {
      name: 'web-imports-more-than-the-browser-has',
      comment: 'The web console runs in a browser, a client of the public API alone: none of the services\' libs, no server package.',
      severity: 'error',
      from: { path: '^apps/web/src/' },
      to: { path: '^(libs/|node_modules/(@nats-io|pg|pg-pool|@nestjs|@apollo|ws)/)' },
    },
    {
      name: 'production-imports-tests-or-scripts',
      comment: 'What runs in production never loads test helpers (libs/testing) or the launcher scripts.',
      severity: 'error',
      from: { path: '^(apps|libs)/', pathNot: `${TESTS}|^libs/testing/` },
      to: { path: '^(libs/testing|scripts)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.tsx', '.js'] },
  },
};
