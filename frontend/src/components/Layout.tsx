// The page frame: navigation naming every page, the bearer-token control, the content.
import { NavLink, Outlet } from "react-router";
import { readToken } from "../auth";
import { useHealth } from "../queries";
import { TokenControl } from "./TokenControl";

const PAGES = [
  { to: "/", label: "Overview", end: true },
  { to: "/data", label: "Data", end: false },
  { to: "/jobs", label: "Jobs", end: false },
  { to: "/models", label: "Models", end: false },
  { to: "/signals", label: "Signals", end: false },
  { to: "/backtests", label: "Backtests", end: false },
  { to: "/pricing", label: "Pricing", end: false },
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
        <TokenControl />
      </header>
      <main id="main" tabIndex={-1}>
        <AuthNotice />
        <Outlet />
      </main>
    </>
  );
}
