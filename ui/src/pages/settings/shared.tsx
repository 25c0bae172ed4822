import { useEffect, useState } from "react";
import { api } from "../../api";

/** A list route's items, with its error and a reload (every edit reloads from the server, which is the truth). */
export function useList<T>(path: string): [T[], string, () => void] {
  const [items, setItems] = useState<T[]>([]);
  const [error, setError] = useState("");
  const load = () =>
    api<{ items: T[] | null }>("GET", path)
      .then((r) => (setItems(r.items ?? []), setError("")))
      .catch((err: Error) => setError(err.message));
  useEffect(() => {
    load();
  }, [path]);
  return [items, error, load];
}

/** Runs a server call and shows its error message (never swallowed); true when it succeeded. */
export async function attempt(setError: (message: string) => void, call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    setError("");
    return true;
  } catch (err) {
    setError((err as Error).message);
    return false;
  }
}

/** One entry per non-empty line (lists are edited as text, one item a line). */
export const lines = (text: string): string[] =>
  text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);

/** `key=value` lines to a map (labels). */
export function pairs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines(text)) {
    const at = line.indexOf("=");
    if (at > 0) out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return out;
}

export const unpairs = (map?: Record<string, string>): string =>
  Object.entries(map ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join("\n");
