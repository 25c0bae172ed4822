import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// Built into the Python package (argosy/server/webui/dist) so `argosy server` serves it at `/`.
// base "./": asset URLs are relative, so the same build works under any --rootpath
// (the server rewrites <base href> in index.html).
export default defineConfig({
  plugins: [react()],
  base: "./",
  build: {
    outDir: "../src/argosy/server/webui/dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
  server: { proxy: { "/api": "http://127.0.0.1:8080" } },
});
