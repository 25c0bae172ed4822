import { useEffect, useRef } from "react";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { yaml } from "@codemirror/lang-yaml";
import { defaultHighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { forceLinting, linter, lintGutter, type Diagnostic } from "@codemirror/lint";
import { EditorState } from "@codemirror/state";
import { EditorView, keymap, lineNumbers } from "@codemirror/view";
import { type Problem, serverProblems, syntaxProblems } from "../yamlProblems";

// The YAML editor of the spec editor and of "create from YAML": CodeMirror (a well-kept editor with
// line numbers, undo and lint markers), loaded only when one of those pages is opened.

/** Problems of `text` now: its syntax errors, else the server's last refusal placed at its fields. */
export function problemsOf(text: string, serverError: string, root: string[]): Problem[] {
  const syntax = syntaxProblems(text);
  return syntax.length ? syntax : serverProblems(text, serverError, root);
}

export default function YamlEditor({
  value,
  onChange,
  label,
  readOnly = false,
  serverError = "",
  root,
}: {
  value: string;
  onChange: (text: string) => void;
  /** the accessible name of the editing area (tests and screen readers find it by it) */
  label: string;
  readOnly?: boolean;
  /** the server's message of the last refused save: shown on the line of each field it names */
  serverError?: string;
  /** the path of the text's root in the object the server validates (["spec"] or []) */
  root: string[];
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  // read by the linter on each run, so a new server error needs no new editor
  const latest = useRef({ serverError, root, onChange });
  latest.current = { serverError, root, onChange };

  useEffect(() => {
    if (!host.current) return;
    const lint = linter(
      (v): Diagnostic[] =>
        problemsOf(v.state.doc.toString(), latest.current.serverError, latest.current.root).map((p) => ({
          from: p.from,
          to: p.to,
          severity: "error",
          message: p.message,
        })),
      { delay: 250 },
    );
    const created = new EditorView({
      parent: host.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          lineNumbers(),
          history(),
          keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
          yaml(),
          syntaxHighlighting(defaultHighlightStyle),
          lintGutter(),
          lint,
          EditorState.readOnly.of(readOnly),
          EditorView.editable.of(!readOnly),
          EditorView.contentAttributes.of({ "aria-label": label }),
          EditorView.updateListener.of((u) => {
            if (u.docChanged) latest.current.onChange(u.state.doc.toString());
          }),
        ],
      }),
    });
    view.current = created;
    return () => {
      created.destroy();
      view.current = null;
    };
    // one editor per mount; `value` below follows outside changes
  }, [readOnly, label]);

  // a text set from outside (the form's fields, the app as the server now has it) replaces the doc
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value) v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);

  useEffect(() => {
    if (view.current) forceLinting(view.current);
  }, [serverError]);

  const problems = problemsOf(value, serverError, root);
  return (
    <div className="yaml-editor">
      <div ref={host} className="yaml" data-testid="yaml-editor" />
      {problems.length > 0 && (
        <ul className="yaml-problems" data-testid="yaml-problems">
          {problems.map((p, i) => (
            <li key={i} data-line={p.line}>
              <button
                className="link"
                onClick={() => {
                  view.current?.dispatch({ selection: { anchor: p.from }, scrollIntoView: true });
                  view.current?.focus();
                }}
              >
                Line {p.line}
              </button>
              : {p.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
