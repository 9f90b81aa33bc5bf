// End-to-end test of the built UI against the real server and real market data.
//
//   npm run build && npm run e2e
//
// Starts `python -m quant_engine serve` on a free port with a fresh QE_HOME and the S&P 500
// sample of ../shared/data, drives /usr/bin/chromium with playwright-core through every
// page (including a short train job, a signal generation with the model it made, a short
// walk-forward backtest, the Health page with the champion it left behind, and one live
// autopilot cycle with the paper account it opened),
// saves a screenshot per step into frontend/e2e-output/, and stops the server at the end
// (also on failure). Exits non-zero with the failing step's message.
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, createWriteStream } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const FRONTEND = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const REPO = resolve(FRONTEND, "..");
const PYTHON = join(REPO, ".venv", "bin", "python");
const DATA_DIR = resolve(REPO, "..", "shared", "data", "sp500_5yr");
const DIST_INDEX = join(FRONTEND, "dist", "index.html");
const OUTPUT = join(FRONTEND, "e2e-output");
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const SERVER_START_TIMEOUT_MS = 60_000;
const FIRST_IMPORT_TIMEOUT_MS = 90_000;
const STEP_TIMEOUT_MS = 20_000;
const TRAIN_TIMEOUT_MS = 120_000;
const PREDICT_TIMEOUT_MS = 60_000;
const BACKTEST_TIMEOUT_MS = 180_000;
const AUTOPILOT_TIMEOUT_MS = 120_000;
const SERVER_STOP_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------- independent reference
/** erf by its Maclaurin series; accurate to ~1e-15 for |x| < 3 (all this test needs). */
function erf(x) {
  if (Math.abs(x) >= 3) throw new Error(`erf series used outside its range: ${x}`);
  let sum = 0;
  let term = x; // (-1)^n x^(2n+1) / n!
  for (let n = 0; n < 200; n += 1) {
    const contribution = term / (2 * n + 1);
    sum += contribution;
    if (Math.abs(contribution) < 1e-17) break;
    term *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
const normalCdf = (x) => 0.5 * (1 + erf(x / Math.SQRT2));

/** Black–Scholes price of a European option without dividends (closed form). */
function blackScholes({ spot, strike, time, rate, volatility, type }) {
  const d1 = (Math.log(spot / strike) + (rate + 0.5 * volatility ** 2) * time) / (volatility * Math.sqrt(time));
  const d2 = d1 - volatility * Math.sqrt(time);
  const discount = Math.exp(-rate * time);
  return type === "call"
    ? spot * normalCdf(d1) - strike * discount * normalCdf(d2)
    : strike * discount * normalCdf(-d2) - spot * normalCdf(-d1);
}

// ---------------------------------------------------------------- plumbing
class StepFailure extends Error {}

function check(condition, message) {
  if (!condition) throw new StepFailure(message);
}

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

async function waitFor(what, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let lastProblem = "no answer yet";
  while (Date.now() < deadline) {
    try {
      const problem = await probe();
      if (problem === null) return;
      lastProblem = problem;
    } catch (error) {
      lastProblem = error.message;
    }
    await sleep(250);
  }
  throw new StepFailure(`timed out after ${timeoutMs / 1000} s waiting for ${what} (${lastProblem})`);
}

function startServer(port, home) {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith("QE_")) delete env[key]; // auth off, defaults
  Object.assign(env, {
    QE_HOME: home,
    QE_DATA_DIR: DATA_DIR,
    QE_MAX_CONCURRENT_JOBS: "1",
    QE_AUTO_IMPORT: "1",
  });
  const log = createWriteStream(join(OUTPUT, "server.log"));
  const child = spawn(PYTHON, ["-m", "quant_engine", "serve", "--port", String(port)], {
    cwd: REPO,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  return child;
}

async function stopServer(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once("exit", done));
  child.kill("SIGTERM");
  let timer;
  const timeout = new Promise((done) => {
    timer = setTimeout(() => done("timeout"), SERVER_STOP_TIMEOUT_MS);
  });
  const outcome = await Promise.race([exited, timeout]);
  clearTimeout(timer);
  if (outcome === "timeout") {
    child.kill("SIGKILL");
    await exited;
  }
}

/** Whether some canvas inside `locator` has non-blank pixels (lightweight-charts drew on it). */
async function canvasDrawn(locator) {
  const drawn = await locator.evaluate((element) =>
    [...element.querySelectorAll("canvas")].some((canvas) => {
      if (canvas.width === 0 || canvas.height === 0) return false;
      const context = canvas.getContext("2d");
      if (!context) return false;
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
      const [r0, g0, b0] = data;
      for (let i = 0; i < data.length; i += 4 * 7) {
        if (data[i] !== r0 || data[i + 1] !== g0 || data[i + 2] !== b0) return true;
      }
      return false;
    }),
  );
  return drawn ? null : "every canvas is blank";
}

async function getJson(url) {
  const response = await fetch(url);
  const body = await response.json();
  return { status: response.status, body };
}

// ---------------------------------------------------------------- the steps
function makeSteps(base) {
  const screenshot = async (page, name, { fullPage = false } = {}) => {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(OUTPUT, `${name}.png`), fullPage, animations: "disabled" });
  };
  const forceRefresh = async (page, times) => {
    await page.getByLabel("force (re-import unchanged files)").check();
    const button = page.getByRole("button", { name: "Refresh data" });
    const before = await page.locator(".job-card").count();
    for (let started = 0; started < times; started += 1) {
      await button.click(); // waits until the previous POST answered (the button is re-enabled)
      await page.locator(".job-card").nth(before + started).waitFor();
    }
    // Cards are newest first: the first `times` are the jobs just started.
    const ids = await page.locator(".job-card").evaluateAll((cards) => cards.map((card) => card.getAttribute("data-job-id")));
    return ids.slice(0, times);
  };
  const nav = (page, label) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: label }).click();

  return [
    {
      name: "overview",
      async run(page) {
        await page.goto(`${base}/`);
        await page.getByRole("heading", { name: "Overview", level: 1 }).waitFor();
        await page.getByTestId("health-status").filter({ hasText: "ok" }).waitFor();
        await page.getByTestId("data-mode").filter({ hasText: "directory" }).waitFor();
        const fingerprint = (await page.getByTestId("universe-fingerprint").textContent()) ?? "";
        check(/^[0-9a-f]{64}$/.test(fingerprint.trim()), `universe fingerprint is not a sha256: "${fingerprint}"`);
        await page.getByText("505", { exact: true }).first().waitFor(); // tickers imported
        await screenshot(page, "01-overview");
      },
    },
    {
      name: "refresh data and follow it live to succeeded",
      async run(page) {
        await nav(page, "Data");
        await page.getByTestId("universe-table").waitFor();
        const [jobId] = await forceRefresh(page, 1);
        const card = page.locator(`.job-card[data-job-id="${jobId}"]`);
        await page.locator(`.job-card[data-job-id="${jobId}"][data-status="succeeded"]`).waitFor();
        await card.locator('.stream[data-last-event="done"]').waitFor();
        const trail = (await card.locator(".stream").textContent()) ?? "";
        check(trail.includes("status") && trail.includes("completed") && trail.includes("done"),
          `the job card did not hear status → … → completed → done over SSE: "${trail}"`);
        check((await card.textContent()).includes("Imported"), "the succeeded job card shows no import result");
        await screenshot(page, "02-data-refresh-succeeded");
      },
    },
    {
      name: "jobs page follows a queued job live to succeeded",
      async run(page) {
        const [queuedId, runningId] = await forceRefresh(page, 2);
        await nav(page, "Jobs");
        const row = (id) => page.locator(`[data-testid="jobs-table"] tr[data-job-id="${id}"]`);
        await row(queuedId).waitFor();
        await screenshot(page, "03-jobs-live");
        for (const id of [runningId, queuedId]) {
          await page.locator(`[data-testid="jobs-table"] tr[data-job-id="${id}"][data-status="succeeded"]`).waitFor();
        }
        await row(queuedId).locator('.stream[data-last-event="done"]').waitFor({ timeout: 5_000 }).catch(() => {
          throw new StepFailure("the jobs list did not follow the queued job over SSE to its done event");
        });
        const trail = (await row(queuedId).locator(".stream").textContent()) ?? "";
        check(trail.includes("completed"), `the queued job's row never heard 'completed': "${trail}"`);
        await screenshot(page, "04-jobs-succeeded-live");
      },
    },
    {
      name: "queue refreshes and cancel the newest, still queued",
      async run(page) {
        await nav(page, "Data");
        // Four refreshes, one at a time: the newest waits behind three (about a second of
        // work), which leaves time to see it queued and cancel it even on a busy machine.
        const [jobId] = await forceRefresh(page, 4);
        const queued = page.locator(`.job-card[data-job-id="${jobId}"][data-status="queued"]`);
        await queued.waitFor({ timeout: 5_000 }).catch(() => {
          throw new StepFailure("with QE_MAX_CONCURRENT_JOBS=1 the newest refresh was never shown as queued");
        });
        await queued.getByRole("button", { name: /^Cancel job/ }).click();
        const cancelledCard = page.locator(`.job-card[data-job-id="${jobId}"]`);
        await page.locator(`.job-card[data-job-id="${jobId}"][data-status="cancelled"]`).waitFor();
        await cancelledCard.locator(".badge", { hasText: "Cancelled" }).waitFor();
        await cancelledCard.locator('.stream[data-last-event="done"]').waitFor();
        await waitFor("the other three refreshes to succeed", async () =>
          (await page.locator('.job-card[data-status="succeeded"]').count()) === 3 &&
          (await page.locator('.job-card[data-status="running"], .job-card[data-status="queued"]').count()) === 0
            ? null
            : "a job is still unfinished", STEP_TIMEOUT_MS);
        await screenshot(page, "05-data-queued-job-cancelled");

        await nav(page, "Jobs");
        await page.locator(`[data-testid="jobs-table"] tr[data-job-id="${jobId}"][data-status="cancelled"]`).waitFor();
        await screenshot(page, "06-jobs-with-cancelled");

        // A client-side route opened directly: the server must answer index.html for it.
        await page.goto(`${base}/jobs/${jobId}`);
        await page.locator(`[data-job-id="${jobId}"][data-status="cancelled"]`).waitFor();
        const api = await getJson(`${base}/api/v1/jobs/${jobId}`);
        check(api.body.data.status === "cancelled", `the API says job ${jobId} is ${api.body.data.status}, not cancelled`);
        await screenshot(page, "07-job-detail-cancelled");
      },
    },
    {
      name: "price one option (checked against closed-form Black–Scholes)",
      async run(page, context) {
        await nav(page, "Pricing");
        const form = page.getByTestId("price-form");
        await form.waitFor();
        const fill = async (label, value) => form.getByLabel(label, { exact: true }).fill(value);
        await fill("Spot (S)", "100");
        await fill("Strike (K)", "100");
        await fill("Time to expiry (years)", "1");
        await fill("Risk-free rate", "0.05");
        await form.getByLabel("Call").check();

        // Out of the contract's bounds: caught in the browser, nothing is sent.
        const sentBefore = context.priceRequests;
        await fill("Volatility", "11");
        await form.getByRole("button", { name: "Price" }).click();
        await form.locator(".field-invalid .field-error", { hasText: "must be ≤ 10" }).waitFor();
        check(context.priceRequests === sentBefore, "an out-of-bounds volatility was sent to the server");

        await fill("Volatility", "0.2");
        await form.getByRole("button", { name: "Price" }).click();
        const priceText = (await page.getByTestId("option-price").textContent()) ?? "";
        const shown = Number(priceText.replace(/,/g, ""));
        const expected = blackScholes({ spot: 100, strike: 100, time: 1, rate: 0.05, volatility: 0.2, type: "call" });
        check(Math.abs(expected - 10.4506) < 1e-4, `reference Black–Scholes is off: ${expected}`);
        check(Math.abs(shown - expected) < 1e-6, `UI price ${priceText} differs from Black–Scholes ${expected.toFixed(8)}`);
        check(context.priceRequests === sentBefore + 1, "pricing did not send exactly one request");
        await page.getByTestId("greek-delta").waitFor();
        await page.locator("section", { has: page.getByTestId("price-form") }).screenshot({
          path: join(OUTPUT, "08-pricing-single.png"),
          animations: "disabled",
        });

        const iv = page.getByTestId("iv-form");
        await iv.getByLabel("Observed option price").fill(expected.toFixed(6));
        await iv.getByRole("button", { name: "Solve for volatility" }).click();
        const ivText = (await page.getByTestId("implied-volatility").textContent()) ?? "";
        check(Math.abs(Number(ivText) - 0.2) < 1e-5, `implied volatility of the BS price is ${ivText}, not 0.2`);
      },
    },
    {
      name: "batch with one bad row",
      async run(page) {
        const form = page.getByTestId("batch-form");
        await form.getByRole("textbox").fill(
          [
            "spot,strike,time_to_expiry,rate,volatility,option_type",
            "100,100,1,0.05,0.2,call",
            "100,100,1,0.05,-0.2,call",
            "100,100,1,0.05,0.2,put",
          ].join("\n"),
        );
        await form.getByRole("button", { name: "Price batch" }).click();
        const table = page.getByTestId("batch-table");
        await table.waitFor();
        const rows = table.locator("tbody tr");
        check((await rows.count()) === 3, `batch table has ${await rows.count()} rows, expected 3`);
        const callPrice = Number(await rows.nth(0).getByTestId("batch-row-price").textContent());
        const error = (await rows.nth(1).getByTestId("batch-row-error").textContent()) ?? "";
        const putPrice = Number(await rows.nth(2).getByTestId("batch-row-price").textContent());
        const call = blackScholes({ spot: 100, strike: 100, time: 1, rate: 0.05, volatility: 0.2, type: "call" });
        const put = blackScholes({ spot: 100, strike: 100, time: 1, rate: 0.05, volatility: 0.2, type: "put" });
        check(Math.abs(callPrice - call) < 1e-6, `batch call ${callPrice} ≠ Black–Scholes ${call}`);
        check(Math.abs(putPrice - put) < 1e-6, `batch put ${putPrice} ≠ Black–Scholes ${put}`);
        check(error.includes("VALIDATION_ERROR") && error.includes("volatility"),
          `the negative-volatility row's error does not name volatility: "${error}"`);
        await page.getByTestId("batch-summary").filter({ hasText: "2 priced, 1 failed" }).waitFor();
        await page.locator("section", { has: form }).screenshot({ path: join(OUTPUT, "09-pricing-batch.png"), animations: "disabled" });
      },
    },
    {
      name: "logs",
      async run(page) {
        await nav(page, "Logs");
        const table = page.getByTestId("logs-table");
        await table.waitFor();
        await table.getByText("POST /api/v1/data/refresh", { exact: false }).first().waitFor();
        await screenshot(page, "10-logs");
        await page.getByLabel("Minimum level").selectOption("error");
        await waitFor("the error-level filter to apply", async () => {
          const levels = await page.locator('[data-testid="logs-table"] tbody .badge').allTextContents();
          const empty = await page.getByText("No records at this level.").count();
          if (empty > 0) return null;
          const wrong = levels.filter((level) => level !== "ERROR" && level !== "CRITICAL");
          return wrong.length === 0 ? null : `still showing ${wrong.join(", ")}`;
        }, STEP_TIMEOUT_MS);
      },
    },
    {
      name: "ticker page with a real price chart",
      async run(page) {
        await nav(page, "Data");
        await page.getByTestId("universe-table").waitFor();
        await page.getByLabel("Quality", { exact: true }).selectOption("warnings");
        await page.getByTestId("universe-table").getByText("16 tickers", { exact: false }).waitFor();
        await screenshot(page, "11-data-warnings-filter");
        await page.getByLabel("Quality", { exact: true }).selectOption("");
        await page.getByTestId("universe-table").getByRole("link", { name: "AAPL", exact: true }).click();
        await page.getByRole("heading", { name: "AAPL", level: 1 }).waitFor();
        // lightweight-charts draws candlesticks + volume on canvas: check the container holds a
        // drawn canvas and that the page's bar count matches the API's for the default range.
        const chart = page.getByTestId("price-volume-chart");
        await chart.locator("canvas").first().waitFor();
        await waitFor("the chart's canvas to be drawn", async () => canvasDrawn(chart), STEP_TIMEOUT_MS);
        const bars = Number((await page.getByTestId("bar-count").textContent()) ?? "0");
        check(bars > 200 && bars < 300, `one year of AAPL should be ~250 daily bars, the chart has ${bars}`);
        check(Number(await chart.getAttribute("data-points")) === bars, "the chart's series do not hold one point per bar");
        const api = await getJson(`${base}/api/v1/data/tickers/AAPL/bars?start=2017-02-07&end=2018-02-07`);
        check(api.body.data.count === bars, `API has ${api.body.data.count} bars for the range, chart ${bars}`);
        // Away from the chart the readout shows the last bar (the click on AAPL left the
        // mouse where the chart now is).
        await page.mouse.move(5, 5);
        await page.getByTestId("chart-readout").locator("strong", { hasText: "2018-02-07" }).waitFor();
        // The crosshair reads out the hovered day (somewhere left of the last bar).
        const box = await chart.boundingBox();
        check(box !== null && box.width > 300, "the chart container has no size");
        await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.5);
        await waitFor("the crosshair readout to follow the mouse", async () => {
          const day = (await page.getByTestId("chart-readout").locator("strong").textContent()) ?? "";
          return day && day < "2018-01-01" ? null : `readout shows ${day}`;
        }, STEP_TIMEOUT_MS);
        await screenshot(page, "12-ticker-AAPL", { fullPage: true });

        await page.goto(`${base}/data/AOS`); // a ticker with a quarantined row
        await page.getByText("Inconsistent ohlc").waitFor();
        await page.getByTestId("price-volume-chart").locator("canvas").first().waitFor();
        await screenshot(page, "13-ticker-AOS-quality", { fullPage: true });
      },
    },
    {
      name: "train a short model live; the first version becomes the champion",
      async run(page, context) {
        await nav(page, "Models");
        await page.getByRole("heading", { name: "Models", level: 1 }).waitFor();
        const form = page.getByTestId("train-form");
        await form.waitFor();
        const fill = async (label, value) => form.getByLabel(label, { exact: true }).fill(value);

        // Outside the contract's bounds: caught in the browser, nothing is sent.
        await fill("Horizons (trading days)", "5, 64");
        await form.getByRole("button", { name: "Train", exact: true }).click();
        await form.locator(".field-invalid .field-error", { hasText: "64 must be ≤ 63" }).waitFor();
        check(context.trainRequests === 0, "an out-of-bounds horizon was sent to the server");

        await fill("Horizons (trading days)", "5");
        await fill("Years", "2");
        await fill("Folds", "2");
        await fill("Boosting rounds (n_estimators)", "20");
        await form.getByRole("button", { name: "Train", exact: true }).click();
        const card = page.getByTestId("train-jobs").locator(".job-card").first();
        await card.waitFor();
        const jobId = await card.getAttribute("data-job-id");
        check(context.trainRequests === 1, `training sent ${context.trainRequests} requests, expected 1`);
        await card.getByRole("progressbar").waitFor();
        await screenshot(page, "14-models-training-live");
        const finished = page.locator(
          `.job-card[data-job-id="${jobId}"][data-status="succeeded"], .job-card[data-job-id="${jobId}"][data-status="failed"]`,
        );
        await finished.waitFor({ timeout: TRAIN_TIMEOUT_MS });
        if ((await card.getAttribute("data-status")) === "failed") {
          throw new StepFailure(`the train job failed: ${await card.getByTestId("job-error").textContent()}`);
        }
        await card.locator('.stream[data-last-event="done"]').waitFor();
        const trail = (await card.locator(".stream").textContent()) ?? "";
        check(trail.includes("completed") && trail.includes("done"), `the train card did not follow the job over SSE: "${trail}"`);
        const version = ((await card.getByTestId("trained-version").textContent()) ?? "").trim();
        check(/^v\d+$/.test(version), `the train result names no version: "${version}"`);

        // The registry list was refetched when the job finished: the new version is champion.
        const row = page.locator(`[data-testid="models-table"] tr[data-version="${version}"]`);
        await row.waitFor();
        check((await row.getAttribute("data-role")) === "champion", `${version} is ${await row.getAttribute("data-role")}, not champion`);
        await row.locator(".badge", { hasText: "Champion" }).waitFor();
        const api = await getJson(`${base}/api/v1/models`);
        check(api.body.data.champion === version, `the API's champion is ${api.body.data.champion}, not ${version}`);
        await screenshot(page, "15-models-trained", { fullPage: true });

        await row.getByRole("link", { name: version, exact: true }).click();
        await page.getByRole("heading", { name: `Model ${version}`, level: 1 }).waitFor();
        await page.locator(`[data-version="${version}"][data-role="champion"]`).waitFor(); // the version loaded
        await page.getByTestId("fold-chart").locator(".fold-bar").first().waitFor();
        const foldBars = await page.getByTestId("fold-chart").locator(".fold-bar").count();
        check(foldBars === 2, `the fold chart has ${foldBars} bars, expected 2 (folds=2)`);
        const metricRows = await page.getByTestId("metrics-table").locator("tbody tr").count();
        check(metricRows === 3, `the metrics table has ${metricRows} rows, expected overall + 2 folds`);
        const importance = page.getByTestId("importance-chart");
        await importance.locator(".importance-bar").first().waitFor();
        const gainBars = await importance.locator(".importance-bar").count();
        check(gainBars > 0, "the importance chart has no bars");
        await page.getByTestId("decisions-table").locator("tbody tr").first().waitFor();
        check((await page.getByRole("button", { name: "Promote" }).isDisabled()), "Promote is enabled on the champion");
        await screenshot(page, "16-model-detail-gain", { fullPage: true });
        await page.getByRole("group", { name: "Importance kind" }).getByRole("button", { name: "Split" }).click();
        await page.locator('[data-testid="importance-chart"][data-kind="split"]').waitFor();
        const splitApi = await getJson(`${base}/api/v1/models/${version}/importance?kind=split&horizon=5`);
        const splitBars = await page.getByTestId("importance-chart").locator(".importance-bar").count();
        check(splitBars === Math.min(25, splitApi.body.data.items.length),
          `the split chart has ${splitBars} bars, the API ${splitApi.body.data.items.length} features`);
        await page.getByTestId("importance-chart").screenshot({ path: join(OUTPUT, "17-importance-split.png"), animations: "disabled" });
        context.trainedVersion = version;
        context.champion = version;
      },
    },
    {
      name: "generate signals with the champion live; ranked table",
      async run(page, context) {
        await nav(page, "Signals");
        await page.getByRole("heading", { name: "Signals", level: 1 }).waitFor();
        const form = page.getByTestId("signals-form");
        await form.getByLabel("Model version").selectOption("champion");
        await form.getByRole("button", { name: "Generate signals" }).click();
        const card = page.getByTestId("signals-job").locator(".job-card");
        await card.waitFor();
        await page
          .locator('[data-testid="signals-job"] .job-card[data-status="succeeded"], [data-testid="signals-job"] .job-card[data-status="failed"]')
          .waitFor({ timeout: PREDICT_TIMEOUT_MS });
        if ((await card.getAttribute("data-status")) === "failed") {
          throw new StepFailure(`the predict job failed: ${await card.getByTestId("job-error").textContent()}`);
        }
        // The finished job moves the page to its set (?version=…); until then the champion's
        // newest set may show and be replaced, so count the rows of the job's set only.
        await page.waitForURL((url) => url.searchParams.get("version") !== null);
        const table = page.getByTestId("signals-table");
        const rows = table.locator("tbody tr");
        await rows.first().waitFor();
        const count = await rows.count();
        check(count >= 10, `the signals table has ${count} rows, expected at least 10`);
        const ranks = (await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute("data-rank")))));
        // competition ranking: a row either ties the one above (same rank) or ranks at its position
        check(ranks.every((rank, index) => rank === index + 1 || (index > 0 && rank === ranks[index - 1])),
          `ranks are not 1..${count} in competition order: ${ranks.slice(0, 12).join(",")}`);
        const url = new URL(page.url());
        check(url.searchParams.get("version") === context.trainedVersion,
          `the page shows version ${url.searchParams.get("version")}, not the champion ${context.trainedVersion}`);
        const api = await getJson(`${base}/api/v1/signals?${url.searchParams.toString()}`);
        const scored = api.body.data.signals.length;
        check(count === Math.min(50, scored), `API has ${scored} signals, the table shows ${count} (top 50 expected)`);
        const first = api.body.data.signals[0];
        check((await rows.first().getAttribute("data-ticker")) === first.ticker, "the first row is not the API's rank 1");
        await screenshot(page, "18-signals", { fullPage: true });
        if (scored > 50) {
          await page.getByRole("button", { name: `Show all ${scored}` }).click();
          await waitFor("every signal to be listed", async () => {
            const shown = await rows.count();
            return shown === scored ? null : `${shown} rows`;
          }, STEP_TIMEOUT_MS);
        }
      },
    },
    {
      name: "run a short walk-forward backtest live; result with KPIs, equity chart and trades",
      async run(page, context) {
        await nav(page, "Backtests");
        await page.getByRole("heading", { name: "Backtests", level: 1 }).waitFor();
        const form = page.getByTestId("backtest-form");
        await form.waitFor();
        const fill = async (label, value) => form.getByLabel(label, { exact: true }).fill(value);

        // The walk-forward group shows only for walk_forward, the risk group only with risk on.
        await form.getByLabel("Model version").selectOption("champion");
        check((await page.getByTestId("walk-forward-fields").count()) === 0, "walk-forward settings shown for a registry version");
        await form.getByLabel("Model version").selectOption("walk_forward");
        await page.getByTestId("walk-forward-fields").waitFor();
        check((await page.getByTestId("risk-fields").count()) === 0, "risk settings shown with risk management off");

        // Outside the contract's bounds: caught in the browser, nothing is sent.
        await fill("Retrain every (trading days)", "5");
        await form.getByRole("button", { name: "Run backtest" }).click();
        await form.locator(".field-invalid .field-error", { hasText: "must be ≥ 21" }).waitFor();
        check(context.backtestRequests === 0, "an out-of-bounds retrain_every was sent to the server");

        await fill("Years", "2");
        await fill("Max positions", "5");
        await fill("Retrain every (trading days)", "126");
        await fill("Min training days", "252");
        await fill("Boosting rounds (n_estimators)", "20");
        const started = Date.now();
        await form.getByRole("button", { name: "Run backtest" }).click();
        const card = page.getByTestId("backtest-jobs").locator(".job-card").first();
        await card.waitFor();
        check(context.backtestRequests === 1, `the form sent ${context.backtestRequests} requests, expected 1`);
        const sent = context.backtestBodies[0];
        check(sent?.walk_forward?.retrain_every === 126 && sent?.walk_forward?.lightgbm?.n_estimators === 20 && sent?.years === 2,
          `the request body is not the short walk-forward run: ${JSON.stringify(sent)}`);
        const jobId = await card.getAttribute("data-job-id");
        await card.getByRole("progressbar").waitFor();
        await screenshot(page, "19-backtest-running-live");
        await page
          .locator(`.job-card[data-job-id="${jobId}"][data-status="succeeded"], .job-card[data-job-id="${jobId}"][data-status="failed"]`)
          .waitFor({ timeout: BACKTEST_TIMEOUT_MS });
        if ((await card.getAttribute("data-status")) === "failed") {
          throw new StepFailure(`the backtest job failed: ${await card.getByTestId("job-error").textContent()}`);
        }
        console.log(`     backtest job succeeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        await card.locator('.stream[data-last-event="done"]').waitFor();
        const trail = (await card.locator(".stream").textContent()) ?? "";
        check(trail.includes("progress") && trail.includes("completed") && trail.includes("done"),
          `the backtest card did not follow the job over SSE: "${trail}"`);
        // The stored list was refetched when the job finished.
        const link = card.getByTestId("backtest-link");
        const href = (await link.getAttribute("href")) ?? "";
        const backtestId = href.split("/").pop();
        await page.locator(`[data-testid="backtests-table"] tr[data-backtest-id="${backtestId}"]`).waitFor();
        await screenshot(page, "20-backtest-succeeded", { fullPage: true });

        await link.click();
        await page.getByRole("heading", { name: `Backtest ${backtestId.slice(0, 8)}`, level: 1 }).waitFor();
        await page.getByTestId("kpi-cards").waitFor();
        for (const key of ["total_return", "cagr", "sharpe", "sortino", "max_drawdown", "win_rate", "trades"]) {
          await page.getByTestId(`kpi-${key}`).waitFor();
        }
        const summary = (await getJson(`${base}/api/v1/backtests/${backtestId}`)).body.data;
        const shownTrades = ((await page.getByTestId("kpi-trades-net").textContent()) ?? "").replace(/[^0-9]/g, "");
        check(Number(shownTrades) === summary.net.trades, `the trades card shows ${shownTrades}, the API ${summary.net.trades}`);
        const gauge = page.getByTestId("overfitting-gauge");
        check((await gauge.getAttribute("data-count")) === String(summary.backtests_on_data),
          "the overfitting gauge does not show the API's backtests_on_data");
        check(((await gauge.textContent()) ?? "").includes("run on this data"), "the overfitting gauge has no wording");
        await page.getByTestId("benchmark-comparison").waitFor();
        await page.getByTestId("performance-table").locator("tbody tr").first().waitFor();

        const equityChart = page.getByTestId("equity-chart");
        await equityChart.locator("canvas").first().waitFor();
        await waitFor("the equity chart to be drawn", async () => canvasDrawn(equityChart), STEP_TIMEOUT_MS);
        const equity = (await getJson(`${base}/api/v1/backtests/${backtestId}/equity`)).body.data;
        check(Number(await page.getByTestId("equity-points").textContent()) === equity.points.length,
          `the equity chart does not have the API's ${equity.points.length} points`);
        await page.getByTestId("drawdown-chart").locator("canvas").first().waitFor();

        const rows = page.getByTestId("trades-table").locator("tbody tr");
        await rows.first().waitFor();
        const count = await rows.count();
        check(count >= 1, "the trades table has no row");
        const trades = (await getJson(`${base}/api/v1/backtests/${backtestId}/trades?limit=50`)).body.data;
        check(count === trades.items.length, `the trades table shows ${count} rows, the API's first page ${trades.items.length}`);
        check((await rows.first().getAttribute("data-ticker")) === trades.items[0].ticker, "the first trade row is not the API's first");
        if (trades.next_cursor) {
          await page.getByRole("button", { name: "Next →" }).click();
          await page.getByTestId("trades-range").filter({ hasText: /^51–/ }).waitFor();
          await page.getByRole("button", { name: "← Previous" }).click();
          await page.getByTestId("trades-range").filter({ hasText: /^1–/ }).waitFor();
        }
        await screenshot(page, "21-backtest-result", { fullPage: true });
        context.backtestSharpe = summary.net.sharpe;
        context.backtestId = backtestId;
      },
    },
    {
      name: "health page: overall light, 8 components, history chart, champion's age; header status elsewhere",
      async run(page, context) {
        const LEVELS = ["ok", "warning", "critical"];
        await nav(page, "Health");
        await page.getByRole("heading", { name: "Health", level: 1 }).waitFor();
        const overall = page.getByTestId("overall-status");
        await overall.waitFor();
        const level = await overall.getAttribute("data-status");
        check(LEVELS.includes(level), `the overall light shows "${level}", not one of ${LEVELS.join("/")}`);
        const word = { ok: "OK", warning: "Warning", critical: "Critical" }[level];
        check(((await overall.textContent()) ?? "").includes(word), `the overall light has no word "${word}" beside its colour`);
        // The header and the page read one cached getQuickStatus answer: they always agree.
        await waitFor("the header light to agree with the page", async () => {
          const header = await page.getByTestId("header-status").getAttribute("data-status");
          const shown = await overall.getAttribute("data-status");
          return header === shown ? null : `header ${header}, page ${shown}`;
        }, STEP_TIMEOUT_MS);

        const cards = page.getByTestId("status-card");
        const names = await cards.evaluateAll((items) => items.map((item) => item.getAttribute("data-component")));
        const expected = ["data_freshness", "model_age", "ic_trend", "disagreement", "job_queue", "disk", "registry", "cache"];
        check(JSON.stringify(names) === JSON.stringify(expected), `the component cards are ${names.join(", ")}`);
        const statuses = await cards.evaluateAll((items) => items.map((item) => item.getAttribute("data-status")));
        check(statuses.every((status) => LEVELS.includes(status)), `a component card has no level: ${statuses.join(", ")}`);
        const registry = page.locator('[data-testid="status-card"][data-component="registry"]');
        check(((await registry.getByTestId("status-value").textContent()) ?? "").includes("readable: yes"),
          "the registry card does not read 'readable: yes' with a trained champion");

        // A snapshot is written at startup; wait until the API has one, then load the chart afresh.
        let valued = 0;
        await waitFor("a stored snapshot of the registry", async () => {
          const { status, body } = await getJson(`${base}/api/v1/health/history?component=registry`);
          valued = status === 200 ? body.data.points.filter((point) => point.value !== null).length : 0;
          return valued > 0 ? null : `${status}: ${valued} snapshot(s) with a value`;
        }, STEP_TIMEOUT_MS);
        await page.getByLabel("Component", { exact: true }).selectOption("registry");
        await page.getByRole("group", { name: "Time range" }).getByRole("button", { name: "24 h" }).click();
        const chart = page.getByTestId("history-chart");
        await chart.locator("canvas").first().waitFor();
        await waitFor("the history chart to be drawn", async () => canvasDrawn(chart), STEP_TIMEOUT_MS);
        const points = Number(await page.getByTestId("history-points").textContent());
        check(points >= 1 && points <= valued, `the history chart has ${points} points, the API ${valued} snapshots`);
        const trend = await page.getByTestId("history-trend").getAttribute("data-direction");
        check(valued >= 2 ? ["up", "down", "flat"].includes(trend) : trend === "none",
          `with ${valued} snapshot(s) the trend reads "${trend}"`);

        const age = (await getJson(`${base}/api/v1/health/model-age`)).body.data;
        check(age.version === context.trainedVersion, `the API's champion is ${age.version}, not ${context.trainedVersion}`);
        await page.getByTestId("model-age-version").filter({ hasText: context.trainedVersion }).waitFor();
        await page.getByTestId("model-age-days").filter({ hasText: /days?$/ }).waitFor();

        // IC and disagreement show what the API has: a chart, or their empty state.
        const ic = await getJson(`${base}/api/v1/tracking/ic`);
        check(ic.status === 200, `getIcHistory answered ${ic.status} ${ic.body.error?.code} with a champion`);
        if (ic.body.data.points.length === 0) {
          await page.getByTestId("ic-empty").waitFor();
        } else {
          await page.getByTestId("ic-chart").locator("canvas").first().waitFor();
        }
        const disagreement = await getJson(`${base}/api/v1/tracking/disagreement`);
        if (disagreement.status === 404 || disagreement.body.data.points.length === 0) {
          await page.getByTestId("disagreement-empty").waitFor();
        } else {
          await page.getByTestId("disagreement-table").locator("tbody tr").first().waitFor();
        }
        await screenshot(page, "22-health", { fullPage: true });

        // Every page's header shows the status and links to the Health page.
        await nav(page, "Models");
        await page.getByRole("heading", { name: "Models", level: 1 }).waitFor();
        const header = page.getByTestId("header-status");
        await waitFor("the header status on the Models page", async () => {
          const state = await header.getAttribute("data-status");
          return LEVELS.includes(state) ? null : `it shows "${state}"`;
        }, STEP_TIMEOUT_MS);
        check((await header.getAttribute("href")) === "/health", "the header status does not link to /health");
        await page.locator("header.topbar").screenshot({ path: join(OUTPUT, "23-header-status.png"), animations: "disabled" });
        await header.click();
        await page.getByRole("heading", { name: "Health", level: 1 }).waitFor();
      },
    },
    {
      name: "autopilot: run one live cycle now, six steps followed to the end; the paper account it opened",
      async run(page, context) {
        const STEPS = ["data_refresh", "train", "governance", "signals", "paper", "tracking"];
        await nav(page, "Autopilot");
        await page.getByRole("heading", { name: "Autopilot", level: 1 }).waitFor();
        const before = (await getJson(`${base}/api/v1/autopilot`)).body.data;
        check(before.config.mode === "live", `the autopilot starts in ${before.config.mode} mode, not live (directory data)`);
        check(before.running_job_id === null && before.cycles.length === 0, "a cycle ran before the test asked for one");
        check(before.champion === context.champion, `the autopilot's champion is ${before.champion}, not ${context.champion}`);
        await page.getByTestId("autopilot-mode").filter({ hasText: "live" }).waitFor();
        await page.getByTestId("autopilot-champion").filter({ hasText: context.champion }).waitFor();
        // Live mode's minimum interval is shown at the field.
        await page.getByTestId("autopilot-form").getByText("at least 3600 in live mode (1 h)", { exact: false }).waitFor();

        const runNow = page.getByRole("button", { name: "Run now" });
        const started = Date.now();
        await runNow.click();
        const card = page.getByTestId("autopilot-job");
        await card.waitFor();
        const jobId = await card.getAttribute("data-job-id");
        // While the cycle runs: Run now is disabled and the card says which step runs.
        const messages = new Set();
        let sawDisabled = false;
        await waitFor("the cycle's job to finish", async () => {
          const message = ((await card.getByTestId("autopilot-progress").textContent()) ?? "").trim();
          messages.add(message);
          const status = await card.getAttribute("data-status");
          if (status === "running" || status === "queued") {
            if (await runNow.isDisabled()) sawDisabled = true;
            return `job ${status}: ${message}`;
          }
          return null;
        }, AUTOPILOT_TIMEOUT_MS);
        const seconds = ((Date.now() - started) / 1000).toFixed(1);
        if ((await card.getAttribute("data-status")) !== "succeeded") {
          throw new StepFailure(`the autopilot job ended ${await card.getAttribute("data-status")}: ${await card.textContent()}`);
        }
        console.log(`     autopilot cycle succeeded in ${seconds} s`);
        check(sawDisabled, "Run now was never disabled while the cycle ran");
        const stepMessages = [...messages].filter((message) => /^step [1-6]\/6: [a-z_]+$/.test(message));
        check(stepMessages.length > 0, `the job card never showed "step k/6: name": ${[...messages].join(" | ")}`);
        check(stepMessages.every((message) => STEPS.includes(message.split(": ")[1])), `unknown step in ${stepMessages.join(", ")}`);
        await card.locator('.stream[data-last-event="done"]').waitFor();

        // The latest cycle: this job, succeeded, every one of the six steps finished (succeeded or skipped).
        const latest = page.locator(`[data-testid="latest-cycle"][data-job-id="${jobId}"][data-status="succeeded"]`);
        await latest.waitFor();
        await latest.locator('[data-testid="cycle-steps"][data-complete="true"]').waitFor();
        const shown = await latest.locator("[data-step]").evaluateAll((items) =>
          items.map((item) => [item.getAttribute("data-step"), item.getAttribute("data-status")]),
        );
        check(JSON.stringify(shown.map(([name]) => name)) === JSON.stringify(STEPS), `the steps are ${shown.map(([name]) => name).join(", ")}`);
        const state = (await getJson(`${base}/api/v1/autopilot`)).body.data;
        const cycle = state.cycles.find((item) => item.job_id === jobId);
        check(cycle?.status === "succeeded", `the API's cycle ${jobId} is ${cycle?.status}`);
        const api = STEPS.map((name) => [name, cycle.steps.find((item) => item.name === name)?.status]);
        check(JSON.stringify(shown) === JSON.stringify(api),
          `the page's steps ${JSON.stringify(shown)} differ from the API's ${JSON.stringify(api)}`);
        check(api.every(([, status]) => status === "succeeded" || status === "skipped"), `a step did not finish: ${JSON.stringify(api)}`);
        check(cycle.steps.find((item) => item.name === "train").status === "succeeded", "the live cycle trained no challenger");
        const row = page.locator(`[data-testid="cycles-table"] tr[data-job-id="${jobId}"][data-status="succeeded"]`);
        await row.waitFor();
        const verdict = await row.getByTestId("cycle-decision").getAttribute("data-verdict");
        check(verdict === "promoted" || verdict === "kept", `the cycle's decision reads "${verdict}", not promoted or kept`);
        await waitFor("Run now to be enabled again", async () => ((await runNow.isDisabled()) ? "disabled" : null), STEP_TIMEOUT_MS);
        await screenshot(page, "23a-autopilot-cycle", { fullPage: true });
        for (const item of cycle.steps) console.log(`     ${item.name}: ${item.status} (${item.duration_seconds ?? "—"} s)`);
        context.champion = state.champion;

        // The paper account the cycle opened: KPI cards, orders placed at as-of (they fill at
        // the next stored open, so they exist before any fill), the equity chart drawn.
        await nav(page, "Paper");
        await page.getByRole("heading", { name: "Paper trading", level: 1 }).waitFor();
        const kpis = page.getByTestId("paper-kpis");
        await kpis.waitFor();
        for (const key of ["equity", "cash", "exposure", "positions", "pnl", "return"]) await kpis.getByTestId(`kpi-${key}`).waitFor();
        const account = (await getJson(`${base}/api/v1/paper/account`)).body.data;
        const equityShown = ((await kpis.getByTestId("kpi-equity-value").textContent()) ?? "").replace(/,/g, "");
        check(Number(equityShown) === Math.round(account.equity), `the equity card shows ${equityShown}, the API ${account.equity}`);
        check(account.as_of === cycle.as_of, `the account is marked at ${account.as_of}, the cycle ran at ${cycle.as_of}`);
        const orders = (await getJson(`${base}/api/v1/paper/orders?limit=50`)).body.data;
        check(orders.items.length >= 1, "the API lists no paper order after a cycle");
        const orderRows = page.getByTestId("orders-table").locator("tbody tr");
        await orderRows.first().waitFor();
        const orderCount = await orderRows.count();
        check(orderCount === orders.items.length, `the orders table shows ${orderCount} rows, the API ${orders.items.length}`);
        check((await orderRows.first().getAttribute("data-order-id")) === orders.items[0].order_id, "the first order row is not the API's first");
        const equity = (await getJson(`${base}/api/v1/paper/equity`)).body.data;
        const chart = page.getByTestId("paper-equity-chart");
        await chart.locator("canvas").first().waitFor();
        await waitFor("the paper equity chart to be drawn", async () => canvasDrawn(chart), STEP_TIMEOUT_MS);
        check(Number(await page.getByTestId("paper-equity-points").textContent()) === equity.points.length,
          `the equity chart does not have the API's ${equity.points.length} marks`);
        await screenshot(page, "23b-paper", { fullPage: true });
        const orderStatuses = [...new Set(orders.items.map((item) => item.status))].join(", ");
        console.log(`     paper: ${orders.items.length} order(s) (${orderStatuses}), ${equity.points.length} mark(s)`);

        // Reset asks first, then the account is gone until the next cycle.
        page.once("dialog", (dialog) => void dialog.accept());
        await page.getByRole("button", { name: "Reset" }).click();
        await page.getByTestId("paper-empty").filter({ hasText: "No paper account yet: run an autopilot cycle" }).waitFor();
        const gone = await getJson(`${base}/api/v1/paper/account`);
        check(gone.status === 404, `after Reset the account answers ${gone.status}, not 404`);
      },
    },
    {
      name: "overview shows the dashboard with the latest backtest",
      async run(page, context) {
        await nav(page, "Overview");
        await page.getByTestId("dashboard").waitFor();
        const latest = page.getByTestId("dashboard-latest-backtest");
        await latest.getByTestId("dashboard-latest-sharpe").waitFor();
        const shown = ((await latest.getByTestId("dashboard-latest-sharpe").textContent()) ?? "").trim();
        const expected = context.backtestSharpe === null ? "—" : context.backtestSharpe.toFixed(2);
        check(shown === expected, `the dashboard shows Sharpe ${shown}, the backtest's is ${expected}`);
        await latest.locator(`a[href="/backtests/${context.backtestId}"]`).waitFor();
        const champion = (await page.getByTestId("dashboard-champion").textContent()) ?? "";
        check(champion.includes(context.champion), `the dashboard's champion is not ${context.champion}: "${champion}"`);
        const gauge = ((await page.getByTestId("dashboard-backtests-on-data").locator(".gauge").textContent()) ?? "").trim();
        check(gauge === "1 backtest run on this data", `the dashboard's gauge is not 1 backtest: "${gauge}"`);
        await screenshot(page, "24-overview-dashboard", { fullPage: true });
      },
    },
  ];
}

// ---------------------------------------------------------------- main
async function main() {
  for (const [path, hint] of [
    [DIST_INDEX, "build the UI first: npm run build"],
    [PYTHON, "create the virtualenv first (make run or make test does)"],
    [DATA_DIR, "the S&P 500 sample is expected at <repo>/../shared/data/sp500_5yr"],
    [CHROMIUM, "install it: apt-get install -y chromium"],
  ]) {
    if (!existsSync(path)) throw new StepFailure(`missing ${path}: ${hint}`);
  }
  rmSync(OUTPUT, { recursive: true, force: true });
  mkdirSync(OUTPUT, { recursive: true });
  const home = mkdtempSync(join(tmpdir(), "qe-e2e-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const started = Date.now();
  const server = startServer(port, home);
  let browser;
  const cleanup = async () => {
    await browser?.close().catch(() => {});
    await stopServer(server);
    rmSync(home, { recursive: true, force: true });
  };
  process.once("SIGINT", () => void cleanup().then(() => process.exit(130)));

  try {
    server.once("exit", (code) => {
      if (code !== null && code !== 0) console.error(`server exited with ${code}; see e2e-output/server.log`);
    });
    await waitFor("the server's /api/v1/health", async () => {
      if (server.exitCode !== null) throw new StepFailure("the server exited; see e2e-output/server.log");
      return (await getJson(`${base}/api/v1/health`)).status === 200 ? null : "not healthy";
    }, SERVER_START_TIMEOUT_MS);
    await waitFor("the first data import", async () => {
      const { status, body } = await getJson(`${base}/api/v1/data/mode`);
      return status === 200 ? null : `${status} ${body.error?.code}`;
    }, FIRST_IMPORT_TIMEOUT_MS);
    console.log(`server ready on ${base} in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
    const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    const context = {
      priceRequests: 0,
      trainRequests: 0,
      backtestRequests: 0,
      backtestBodies: [],
      pageErrors: [],
      trainedVersion: null,
      champion: null,
      backtestSharpe: null,
      backtestId: null,
    };
    page.on("request", (request) => {
      if (request.url().endsWith("/api/v1/pricing/price")) context.priceRequests += 1;
      if (request.url().endsWith("/api/v1/models/train")) context.trainRequests += 1;
      if (request.url().endsWith("/api/v1/backtests") && request.method() === "POST") {
        context.backtestRequests += 1;
        context.backtestBodies.push(request.postDataJSON());
      }
    });
    page.on("pageerror", (error) => context.pageErrors.push(error.message));
    const consoleErrors = [];
    page.on("console", (message) => {
      if (message.type() === "error") consoleErrors.push(message.text());
    });

    for (const step of makeSteps(base)) {
      const stepStart = Date.now();
      try {
        await step.run(page, context);
      } catch (error) {
        const shot = join(OUTPUT, "failure.png");
        await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
        throw new StepFailure(`step "${step.name}" failed: ${error.message}\n  (screenshot: ${shot})`);
      }
      check(context.pageErrors.length === 0, `uncaught error in the page during "${step.name}": ${context.pageErrors.join("; ")}`);
      console.log(`ok   ${step.name} (${((Date.now() - stepStart) / 1000).toFixed(1)} s)`);
    }
    if (consoleErrors.length > 0) {
      console.log(`note: the browser console logged ${consoleErrors.length} error(s):\n  ${consoleErrors.join("\n  ")}`);
    }
    console.log(`e2e passed in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${OUTPUT}`);
  } finally {
    await cleanup();
  }
}

main().catch((error) => {
  console.error(`e2e FAILED: ${error instanceof StepFailure ? error.message : error.stack}`);
  process.exit(1);
});
