/// <reference types="vitest/config" />
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";
import { contractBounds } from "./contract-bounds.ts";

const here = (relative: string) => fileURLToPath(new URL(relative, import.meta.url));

// The API server during `npm run dev` (the built UI is served by the API server itself).
const API_TARGET = process.env.QE_API_URL ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react(), contractBounds(here("../openapi/openapi.yaml"))],
  resolve: {
    alias: { "@contract": here("../generated/typescript") },
  },
  server: {
    proxy: { "/api": { target: API_TARGET, changeOrigin: false } },
  },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    restoreMocks: true,
  },
});
