import { defineConfig, type Plugin } from 'vitest/config';
import { generate } from './scripts/generate.mjs';

/** Generates src/generated/trace.ts (from the trace schema) and the example traces (from the
 *  engine) before a build, a dev server or a test run starts: scripts/generate.mjs. */
function generated(): Plugin {
  return {
    name: 'tcplab-generate',
    async buildStart() {
      await generate();
    },
  };
}

// Lessons live in ../lessons (owned by the lessons folder); the dev server may read them.
export default defineConfig({
  base: './',
  plugins: [generated()],
  server: { fs: { allow: ['..'] } },
  build: { target: 'es2022', chunkSizeWarningLimit: 1500 },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts'],
  },
});
