/** The RetrievePropertiesEx request the benchmarks send as raw bytes (VMs of a container view). */
import {
  PropertyFilterSpecCodec,
  RetrieveOptionsCodec,
  TraversalSpecCodec,
  buildRequest,
  registryOf,
  type ManagedObjectReference,
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
