import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// The server under development: `npm run dev` proxies API calls to it.
const server = process.env.FLOWTRACK_SERVER ?? "http://127.0.0.1:5000";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "../src/flowtrack/server/ui_dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: { "/api": server, "/ajax-api": server },
  },
});
