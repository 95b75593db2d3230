import { useEffect, useState } from "react";
import { api, ApiError, artifactUrl, FileInfo } from "../api";
import { formatBytes } from "../format";

const TEXT = /\.(txt|log|md|py|sh|cfg|ini|toml|r|sql|ipynb|xml|MLmodel)$|(^|\/)(MLmodel|requirements\.txt|conda\.yaml|python_env\.yaml)$/i;
const JSON_FILE = /\.json$/i;
const YAML = /\.ya?ml$/i;
const CSV = /\.(csv|tsv)$/i;
const IMAGE = /\.(png|jpe?g|gif|svg|webp|bmp)$/i;
const HTML = /\.html?$/i;
const MAX_PREVIEW_BYTES = 2 * 1024 * 1024;

function kindOf(path: string): "text" | "json" | "csv" | "image" | "html" | null {
  if (JSON_FILE.test(path)) return "json";
  if (CSV.test(path)) return "csv";
  if (IMAGE.test(path)) return "image";
  if (HTML.test(path)) return "html";
  if (YAML.test(path) || TEXT.test(path)) return "text";
  return null;
}

function parseCsv(text: string, separator: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === separator) {
      row.push(cell);
      cell = "";
    } else if (char === "\n" || char === "\r") {
      if (char === "\r" && text[i + 1] === "\n") i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      if (rows.length > 1000) return rows;
    } else cell += char;
  }
  if (cell || row.length) rows.push([...row, cell]);
  return rows;
}

function Preview({ root, file }: { root: string; file: FileInfo }) {
  const url = artifactUrl(root, file.path);
  const kind = kindOf(file.path);
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const tooBig = (file.file_size ?? 0) > MAX_PREVIEW_BYTES;
  useEffect(() => {
    setText(null);
    setError(null);
    if (!kind || kind === "image" || tooBig) return;
    fetch(url)
      .then((response) => (response.ok ? response.text() : Promise.reject(new Error(`${response.status} ${response.statusText}`))))
      .then(setText)
      .catch((exc: Error) => setError(exc.message));
  }, [url, kind, tooBig]);

  let body: React.ReactNode = <p className="muted">No preview for this file type.</p>;
  if (tooBig) body = <p className="muted">Too large to preview ({formatBytes(file.file_size)}).</p>;
  else if (error) body = <p className="error">{error}</p>;
  else if (kind === "image") body = <img src={url} alt={file.path} />;
  else if (kind && text === null) body = <p className="muted">Loading…</p>;
  else if (kind === "json") {
    let pretty = text ?? "";
    try {
      pretty = JSON.stringify(JSON.parse(pretty), null, 2);
    } catch {
      /* shown as it is */
    }
    body = <pre data-testid="artifact-text">{pretty}</pre>;
  } else if (kind === "csv") {
    const rows = parseCsv(text ?? "", file.path.toLowerCase().endsWith(".tsv") ? "\t" : ",");
    body = (
      <table className="plain" data-testid="artifact-table">
        <thead>
          <tr>{rows[0]?.map((cell, i) => <th key={i}>{cell}</th>)}</tr>
        </thead>
        <tbody>
          {rows.slice(1, 1001).map((row, r) => (
            <tr key={r}>{row.map((cell, i) => <td key={i}>{cell}</td>)}</tr>
          ))}
        </tbody>
      </table>
    );
  } else if (kind === "html") {
    // sandbox with no allowances: no script, no forms, no same-origin access to the app or its API
    body = <iframe sandbox="" srcDoc={text ?? ""} title={file.path} />;
  } else if (kind === "text") body = <pre data-testid="artifact-text">{text}</pre>;

  return (
    <div className="preview" aria-label="Artifact preview">
      <div className="preview-head">
        <strong style={{ overflowWrap: "anywhere" }}>{file.path}</strong>
        <span className="muted">{formatBytes(file.file_size)}</span>
        <span className="spacer" />
        <a href={url} download={file.path.split("/").pop()}>
          Download
        </a>
      </div>
      {body}
    </div>
  );
}

function ancestors(path: string | null): Set<string> {
  const parts = (path ?? "").split("/").slice(0, -1);
  return new Set(parts.map((_, i) => parts.slice(0, i + 1).join("/")));
}

function Folder({ root, path, depth, selected, onSelect }: { root: string; path: string; depth: number; selected: string | null; onSelect: (file: FileInfo) => void }) {
  const [files, setFiles] = useState<FileInfo[] | null>(null);
  const [open, setOpen] = useState<Set<string>>(() => ancestors(selected)); // a linked file's folders start open
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api
      .listArtifacts([root, path].filter(Boolean).join("/"))
      .then((found) => setFiles((found.files ?? []).map((f) => ({ ...f, path: [path, f.path.split("/").pop()].filter(Boolean).join("/") }))))
      .catch((exc: ApiError) => setError(exc.message));
  }, [root, path]);
  if (error) return <p className="error">{error}</p>;
  if (files === null) return <p className="muted" style={{ paddingLeft: 10 + depth * 14 }}>…</p>;
  if (!files.length && depth === 0) return <p className="muted" style={{ padding: "0 10px" }}>No artifacts.</p>;
  const sorted = [...files].sort((a, b) => Number(b.is_dir) - Number(a.is_dir) || a.path.localeCompare(b.path));
  return (
    <div role="group">
      {sorted.map((file) => {
        const name = file.path.split("/").pop();
        const expanded = open.has(file.path);
        return (
          <div key={file.path}>
            <button
              role="treeitem"
              aria-expanded={file.is_dir ? expanded : undefined}
              aria-selected={selected === file.path}
              style={{ paddingLeft: 10 + depth * 14 }}
              onClick={() => {
                if (!file.is_dir) return onSelect(file);
                const next = new Set(open);
                if (expanded) next.delete(file.path);
                else next.add(file.path);
                setOpen(next);
              }}
            >
              {file.is_dir ? (expanded ? "▾ " : "▸ ") : "  "}
              {name}
            </button>
            {file.is_dir && expanded && <Folder root={root} path={file.path} depth={depth + 1} selected={selected} onSelect={onSelect} />}
          </div>
        );
      })}
    </div>
  );
}

/** A file tree under an artifact root the server proxies (``1/<run>/artifacts``), with a preview pane.
 * ``initial`` opens a file (from the page's link); ``onChoose`` reports the file chosen, to put it in the link. */
export function ArtifactBrowser({ root, initial, onChoose }: { root: string; initial?: string | null; onChoose?: (path: string) => void }) {
  const [selected, setSelectedFile] = useState<FileInfo | null>(initial ? { path: initial, is_dir: false } : null);
  const setSelected = (file: FileInfo) => {
    setSelectedFile(file);
    onChoose?.(file.path);
  };
  return (
    <div className="artifacts">
      <div className="tree" role="tree" aria-label="Artifacts">
        <Folder root={root} path="" depth={0} selected={selected?.path ?? null} onSelect={setSelected} />
      </div>
      {selected ? <Preview root={root} file={selected} /> : <div className="preview muted">Choose a file to preview it.</div>}
    </div>
  );
}
