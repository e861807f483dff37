// Everything the SDK exports.
export * from "esx-vi";
