// The server's HTTP API: MLflow's REST API for reads and writes, flowtrack's /api/v1 for the UI's bulk reads.

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
  ) {
    super(message);
  }
  /** The character position a filter error points at, when the server names one. */
  get position(): number | null {
    const match = /at position (\d+)/.exec(this.message);
    return match ? Number(match[1]) : null;
  }
}

async function request<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, init);
  const text = await response.text();
  const body = text ? JSON.parse(text) : {};
  if (!response.ok) {
    throw new ApiError(response.status, body.error_code ?? "ERROR", body.message ?? response.statusText);
  }
  return body as T;
}

const MLFLOW = "/ajax-api/2.0/mlflow";

export function get<T>(path: string, params: Record<string, string | string[] | number | undefined> = {}): Promise<T> {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) query.append(key, String(item));
  }
  const suffix = query.toString();
  return request<T>(suffix ? `${path}?${suffix}` : path);
}

export function post<T>(path: string, body: unknown): Promise<T> {
  return request<T>(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
}

function remove(path: string): Promise<unknown> {
  return request(path, { method: "DELETE" });
}

// -- shapes ------------------------------------------------------------------------------------------------
export interface KeyValue {
  key: string;
  value: string;
}

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time?: number;
  last_update_time?: number;
  tags?: KeyValue[];
}

export interface RunInfo {
  run_id: string;
  run_name: string;
  experiment_id: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage: string;
}

export interface MetricPoint {
  key: string;
  value: number | string;
  timestamp: number;
  step: number;
}

export interface DatasetInput {
  tags?: KeyValue[];
  dataset: { name: string; digest: string; source_type: string; source: string; schema?: string; profile?: string };
}

export interface Run {
  info: RunInfo;
  data: { metrics?: MetricPoint[]; params?: KeyValue[]; tags?: KeyValue[] };
  inputs?: { dataset_inputs?: DatasetInput[] };
  outputs?: { model_outputs?: { model_id: string; step: number }[] };
}

export interface TableRow {
  run_id: string;
  run_name: string;
  experiment_id: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time: number | null;
  lifecycle_stage: string;
  params: Record<string, string>;
  metrics: Record<string, number | string>;
  tags: Record<string, string>;
  /** Runs tagged as this run's children, on pages asked for with top_level_only or parent_run_id. */
  child_count?: number;
}

export interface RunGroup {
  value: string | null;
  count: number;
  min?: number;
  mean?: number;
  max?: number;
}

export interface Columns {
  params: string[];
  metrics: string[];
  tags: string[];
}

export interface History {
  run_id: string;
  key: string;
  total: number;
  sampled: boolean;
  steps: number[];
  timestamps: number[];
  values: (number | null)[];
}

export interface FileInfo {
  path: string;
  is_dir: boolean;
  file_size?: number;
}

export interface ModelVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  current_stage: string;
  description?: string;
  source: string;
  run_id: string;
  status: string;
  user_id?: string;
  tags?: KeyValue[];
  aliases?: string[];
  model_id?: string;
}

export interface RegisteredModel {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  description?: string;
  latest_versions?: ModelVersion[];
  tags?: KeyValue[];
  aliases?: { alias: string; version: string }[];
}

// orchestration records, as /api/v1 sends them (src/flowtrack/orchestration/entities.py)
export type StateType = "SCHEDULED" | "PENDING" | "RUNNING" | "COMPLETED" | "FAILED" | "CRASHED" | "CANCELLING" | "CANCELLED";

export interface Flow {
  id: string;
  name: string;
  created_ms: number;
  tags: string[];
}

export interface FlowRun {
  id: string;
  flow_id: string;
  flow_name: string;
  name: string;
  state_type: StateType;
  state_name: string;
  state_message: string | null;
  parameters: Record<string, unknown>;
  tags: string[];
  created_ms: number;
  start_ms: number | null;
  end_ms: number | null;
  parent_flow_run_id: string | null;
  parent_task_run_id: string | null;
  tracking_run_id: string | null;
  deployment_id: string | null;
  run_count: number;
}

export interface TaskRun {
  id: string;
  flow_run_id: string;
  task_key: string;
  name: string;
  dynamic_key: string;
  state_type: StateType;
  state_name: string;
  state_message: string | null;
  created_ms: number;
  start_ms: number | null;
  end_ms: number | null;
  cache_key: string | null;
  run_count: number;
  tags: string[];
  upstream_task_run_ids: string[];
}

export interface TaskEdge {
  task_run_id: string;
  upstream_task_run_id: string;
  input_name: string;
}

export interface LogEntry {
  flow_run_id: string;
  task_run_id: string | null;
  level: number;
  logger: string;
  message: string;
  timestamp_ms: number;
}

export interface StateEntry {
  id: string;
  run_id: string;
  type: StateType;
  name: string;
  message: string | null;
  timestamp_ms: number;
}

export interface FlowRunFilter {
  flow_names?: string[];
  state_types?: StateType[];
  tags_all?: string[];
  parent_flow_run_id?: string;
  top_level_only?: boolean;
}

const V1 = "/api/v1";
const TASK_RUN_PAGE = 10_000;

/** Every task run of a flow run, in pages of the server's default size. */
async function allTaskRuns(flowRunId: string): Promise<TaskRun[]> {
  const found: TaskRun[] = [];
  for (;;) {
    const page = await get<{ task_runs: TaskRun[] }>(`${V1}/flow_runs/${encodeURIComponent(flowRunId)}/task_runs`, {
      limit: TASK_RUN_PAGE,
      offset: found.length,
    });
    found.push(...page.task_runs);
    if (page.task_runs.length < TASK_RUN_PAGE) return found;
  }
}

export const orchestration = {
  flows: () => get<{ flows: Flow[] }>(`${V1}/flows`, { limit: 1000 }),
  flowRuns: (filter: FlowRunFilter, offset: number, limit: number) =>
    post<{ flow_runs: FlowRun[] }>(`${V1}/flow_runs/filter`, { filter, offset, limit }),
  flowRun: (id: string) => get<{ flow_run: FlowRun }>(`${V1}/flow_runs/${encodeURIComponent(id)}`),
  taskRuns: allTaskRuns,
  edges: (id: string) => get<{ edges: TaskEdge[] }>(`${V1}/flow_runs/${encodeURIComponent(id)}/edges`),
  logs: (id: string, taskRunId: string | undefined, offset: number, limit: number) =>
    get<{ logs: LogEntry[] }>(`${V1}/flow_runs/${encodeURIComponent(id)}/logs`, { task_run_id: taskRunId, offset, limit }),
  states: (runId: string) => get<{ states: StateEntry[] }>(`${V1}/states`, { run_id: runId }),
  cancel: (id: string) =>
    post<{ flow_run: FlowRun }>(`${V1}/flow_runs/${encodeURIComponent(id)}/set_state`, {
      state: "CANCELLED",
      message: "cancelled from the web UI",
    }),
  deleteFlowRun: (id: string) => remove(`${V1}/flow_runs/${encodeURIComponent(id)}`),
};

// -- calls -------------------------------------------------------------------------------------------------
export const api = {
  searchExperiments: (filter: string, viewType: string) =>
    post<{ experiments?: Experiment[] }>(`${MLFLOW}/experiments/search`, {
      max_results: 1000,
      filter: filter || undefined,
      view_type: viewType,
      order_by: ["last_update_time DESC"],
    }),
  getExperiment: (id: string) => get<{ experiment: Experiment }>(`${MLFLOW}/experiments/get`, { experiment_id: id }),
  createExperiment: (name: string) => post<{ experiment_id: string }>(`${MLFLOW}/experiments/create`, { name }),
  renameExperiment: (id: string, name: string) =>
    post(`${MLFLOW}/experiments/update`, { experiment_id: id, new_name: name }),
  deleteExperiment: (id: string) => post(`${MLFLOW}/experiments/delete`, { experiment_id: id }),
  restoreExperiment: (id: string) => post(`${MLFLOW}/experiments/restore`, { experiment_id: id }),
  getRun: (id: string) => get<{ run: Run }>(`${MLFLOW}/runs/get`, { run_id: id }),
  deleteRun: (id: string) => post(`${MLFLOW}/runs/delete`, { run_id: id }),
  restoreRun: (id: string) => post(`${MLFLOW}/runs/restore`, { run_id: id }),
  getLoggedModel: (id: string) =>
    get<{ model: { info: { model_id: string; name: string; artifact_uri: string; status: string } } }>(
      `${MLFLOW}/logged-models/${encodeURIComponent(id)}`,
    ),
  columns: (experimentId: string) => get<Columns>("/api/v1/experiments/columns", { experiment_id: experimentId }),
  runTable: (body: {
    experiment_ids: string[];
    filter?: string;
    order_by?: string[];
    view_type?: string;
    offset: number;
    limit: number;
    params?: string[];
    metrics?: string[];
    tags?: string[];
    count?: boolean;
    top_level_only?: boolean;
    parent_run_id?: string;
  }) => post<{ offset: number; runs: TableRow[]; total?: number }>("/api/v1/runs/table", body),
  groups: (experimentId: string, param: string, metric: string | undefined, filter: string, viewType: string) =>
    post<{ metric?: string; groups: RunGroup[] }>("/api/v1/runs/groups", {
      experiment_ids: [experimentId],
      param,
      metric,
      filter: filter || undefined,
      view_type: viewType,
    }),
  histories: (runIds: string[], keys: string[], maxPoints: number) =>
    post<{ histories: History[] }>("/api/v1/metrics/histories", { run_ids: runIds, keys, max_points: maxPoints }),
  searchModels: (filter: string) =>
    get<{ registered_models?: RegisteredModel[] }>(`${MLFLOW}/registered-models/search`, {
      filter: filter || undefined,
      max_results: 1000,
    }),
  getModel: (name: string) => get<{ registered_model: RegisteredModel }>(`${MLFLOW}/registered-models/get`, { name }),
  modelVersions: (name: string) =>
    get<{ model_versions?: ModelVersion[] }>(`${MLFLOW}/model-versions/search`, {
      filter: `name = '${name.replace(/'/g, "\\'")}'`,
      max_results: 1000,
    }),
  listArtifacts: (root: string) =>
    get<{ files?: FileInfo[] }>("/api/2.0/mlflow-artifacts/artifacts", { path: root || undefined }),
};

/** ``1/abc/artifacts`` for ``mlflow-artifacts:/1/abc/artifacts``; null for roots the server does not proxy. */
export function proxiedRoot(uri: string): string | null {
  const match = /^mlflow-artifacts:(?:\/\/[^/]*)?\/?(.*)$/.exec(uri);
  return match ? match[1].replace(/\/+$/, "") : null;
}

export function artifactUrl(root: string, path: string): string {
  const full = [root, path].filter(Boolean).join("/");
  return `/api/2.0/mlflow-artifacts/artifacts/${full.split("/").map(encodeURIComponent).join("/")}`;
}

const experimentNames = new Map<string, Promise<string>>();

/** An experiment's name for breadcrumbs, fetched once per page load. */
export function experimentName(id: string): Promise<string> {
  let found = experimentNames.get(id);
  if (!found) {
    found = api.getExperiment(id).then((e) => e.experiment.name, () => `Experiment ${id}`);
    experimentNames.set(id, found);
  }
  return found;
}
