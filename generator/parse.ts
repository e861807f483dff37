/**
 * Stage 1: DSL text → syntax tree. Purely syntactic: names are not resolved here
 * (see validate.ts). Every problem is collected; parsing goes on after an error so
 * one run reports them all.
 */
import type { Diagnostic, SourceLoc } from "./diagnostics.js";

export const OCCURRENCES = ["r", "rl", "o", "ol", "i"] as const;
export type Occurrence = (typeof OCCURRENCES)[number];

export interface Token {
  text: string;
  loc: SourceLoc;
}

export interface AstMember {
  type: Token;
  name: Token;
  occurrence: Occurrence;
  occurrenceLoc: SourceLoc;
  /** `_this:member`: bind the parameter to this ServiceContent member. */
  bind?: Token;
}

export interface AstEnum {
  kind: "enum";
  name: Token;
  values: Token[];
}

export interface AstObject {
  kind: "object";
  managed: boolean;
  name: Token;
  base?: Token;
  members: AstMember[];
}

export interface AstMethod {
  kind: "method";
  name: Token;
  returns?: { type: Token; occurrence: Exclude<Occurrence, "i">; occurrenceLoc: SourceLoc };
  faults: Token[];
  params: AstMember[];
}

export type AstBlock = AstEnum | AstObject | AstMethod;

export interface ParseResult {
  blocks: AstBlock[];
  diagnostics: Diagnostic[];
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Split a line into tokens with their 1-based columns, after dropping a `#` comment. */
function tokenize(file: string, lineNo: number, raw: string): Token[] {
  const hash = raw.indexOf("#");
  const text = hash >= 0 ? raw.slice(0, hash) : raw;
  const tokens: Token[] = [];
  const re = /\S+/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    tokens.push({ text: m[0], loc: { file, line: lineNo, col: m.index + 1 } });
  }
  return tokens;
}

function isOccurrence(s: string): s is Occurrence {
  return (OCCURRENCES as readonly string[]).includes(s);
}

type OpenBlock = AstBlock & { header: Token };

export function parseSchema(file: string, source: string): ParseResult {
  const diagnostics: Diagnostic[] = [];
  const blocks: AstBlock[] = [];
  const report = (loc: SourceLoc, message: string) => diagnostics.push({ ...loc, message });
  const checkName = (t: Token, what: string) => {
    if (!IDENTIFIER.test(t.text)) report(t.loc, `invalid ${what} name '${t.text}'`);
  };
  let open: OpenBlock | undefined;

  const finish = () => {
    if (open) {
      const { header: _header, ...block } = open;
      blocks.push(block as AstBlock);
      open = undefined;
    }
  };

  const lines = source.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const tokens = tokenize(file, index + 1, raw);
    const first = tokens[0];
    if (!first) return;
    const isHeader =
      first.text === "enum" ||
      first.text === "object" ||
      first.text === "method" ||
      (first.text === "managed" && tokens[1]?.text === "object");

    if (isHeader) {
      if (open) {
        report(
          first.loc,
          `nested block: '${first.text}' opened inside ${describe(open)} (line ${open.header.loc.line}), which has no 'end'`,
        );
        finish();
      }
      open = parseHeader(tokens, report, checkName);
      return;
    }

    if (first.text === "end") {
      if (tokens.length !== 1) {
        report(tokens[1]!.loc, `wrong token count: 'end' takes nothing after it`);
      }
      if (!open) report(first.loc, `'end' outside of any block`);
      finish();
      return;
    }

    if (!open) {
      report(first.loc, `stray text outside a block: '${tokens.map((t) => t.text).join(" ")}'`);
      return;
    }

    if (open.kind === "enum") {
      if (tokens.length !== 1) {
        report(
          tokens[1]!.loc,
          `wrong token count: an enum value is one token, got ${tokens.length}`,
        );
        return;
      }
      checkName(first, "enum value");
      open.values.push(first);
      return;
    }

    const member = parseMember(tokens, open.kind === "method", report, checkName);
    if (!member) return;
    if (open.kind === "object") open.members.push(member);
    else open.params.push(member);
  });

  if (open) {
    report(open.header.loc, `${describe(open)} has no 'end'`);
    finish();
  }
  return { blocks, diagnostics };
}

function describe(block: OpenBlock): string {
  const kind = block.kind === "object" && block.managed ? "managed object" : block.kind;
  return `${kind} '${block.name.text}'`;
}

type Report = (loc: SourceLoc, message: string) => void;
type CheckName = (t: Token, what: string) => void;

function parseHeader(tokens: Token[], report: Report, checkName: CheckName): OpenBlock | undefined {
  const header = tokens[0]!;
  const tokenCount = (expected: string) =>
    report(
      (tokens[tokens.length - 1] ?? header).loc,
      `wrong token count: expected '${expected}', got '${tokens.map((t) => t.text).join(" ")}'`,
    );

  if (header.text === "enum") {
    if (tokens.length !== 2) {
      tokenCount("enum NAME");
      if (tokens.length < 2) return undefined;
    }
    checkName(tokens[1]!, "enum");
    return { kind: "enum", header, name: tokens[1]!, values: [] };
  }

  if (header.text === "object" || header.text === "managed") {
    const managed = header.text === "managed";
    const rest = tokens.slice(managed ? 2 : 1);
    const shape = `${managed ? "managed " : ""}object NAME [extends BASE]`;
    if (rest.length !== 1 && rest.length !== 3) {
      tokenCount(shape);
      if (rest.length === 0) return undefined;
    }
    const name = rest[0]!;
    checkName(name, "type");
    let base: Token | undefined;
    if (rest.length >= 2) {
      if (rest[1]!.text !== "extends")
        report(rest[1]!.loc, `expected 'extends', got '${rest[1]!.text}'`);
      else if (rest[2]) {
        base = rest[2];
        checkName(base, "base type");
      }
    }
    return { kind: "object", header, managed, name, base, members: [] };
  }

  // method NAME [returns TYPE OCC] [faults FAULT...]
  const name = tokens[1];
  if (!name) {
    tokenCount("method NAME [returns TYPE OCC] [faults FAULT...]");
    return undefined;
  }
  checkName(name, "method");
  const method: OpenBlock = { kind: "method", header, name, faults: [], params: [] };
  let i = 2;
  if (tokens[i]?.text === "returns") {
    const type = tokens[i + 1];
    const occ = tokens[i + 2];
    if (!type || !occ || occ.text === "faults") {
      tokenCount("method NAME returns TYPE OCC");
      return method;
    }
    if (!isOccurrence(occ.text) || occ.text === "i") {
      report(occ.loc, `bad occurrence '${occ.text}' for a return value: expected r, rl, o or ol`);
    } else {
      method.returns = { type, occurrence: occ.text, occurrenceLoc: occ.loc };
    }
    i += 3;
  }
  if (tokens[i]?.text === "faults") {
    const faults = tokens.slice(i + 1);
    if (faults.length === 0) report(tokens[i]!.loc, `'faults' needs at least one fault type`);
    faults.forEach((f) => checkName(f, "fault"));
    method.faults = faults;
    i = tokens.length;
  }
  if (i < tokens.length) {
    report(
      tokens[i]!.loc,
      `unexpected '${tokens[i]!.text}' in method header: expected 'returns' or 'faults'`,
    );
  }
  return method;
}

function parseMember(
  tokens: Token[],
  isParam: boolean,
  report: Report,
  checkName: CheckName,
): AstMember | undefined {
  if (tokens.length !== 3) {
    const what = isParam ? "a parameter" : "a member";
    report(
      (tokens[3] ?? tokens[tokens.length - 1]!).loc,
      `wrong token count: ${what} is 'TYPE NAME OCCURRENCE', got ${tokens.length} token${tokens.length === 1 ? "" : "s"}`,
    );
    return undefined;
  }
  const [type, nameToken, occ] = tokens as [Token, Token, Token];
  checkName(type, "type");
  let name = nameToken;
  let bind: Token | undefined;
  const colon = nameToken.text.indexOf(":");
  if (colon >= 0) {
    name = { text: nameToken.text.slice(0, colon), loc: nameToken.loc };
    bind = {
      text: nameToken.text.slice(colon + 1),
      loc: { ...nameToken.loc, col: nameToken.loc.col + colon + 1 },
    };
    if (!isParam || name.text !== "_this") {
      report(
        nameToken.loc,
        `'${nameToken.text}': only a method's _this parameter can be bound with ':'`,
      );
      bind = undefined;
    } else if (!IDENTIFIER.test(bind.text)) {
      report(bind.loc, `invalid ServiceContent member name '${bind.text}' after '_this:'`);
      bind = undefined;
    }
  }
  checkName(name, isParam ? "parameter" : "member");
  if (!isOccurrence(occ.text)) {
    report(occ.loc, `bad occurrence '${occ.text}': expected r, rl, o, ol or i`);
    return undefined;
  }
  return { type, name, occurrence: occ.text, occurrenceLoc: occ.loc, bind };
}
