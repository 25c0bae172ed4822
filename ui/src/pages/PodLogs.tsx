import { useEffect, useRef, useState } from "react";
import { ApiError, apiUrl } from "../api";
import { ErrorBox } from "./common";
import type { TreeNode } from "./ResourceTree";

/** Kinds whose resource panel has a Logs tab: Pods and the workloads that own Pods. */
export const LOG_KINDS = new Set(["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob"]);

type LogEntry = { content?: string; podName?: string; timeStampStr?: string; last?: boolean };

/**
 * Container logs from `GET /api/v1/applications/{name}/logs` (newline-delimited JSON, read as it
 * arrives). For a workload the server merges its Pods' logs; the Pods seen are offered in a
 * chooser, which then asks for one Pod only. The server checks `logs, get` and that the Pod is
 * the app's; its refusal is shown as it says it.
 */
export function PodLogs({ appName, node }: { appName: string; node: TreeNode }) {
  const isPod = node.kind === "Pod";
  const [pod, setPod] = useState(isPod ? node.name : "");
  const [pods, setPods] = useState<string[]>(isPod ? [node.name] : []);
  const [container, setContainer] = useState("");
  const [tail, setTail] = useState(100);
  const [since, setSince] = useState(0);
  const [follow, setFollow] = useState(true);
  const [previous, setPrevious] = useState(false);
  const [lines, setLines] = useState<LogEntry[]>([]);
  const [error, setError] = useState("");
  const [state, setState] = useState<"loading" | "streaming" | "ended">("loading");
  const bottom = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const abort = new AbortController();
    setLines([]);
    setError("");
    setState("loading");
    const query: Record<string, string | number | undefined> = {
      namespace: node.namespace,
      container,
      tailLines: tail > 0 ? tail : undefined,
      sinceSeconds: since > 0 ? since : undefined,
      follow: follow ? "true" : undefined,
      previous: previous ? "true" : undefined,
    };
    if (pod) query.podName = pod;
    else Object.assign(query, { group: node.group, kind: node.kind, resourceName: node.name });
    (async () => {
      const resp = await fetch(apiUrl(`api/v1/applications/${appName}/logs`, query), {
        credentials: "same-origin",
        signal: abort.signal,
      });
      if (!resp.ok || !resp.body) {
        const text = await resp.text();
        let message = text || `${resp.status} ${resp.statusText}`;
        try {
          message = (JSON.parse(text) as { message?: string }).message || message;
        } catch {
          /* not JSON: the text itself */
        }
        throw new ApiError(resp.status, message);
      }
      setState("streaming");
      const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
      let pending = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        pending += value;
        const parts = pending.split("\n");
        pending = parts.pop() ?? "";
        const batch = parts.filter((p) => p.trim()).map((p) => (JSON.parse(p) as { result: LogEntry }).result);
        const seen = batch.map((e) => e.podName ?? "").filter((p) => p);
        if (seen.length) setPods((old) => Array.from(new Set([...old, ...seen])).sort());
        setLines((old) => [...old, ...batch.filter((e) => !e.last)].slice(-5000));
      }
      setState("ended");
    })().catch((err: Error) => {
      if (!abort.signal.aborted) {
        setError(err.message);
        setState("ended");
      }
    });
    return () => abort.abort();
  }, [appName, node.group, node.kind, node.namespace, node.name, pod, container, tail, since, follow, previous]);

  useEffect(() => {
    bottom.current?.scrollIntoView({ block: "end" });
  }, [lines]);

  return (
    <div data-testid="pod-logs-panel">
      <div className="log-controls">
        {!isPod && (
          <label>
            Pod{" "}
            <select value={pod} onChange={(e) => setPod(e.target.value)} aria-label="Pod">
              <option value="">All Pods</option>
              {pods.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          Container{" "}
          <input value={container} placeholder="default" onChange={(e) => setContainer(e.target.value.trim())} size={12} />
        </label>
        <label>
          Tail lines <input type="number" min={0} value={tail} onChange={(e) => setTail(Number(e.target.value))} style={{ width: 70 }} />
        </label>
        <label>
          Since (s) <input type="number" min={0} value={since} onChange={(e) => setSince(Number(e.target.value))} style={{ width: 70 }} />
        </label>
        <label>
          <input type="checkbox" checked={follow} onChange={() => setFollow(!follow)} /> Follow
        </label>
        <label>
          <input type="checkbox" checked={previous} onChange={() => setPrevious(!previous)} /> Previous
        </label>
        <span className="muted">{state === "loading" ? "connecting…" : state === "streaming" ? (follow ? "following" : "reading") : "ended"}</span>
      </div>
      <ErrorBox error={error} />
      <pre className="manifest" data-testid="pod-logs">
        {lines.map((l, i) => (
          <div key={i}>
            {!isPod && !pod && <span className="muted">{l.podName} </span>}
            {l.content}
          </div>
        ))}
        {state !== "loading" && !lines.length && !error && <span className="muted">(no log lines)</span>}
        <div ref={bottom} />
      </pre>
    </div>
  );
}
