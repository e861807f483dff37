/**
 * `text` in a string of its own. Text cut out of a decoded chunk (13 characters or more)
 * is a view that keeps the whole chunk alive; a value that outlives the decode must not
 * pin the response it came in.
 */
export function ownString(text: string): string {
  return text.length < 13 ? text : (" " + text).slice(1);
}
