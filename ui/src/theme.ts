import { useEffect, useState } from "react";

/** A number that changes when the system switches between light and dark: canvas drawings list it as a
 * dependency, so they redraw with the new colors (CSS updates itself; a canvas does not). */
export function useThemeVersion(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const query = window.matchMedia("(prefers-color-scheme: dark)");
    const changed = () => setVersion((v) => v + 1);
    query.addEventListener("change", changed);
    return () => query.removeEventListener("change", changed);
  }, []);
  return version;
}
