import { useEffect, useState } from "react";
import { canI } from "../api";
import type { Me } from "../main";

// Resource, action, and the object that means "every one": an application is `<project>/<name>`
// in RBAC, so `*` alone would match no application and every answer would be "no".
const CHECKS: [string, string, string][] = [
  ["applications", "get", "*/*"],
  ["applications", "create", "*/*"],
  ["applications", "sync", "*/*"],
  ["applications", "delete", "*/*"],
  ["projects", "get", "*"],
  ["clusters", "get", "*"],
  ["repositories", "get", "*"],
];

export function UserInfo({ me }: { me: Me }) {
  const [answers, setAnswers] = useState<Record<string, boolean>>({});
  useEffect(() => {
    for (const [resource, action, object] of CHECKS)
      canI(resource, action, object).then((ok) => setAnswers((a) => ({ ...a, [`${resource}, ${action}`]: ok })));
  }, []);
  return (
    <div className="page">
      <h2>User info</h2>
      <p>
        Username: <b>{me.username}</b>
      </p>
      <p>Groups: {(me.groups ?? []).join(", ") || "none"}</p>
      <h3>What you may do (on every object)</h3>
      <table className="table">
        <tbody>
          {CHECKS.map(([r, a]) => (
            <tr key={r + a}>
              <td>
                {r}, {a}
              </td>
              <td>{answers[`${r}, ${a}`] === undefined ? "…" : answers[`${r}, ${a}`] ? "yes" : "no"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
