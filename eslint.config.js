// @ts-check
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "node_modules/**",
      "coverage/**",
      "test/fixtures/**",
      "test/__snapshots__/**",
      ".vcsim/**",
      ".bench/**",
    ],
  },
  js.configs.recommended,
  // Plain JavaScript scripts (benchmarks) run on Node.
  {
    files: ["**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      // Codecs handle values of schema-defined shape; `any` is confined to the decoder's frames.
      "@typescript-eslint/no-explicit-any": "off",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "no-control-regex": "off",
      // A subtype with no own members is still a distinct, named schema type.
      "@typescript-eslint/no-empty-object-type": [
        "error",
        { allowInterfaces: "with-single-extends" },
      ],
    },
  },
);
