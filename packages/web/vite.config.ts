import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run dev -w packages/web` proxies the API to a daemon on TCP (BERTH_URL, default port 8080).
const daemon = process.env.BERTH_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Hashed names under /assets: the server caches them for a year and index.html not at all.
    assetsDir: 'assets',
  },
  server: { proxy: { '/api': { target: daemon, ws: true } } },
});
