import YAML, { isMap, isNode, isScalar, isSeq } from "yaml";

// Where in a YAML text a problem is: the YAML library's own parse errors (with their offsets), and
// the server's validation messages placed at the field they name. The server stays the only judge
// of what is valid (model/base.py, engine/project.py and the CRD schema word their errors with the
// field path, e.g. "spec.sources[1].repoURL is required"); this module only finds that path in the
// text the user is editing, so the message can be shown on its line.

export type Problem = { from: number; to: number; line: number; message: string };

/** A field path as the server writes it: `spec.source.repoURL`, `spec.sources[1].path`, `.spec.x` (kube). */
const PATH = /(?:^|[\s'"(:])\.?((?:spec|metadata)(?:\.[A-Za-z0-9_-]+|\[\d+\])+)/g;

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** The range on one line: a whole mapping or list item is marked on its first line only; an error
 * at the very end (an unclosed bracket) marks the last character, so it is drawn as a range too. */
function problem(text: string, from: number, to: number, message: string): Problem {
  const start = Math.max(0, Math.min(from, text.length - 1));
  const eol = text.indexOf("\n", start);
  const end = Math.min(to, eol === -1 ? text.length : eol);
  return { from: start, to: end > start ? end : Math.min(start + 1, text.length), line: lineOf(text, start), message };
}

/** The YAML syntax errors of `text` (none when it parses). */
export function syntaxProblems(text: string): Problem[] {
  const doc = YAML.parseDocument(text, { prettyErrors: false });
  return doc.errors.map((e) => problem(text, e.pos[0], e.pos[1], e.message.split("\n")[0]));
}

/** The value of `text`, or the first YAML error as the message shown before anything is sent (the
 * editor marks every error on its line: syntaxProblems). */
export function parseYaml(text: string): { value: unknown } | { error: string } {
  const doc = YAML.parseDocument(text);
  if (doc.errors.length) return { error: `YAML: ${doc.errors[0].message.split("\n")[0]}` };
  return { value: doc.toJS() };
}

/** `spec.sources[1].repoURL` → ["spec", "sources", 1, "repoURL"]. */
export function splitPath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  return out;
}

/** The text range of the deepest part of `path` present in the document (the key of a map entry,
 * the item of a list); null when not even its first part is there. */
function locate(doc: YAML.Document, path: (string | number)[]): [number, number] | null {
  let node: unknown = doc.contents;
  let found: [number, number] | null = null;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(part));
      if (!pair || !isScalar(pair.key) || !pair.key.range) break;
      found = [pair.key.range[0], pair.key.range[1]];
      node = pair.value;
    } else if (isSeq(node) && typeof part === "number") {
      const item = node.items[part];
      if (!isNode(item) || !item.range) break;
      found = [item.range[0], item.range[1]];
      node = item;
    } else break;
  }
  return found;
}

/**
 * The server's message placed at each field path it names, in a document whose root is `root`
 * (["spec"] for the spec editor: its text is the spec alone; [] for a whole Application).
 * Paths outside `root` and texts that do not parse give nothing: the message is still shown whole.
 */
export function serverProblems(text: string, message: string, root: string[]): Problem[] {
  const doc = YAML.parseDocument(text);
  if (doc.errors.length || !message) return [];
  const out: Problem[] = [];
  const seen = new Set<number>();
  for (const m of message.matchAll(PATH)) {
    const path = splitPath(m[1]);
    if (!root.every((r, i) => path[i] === r)) continue;
    const range = locate(doc, path.slice(root.length));
    if (!range || seen.has(range[0])) continue;
    seen.add(range[0]);
    out.push(problem(text, range[0], range[1], message));
  }
  return out;
}
