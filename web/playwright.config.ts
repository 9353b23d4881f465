import { defineConfig } from '@playwright/test';
import { chromiumArgs, chromiumPath } from './e2e/chromium';

// TCPLAB_E2E_PORT and TCPLAB_DIST let several test runs share one checkout (each its own server
// and build directory); the defaults are what scripts/test uses.
const port = Number(process.env.TCPLAB_E2E_PORT ?? 4173);
const dist = process.env.TCPLAB_DIST ?? 'dist';

export default defineConfig({
  testDir: 'e2e',
  testMatch: /.*\.spec\.ts/,
  outputDir: 'test-results/playwright',
  timeout: 30_000,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}/`,
    browserName: 'chromium',
    launchOptions: { executablePath: chromiumPath, args: chromiumArgs },
    viewport: { width: 1280, height: 800 },
  },
  webServer: {
    command: `node_modules/.bin/vite build --outDir ${dist} --emptyOutDir && node_modules/.bin/vite preview --outDir ${dist} --host 127.0.0.1 --port ${port} --strictPort`,
    url: `http://127.0.0.1:${port}/`,
    reuseExistingServer: false,
    timeout: 60_000,
  },
});
