import { useEffect, useState } from "react";
import { Link } from "wouter";
import { api, ApiError, ModelVersion, RegisteredModel } from "../api";
import { formatTime, quoteValue } from "../format";
import { useUrlState } from "../urlState";

function Aliases({ aliases }: { aliases: string[] }) {
  return (
    <>
      {aliases.map((alias) => (
        <span key={alias} className="badge alias" title="alias">
          @{alias}
        </span>
      ))}
    </>
  );
}

export function ModelsPage() {
  const [state, setState] = useUrlState();
  const query = state.get("q") ?? "";
  const [models, setModels] = useState<RegisteredModel[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true; // a newer search (typing) supersedes this one
    api
      .searchModels(query ? `name ILIKE ${quoteValue(`%${query}%`)}` : "")
      .then((found) => live && (setModels(found.registered_models ?? []), setError(null)))
      .catch((exc: ApiError) => live && setError(exc.message));
    return () => {
      live = false;
    };
  }, [query]);

  return (
    <main className="page">
      <h1>Registered models</h1>
      <div className="toolbar">
        <input type="search" aria-label="Search models" placeholder="Search by name" value={query} onChange={(event) => setState({ q: event.target.value })} style={{ width: 260 }} />
      </div>
      {error && <p className="error">{error}</p>}
      {models === null ? (
        <p className="muted">Loading…</p>
      ) : models.length === 0 ? (
        <p className="muted">No registered models{query ? " match" : " yet: register one with flowtrack models register or mlflow.register_model"}.</p>
      ) : (
        <table className="plain">
          <thead>
            <tr>
              <th>Name</th>
              <th>Latest version</th>
              <th>Aliases</th>
              <th>Last update</th>
            </tr>
          </thead>
          <tbody>
            {models.map((model) => {
              const latest = [...(model.latest_versions ?? [])].sort((a, b) => Number(b.version) - Number(a.version))[0];
              return (
                <tr key={model.name}>
                  <td>
                    <Link href={`/models/${encodeURIComponent(model.name)}`}>{model.name}</Link>
                  </td>
                  <td>{latest ? `Version ${latest.version}` : <span className="muted">—</span>}</td>
                  <td>
                    <div className="row">
                      {(model.aliases ?? []).map((a) => (
                        <span key={a.alias} className="badge alias">
                          @{a.alias} → v{a.version}
                        </span>
                      ))}
                    </div>
                  </td>
                  <td className="muted">{formatTime(model.last_updated_timestamp)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </main>
  );
}

export function ModelPage({ name }: { name: string }) {
  const [model, setModel] = useState<RegisteredModel | null>(null);
  const [versions, setVersions] = useState<ModelVersion[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.getModel(name).then((found) => setModel(found.registered_model)).catch((exc: ApiError) => setError(exc.message));
    api
      .modelVersions(name)
      .then((found) => setVersions([...(found.model_versions ?? [])].sort((a, b) => Number(b.version) - Number(a.version))))
      .catch((exc: ApiError) => setError(exc.message));
  }, [name]);

  return (
    <main className="page">
      <div className="crumbs">
        <Link href="/models">Models</Link> /
      </div>
      <h1>{name}</h1>
      {error && <p className="error">{error}</p>}
      {model?.description && <p>{model.description}</p>}
      {model && (
        <div className="row" style={{ margin: "8px 0" }}>
          {(model.aliases ?? []).map((a) => (
            <span key={a.alias} className="badge alias" data-testid="model-alias">
              @{a.alias} → version {a.version}
            </span>
          ))}
          {(model.tags ?? []).map((tag) => (
            <span key={tag.key} className="badge">
              {tag.key}: {tag.value}
            </span>
          ))}
        </div>
      )}
      <h2>Versions</h2>
      {versions === null ? (
        <p className="muted">Loading…</p>
      ) : versions.length === 0 ? (
        <p className="muted">No versions.</p>
      ) : (
        <table className="plain">
          <thead>
            <tr>
              <th>Version</th>
              <th>Aliases</th>
              <th>Stage</th>
              <th>Status</th>
              <th>Source run</th>
              <th>Tags</th>
              <th>Registered</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((version) => (
              <tr key={version.version}>
                <td>{version.version}</td>
                <td>
                  <div className="row">
                    <Aliases aliases={version.aliases ?? []} />
                  </div>
                </td>
                <td>{version.current_stage === "None" ? <span className="muted">—</span> : version.current_stage}</td>
                <td>{version.status.toLowerCase()}</td>
                <td>{version.run_id ? <Link href={`/runs/${version.run_id}`}><code>{version.run_id.slice(0, 12)}</code></Link> : <span className="muted" title={version.source}>—</span>}</td>
                <td className="muted">{(version.tags ?? []).map((t) => `${t.key}=${t.value}`).join(", ")}</td>
                <td className="muted">{formatTime(version.creation_timestamp)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
