/**
 * `target[key] = value` as an own property, whatever the key. The keys this is for come
 * from the server (element names, property paths): assigned, `__proto__` would replace the
 * object's prototype instead of becoming a key.
 */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === "__proto__")
    Object.defineProperty(target, key, {
      value,
      writable: true,
      enumerable: true,
      configurable: true,
    });
  else target[key] = value;
}
