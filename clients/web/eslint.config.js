import js from "@eslint/js";
import reactHooks from "eslint-plugin-react-hooks";
import { defineConfig } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig(
  { ignores: ["dist", "node_modules", "src/api/schema.d.ts"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      globals: globals.browser,
      // The plain-JS scripts and browser scenarios are checked without a tsconfig of their own.
      parserOptions: { projectService: { allowDefaultProject: ["eslint.config.js", "scripts/*.mjs", "e2e/*.mjs"], maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 20 } },
    },
    plugins: { "react-hooks": reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
    },
  },
  // Build scripts and the browser tests run on Node with no type declarations installed: linted, not type-checked.
  { files: ["scripts/*.mjs", "e2e/*.mjs", "eslint.config.js"], ...tseslint.configs.disableTypeChecked, languageOptions: { globals: globals.node } },
);
