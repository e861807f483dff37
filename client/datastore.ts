/**
 * Datastores: lookup, browsing (FileInfo subtypes), directories, file deletion, virtual
 * disks, and streaming file transfer over `/folder/<path>?dcPath=&dsName=` with the
 * session cookie (never a whole file in memory; Range reads).
 */
import { Readable } from "node:stream";
import {
  CopyVirtualDisk_Task,
  CreateVirtualDisk_Task,
  DeleteDatastoreFile_Task,
  DeleteVirtualDisk_Task,
  MakeDirectory,
  SearchDatastoreSubFolders_Task,
  SearchDatastore_Task,
  type FileBackedVirtualDiskSpec,
  type HostDatastoreBrowserSearchResults,
  type HostDatastoreBrowserSearchSpec,
} from "../generated/index.js";
import type { ManagedObjectReference } from "../runtime/codec/types.js";
import { EsxViError } from "../runtime/errors.js";
import { parseDatastorePath, screenshotUrl, datastoreFileUrl } from "../runtime/escape.js";
import type { VimConnection } from "./connection.js";
import { type ViewOptions, listObjects, readProperties } from "./properties.js";
import { waitForTask, type TaskWaitOptions } from "./tasks.js";
import { NotFoundError, type VmRef } from "./vm.js";

export type DatastoreRef = ManagedObjectReference<"Datastore">;

export class TransferError extends EsxViError {
  constructor(
    readonly status: number,
    readonly url: string,
    message: string,
  ) {
    super(message);
  }
}

export function listDatastores<P = Record<string, unknown>>(
  conn: VimConnection,
  paths: string[],
  options: ViewOptions = {},
) {
  return listObjects<"Datastore", P>(conn, "Datastore", paths, options);
}

export async function findDatastoreByName(
  conn: VimConnection,
  name: string,
): Promise<DatastoreRef | undefined> {
  return (await listDatastores<{ "summary.name": string }>(conn, ["summary.name"])).find(
    (d) => d.props["summary.name"] === name,
  )?.ref;
}

async function browserOf(conn: VimConnection, datastore: string) {
  const ds = await findDatastoreByName(conn, datastore);
  if (!ds) throw new NotFoundError(`no datastore named '${datastore}'`);
  return (
    await readProperties<{ browser: ManagedObjectReference<"HostDatastoreBrowser"> }>(conn, ds, [
      "browser",
    ])
  ).browser;
}

/**
 * Search `[ds] folder` (one folder, or with `recursive` every folder below it). Results
 * hold FileInfo subtypes: VmDiskFileInfo, FolderFileInfo, IsoImageFileInfo, …
 */
export async function browseDatastore(
  conn: VimConnection,
  folderPath: string,
  spec: HostDatastoreBrowserSearchSpec = {
    details: { fileType: true, fileSize: true, modification: true, fileOwner: false },
    matchPattern: ["*"],
  },
  options: Omit<TaskWaitOptions, "vm"> & { recursive?: boolean } = {},
): Promise<HostDatastoreBrowserSearchResults[]> {
  const { datastore } = parseDatastorePath(folderPath);
  const browser = await browserOf(conn, datastore);
  const task = options.recursive
    ? await SearchDatastoreSubFolders_Task(conn, browser, {
        datastorePath: folderPath,
        searchSpec: spec,
      })
    : await SearchDatastore_Task(conn, browser, { datastorePath: folderPath, searchSpec: spec });
  const result = (await waitForTask(conn, task, options)).result as unknown;
  if (result === undefined) return [];
  if (Array.isArray(result)) return result as HostDatastoreBrowserSearchResults[];
  const wrapped = result as { $type?: string; value?: unknown };
  if (wrapped.$type === "ArrayOfHostDatastoreBrowserSearchResults")
    return wrapped.value as HostDatastoreBrowserSearchResults[];
  return [result as HostDatastoreBrowserSearchResults];
}

function datacenter(conn: VimConnection) {
  if (!conn.inventory)
    throw new EsxViError(
      "this operation needs the connection's datacenter (connect with an esx:// or vpx:// URI)",
    );
  return conn.inventory;
}

export async function makeDirectory(
  conn: VimConnection,
  path: string,
  createParents = true,
): Promise<void> {
  await MakeDirectory(conn, {
    name: path,
    datacenter: datacenter(conn).datacenter.ref,
    createParentDirectories: createParents,
  });
}

export async function deleteFile(
  conn: VimConnection,
  path: string,
  options?: Omit<TaskWaitOptions, "vm">,
): Promise<void> {
  const task = await DeleteDatastoreFile_Task(conn, {
    name: path,
    datacenter: datacenter(conn).datacenter.ref,
  });
  await waitForTask(conn, task, options);
}

/** A thin or preallocated virtual disk (libvirt's vol-create: adapter lsiLogic). */
export async function createVirtualDisk(
  conn: VimConnection,
  path: string,
  capacityKb: bigint,
  diskType: "thin" | "preallocated" | "eagerZeroedThick" = "thin",
  options?: Omit<TaskWaitOptions, "vm">,
): Promise<void> {
  const spec: FileBackedVirtualDiskSpec = {
    $type: "FileBackedVirtualDiskSpec",
    diskType,
    adapterType: "lsiLogic",
    capacityKb,
  };
  const task = await CreateVirtualDisk_Task(conn, {
    name: path,
    datacenter: datacenter(conn).datacenter.ref,
    spec,
  });
  await waitForTask(conn, task, options);
}

export async function copyVirtualDisk(
  conn: VimConnection,
  source: string,
  destination: string,
  force = false,
  options?: Omit<TaskWaitOptions, "vm">,
): Promise<void> {
  const dc = datacenter(conn).datacenter.ref;
  const task = await CopyVirtualDisk_Task(conn, {
    sourceName: source,
    sourceDatacenter: dc,
    destName: destination,
    destDatacenter: dc,
    force,
  });
  await waitForTask(conn, task, options);
}

export async function deleteVirtualDisk(
  conn: VimConnection,
  path: string,
  options?: Omit<TaskWaitOptions, "vm">,
): Promise<void> {
  const task = await DeleteVirtualDisk_Task(conn, {
    name: path,
    datacenter: datacenter(conn).datacenter.ref,
  });
  await waitForTask(conn, task, options);
}

function fileUrl(conn: VimConnection, path: string): { path: string; url: string } {
  const parsed = parseDatastorePath(path);
  if (parsed.path === "") throw new EsxViError(`'${path}' does not name a file`);
  const url = datastoreFileUrl(
    conn.transport.origin,
    datacenter(conn).datacenterPath,
    parsed.datastore,
    parsed.path,
  );
  return { url, path: url.slice(conn.transport.origin.length) };
}

export interface DownloadOptions {
  /** First byte to read. */
  offset?: number;
  /** Bytes to read from `offset` (default: to the end). */
  length?: number;
  signal?: AbortSignal;
  timeout?: number;
}

/** Stream a datastore file (`[ds] dir/file`) as it arrives; a Range read with offset/length. */
export async function download(
  conn: VimConnection,
  path: string,
  options: DownloadOptions = {},
): Promise<{ size: number | undefined; stream: Readable }> {
  const { url, path: rel } = fileUrl(conn, path);
  const headers: Record<string, string> = {};
  if (options.offset !== undefined || options.length !== undefined) {
    const from = options.offset ?? 0;
    headers.Range =
      options.length !== undefined
        ? `bytes=${from}-${from + options.length - 1}`
        : `bytes=${from}-`;
  }
  const res = await conn.transport.request({
    method: "GET",
    path: rel,
    headers,
    signal: options.signal,
    timeout: options.timeout,
    what: `download of ${path}`,
  });
  if (res.status !== 200 && res.status !== 206) {
    for await (const _ of res.body) void _; // drain
    if (res.status === 404) throw new TransferError(404, url, `${path} does not exist`);
    throw new TransferError(res.status, url, `download of ${path} failed: HTTP ${res.status}`);
  }
  const length = res.headers["content-length"];
  return {
    size: length === undefined ? undefined : Number(length),
    stream: Readable.from(res.body),
  };
}

/** Upload to a datastore file from a stream or bytes; `size` lets the server know the length up front. */
export async function upload(
  conn: VimConnection,
  path: string,
  source: Readable | Uint8Array | string,
  options: { size?: number; signal?: AbortSignal; timeout?: number } = {},
): Promise<void> {
  const { url, path: rel } = fileUrl(conn, path);
  const headers: Record<string, string | number> = { "Content-Type": "application/octet-stream" };
  if (options.size !== undefined) headers["Content-Length"] = options.size;
  const res = await conn.transport.request({
    method: "PUT",
    path: rel,
    headers,
    body: source,
    signal: options.signal,
    timeout: options.timeout,
    what: `upload of ${path}`,
  });
  for await (const _ of res.body) void _;
  if (res.status !== 200 && res.status !== 201 && res.status !== 204)
    throw new TransferError(res.status, url, `upload of ${path} failed: HTTP ${res.status}`);
}

/** A VM's console screenshot (PNG), streamed. */
export async function screenshot(
  conn: VimConnection,
  vm: VmRef,
  options: { signal?: AbortSignal } = {},
): Promise<Readable> {
  const url = screenshotUrl(conn.transport.origin, vm.value);
  const res = await conn.transport.request({
    method: "GET",
    path: url.slice(conn.transport.origin.length),
    signal: options.signal,
    what: `screenshot of ${vm.value}`,
  });
  if (res.status !== 200) {
    for await (const _ of res.body) void _;
    throw new TransferError(
      res.status,
      url,
      `screenshot of ${vm.value} failed: HTTP ${res.status}`,
    );
  }
  return Readable.from(res.body);
}
