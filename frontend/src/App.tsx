import { Route, Routes } from "react-router";
import { Layout } from "./components/Layout";
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
import { TickerPage } from "./pages/TickerPage";

export function App() {
  return (
    <Routes>
      <Route element={<Layout />}>
        <Route index element={<OverviewPage />} />
        <Route path="data" element={<DataPage />} />
        <Route path="data/:ticker" element={<TickerPage />} />
        <Route path="jobs" element={<JobsPage />} />
        <Route path="jobs/:jobId" element={<JobDetailPage />} />
        <Route path="models" element={<ModelsPage />} />
        <Route path="models/:version" element={<ModelDetailPage />} />
        <Route path="signals" element={<SignalsPage />} />
        <Route path="pricing" element={<PricingPage />} />
        <Route path="logs" element={<LogsPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}
