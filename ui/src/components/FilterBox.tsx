import { useMemo, useRef, useState } from "react";
import { Columns } from "../api";
import { quoteKey } from "../format";

const ATTRIBUTES = ["run_name", "status", "start_time", "end_time", "user_id", "run_id", "lifecycle_stage"];
const KINDS = ["metrics", "params", "tags", "attributes", "datasets"];

interface Props {
  value: string;
  columns: Columns;
  error: { message: string; position: number | null } | null;
  onApply: (filter: string) => void;
}

/** Every completion of the word before the caret: entity kinds, then keys of the kind typed. */
function completions(word: string, columns: Columns): string[] {
  const dot = word.indexOf(".");
  if (dot < 0) {
    const lower = word.toLowerCase();
    return [...KINDS.map((kind) => `${kind}.`), ...ATTRIBUTES].filter((item) => item.startsWith(lower) && item !== lower);
  }
  const kind = word.slice(0, dot).toLowerCase();
  const partial = word.slice(dot + 1).replace(/`/g, "").toLowerCase();
  const keys: Record<string, string[]> = {
    metrics: columns.metrics,
    params: columns.params,
    tags: columns.tags,
    attributes: ATTRIBUTES,
    datasets: ["name", "digest", "context"],
  };
  return (keys[kind] ?? [])
    .filter((key) => key.toLowerCase().includes(partial))
    .slice(0, 50)
    .map((key) => quoteKey(kind, key));
}

export function FilterBox({ value, columns, error, onApply }: Props) {
  const [text, setText] = useState(value);
  const [caret, setCaret] = useState(0);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const [lastValue, setLastValue] = useState(value);
  const input = useRef<HTMLInputElement>(null);
  if (value !== lastValue) {
    // the URL changed under us (a tag click, back button): show the applied filter
    setLastValue(value);
    setText(value);
  }

  const word = /[A-Za-z_][\w.`-]*$/.exec(text.slice(0, caret))?.[0] ?? "";
  const options = useMemo(() => (word ? completions(word, columns) : []), [word, columns]);
  const showing = open && options.length > 0;

  const accept = (option: string) => {
    const start = caret - word.length;
    const next = text.slice(0, start) + option + (option.endsWith(".") ? "" : " ") + text.slice(caret);
    const position = start + option.length + (option.endsWith(".") ? 0 : 1);
    setText(next);
    setCaret(position);
    setActive(0);
    requestAnimationFrame(() => input.current?.setSelectionRange(position, position));
  };

  const onKeyDown = (event: React.KeyboardEvent<HTMLInputElement>) => {
    if (showing && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      setActive((index) => (index + (event.key === "ArrowDown" ? 1 : options.length - 1)) % options.length);
    } else if (showing && (event.key === "Tab" || (event.key === "Enter" && word))) {
      event.preventDefault();
      accept(options[Math.min(active, options.length - 1)]);
    } else if (event.key === "Escape") {
      setOpen(false);
    } else if (event.key === "Enter") {
      setOpen(false);
      onApply(text.trim());
    }
  };

  return (
    <div className="filter">
      <input
        ref={input}
        role="combobox"
        aria-label="Filter runs"
        aria-expanded={showing}
        aria-controls="filter-suggestions"
        aria-invalid={error !== null}
        className={error ? "invalid" : ""}
        placeholder="metrics.loss < 0.5 and params.lr = '0.01' and tags.team = 'a'   (Enter to apply)"
        value={text}
        spellCheck={false}
        onChange={(event) => {
          setText(event.target.value);
          setCaret(event.target.selectionStart ?? event.target.value.length);
          setOpen(true);
          setActive(0);
        }}
        onSelect={(event) => setCaret(event.currentTarget.selectionStart ?? 0)}
        onKeyDown={onKeyDown}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onFocus={() => setOpen(true)}
      />
      {showing && (
        <ul className="suggest" id="filter-suggestions" role="listbox">
          {options.map((option, index) => (
            <li
              key={option}
              role="option"
              aria-selected={index === active}
              onMouseDown={(event) => {
                event.preventDefault();
                accept(option);
              }}
            >
              {option}
            </li>
          ))}
        </ul>
      )}
      {error && (
        <div className="filter-error" role="alert">
          {error.position !== null ? `${value}\n${" ".repeat(error.position)}^ ` : ""}
          {error.message.split("\n")[0]}
        </div>
      )}
    </div>
  );
}
