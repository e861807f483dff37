/**
 * The intermediate representation: what the schema means, resolved and checked.
 * Plain JSON (no classes, no cycles, names instead of pointers) so it can be printed
 * with `esx-vi-gen ir`, snapshot-tested and fed to templates.
 */
import type { SourceLoc } from "./diagnostics.js";
import type { Occurrence } from "./parse.js";

/** Built-in types: every name here maps to a fixed wire form and TypeScript type. */
export const PRIMITIVES = {
  Boolean: { xsd: "boolean", ts: "boolean" },
  Byte: { xsd: "byte", ts: "number" },
  Short: { xsd: "short", ts: "number" },
  Int: { xsd: "int", ts: "number" },
  Long: { xsd: "long", ts: "bigint" },
  Float: { xsd: "float", ts: "number" },
  Double: { xsd: "double", ts: "number" },
  String: { xsd: "string", ts: "string" },
  TypeName: { xsd: "string", ts: "string" },
  PropertyPath: { xsd: "string", ts: "string" },
  MethodName: { xsd: "string", ts: "string" },
  DateTime: { xsd: "dateTime", ts: "Date" },
  Binary: { xsd: "base64Binary", ts: "Uint8Array" },
  AnyType: { xsd: "anyType", ts: "AnyValue" },
} as const;
export type PrimitiveName = keyof typeof PRIMITIVES;
export const MOREF = "ManagedObjectReference";

export type IrType =
  | { kind: "primitive"; name: PrimitiveName }
  | { kind: "enum"; name: string }
  | { kind: "data"; name: string }
  /** A ManagedObjectReference; `target` names the managed type it points to, when known. */
  | { kind: "moref"; target?: string };

export interface IrMember {
  name: string;
  type: IrType;
  occurrence: Exclude<Occurrence, "i">;
  list: boolean;
  required: boolean;
  /** The type whose block declares this member (differs from the owner for inherited ones). */
  declaredIn: string;
  loc: SourceLoc;
}

/** An `i` member: declared to keep the wire order documented, neither modelled nor decoded. */
export interface IrIgnoredMember {
  name: string;
  typeName: string;
  declaredIn: string;
  loc: SourceLoc;
}

export interface IrEnum {
  name: string;
  values: string[];
  loc: SourceLoc;
}

export interface IrDataObject {
  name: string;
  base?: string;
  /** Base chain, nearest first. */
  ancestors: string[];
  /** Members declared in this block. */
  ownMembers: IrMember[];
  /** Own and inherited members in wire order: outermost base first. */
  members: IrMember[];
  ignored: IrIgnoredMember[];
  /** Direct subtypes, sorted. */
  children: string[];
  /** All transitive subtypes, sorted: the xsi:type values this type's slots accept. */
  subtypes: string[];
  /** Extends MethodFault (or is it). */
  isFault: boolean;
  loc: SourceLoc;
}

export interface IrManagedObject {
  name: string;
  base?: string;
  ancestors: string[];
  ownProperties: IrMember[];
  properties: IrMember[];
  ignored: IrIgnoredMember[];
  children: string[];
  subtypes: string[];
  loc: SourceLoc;
}

export interface IrParam extends IrMember {
  /** `_this:member`: the ServiceContent member this parameter is taken from. */
  bind?: string;
}

export interface IrMethod {
  name: string;
  /** The `_this` parameter, when the method has one. */
  self?: IrParam;
  /** The other parameters in wire order. */
  params: IrParam[];
  returns?: {
    type: IrType;
    occurrence: Exclude<Occurrence, "i">;
    list: boolean;
    required: boolean;
  };
  faults: string[];
  loc: SourceLoc;
}

export interface IrSchema {
  enums: IrEnum[];
  dataObjects: IrDataObject[];
  managedObjects: IrManagedObject[];
  methods: IrMethod[];
}

export function typeName(t: IrType): string {
  return t.kind === "moref" ? (t.target ?? MOREF) : t.name;
}
