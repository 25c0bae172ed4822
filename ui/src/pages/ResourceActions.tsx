import { useCallback, useEffect, useState } from "react";
import { api, canI } from "../api";
import { appObject, controllerNamespace } from "../permissions";
import { ErrorBox } from "./common";
import type { TreeNode } from "./ResourceTree";

type ResourceAction = { name: string; disabled?: boolean; iconClass?: string; displayName?: string };

/** The resource actions (restart, pause, resume, create-job, argocd-cm Lua actions) one resource offers,
 * as Argo CD's "Actions" menu: each one the user may run (`can-i applications action/<group>/<kind>/<name>`)
 * is a button that asks for confirmation; the others are not shown. Errors are shown as the server words them. */
export function ResourceActions({ appName, node }: { appName: string; node: TreeNode }) {
  const [actions, setActions] = useState<ResourceAction[]>([]);
  const [error, setError] = useState("");
  const [notice, setNotice] = useState("");
  const [running, setRunning] = useState("");
  const resource = {
    namespace: node.namespace ?? "",
    resourceName: node.name,
    group: node.group ?? "",
    kind: node.kind,
    version: node.version ?? "",
  };
  const key = JSON.stringify(resource);

  const load = useCallback(async () => {
    // `resource` is rebuilt each render; `key` is its stable identity.
    const app = await api<{ metadata: { name: string; namespace?: string }; spec: { project?: string } }>(
      "GET",
      `api/v1/applications/${appName}`,
    );
    const object = appObject(app, await controllerNamespace());
    const listed = await api<{ actions?: ResourceAction[] }>("GET", `api/v1/applications/${appName}/resource/actions`, {
      query: resource,
    });
    const all = listed.actions ?? [];
    const allowed = await Promise.all(
      all.map((a) => canI("applications", `action/${resource.group}/${resource.kind}/${a.name}`, object)),
    );
    return all.filter((_, i) => allowed[i]);
  }, [appName, key]);

  useEffect(() => {
    let live = true;
    setActions([]);
    setError("");
    setNotice("");
    load()
      .then((a) => live && setActions(a))
      .catch((err: Error) => live && setError(err.message));
    return () => {
      live = false;
    };
  }, [load]);

  const run = async (action: ResourceAction) => {
    const label = action.displayName || action.name;
    if (!window.confirm(`Run action '${label}' on ${node.kind} ${node.name}?`)) return;
    setRunning(action.name);
    setError("");
    setNotice("");
    try {
      await api("POST", `api/v1/applications/${appName}/resource/actions/v2`, {
        body: { ...resource, name: appName, action: action.name },
      });
      setActions(await load());
      setNotice(`Action '${label}' done on ${node.kind} ${node.name}`);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setRunning("");
    }
  };

  if (!actions.length && !error) return null;
  return (
    <div className="resource-actions" data-testid="resource-actions">
      <span>Actions:</span>{" "}
      {actions.map((a) => (
        <button
          key={a.name}
          data-action={a.name}
          disabled={Boolean(a.disabled) || running !== ""}
          onClick={() => void run(a)}
          title={a.disabled ? "Not available in the resource's current state" : undefined}
        >
          {a.displayName || a.name.charAt(0).toUpperCase() + a.name.slice(1)}
        </button>
      ))}
      {notice && (
        <div className="notice" role="status">
          {notice}
        </div>
      )}
      <ErrorBox error={error} />
    </div>
  );
}
