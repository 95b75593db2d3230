// The entry point is small on purpose: it starts the page's first requests at once, while the browser is still
// downloading and compiling the app (React, the pages, the charts), which it then loads and mounts.
import { preloadRunPage } from "./preload";
import "./styles.css";

preloadRunPage(window.location.pathname, window.location.search);
void import("./app").then(({ mount }) => mount());
