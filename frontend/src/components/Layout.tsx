// The page frame: navigation naming every page, the system's status light, the bearer-token
// control, the content.
import { Link, NavLink, Outlet } from "react-router";
import { readToken } from "../auth";
import { formatDateTime } from "../format";
import { STATUS_LEVEL_VIEW, lightState } from "../health";
import { useHealth, useQuickStatus } from "../queries";
import { TokenControl } from "./TokenControl";

const PAGES = [
  { to: "/", label: "Overview", end: true },
  { to: "/data", label: "Data", end: false },
  { to: "/jobs", label: "Jobs", end: false },
  { to: "/models", label: "Models", end: false },
  { to: "/signals", label: "Signals", end: false },
  { to: "/backtests", label: "Backtests", end: false },
  { to: "/ab-tests", label: "A/B", end: false },
  { to: "/autopilot", label: "Autopilot", end: false },
  { to: "/paper", label: "Paper", end: false },
  { to: "/pricing", label: "Pricing", end: false },
  { to: "/health", label: "Health", end: false },
  { to: "/logs", label: "Logs", end: false },
] as const;

function AuthNotice() {
  const health = useHealth();
  if (!health.data?.auth_enabled || readToken()) return null;
  return (
    <div className="notice" role="status">
      This server requires a bearer token. Paste one under “Token” in the header.
    </div>
  );
}

/**
 * The overall status as a light and a word, linking to the Health page. It shares the
 * quick-status query with that page; when the call fails it says "status unknown" and the
 * page around it carries on.
 */
function StatusLight() {
  const status = useQuickStatus();
  const state = lightState(status);
  const word =
    state === "checking" ? "checking status…" : state === "unknown" ? "status unknown" : STATUS_LEVEL_VIEW[state].label;
  const title =
    state === "unknown"
      ? `The status could not be read${status.data ? ` (last: ${status.data.overall} at ${formatDateTime(status.data.at)})` : ""}`
      : status.data
        ? `Checked ${formatDateTime(status.data.at)}`
        : undefined;
  return (
    <Link to="/health" className={`status-light light-${state}`} data-testid="header-status" data-status={state} title={title}>
      <span className="light-dot" aria-hidden="true" />
      {state !== "checking" && state !== "unknown" && <span className="visually-hidden">System status: </span>}
      {word}
    </Link>
  );
}

export function Layout() {
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">quant_engine</span>
        <nav aria-label="Main">
          <ul>
            {PAGES.map((page) => (
              <li key={page.to}>
                <NavLink to={page.to} end={page.end}>
                  {page.label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <StatusLight />
        <TokenControl />
      </header>
      <main id="main" tabIndex={-1}>
        <AuthNotice />
        <Outlet />
      </main>
    </>
  );
}
