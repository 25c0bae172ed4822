// The applications list kept live: paged, projected list first, then the SSE stream from its version.
import { useEffect, useRef, useState } from "react";
import { api, openStream, StreamState } from "./api";

export type App = {
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    resourceVersion?: string;
    creationTimestamp?: string;
    deletionTimestamp?: string;
  };
  spec: {
    project?: string;
    source?: { repoURL?: string; path?: string; targetRevision?: string; chart?: string };
    sources?: { repoURL?: string; path?: string; targetRevision?: string }[];
    destination?: { server?: string; name?: string; namespace?: string };
    syncPolicy?: { automated?: Record<string, unknown> | null };
  };
  status?: {
    sync?: { status?: string; revision?: string };
    health?: { status?: string; message?: string };
    operationState?: { phase?: string; message?: string };
  };
};

/** Only what the list shows: a 10,000-app list is a few MB instead of tens. */
export const LIST_FIELDS = [
  "metadata.name",
  "metadata.namespace",
  "metadata.labels",
  "metadata.resourceVersion",
  "metadata.creationTimestamp",
  "metadata.deletionTimestamp",
  "spec.project",
  "spec.source.repoURL",
  "spec.source.path",
  "spec.source.targetRevision",
  "spec.source.chart",
  "spec.sources",
  "spec.destination",
  "spec.syncPolicy.automated",
  "status.sync.status",
  "status.sync.revision",
  "status.health.status",
  "status.operationState.phase",
];

/** A small first page paints at once; the rest comes in large pages (fewer round trips). */
const FIRST_PAGE = 500;
const PAGE = 5000;

type ListAnswer = { metadata: { resourceVersion?: string; continue?: string }; items: App[] | null };
type StreamEvent = { result?: { type?: string; application?: App } };

/**
 * All applications the caller may see, updated live. Re-renders are batched to one per animation
 * frame, so a burst of 1,000 status changes costs one render, not 1,000.
 */
export function useLiveApps(): {
  apps: Map<string, App>;
  version: number;
  loading: boolean;
  error: string;
  stream: StreamState;
} {
  const store = useRef(new Map<string, App>());
  const [version, setVersion] = useState(0);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState("");
  const [stream, setStream] = useState<StreamState>({ connected: false, retryIn: 0, error: "" });

  useEffect(() => {
    let cancelled = false;
    let frame = 0;
    let resourceVersion = "";
    let close: (() => void) | undefined;
    const bump = () => {
      if (!frame) frame = requestAnimationFrame(() => ((frame = 0), setVersion((v) => v + 1)));
    };
    (async () => {
      try {
        let cont = "";
        let first = true;
        do {
          const page = await api<ListAnswer>("GET", "api/v1/applications", {
            query: {
              limit: first ? FIRST_PAGE : PAGE,
              continue: cont,
              fields: LIST_FIELDS.map((f) => "items." + f).join(","),
            },
          });
          if (cancelled) return;
          for (const app of page.items ?? []) store.current.set(app.metadata.name, app);
          resourceVersion = resourceVersion || page.metadata.resourceVersion || "";
          cont = page.metadata.continue ?? "";
          if (first || !cont) bump(); // draw the first page at once, then once when all are in
          first = false;
        } while (cont);
        setLoading(false);
      } catch (err) {
        if (!cancelled) setError(String((err as Error).message));
        setLoading(false);
        return;
      }
      close = openStream(
        "api/v1/stream/applications",
        () => ({
          resourceVersion,
          fields: ["result.type", ...LIST_FIELDS.map((f) => "result.application." + f)].join(","),
        }),
        (data) => {
          const event = (data as StreamEvent).result;
          const app = event?.application;
          if (!event || !app?.metadata?.name) return;
          if (event.type === "DELETED") store.current.delete(app.metadata.name);
          else store.current.set(app.metadata.name, app);
          if (app.metadata.resourceVersion) resourceVersion = app.metadata.resourceVersion;
          bump();
        },
        (state) => !cancelled && setStream(state),
      );
    })();
    return () => {
      cancelled = true;
      cancelAnimationFrame(frame);
      close?.();
    };
  }, []);

  return { apps: store.current, version, loading, error, stream };
}

export function repoOf(app: App): string {
  return app.spec.source?.repoURL ?? app.spec.sources?.[0]?.repoURL ?? "";
}

export function clusterOf(app: App): string {
  return app.spec.destination?.name || app.spec.destination?.server || "";
}

export const SYNC_STATES = ["Synced", "OutOfSync", "Unknown"];
export const HEALTH_STATES = ["Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"];
