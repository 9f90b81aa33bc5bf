import { type ReactNode, Suspense, lazy } from "react";
import { Route, Routes } from "react-router";
import { Loading } from "./components/Feedback";
import { Layout } from "./components/Layout";
import { AbTestsPage } from "./pages/AbTestsPage";
import { AutopilotPage } from "./pages/AutopilotPage";
import { BacktestsPage } from "./pages/BacktestsPage";
import { DataPage } from "./pages/DataPage";
import { JobDetailPage } from "./pages/JobDetailPage";
import { JobsPage } from "./pages/JobsPage";
import { LogsPage } from "./pages/LogsPage";
import { ModelDetailPage } from "./pages/ModelDetailPage";
import { ModelsPage } from "./pages/ModelsPage";
import { NotFoundPage } from "./pages/NotFoundPage";
import { OverviewPage } from "./pages/OverviewPage";
import { PricingPage } from "./pages/PricingPage";
import { SignalsPage } from "./pages/SignalsPage";

// The pages with canvas charts load lightweight-charts in a chunk of their own.
const TickerPage = lazy(() => import("./pages/TickerPage").then((module) => ({ default: module.TickerPage })));
const BacktestDetailPage = lazy(() =>
  import("./pages/BacktestDetailPage").then((module) => ({ default: module.BacktestDetailPage })),
);
const AbTestDetailPage = lazy(() =>
  import("./pages/AbTestDetailPage").then((module) => ({ default: module.AbTestDetailPage })),
);
const PaperPage = lazy(() => import("./pages/PaperPage").then((module) => ({ default: module.PaperPage })));
const HealthPage = lazy(() => import("./pages/HealthPage").then((module) => ({ default: module.HealthPage })));

function Deferred({ children }: { children: ReactNode }) {
  return <Suspense fallback={<Loading label="Loading the page…" />}>{children}</Suspense>;
}

export function App() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<OverviewPage />} />
        <Route path="data" element={<DataPage />} />
        <Route
          path="data/:ticker"
          element={
            <Deferred>
              <TickerPage />
            </Deferred>
          }
        />
        <Route path="jobs" element={<JobsPage />} />
        <Route path="jobs/:jobId" element={<JobDetailPage />} />
        <Route path="models" element={<ModelsPage />} />
        <Route path="models/:version" element={<ModelDetailPage />} />
        <Route path="signals" element={<SignalsPage />} />
        <Route path="backtests" element={<BacktestsPage />} />
        <Route
          path="backtests/:backtestId"
          element={
            <Deferred>
              <BacktestDetailPage />
            </Deferred>
          }
        />
        <Route path="ab-tests" element={<AbTestsPage />} />
        <Route
          path="ab-tests/:testId"
          element={
            <Deferred>
              <AbTestDetailPage />
            </Deferred>
          }
        />
        <Route path="autopilot" element={<AutopilotPage />} />
        <Route
          path="paper"
          element={
            <Deferred>
              <PaperPage />
            </Deferred>
          }
        />
        <Route path="pricing" element={<PricingPage />} />
        <Route
          path="health"
          element={
            <Deferred>
              <HealthPage />
            </Deferred>
          }
        />
        <Route path="logs" element={<LogsPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
