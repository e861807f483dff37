/** The connected client: connections, sessions, property collector, tasks, operations. */
export * from "./uri.js";
export * from "./connection.js";
export * from "./inventory.js";
export * from "./properties.js";
export * from "./tasks.js";
export * from "./vm.js";
export * from "./datastore.js";
export * from "./host.js";
