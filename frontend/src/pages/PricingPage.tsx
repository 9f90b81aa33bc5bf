// Pricing: the single-option calculator, the implied-volatility tool and batch pricing.
import { ErrorMessage, Loading } from "../components/Feedback";
import { usePricingModels } from "../queries";
import { BatchPrice } from "./pricing/BatchPrice";
import { ImpliedVol } from "./pricing/ImpliedVol";
import { SinglePrice } from "./pricing/SinglePrice";

export function PricingPage() {
  const models = usePricingModels();
  return (
    <>
      <h1>Pricing</h1>
      {models.isPending && <Loading label="Loading pricing models…" />}
      {models.isError && <ErrorMessage error={models.error} title="Could not load the pricing models" />}
      {models.data && (
        <div className="grid">
          <SinglePrice models={models.data.models} />
          <ImpliedVol models={models.data.models} />
          <BatchPrice />
        </div>
      )}
    </>
  );
}
