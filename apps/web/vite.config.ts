import { defineConfig } from 'vite';

// Built by `npm run build` (`vite build apps/web`): this folder is the root, the output goes beside the
// gateway's in dist, where the gateway serves it at / (apps/gateway/src/web/web-console.ts).
export default defineConfig({
  build: {
    outDir: '../../dist/apps/web',
    emptyOutDir: true,
    // The gateway reads it to know a build from these sources; it also lists the initial chunks.
    manifest: true,
    // Every browser the console supports preloads modules itself: no polyfill in the entry.
    modulePreload: { polyfill: false },
    target: 'es2022',
  },
  // `npx vite apps/web` in development: the page here, the API of an `npm start` on its default port.
  server: {
    proxy: {
      '/graphql': { target: 'http://127.0.0.1:4000', ws: true },
      '/auth': 'http://127.0.0.1:4000',
      '/invoices': 'http://127.0.0.1:4000',
      // A console's URL is on the origin openConsole was asked on: this server's, in development.
      '/consoles': { target: 'http://127.0.0.1:4000', ws: true },
    },
  },
});
