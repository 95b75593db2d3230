import { StateType } from "../api";

/** A run's state: coloured by its type, labelled with its name (Cached, Retrying, Late … are names). */
export function StateBadge({ type, name }: { type: StateType; name?: string }) {
  return (
    <span className={`badge state-${type}`} title={name && name.toUpperCase() !== type ? type : undefined}>
      {name || type.toLowerCase()}
    </span>
  );
}
