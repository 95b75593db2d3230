import { useCallback } from "react";
import { useLocation, useSearch } from "wouter";

/** Page state kept in the query string, so every view is a shareable link. */
export function useUrlState(): [URLSearchParams, (changes: Record<string, string | null>, push?: boolean) => void] {
  const search = useSearch();
  const [location, navigate] = useLocation();
  const params = new URLSearchParams(search);
  const update = useCallback(
    (changes: Record<string, string | null>, push = false) => {
      const next = new URLSearchParams(window.location.search);
      for (const [key, value] of Object.entries(changes)) {
        if (value === null || value === "") next.delete(key);
        else next.set(key, value);
      }
      const query = next.toString();
      navigate(query ? `${location}?${query}` : location, { replace: !push });
    },
    [location, navigate],
  );
  return [params, update];
}

export function listParam(params: URLSearchParams, key: string): string[] {
  const value = params.get(key);
  return value ? value.split(",").filter(Boolean) : [];
}
