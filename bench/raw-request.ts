/** The RetrievePropertiesEx request the benchmarks send as raw bytes (VMs of a container view). */
import {
  CreateContainerView,
  DestroyView,
  PropertyFilterSpecCodec,
  RetrieveOptionsCodec,
  TraversalSpecCodec,
  buildRequest,
  registryOf,
  type ManagedObjectReference,
  type VimConnection,
} from "../lean.js";
import { MorefCodec } from "../runtime/codec/define.js";
import { writeField } from "../runtime/codec/encode.js";

export function retrieveVmsRequest(
  propertyCollector: ManagedObjectReference,
  view: ManagedObjectReference,
  paths: string[],
  maxObjects?: number,
): string {
  const spec = {
    propSet: [{ type: "VirtualMachine", all: false, pathSet: paths }],
    objectSet: [
      {
        obj: view,
        skip: true,
        selectSet: [
          {
            $type: "TraversalSpec",
            name: "view",
            type: "ContainerView",
            path: "view",
            skip: false,
          },
        ],
      },
    ],
  };
  return buildRequest(
    "RetrievePropertiesEx",
    (w) => {
      writeField(w, "_this", MorefCodec, propertyCollector, "r");
      writeField(w, "specSet", PropertyFilterSpecCodec, [spec], "rl");
      writeField(w, "options", RetrieveOptionsCodec, maxObjects ? { maxObjects } : {}, "r");
    },
    registryOf([TraversalSpecCodec]),
  );
}

/**
 * A container view of every VM and `post`, which sends the listing's RetrievePropertiesEx of
 * `paths` over it as raw bytes and returns the response, its body not read; `close` destroys
 * the view.
 */
export async function rawVmListing(conn: VimConnection, paths: string[], maxObjects?: number) {
  const view = await CreateContainerView(conn, {
    container: conn.rootFolder,
    type: ["VirtualMachine"],
    recursive: true,
  });
  const body = retrieveVmsRequest(conn.serviceContent.propertyCollector, view, paths, maxObjects);
  return {
    post: () =>
      conn.transport.request({
        method: "POST",
        path: conn.transport.sdkPath,
        headers: {
          "Content-Type": 'text/xml; charset="utf-8"',
          SOAPAction: `urn:vim25/${conn.apiVersion}`,
        },
        body,
        what: "raw RetrievePropertiesEx",
      }),
    close: () => DestroyView(conn, view),
  };
}

/** The bytes of that response, whole. */
export async function rawVmListingBytes(conn: VimConnection, paths: string[]): Promise<Buffer> {
  const listing = await rawVmListing(conn, paths);
  const res = await listing.post();
  const parts: Uint8Array[] = [];
  for await (const chunk of res.body) parts.push(chunk);
  await listing.close();
  return Buffer.concat(parts);
}
