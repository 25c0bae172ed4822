import { useEffect, useState } from "react";
import { api } from "../api";

/** Argo CD's RevisionMetadata, from GET /api/v1/applications/{name}/revisions/{rev}/metadata. */
export type RevisionMetadata = { author?: string; date?: string; tags?: string[]; message?: string; signatureInfo?: string };
type Entry = { meta?: RevisionMetadata; error?: string };

/**
 * Commit metadata per revision, fetched once per page: a commit never changes, so the header and
 * every History row share one answer per (app, revision, history entry). Helm chart versions
 * have no commit; callers do not ask for them.
 */
const cache = new Map<string, Promise<Entry>>();

function load(app: string, revision: string, versionId?: number): Promise<Entry> {
  const key = `${app}|${revision}|${versionId ?? ""}`;
  let hit = cache.get(key);
  if (!hit) {
    hit = api<RevisionMetadata>("GET", `api/v1/applications/${app}/revisions/${encodeURIComponent(revision)}/metadata`, {
      query: { versionId },
    }).then(
      (meta) => ({ meta }),
      (err: Error) => ({ error: err.message }),
    );
    cache.set(key, hit);
  }
  return hit;
}

export function useRevisionMetadata(app: string, revision: string | undefined, versionId?: number): Entry {
  const [entry, setEntry] = useState<Entry>({});
  useEffect(() => {
    setEntry({});
    if (!revision) return;
    let live = true;
    load(app, revision, versionId).then((e) => live && setEntry(e));
    return () => {
      live = false;
    };
  }, [app, revision, versionId]);
  return entry;
}

const firstLine = (message?: string) => (message ?? "").split("\n")[0];

/** "message (first line) — author, date" of one commit, or the server's refusal. */
export function CommitSummary({ app, revision, versionId, testId }: { app: string; revision?: string; versionId?: number; testId?: string }) {
  const { meta, error } = useRevisionMetadata(app, revision, versionId);
  if (error) return <small className="error-text" data-testid={testId}>{error}</small>;
  if (!meta) return null;
  const date = meta.date ? new Date(meta.date).toLocaleString() : "";
  return (
    <small data-testid={testId} title={meta.message}>
      <span className="commit-message">{firstLine(meta.message)}</span>
      {meta.author && <> — {meta.author}</>}
      {date && <>, {date}</>}
      {meta.tags && meta.tags.length > 0 && <> ({meta.tags.join(", ")})</>}
    </small>
  );
}
