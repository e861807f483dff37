/**
 * Stage 3a: IR → view model. Everything the templates print that needs a decision
 * (TypeScript spellings, codec references, doc lines) is computed here, so templates
 * stay plain text with holes.
 */
import {
  type IrDataObject,
  type IrManagedObject,
  type IrMember,
  type IrMethod,
  type IrSchema,
  type IrType,
  PRIMITIVES,
} from "./ir.js";

export interface MemberView {
  name: string;
  tsType: string;
  optional: boolean;
  codec: string;
  occurrence: string;
  doc: string;
}

export interface DataObjectView {
  name: string;
  base?: string;
  extendsClause: string;
  isRoot: boolean;
  isFault: boolean;
  members: MemberView[];
  subtypes: string[];
  wireOrder: string;
  subtypesDoc: string;
  ignoredDoc: string;
}

export interface EnumView {
  name: string;
  union: string;
  values: string[];
}

export interface ParamView extends MemberView {
  access: string;
}

export interface MethodView {
  name: string;
  doc: string[];
  selfParam?: string;
  selfWrite?: string;
  argsType?: string;
  argsParam?: string;
  params: ParamView[];
  returnType: string;
  returnSpec: string;
}

export interface ManagedObjectView {
  name: string;
  base?: string;
  extendsClause: string;
  properties: MemberView[];
  propertyNames: string;
  /** No properties at all, own or inherited. */
  empty: boolean;
}

/** One module of codecs: generated/codecs/<file>. */
export interface CodecModuleView {
  /** Path under generated/, e.g. "codecs/data-01.ts". */
  file: string;
  /** How generated/codecs.ts imports it, e.g. "./codecs/data-01.js". */
  importPath: string;
  /** What it holds, for its header. */
  summary: string;
  enums: EnumView[];
  dataObjects: DataObjectView[];
  /** Runtime helpers and built-in codecs it uses. */
  runtime: string[];
  /** Names it uses from the other codec modules, by module ("./enums.js"). */
  imports: { from: string; names: string[] }[];
}

export interface SchemaView {
  /** The codecs, split in modules (each compiled on its own: one huge module costs memory). */
  codecModules: CodecModuleView[];
  enums: EnumView[];
  dataObjects: DataObjectView[];
  managedObjects: ManagedObjectView[];
  methods: MethodView[];
  /** Runtime codecs each generated module refers to, for its imports. */
  runtimeCodecs: { methods: string[]; managed: string[] };
  /** Some method binds _this to a ServiceContent member. */
  hasBoundThis: boolean;
  /** Modules that mention AnyValue in a type. */
  anyValueIn: { methods: boolean; managed: boolean };
  hasRetrieve: boolean;
  allCodecs: string[];
  /** Enum and data type names the method stubs refer to. */
  methodCodecImports: string[];
  /** Enum and data type names the managed-object properties refer to. */
  managedCodecImports: string[];
}

export function codecRef(t: IrType): string {
  switch (t.kind) {
    case "primitive":
      return t.name === "AnyType" ? "AnyTypeCodec" : `${t.name}Codec`;
    case "moref":
      return "MorefCodec";
    default:
      return `${t.name}Codec`;
  }
}

/** Managed type → itself and its subtypes: a reference to a View may point to a ContainerView. */
let managedSubtypes = new Map<string, string[]>();

export function tsType(t: IrType): string {
  switch (t.kind) {
    case "primitive":
      return PRIMITIVES[t.name].ts;
    case "moref": {
      if (!t.target) return "ManagedObjectReference";
      const names = [t.target, ...(managedSubtypes.get(t.target) ?? [])];
      return `ManagedObjectReference<${names.map((n) => `"${n}"`).join(" | ")}>`;
    }
    default:
      return t.name;
  }
}

function memberView(m: IrMember): MemberView {
  const base = tsType(m.type);
  return {
    name: m.name,
    tsType: m.list
      ? base.includes("<") || /^\w+$/.test(base)
        ? `${base}[]`
        : `(${base})[]`
      : base,
    optional: !m.required,
    codec: codecRef(m.type),
    occurrence: m.occurrence,
    doc: describeMember(m),
  };
}

function describeMember(m: IrMember): string {
  const t =
    m.type.kind === "primitive"
      ? m.type.name
      : m.type.kind === "moref"
        ? `ManagedObjectReference${m.type.target ? ` to ${m.type.target}` : ""}`
        : m.type.name;
  const occ = { r: "required", rl: "required list", o: "optional", ol: "optional list" }[
    m.occurrence
  ];
  return `${t}, ${occ}`;
}

function dataObjectView(o: IrDataObject): DataObjectView {
  return {
    name: o.name,
    base: o.base,
    extendsClause: o.base ? ` extends ${o.base}` : "",
    isRoot: !o.base,
    isFault: o.isFault,
    members: o.ownMembers.map(memberView),
    subtypes: o.subtypes,
    wireOrder: o.members.map((m) => m.name).join(", ") || "(no members)",
    subtypesDoc: o.subtypes.length ? o.subtypes.join(", ") : "",
    ignoredDoc: o.ignored
      .filter((m) => m.declaredIn === o.name)
      .map((m) => `${m.name} (${m.typeName})`)
      .join(", "),
  };
}

function methodView(m: IrMethod, ir: IrSchema): MethodView {
  const doc: string[] = [];
  const self = m.self;
  let selfParam: string | undefined;
  let selfWrite: string | undefined;
  if (self) {
    if (self.bind) {
      doc.push(`_this is ServiceContent.${self.bind}, or \`options.target\` when given.`);
      selfWrite = `writeField(w, "_this", MorefCodec, options?.target ?? boundThis(client, "${self.bind}", "${m.name}"), "r");`;
    } else {
      selfParam = `_this: ${tsType(self.type)}`;
      selfWrite = `writeField(w, "_this", MorefCodec, _this, "r");`;
    }
  }
  if (m.faults.length) doc.push(`Faults: ${m.faults.join(", ")}.`);
  const params: ParamView[] = m.params.map((p) => ({ ...memberView(p), access: `args.${p.name}` }));
  const allOptional = params.every((p) => p.optional);
  const argsType = params.length ? `${m.name}Args` : undefined;
  const argsParam = argsType ? `args: ${argsType}${allOptional ? " = {}" : ""}` : undefined;
  let returnType = "void";
  let returnSpec = "undefined";
  if (m.returns) {
    const t = tsType(m.returns.type);
    returnType = m.returns.list ? `${t}[]` : m.returns.required ? t : `${t} | undefined`;
    returnSpec = `{ codec: ${codecRef(m.returns.type)}, occurrence: "${m.returns.occurrence}" }`;
  }
  void ir;
  return {
    name: m.name,
    doc,
    selfParam,
    selfWrite,
    argsType,
    argsParam,
    params,
    returnType,
    returnSpec,
  };
}

function managedObjectView(o: IrManagedObject): ManagedObjectView {
  return {
    name: o.name,
    base: o.base,
    extendsClause: o.base ? ` extends ${o.base}Properties` : "",
    properties: o.ownProperties.map(memberView),
    propertyNames: o.properties.map((p) => p.name).join(", ") || "(none)",
    empty: o.properties.length === 0,
  };
}

/** The built-in codecs (primitives, MorefCodec) that code over `types` refers to. */
function runtimeCodecs(types: IrType[]): string[] {
  return [
    ...new Set(types.filter((t) => t.kind === "primitive" || t.kind === "moref").map(codecRef)),
  ].sort();
}

const isAny = (t: IrType) => t.kind === "primitive" && t.name === "AnyType";

export function buildView(ir: IrSchema): SchemaView {
  managedSubtypes = new Map(ir.managedObjects.map((o) => [o.name, o.subtypes]));
  const methodNames = new Set(ir.methods.map((m) => m.name));
  const named = (types: IrType[]) =>
    [
      ...new Set(types.flatMap((t) => (t.kind === "enum" || t.kind === "data" ? [t.name] : []))),
    ].sort();
  const enums = ir.enums.map((e) => ({
    name: e.name,
    values: e.values,
    union: e.values.map((v) => JSON.stringify(v)).join(" | "),
  }));
  return {
    codecModules: codecModules(ir, enums),
    enums,
    dataObjects: ir.dataObjects.map(dataObjectView),
    managedObjects: ir.managedObjects.map(managedObjectView),
    methods: ir.methods.map((m) => methodView(m, ir)),
    runtimeCodecs: {
      methods: runtimeCodecs([
        ...ir.methods.flatMap((m) => [
          ...m.params.map((p) => p.type),
          ...(m.returns ? [m.returns.type] : []),
        ]),
        ...(ir.methods.some((m) => m.self) ? [{ kind: "moref" } as const] : []),
      ]),
      managed: runtimeCodecs(ir.managedObjects.flatMap((o) => o.ownProperties.map((m) => m.type))),
    },
    hasBoundThis: ir.methods.some((m) => m.self?.bind),
    anyValueIn: {
      methods: ir.methods.some((m) =>
        [...m.params.map((p) => p.type), ...(m.returns ? [m.returns.type] : [])].some(isAny),
      ),
      managed: ir.managedObjects.some((o) => o.ownProperties.some((p) => isAny(p.type))),
    },
    hasRetrieve:
      methodNames.has("RetrievePropertiesEx") && methodNames.has("ContinueRetrievePropertiesEx"),
    methodCodecImports: named(
      ir.methods.flatMap((m) => [
        ...m.params.map((p) => p.type),
        ...(m.returns ? [m.returns.type] : []),
      ]),
    ),
    managedCodecImports: named(
      ir.managedObjects.flatMap((o) => o.ownProperties.map((p) => p.type)),
    ),
    allCodecs: [
      ...ir.enums.map((e) => `${e.name}Codec`),
      ...ir.dataObjects.map((o) => `${o.name}Codec`),
    ],
  };
}

/** Data types per codec module. */
export const DATA_TYPES_PER_MODULE = 100;

function codecModules(ir: IrSchema, enums: EnumView[]): CodecModuleView[] {
  const moduleOf = new Map<string, string>();
  for (const e of ir.enums) moduleOf.set(e.name, "enums");
  const chunks: IrDataObject[][] = [];
  for (let i = 0; i < ir.dataObjects.length; i += DATA_TYPES_PER_MODULE)
    chunks.push(ir.dataObjects.slice(i, i + DATA_TYPES_PER_MODULE));
  const width = Math.max(2, String(chunks.length).length);
  const names = chunks.map((_, i) => `data-${String(i + 1).padStart(width, "0")}`);
  chunks.forEach((chunk, i) => chunk.forEach((o) => moduleOf.set(o.name, names[i]!)));
  const modules: CodecModuleView[] = [
    {
      file: "codecs/enums.ts",
      importPath: "./codecs/enums.js",
      summary: `the ${enums.length} enumerations`,
      enums,
      dataObjects: [],
      runtime: [],
      imports: [],
    },
  ];
  chunks.forEach((chunk, i) => {
    const own = names[i]!;
    const wanted = new Map<string, Set<string>>();
    const want = (typeName: string, name: string) => {
      const from = moduleOf.get(typeName);
      if (from === undefined || from === own) return;
      if (!wanted.has(from)) wanted.set(from, new Set());
      wanted.get(from)!.add(name);
    };
    const types: IrType[] = [];
    for (const o of chunk) {
      if (o.base) want(o.base, `${o.base}Codec`);
      for (const m of o.ownMembers) {
        types.push(m.type);
        if (m.type.kind === "enum" || m.type.kind === "data") want(m.type.name, codecRef(m.type));
      }
    }
    modules.push({
      file: `codecs/${own}.ts`,
      importPath: `./codecs/${own}.js`,
      summary: `data types ${chunk[0]!.name} to ${chunk[chunk.length - 1]!.name}`,
      enums: [],
      dataObjects: chunk.map(dataObjectView),
      runtime: runtimeCodecs(types),
      imports: [...wanted]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([from, set]) => ({ from: `./${from}.js`, names: [...set].sort() })),
    });
  });
  return modules;
}
