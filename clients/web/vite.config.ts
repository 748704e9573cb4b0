import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// In development the REST edge is proxied, so the app and the API share an origin as in production
// (where the edge serves both) and no CORS is involved either way.
export default defineConfig({
  plugins: [react()],
  server: { port: 3000, proxy: { "/v1": "http://localhost:8080" } },
  build: { outDir: "dist", sourcemap: true, chunkSizeWarningLimit: 600 },
});
