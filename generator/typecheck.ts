/**
 * Type-checks generated code (with the runtime it imports) in memory with ts-morph,
 * before anything is written, and reports diagnostics as file:line:col.
 */
import { join, relative } from "node:path";
import { Project, ts } from "ts-morph";

export interface TypeDiagnostic {
  file: string;
  line: number;
  col: number;
  message: string;
}

export function typecheckGenerated(
  root: string,
  outDir: string,
  files: ReadonlyMap<string, string>,
): TypeDiagnostic[] {
  const project = new Project({
    tsConfigFilePath: join(root, "tsconfig.json"),
    skipAddingFilesFromTsConfig: true,
    compilerOptions: { noEmit: true },
  });
  project.addSourceFilesAtPaths(join(root, "runtime/**/*.ts"));
  for (const [name, text] of files)
    project.createSourceFile(join(outDir, name), text, { overwrite: true });
  return project.getPreEmitDiagnostics().map((d) => {
    const sf = d.getSourceFile();
    const start = d.getStart() ?? 0;
    const pos = sf ? sf.getLineAndColumnAtPos(start) : { line: 0, column: 0 };
    return {
      file: sf ? relative(root, sf.getFilePath()) : "(global)",
      line: pos.line,
      col: pos.column,
      message: ts.flattenDiagnosticMessageText(
        d.getMessageText() as string | ts.DiagnosticMessageChain,
        " ",
      ),
    };
  });
}
