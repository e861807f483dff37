/** A position in a schema file; line and col are 1-based. */
export interface SourceLoc {
  file: string;
  line: number;
  col: number;
}

export interface Diagnostic extends SourceLoc {
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.col}: ${d.message}`;
}

/** Thrown when a schema has errors; carries every one of them, not only the first. */
export class SchemaError extends Error {
  readonly diagnostics: readonly Diagnostic[];

  constructor(diagnostics: readonly Diagnostic[]) {
    super(
      `${diagnostics.length} schema error${diagnostics.length === 1 ? "" : "s"}:\n` +
        diagnostics.map(formatDiagnostic).join("\n"),
    );
    this.name = "SchemaError";
    this.diagnostics = diagnostics;
  }
}

/** Sort by file, line, column so output is stable whatever order checks ran in. */
export function sortDiagnostics(list: Diagnostic[]): Diagnostic[] {
  return list.sort(
    (a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) || a.line - b.line || a.col - b.col,
  );
}
