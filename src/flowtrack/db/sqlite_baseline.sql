-- revisions: 0005
CREATE TABLE alembic_version (
	version_num VARCHAR(32) NOT NULL, 
	CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

CREATE TABLE experiments (
	experiment_id INTEGER NOT NULL, 
	name VARCHAR(256) NOT NULL, 
	artifact_location VARCHAR(1000) NOT NULL, 
	lifecycle_stage VARCHAR(32) NOT NULL, 
	creation_time BIGINT NOT NULL, 
	last_update_time BIGINT NOT NULL, 
	PRIMARY KEY (experiment_id), 
	CONSTRAINT uq_experiments_name UNIQUE (name)
);

CREATE TABLE experiment_tags (
	experiment_id INTEGER NOT NULL, 
	"key" VARCHAR(250) NOT NULL, 
	value VARCHAR(8000) NOT NULL, 
	CONSTRAINT pk_experiment_tags PRIMARY KEY (experiment_id, "key"), 
	CONSTRAINT fk_experiment_tags_experiment FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id) ON DELETE CASCADE
);

CREATE TABLE runs (
	run_uuid VARCHAR(32) NOT NULL, 
	experiment_id INTEGER NOT NULL, 
	name VARCHAR(250) NOT NULL, 
	user_id VARCHAR(256) NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	start_time BIGINT NOT NULL, 
	end_time BIGINT, 
	deleted_time BIGINT, 
	lifecycle_stage VARCHAR(32) NOT NULL, 
	artifact_uri VARCHAR(1000) NOT NULL, 
	CONSTRAINT pk_runs PRIMARY KEY (run_uuid), 
	CONSTRAINT fk_runs_experiment FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id) ON DELETE CASCADE
);

CREATE INDEX ix_runs_experiment_start ON runs (experiment_id, start_time);

CREATE TABLE params (
	run_uuid VARCHAR(32) NOT NULL, 
	"key" VARCHAR(250) NOT NULL, 
	value VARCHAR(6000) NOT NULL, 
	CONSTRAINT pk_params PRIMARY KEY (run_uuid, "key"), 
	CONSTRAINT fk_params_run FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid) ON DELETE CASCADE
)
 WITHOUT ROWID

;

CREATE TABLE tags (
	run_uuid VARCHAR(32) NOT NULL, 
	"key" VARCHAR(250) NOT NULL, 
	value VARCHAR(8000) NOT NULL, 
	CONSTRAINT pk_tags PRIMARY KEY (run_uuid, "key"), 
	CONSTRAINT fk_tags_run FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid) ON DELETE CASCADE
)
 WITHOUT ROWID

;

CREATE TABLE metrics (
	run_uuid VARCHAR(32) NOT NULL, 
	"key" VARCHAR(250) NOT NULL, 
	step BIGINT NOT NULL, 
	timestamp BIGINT NOT NULL, 
	kind SMALLINT NOT NULL, 
	value DOUBLE NOT NULL, 
	CONSTRAINT pk_metrics PRIMARY KEY (run_uuid, "key", step, timestamp, kind, value), 
	CONSTRAINT fk_metrics_run FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid) ON DELETE CASCADE
)
 WITHOUT ROWID

;

CREATE TABLE latest_metrics (
	run_uuid VARCHAR(32) NOT NULL, 
	"key" VARCHAR(250) NOT NULL, 
	step BIGINT NOT NULL, 
	timestamp BIGINT NOT NULL, 
	kind SMALLINT NOT NULL, 
	value DOUBLE NOT NULL, 
	CONSTRAINT pk_latest_metrics PRIMARY KEY (run_uuid, "key"), 
	CONSTRAINT fk_latest_metrics_run FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid) ON DELETE CASCADE
)
 WITHOUT ROWID

;

CREATE TABLE datasets (
	dataset_uuid VARCHAR(32) NOT NULL, 
	experiment_id INTEGER NOT NULL, 
	name VARCHAR(500) NOT NULL, 
	digest VARCHAR(64) NOT NULL, 
	source_type VARCHAR(64) NOT NULL, 
	source TEXT NOT NULL, 
	schema TEXT, 
	profile TEXT, 
	CONSTRAINT pk_datasets PRIMARY KEY (dataset_uuid), 
	CONSTRAINT uq_datasets_experiment_name_digest UNIQUE (experiment_id, name, digest), 
	CONSTRAINT fk_datasets_experiment FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id) ON DELETE CASCADE
);

CREATE TABLE inputs (
	run_uuid VARCHAR(32) NOT NULL, 
	dataset_uuid VARCHAR(32) NOT NULL, 
	position INTEGER NOT NULL, 
	CONSTRAINT pk_inputs PRIMARY KEY (run_uuid, dataset_uuid), 
	CONSTRAINT fk_inputs_run FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid) ON DELETE CASCADE, 
	CONSTRAINT fk_inputs_dataset FOREIGN KEY(dataset_uuid) REFERENCES datasets (dataset_uuid) ON DELETE CASCADE
)
 WITHOUT ROWID

;

CREATE TABLE input_tags (
	run_uuid VARCHAR(32) NOT NULL, 
	dataset_uuid VARCHAR(32) NOT NULL, 
	"key" VARCHAR(250) NOT NULL, 
	value VARCHAR(500) NOT NULL, 
	CONSTRAINT pk_input_tags PRIMARY KEY (run_uuid, dataset_uuid, "key"), 
	CONSTRAINT fk_input_tags_input FOREIGN KEY(run_uuid, dataset_uuid) REFERENCES inputs (run_uuid, dataset_uuid) ON DELETE CASCADE
)
 WITHOUT ROWID

;

CREATE TABLE logged_models (
	model_id VARCHAR(36) NOT NULL, 
	experiment_id INTEGER NOT NULL, 
	name VARCHAR(250) NOT NULL, 
	artifact_location VARCHAR(1000) NOT NULL, 
	creation_timestamp_ms BIGINT NOT NULL, 
	last_updated_timestamp_ms BIGINT NOT NULL, 
	status VARCHAR(32) NOT NULL, 
	lifecycle_stage VARCHAR(32) NOT NULL, 
	model_type VARCHAR(500), 
	source_run_id VARCHAR(32), 
	status_message VARCHAR(1000), 
	CONSTRAINT pk_logged_models PRIMARY KEY (model_id), 
	CONSTRAINT fk_logged_models_experiment FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id) ON DELETE CASCADE
);

CREATE INDEX ix_logged_models_experiment_created ON logged_models (experiment_id, creation_timestamp_ms);

CREATE INDEX ix_logged_models_source_run ON logged_models (source_run_id);

CREATE TABLE logged_model_tags (
	model_id VARCHAR(36) NOT NULL, 
	"key" VARCHAR(250) NOT NULL, 
	value VARCHAR(8000) NOT NULL, 
	CONSTRAINT pk_logged_model_tags PRIMARY KEY (model_id, "key"), 
	CONSTRAINT fk_logged_model_tags_model FOREIGN KEY(model_id) REFERENCES logged_models (model_id) ON DELETE CASCADE
)
 WITHOUT ROWID

;

CREATE TABLE logged_model_params (
	model_id VARCHAR(36) NOT NULL, 
	"key" VARCHAR(250) NOT NULL, 
	value VARCHAR(6000) NOT NULL, 
	CONSTRAINT pk_logged_model_params PRIMARY KEY (model_id, "key"), 
	CONSTRAINT fk_logged_model_params_model FOREIGN KEY(model_id) REFERENCES logged_models (model_id) ON DELETE CASCADE
)
 WITHOUT ROWID

;

CREATE TABLE logged_model_metrics (
	model_id VARCHAR(36) NOT NULL, 
	"key" VARCHAR(250) NOT NULL, 
	step BIGINT NOT NULL, 
	timestamp BIGINT NOT NULL, 
	run_uuid VARCHAR(32) NOT NULL, 
	kind SMALLINT NOT NULL, 
	value DOUBLE NOT NULL, 
	dataset_name VARCHAR(500), 
	dataset_digest VARCHAR(64), 
	CONSTRAINT pk_logged_model_metrics PRIMARY KEY (model_id, "key", step, timestamp, run_uuid), 
	CONSTRAINT fk_logged_model_metrics_model FOREIGN KEY(model_id) REFERENCES logged_models (model_id) ON DELETE CASCADE, 
	CONSTRAINT fk_logged_model_metrics_run FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid) ON DELETE CASCADE
)
 WITHOUT ROWID

;

CREATE TABLE run_outputs (
	run_uuid VARCHAR(32) NOT NULL, 
	model_id VARCHAR(36) NOT NULL, 
	step BIGINT NOT NULL, 
	CONSTRAINT pk_run_outputs PRIMARY KEY (run_uuid, model_id, step), 
	CONSTRAINT fk_run_outputs_run FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid) ON DELETE CASCADE, 
	CONSTRAINT fk_run_outputs_model FOREIGN KEY(model_id) REFERENCES logged_models (model_id) ON DELETE CASCADE
)
 WITHOUT ROWID

;

CREATE TABLE registered_models (
	name VARCHAR(256) NOT NULL, 
	creation_timestamp BIGINT NOT NULL, 
	last_updated_timestamp BIGINT NOT NULL, 
	description VARCHAR(5000), 
	CONSTRAINT pk_registered_models PRIMARY KEY (name)
);

CREATE TABLE registered_model_tags (
	name VARCHAR(256) NOT NULL, 
	"key" VARCHAR(250) NOT NULL, 
	value VARCHAR(8000) NOT NULL, 
	CONSTRAINT pk_registered_model_tags PRIMARY KEY (name, "key"), 
	CONSTRAINT fk_registered_model_tags_model FOREIGN KEY(name) REFERENCES registered_models (name) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE model_versions (
	name VARCHAR(256) NOT NULL, 
	version INTEGER NOT NULL, 
	creation_timestamp BIGINT NOT NULL, 
	last_updated_timestamp BIGINT NOT NULL, 
	description VARCHAR(5000), 
	user_id VARCHAR(256), 
	current_stage VARCHAR(20) NOT NULL, 
	source VARCHAR(1000) NOT NULL, 
	storage_location VARCHAR(1000) NOT NULL, 
	run_id VARCHAR(32), 
	run_link VARCHAR(1000), 
	status VARCHAR(20) NOT NULL, 
	status_message VARCHAR(500), 
	model_id VARCHAR(36), 
	CONSTRAINT pk_model_versions PRIMARY KEY (name, version), 
	CONSTRAINT fk_model_versions_model FOREIGN KEY(name) REFERENCES registered_models (name) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE INDEX ix_model_versions_run_id ON model_versions (run_id);

CREATE TABLE model_version_tags (
	name VARCHAR(256) NOT NULL, 
	version INTEGER NOT NULL, 
	"key" VARCHAR(250) NOT NULL, 
	value VARCHAR(8000) NOT NULL, 
	CONSTRAINT pk_model_version_tags PRIMARY KEY (name, version, "key"), 
	CONSTRAINT fk_model_version_tags_version FOREIGN KEY(name, version) REFERENCES model_versions (name, version) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE registered_model_aliases (
	name VARCHAR(256) NOT NULL, 
	alias VARCHAR(256) NOT NULL, 
	version INTEGER NOT NULL, 
	CONSTRAINT pk_registered_model_aliases PRIMARY KEY (name, alias), 
	CONSTRAINT fk_registered_model_aliases_model FOREIGN KEY(name) REFERENCES registered_models (name) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE flows (
	id VARCHAR(36) NOT NULL, 
	name VARCHAR(250) NOT NULL, 
	created_ms BIGINT NOT NULL, 
	tags TEXT NOT NULL, 
	CONSTRAINT pk_flows PRIMARY KEY (id), 
	CONSTRAINT uq_flows_name UNIQUE (name)
);

CREATE TABLE flow_runs (
	id VARCHAR(36) NOT NULL, 
	flow_id VARCHAR(36) NOT NULL, 
	flow_name VARCHAR(250) NOT NULL, 
	name VARCHAR(250) NOT NULL, 
	state_type VARCHAR(16) NOT NULL, 
	state_name VARCHAR(64) NOT NULL, 
	state_message TEXT, 
	parameters TEXT NOT NULL, 
	tags TEXT NOT NULL, 
	created_ms BIGINT NOT NULL, 
	start_ms BIGINT, 
	end_ms BIGINT, 
	heartbeat_ms BIGINT, 
	parent_flow_run_id VARCHAR(36), 
	parent_task_run_id VARCHAR(36), 
	tracking_run_id VARCHAR(64), 
	deployment_id VARCHAR(36), 
	flow_version VARCHAR(250), 
	run_count INTEGER NOT NULL, lease_ms BIGINT, 
	CONSTRAINT pk_flow_runs PRIMARY KEY (id)
);

CREATE INDEX ix_flow_runs_created ON flow_runs (created_ms);

CREATE INDEX ix_flow_runs_flow_created ON flow_runs (flow_name, created_ms);

CREATE INDEX ix_flow_runs_state_heartbeat ON flow_runs (state_type, heartbeat_ms);

CREATE INDEX ix_flow_runs_start ON flow_runs (start_ms);

CREATE INDEX ix_flow_runs_parent ON flow_runs (parent_flow_run_id);

CREATE INDEX ix_flow_runs_deployment ON flow_runs (deployment_id);

CREATE TABLE flow_run_tags (
	flow_run_id VARCHAR(36) NOT NULL, 
	tag VARCHAR(250) NOT NULL, 
	CONSTRAINT pk_flow_run_tags PRIMARY KEY (flow_run_id, tag)
)
 WITHOUT ROWID

;

CREATE INDEX ix_flow_run_tags_tag ON flow_run_tags (tag);

CREATE TABLE task_runs (
	id VARCHAR(36) NOT NULL, 
	flow_run_id VARCHAR(36) NOT NULL, 
	task_key VARCHAR(500) NOT NULL, 
	name VARCHAR(500) NOT NULL, 
	dynamic_key VARCHAR(64) NOT NULL, 
	state_type VARCHAR(16) NOT NULL, 
	state_name VARCHAR(64) NOT NULL, 
	state_message TEXT, 
	created_ms BIGINT NOT NULL, 
	start_ms BIGINT, 
	end_ms BIGINT, 
	cache_key VARCHAR(500), 
	run_count INTEGER NOT NULL, 
	tags TEXT NOT NULL, 
	upstream_ids TEXT NOT NULL, 
	CONSTRAINT pk_task_runs PRIMARY KEY (id)
);

CREATE INDEX ix_task_runs_flow_run_created ON task_runs (flow_run_id, created_ms);

CREATE TABLE states (
	seq INTEGER NOT NULL, 
	id VARCHAR(36) NOT NULL, 
	run_id VARCHAR(36) NOT NULL, 
	run_kind VARCHAR(8) NOT NULL, 
	type VARCHAR(16) NOT NULL, 
	name VARCHAR(64) NOT NULL, 
	message TEXT, 
	timestamp_ms BIGINT NOT NULL, 
	CONSTRAINT pk_states PRIMARY KEY (seq), 
	CONSTRAINT uq_states_id UNIQUE (id)
);

CREATE INDEX ix_states_run_timestamp ON states (run_id, timestamp_ms);

CREATE TABLE task_edges (
	task_run_id VARCHAR(36) NOT NULL, 
	upstream_task_run_id VARCHAR(36) NOT NULL, 
	input_name VARCHAR(250) NOT NULL, 
	CONSTRAINT pk_task_edges PRIMARY KEY (task_run_id, upstream_task_run_id, input_name)
)
 WITHOUT ROWID

;

CREATE TABLE logs (
	id INTEGER NOT NULL, 
	flow_run_id VARCHAR(36) NOT NULL, 
	task_run_id VARCHAR(36), 
	level INTEGER NOT NULL, 
	logger VARCHAR(250) NOT NULL, 
	message TEXT NOT NULL, 
	timestamp_ms BIGINT NOT NULL, 
	CONSTRAINT pk_logs PRIMARY KEY (id)
);

CREATE INDEX ix_logs_flow_run ON logs (flow_run_id, timestamp_ms, id);

INSERT INTO alembic_version (version_num) VALUES ('0005');

