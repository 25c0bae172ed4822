// What the user may do, asked of the server's can-i (GET /api/v1/account/can-i/{resource}/{action}/{object})
// for the object a button acts on. A policy scoped to a project (`applications, sync, team/*`) answers
// "no" for the wildcard `*/*`, so a page that acts on a known object asks for that object.
// The object forms are Argo CD's, as the server builds them when it enforces:
//   applications  <project>/<name>, or <project>/<namespace>/<name> outside the control plane's namespace
//                 (server: argosy.server.rbac.resources.app_rbac_object)
//   projects      <name>
//   repositories  <project>/<url> for a project-scoped repository, else <url> (routes/repositories.rbac_object)
//   clusters      <project>/<server> for a project-scoped cluster, else <server> (routes/clusters.rbac_object)
// "*" stands for an object not known yet (creating one); a new application is `<project>/*`
// (newAppObject), the project being known, so `applications, create, team/*` answers yes for team.
import { useEffect, useState } from "react";
import { api, canI } from "./api";

type AppRef = { metadata: { name: string; namespace?: string }; spec: { project?: string } };

export function appObject(app: AppRef, controllerNamespace: string): string {
  const project = app.spec.project || "default";
  const ns = app.metadata.namespace;
  return ns && controllerNamespace && ns !== controllerNamespace
    ? `${project}/${ns}/${app.metadata.name}`
    : `${project}/${app.metadata.name}`;
}

/** A not yet named application of `project`: what "+ New app" asks can-i about. */
export const newAppObject = (project: string): string => `${project}/*`;

/** Repositories and clusters share one form: scoped to a project or not. */
export const scopedObject = (url: string, project?: string): string => (project ? `${project}/${url}` : url);

let controllerNamespaceAnswer: Promise<string> | null = null;
/** The control plane's namespace (public `GET /api/v1/settings`), asked once per page load. */
export function controllerNamespace(): Promise<string> {
  if (!controllerNamespaceAnswer) {
    controllerNamespaceAnswer = api<{ controllerNamespace?: string }>("GET", "api/v1/settings").then(
      (s) => s.controllerNamespace ?? "",
      () => {
        controllerNamespaceAnswer = null; // asked again next time; meanwhile the short form
        return "";
      },
    );
  }
  return controllerNamespaceAnswer;
}

/** The control plane's namespace once known (null before): pages form application objects with it. */
export function useControllerNamespace(): string | null {
  const [ns, setNs] = useState<string | null>(null);
  useEffect(() => {
    controllerNamespace().then(setNs);
  }, []);
  return ns;
}

/** Whether the user may do `action` on `resource` (object `object`); false until the server answers. */
export function useCan(resource: string, action: string, object = "*"): boolean {
  const [ok, setOk] = useState(false);
  useEffect(() => {
    canI(resource, action, object).then(setOk);
  }, [resource, action, object]);
  return ok;
}

/**
 * can-i for each of several objects (a table's rows, a selection): each object is asked once while the
 * page lives; one not answered yet is not allowed.
 */
export function useCanEach(resource: string, action: string, objects: string[]): (object: string) => boolean {
  const [answers, setAnswers] = useState<Map<string, boolean>>(() => new Map());
  const key = [...new Set(objects)].sort().join("\n");
  useEffect(() => {
    const missing = key ? key.split("\n").filter((o) => !answers.has(o)) : [];
    if (!missing.length) return;
    let live = true;
    Promise.all(missing.map((o) => canI(resource, action, o))).then((oks) => {
      if (!live) return;
      setAnswers((current) => {
        const next = new Map(current);
        missing.forEach((o, i) => next.set(o, oks[i]));
        return next;
      });
    });
    return () => {
      live = false;
    };
  }, [resource, action, key]);
  return (object) => answers.get(object) ?? false;
}
