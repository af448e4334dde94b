// Type-aware linting for the app, tests and tooling; generated output is ignored.
import tseslint from "typescript-eslint";
import reactHooks from "eslint-plugin-react-hooks";

const noDemo = {
  group: ["~/demo/*", "**/demo/*", "!./*"],
  message: "Layer rule: only app/demo (the offline demo) may import app/demo; the app never depends on it.",
};
// Raw SQL and transactions go through app/sql.server.ts (one idiom, checked rows, one retry rule).
const databaseOnlyInLayer = ["$transaction", "$queryRaw", "$executeRaw", "$queryRawUnsafe", "$executeRawUnsafe"].map(
  (property) => ({
    property,
    message: "Layer rule: raw SQL and transactions go through app/sql.server.ts (sql`...` with db.rows/db.run, transaction(), sqlTransaction()).",
  }),
);
for (const property of ["sql", "join", "raw", "empty"]) {
  databaseOnlyInLayer.push({
    object: "Prisma",
    property,
    message: "Layer rule: SQL fragments are written with the sql tag of app/sql.server.ts, not Prisma.sql.",
  });
}
const envOnlyInConfig = {
  object: "process",
  property: "env",
  message: "Layer rule: environment variables are read in app/config.server.ts only.",
};

export default tseslint.config(
  {
    ignores: [
      "build/**",
      "public/build/**",
      ".cache/**",
      ".data/**",
      "node_modules/**",
      "extensions/**/dist/**",
      // Written by Shopify CLI (`shopify app dev` / `build`) in its own style.
      "extensions/*/shopify.d.ts",
      "bench/results/**",
      "**/*.js",
      "**/*.mjs",
      "**/*.cjs",
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ["**/*.{ts,tsx}"],
    plugins: { "react-hooks": reactHooks },
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      ...reactHooks.configs.recommended.rules,
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": ["error", { checksVoidReturn: { attributes: false } }],
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": ["error", { fixStyle: "inline-type-imports" }],
    },
  },
  // The layers of app/ (see "Where things live" in README.md). Each rule's message names it.
  {
    files: ["app/**/*.{ts,tsx}"],
    ignores: ["app/demo/**", "app/local/**"],
    rules: {
      "@typescript-eslint/no-restricted-imports": ["error", { patterns: [noDemo] }],
      "no-restricted-properties": ["error", envOnlyInConfig],
    },
  },
  // Raw SQL and transactions only through app/sql.server.ts, the one place that may call Prisma's
  // $transaction and $queryRaw family. (A later no-restricted-properties replaces an earlier one:
  // hence envOnlyInConfig again.)
  {
    files: ["app/**/*.{ts,tsx}"],
    ignores: ["app/sql.server.ts", "app/demo/**", "app/local/**"],
    rules: { "no-restricted-properties": ["error", ...databaseOnlyInLayer, envOnlyInConfig] },
  },
  {
    files: ["app/routes/**/*.{ts,tsx}", "app/root.tsx"],
    rules: {
      "no-restricted-syntax": [
        "error",
        {
          selector: "CallExpression[callee.object.name='request'][callee.property.name=/^(formData|json|text|arrayBuffer|blob)$/]",
          message: "Layer rule: request bodies are read under their size limit by app/request-body.server.ts (readForm, readStreamedForm).",
        },
        {
          selector: "ImportSpecifier[imported.name=/^unstable_(parseMultipartFormData|createMemoryUploadHandler|createFileUploadHandler)$/]",
          message: "Layer rule: multipart uploads are streamed by readStreamedForm in app/request-body.server.ts (busboy, with limits).",
        },
      ],
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            noDemo,
            {
              group: ["~/db.server", "~/sql.server", "~/pg.server", "**/db.server", "**/sql.server", "**/pg.server"],
              message: "Layer rule: routes reach the database only through app/models (no db, sql or pg in a route).",
            },
          ],
          paths: [{ name: "@prisma/client", allowTypeImports: true, message: "Layer rule: routes reach the database only through app/models." }],
        },
      ],
    },
  },
  {
    files: ["app/components/**/*.{ts,tsx}"],
    rules: {
      "@typescript-eslint/no-restricted-imports": [
        "error",
        {
          patterns: [
            noDemo,
            {
              group: ["~/models/*", "../models/*", "**/*.server"],
              message: "Layer rule: components render what routes load; they never import models or server modules.",
            },
            {
              group: ["~/routes/*", "../routes/*", "**/routes/*"],
              message:
                "Layer rule: components never import routes (routes import components; types they share live in app/lib).",
            },
            {
              group: ["@prisma/client"],
              allowTypeImports: true,
              message: "Layer rule: components may name Prisma's types, never its client.",
            },
          ],
        },
      ],
    },
  },
  // Environment variables are read here; the database rule still holds.
  {
    files: ["app/config.server.ts"],
    rules: { "no-restricted-properties": ["error", ...databaseOnlyInLayer] },
  },
);
