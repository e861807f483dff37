/**
 * Stage 2: syntax trees of all schema files → checked IR. Resolves names, inheritance
 * and `_this` bindings; collects every semantic error with its source position.
 */
import { type Diagnostic, type SourceLoc, sortDiagnostics } from "./diagnostics.js";
import {
  type IrDataObject,
  type IrEnum,
  type IrIgnoredMember,
  type IrManagedObject,
  type IrMember,
  type IrMethod,
  type IrParam,
  type IrSchema,
  type IrType,
  MOREF,
  PRIMITIVES,
  type PrimitiveName,
} from "./ir.js";
import type { AstBlock, AstEnum, AstMember, AstMethod, AstObject, Token } from "./parse.js";

export interface ValidateResult {
  ir: IrSchema;
  diagnostics: Diagnostic[];
}

const byName = <T extends { name: string }>(a: T, b: T) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

export function validateSchema(blocks: AstBlock[]): ValidateResult {
  const diagnostics: Diagnostic[] = [];
  const report = (loc: SourceLoc, message: string) => diagnostics.push({ ...loc, message });
  /** The first of each name wins; later ones are reported as duplicates. */
  const unique = <T>(
    items: T[],
    tokenOf: (item: T) => Token,
    what: (name: string) => string,
  ): T[] => {
    const seen = new Map<string, SourceLoc>();
    return items.filter((item) => {
      const t = tokenOf(item);
      const prior = seen.get(t.text);
      if (prior) report(t.loc, `${what(t.text)} (first at line ${prior.line})`);
      else seen.set(t.text, t.loc);
      return !prior;
    });
  };

  // Declarations. The first declaration of a name wins; later ones are reported.
  const enums = new Map<string, AstEnum>();
  const objects = new Map<string, AstObject>();
  const methods = new Map<string, AstMethod>();
  const firstLoc = new Map<string, SourceLoc>();
  for (const block of blocks) {
    const name = block.name.text;
    if (block.kind === "method") {
      const prior = methods.get(name);
      if (prior)
        report(
          block.name.loc,
          `duplicate method '${name}' (first declared at ${at(prior.name.loc)})`,
        );
      else methods.set(name, block);
      continue;
    }
    if (name in PRIMITIVES || name === MOREF) {
      report(block.name.loc, `duplicate type '${name}': it is a built-in type`);
      continue;
    }
    const prior = firstLoc.get(name);
    if (prior) {
      report(block.name.loc, `duplicate type '${name}' (first declared at ${at(prior)})`);
      continue;
    }
    firstLoc.set(name, block.name.loc);
    if (block.kind === "enum") enums.set(name, block);
    else objects.set(name, block);
  }

  const resolve = (t: Token): IrType | undefined => {
    const name = t.text;
    if (name === MOREF) return { kind: "moref" };
    if (name in PRIMITIVES) return { kind: "primitive", name: name as PrimitiveName };
    if (enums.has(name)) return { kind: "enum", name };
    const obj = objects.get(name);
    if (obj) return obj.managed ? { kind: "moref", target: name } : { kind: "data", name };
    return undefined;
  };

  // Enums.
  const irEnums: IrEnum[] = [];
  for (const e of enums.values()) {
    const values = unique(
      e.values,
      (v) => v,
      (v) => `duplicate enum value '${v}' in '${e.name.text}'`,
    );
    if (e.values.length === 0) report(e.name.loc, `enum '${e.name.text}' has no values`);
    irEnums.push({ name: e.name.text, values: values.map((v) => v.text), loc: e.name.loc });
  }

  // Inheritance: known base of the same kind, no cycles.
  const baseOf = new Map<string, string>();
  for (const o of objects.values()) {
    if (!o.base) continue;
    const base = objects.get(o.base.text);
    if (!base) {
      const what = enums.has(o.base.text)
        ? "an enum"
        : o.base.text in PRIMITIVES
          ? "a built-in type"
          : "";
      report(o.base.loc, `unknown base type '${o.base.text}'${what ? ` (it is ${what})` : ""}`);
    } else if (base.managed !== o.managed) {
      report(
        o.base.loc,
        `base type '${o.base.text}' is ${base.managed ? "a managed object" : "a data object"}, but '${o.name.text}' is ${o.managed ? "a managed object" : "a data object"}`,
      );
    } else baseOf.set(o.name.text, o.base.text);
  }
  for (const o of objects.values()) {
    const chain = [o.name.text];
    for (let b = baseOf.get(o.name.text); b; b = baseOf.get(b)) {
      if (b === o.name.text) {
        report(o.base!.loc, `cyclic base: ${[...chain, b].join(" extends ")}`);
        // Break the cycle here so later walks terminate.
        baseOf.delete(o.name.text);
        break;
      }
      if (chain.includes(b)) break; // a cycle further up; reported at its own members
      chain.push(b);
    }
  }
  const ancestorsOf = (name: string): string[] => {
    const out: string[] = [];
    for (let b = baseOf.get(name); b && !out.includes(b); b = baseOf.get(b)) out.push(b);
    return out;
  };
  const childrenOf = new Map<string, string[]>();
  for (const [child, base] of baseOf) {
    childrenOf.set(base, [...(childrenOf.get(base) ?? []), child]);
  }
  const subtypesOf = (name: string): string[] => {
    const out = new Set<string>();
    const walk = (n: string) =>
      childrenOf.get(n)?.forEach((c) => {
        if (!out.has(c)) {
          out.add(c);
          walk(c);
        }
      });
    walk(name);
    return [...out].sort();
  };

  // Members.
  const checkMember = (
    m: AstMember,
    owner: string,
    isParam: boolean,
  ): IrMember | IrIgnoredMember | undefined => {
    if (m.occurrence === "i") {
      if (isParam) {
        report(m.occurrenceLoc, `parameter '${m.name.text}' of '${owner}' cannot be ignored ('i')`);
        return undefined;
      }
      return { name: m.name.text, typeName: m.type.text, declaredIn: owner, loc: m.name.loc };
    }
    const type = resolve(m.type);
    if (!type) {
      report(
        m.type.loc,
        `unknown type '${m.type.text}' for ${isParam ? "parameter" : "member"} '${m.name.text}' of '${owner}'`,
      );
      return undefined;
    }
    const list = m.occurrence === "rl" || m.occurrence === "ol";
    if (list && type.kind === "enum") {
      report(
        m.occurrenceLoc,
        `enum '${type.name}' cannot be used as a list ('${m.occurrence}') in '${owner}.${m.name.text}'`,
      );
    }
    return {
      name: m.name.text,
      type,
      occurrence: m.occurrence,
      list,
      required: m.occurrence === "r" || m.occurrence === "rl",
      declaredIn: owner,
      loc: m.name.loc,
    };
  };

  const own = new Map<string, { members: IrMember[]; ignored: IrIgnoredMember[] }>();
  for (const o of objects.values()) {
    const members: IrMember[] = [];
    const ignored: IrIgnoredMember[] = [];
    const declared = unique(
      o.members,
      (m) => m.name,
      (n) => `duplicate member '${n}' in '${o.name.text}'`,
    );
    for (const m of declared) {
      const checked = checkMember(m, o.name.text, false);
      if (!checked) continue;
      if ("type" in checked) members.push(checked);
      else ignored.push(checked);
    }
    own.set(o.name.text, { members, ignored });
  }
  // A member may not redeclare one of a base type: the wire would carry it twice.
  for (const o of objects.values()) {
    const mine = own.get(o.name.text)!;
    for (const anc of ancestorsOf(o.name.text)) {
      const theirs = own.get(anc)!;
      for (const m of [...mine.members, ...mine.ignored]) {
        const clash = [...theirs.members, ...theirs.ignored].find((x) => x.name === m.name);
        if (clash)
          report(
            m.loc,
            `duplicate member '${m.name}' in '${o.name.text}': already inherited from '${anc}' (${at(clash.loc)})`,
          );
      }
    }
  }
  const inherited = (name: string) => {
    const chain = [...ancestorsOf(name).reverse(), name];
    return {
      members: chain.flatMap((n) => own.get(n)!.members),
      ignored: chain.flatMap((n) => own.get(n)!.ignored),
    };
  };

  const isFault = (name: string) =>
    name === "MethodFault" || ancestorsOf(name).includes("MethodFault");
  const dataObjects: IrDataObject[] = [];
  const managedObjects: IrManagedObject[] = [];
  for (const o of objects.values()) {
    const name = o.name.text;
    const all = inherited(name);
    const common = {
      name,
      base: baseOf.get(name),
      ancestors: ancestorsOf(name),
      ignored: all.ignored,
      children: [...(childrenOf.get(name) ?? [])].sort(),
      subtypes: subtypesOf(name),
      loc: o.name.loc,
    };
    if (o.managed) {
      managedObjects.push({
        ...common,
        ownProperties: own.get(name)!.members,
        properties: all.members,
      });
    } else {
      dataObjects.push({
        ...common,
        ownMembers: own.get(name)!.members,
        members: all.members,
        isFault: isFault(name),
      });
    }
  }

  // Methods.
  const serviceContent = objects.get("ServiceContent");
  const irMethods: IrMethod[] = [];
  for (const m of methods.values()) {
    const method: IrMethod = { name: m.name.text, params: [], faults: [], loc: m.name.loc };
    const declared = unique(
      m.params,
      (p) => p.name,
      (n) => `duplicate parameter '${n}' in method '${method.name}'`,
    );
    for (const p of declared) {
      const checked = checkMember(p, method.name, true);
      if (!checked || !("type" in checked)) continue;
      const param: IrParam = { ...checked };
      if (p.name.text === "_this") {
        if (checked.type.kind !== "moref") {
          report(
            p.type.loc,
            `_this of '${method.name}' must be a ManagedObjectReference or a managed object type, not '${p.type.text}'`,
          );
        }
        if (checked.list) report(p.occurrenceLoc, `_this of '${method.name}' cannot be a list`);
        if (p.bind) {
          const bound = serviceContent?.members.find((x) => x.name.text === p.bind!.text);
          if (!serviceContent) {
            report(
              p.bind.loc,
              `'_this:${p.bind.text}' needs a ServiceContent object in the schema`,
            );
          } else if (!bound) {
            report(
              p.bind.loc,
              `'_this:${p.bind.text}': ServiceContent has no member '${p.bind.text}'`,
            );
          } else if (resolve(bound.type)?.kind !== "moref") {
            report(
              p.bind.loc,
              `'_this:${p.bind.text}': ServiceContent.${p.bind.text} is not a managed object reference`,
            );
          } else param.bind = p.bind.text;
        }
        if (method.params.length > 0)
          report(p.name.loc, `_this must be the first parameter of '${method.name}'`);
        method.self = param;
      } else method.params.push(param);
    }
    if (m.returns) {
      const type = resolve(m.returns.type);
      const list = m.returns.occurrence === "rl" || m.returns.occurrence === "ol";
      if (!type)
        report(
          m.returns.type.loc,
          `unknown return type '${m.returns.type.text}' of method '${method.name}'`,
        );
      else {
        if (list && type.kind === "enum") {
          report(
            m.returns.occurrenceLoc,
            `enum '${type.name}' cannot be used as a list ('${m.returns.occurrence}') as the return of '${method.name}'`,
          );
        }
        method.returns = {
          type,
          occurrence: m.returns.occurrence,
          list,
          required: m.returns.occurrence === "r" || m.returns.occurrence === "rl",
        };
      }
    }
    for (const f of m.faults) {
      const obj = objects.get(f.text);
      if (!obj) report(f.loc, `unknown fault type '${f.text}' of method '${method.name}'`);
      else if (!isFault(f.text))
        report(f.loc, `'${f.text}' in the faults of '${method.name}' does not extend MethodFault`);
      else method.faults.push(f.text);
    }
    irMethods.push(method);
  }

  return {
    ir: {
      enums: irEnums.sort(byName),
      dataObjects: dataObjects.sort(byName),
      managedObjects: managedObjects.sort(byName),
      methods: irMethods.sort(byName),
    },
    diagnostics: sortDiagnostics(diagnostics),
  };
}

function at(loc: SourceLoc): string {
  return `${loc.file}:${loc.line}:${loc.col}`;
}
