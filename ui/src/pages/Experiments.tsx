import { useCallback, useEffect, useRef, useState } from "react";
import { Link, useLocation } from "wouter";
import { api, ApiError, Experiment } from "../api";
import { formatTime, quoteValue } from "../format";
import { useUrlState } from "../urlState";

export function ExperimentsPage() {
  const [state, setState] = useUrlState();
  const query = state.get("q") ?? "";
  const view = state.get("view") ?? "ACTIVE_ONLY";
  const [experiments, setExperiments] = useState<Experiment[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [newName, setNewName] = useState("");
  const [renaming, setRenaming] = useState<{ id: string; name: string } | null>(null);
  const [, navigate] = useLocation();

  // Only the latest search may fill the list: typing sends several, and they can answer out of order.
  const latest = useRef(0);
  const load = useCallback(() => {
    const ticket = ++latest.current;
    const filter = query ? `name ILIKE ${quoteValue(`%${query}%`)}` : "";
    api
      .searchExperiments(filter, view)
      .then((found) => {
        if (ticket !== latest.current) return;
        setExperiments(found.experiments ?? []);
        setError(null);
      })
      .catch((exc: ApiError) => setError(exc.message));
  }, [query, view]);
  const loadNow = useRef(load);
  loadNow.current = load;
  useEffect(load, [load]);

  const act = (action: Promise<unknown>) =>
    action.then(() => loadNow.current()).catch((exc: ApiError) => setError(exc.message));

  const create = (event: React.FormEvent) => {
    event.preventDefault();
    if (!newName.trim()) return;
    api
      .createExperiment(newName.trim())
      .then((created) => navigate(`/experiments/${created.experiment_id}`))
      .catch((exc: ApiError) => setError(exc.message));
  };

  return (
    <main className="page">
      <div className="row">
        <h1>Experiments</h1>
        {experiments && <span className="muted">{experiments.length.toLocaleString("en-US")}</span>}
      </div>
      <div className="toolbar">
        <input
          type="search"
          aria-label="Search experiments"
          placeholder="Search by name"
          value={query}
          onChange={(event) => setState({ q: event.target.value })}
          style={{ width: 260 }}
        />
        <select aria-label="Lifecycle" value={view} onChange={(event) => setState({ view: event.target.value })}>
          <option value="ACTIVE_ONLY">Active</option>
          <option value="DELETED_ONLY">Deleted</option>
          <option value="ALL">All</option>
        </select>
        <span className="spacer" />
        <form onSubmit={create} className="row">
          <input aria-label="New experiment name" placeholder="New experiment name" value={newName} onChange={(event) => setNewName(event.target.value)} />
          <button className="primary" type="submit" disabled={!newName.trim()}>
            Create
          </button>
        </form>
      </div>
      {error && <p className="error">{error}</p>}
      {experiments === null ? (
        <p className="muted">Loading…</p>
      ) : experiments.length === 0 ? (
        <p className="muted">No experiments{query ? " match" : " yet"}.</p>
      ) : (
        <table className="plain middle">
          <thead>
            <tr>
              <th>Name</th>
              <th>ID</th>
              <th>Created</th>
              <th>Last update</th>
              <th style={{ width: 1 }}>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {experiments.map((experiment) => (
              <tr key={experiment.experiment_id}>
                <td>
                  {renaming?.id === experiment.experiment_id ? (
                    <form
                      className="row"
                      onSubmit={(event) => {
                        event.preventDefault();
                        act(api.renameExperiment(renaming.id, renaming.name));
                        setRenaming(null);
                      }}
                    >
                      <input
                        autoFocus
                        aria-label="New name"
                        value={renaming.name}
                        onChange={(event) => setRenaming({ ...renaming, name: event.target.value })}
                        onKeyDown={(event) => event.key === "Escape" && setRenaming(null)}
                      />
                      <button type="submit">Save</button>
                    </form>
                  ) : (
                    <Link href={`/experiments/${experiment.experiment_id}`}>{experiment.name}</Link>
                  )}
                </td>
                <td className="muted">{experiment.experiment_id}</td>
                <td className="muted">{formatTime(experiment.creation_time)}</td>
                <td className="muted">{formatTime(experiment.last_update_time)}</td>
                <td>
                  <div className="row actions">
                    {experiment.lifecycle_stage === "deleted" ? (
                      <button onClick={() => act(api.restoreExperiment(experiment.experiment_id))}>Restore</button>
                    ) : (
                      <>
                        <button onClick={() => setRenaming({ id: experiment.experiment_id, name: experiment.name })}>Rename</button>
                        <button
                          className="danger"
                          onClick={() =>
                            window.confirm(`Delete experiment "${experiment.name}" and its runs?`) &&
                            act(api.deleteExperiment(experiment.experiment_id))
                          }
                        >
                          Delete
                        </button>
                      </>
                    )}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
