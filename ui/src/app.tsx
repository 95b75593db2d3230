import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { Link, Route, Switch, useLocation } from "wouter";
import { ExperimentsPage } from "./pages/Experiments";
import { RunsPage } from "./pages/Runs";
import { RunPage } from "./pages/Run";
import { ComparePage } from "./pages/Compare";
import { ModelsPage, ModelPage } from "./pages/Models";
import { FlowRunsPage } from "./pages/FlowRuns";
import { FlowRunPage } from "./pages/FlowRun";

function TopBar() {
  const [location] = useLocation();
  const active = (prefix: string) => (location === prefix || location.startsWith(prefix + "/") ? "active" : "");
  return (
    <header className="topbar">
      <Link href="/" className="brand">
        flowtrack
      </Link>
      <nav>
        <Link href="/" className={location === "/" || location.startsWith("/experiments") ? "active" : ""}>
          Experiments
        </Link>
        <Link href="/models" className={active("/models")}>
          Models
        </Link>
        <Link href="/flow-runs" className={active("/flow-runs")}>
          Flow runs
        </Link>
      </nav>
    </header>
  );
}

function App() {
  return (
    <div className="app">
      <TopBar />
      <Switch>
        <Route path="/" component={ExperimentsPage} />
        <Route path="/experiments/:id">{(params) => <RunsPage experimentId={params.id} />}</Route>
        <Route path="/runs/:id">{(params) => <RunPage runId={params.id} />}</Route>
        <Route path="/compare" component={ComparePage} />
        <Route path="/models" component={ModelsPage} />
        <Route path="/flow-runs" component={FlowRunsPage} />
        <Route path="/flow-runs/:id">{(params) => <FlowRunPage flowRunId={params.id} />}</Route>
        <Route path="/models/:name">{(params) => <ModelPage name={decodeURIComponent(params.name)} />}</Route>
        <Route>
          <main className="page">
            <h1>Not found</h1>
            <p>
              <Link href="/">Back to the experiments</Link>
            </p>
          </main>
        </Route>
      </Switch>
    </div>
  );
}

export function mount(): void {
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
}
