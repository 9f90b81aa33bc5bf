// Parsing of the pricing page's batch input: one option per CSV line,
// `spot,strike,time_to_expiry,rate,volatility,option_type[,dividend_yield,exercise,model]`.
// Only the structure is checked here (numbers are numbers, enums are enums); domain bounds
// are checked per item by the server, so one bad option fails alone.
import { EXERCISE_STYLES, OPTION_TYPES, type BatchOption, isOneOf } from "./contract";

export const BATCH_COLUMNS = [
  "spot",
  "strike",
  "time_to_expiry",
  "rate",
  "volatility",
  "option_type",
  "dividend_yield",
  "exercise",
  "model",
] as const satisfies readonly (keyof BatchOption)[];

const REQUIRED_COLUMNS = 6;
const NUMERIC_COLUMNS = ["spot", "strike", "time_to_expiry", "rate", "volatility"] as const satisfies readonly (keyof BatchOption)[];

export type BatchLine =
  | { line: number; text: string; option: BatchOption }
  | { line: number; text: string; problem: string };

function parseNumber(name: string, raw: string): number | string {
  if (raw === "") return `${name} is missing`;
  const value = Number(raw);
  return Number.isFinite(value) ? value : `${name} is not a number (“${raw}”)`;
}

/** Parse one CSV line into a batch option, or say what is structurally wrong with it. */
export function parseBatchLine(text: string, line: number): BatchLine {
  const cells = text.split(",").map((cell) => cell.trim());
  if (cells.length < REQUIRED_COLUMNS || cells.length > BATCH_COLUMNS.length) {
    return {
      line,
      text,
      problem: `expected ${REQUIRED_COLUMNS} to ${BATCH_COLUMNS.length} columns, got ${cells.length}`,
    };
  }
  const numbers: number[] = [];
  for (const [index, name] of NUMERIC_COLUMNS.entries()) {
    const value = parseNumber(name, cells[index] ?? "");
    if (typeof value === "string") return { line, text, problem: value };
    numbers.push(value);
  }
  const [spot, strike, time_to_expiry, rate, volatility] = numbers as [number, number, number, number, number];
  const optionType = (cells[5] ?? "").toLowerCase();
  if (!isOneOf(OPTION_TYPES, optionType)) {
    return { line, text, problem: `option_type must be one of ${OPTION_TYPES.join(", ")} (got “${cells[5]}”)` };
  }
  const option: BatchOption = { spot, strike, time_to_expiry, rate, volatility, option_type: optionType };
  const dividend = cells[6] ?? "";
  if (dividend !== "") {
    const value = parseNumber("dividend_yield", dividend);
    if (typeof value === "string") return { line, text, problem: value };
    option.dividend_yield = value;
  }
  const exercise = (cells[7] ?? "").toLowerCase();
  if (exercise !== "") {
    if (!isOneOf(EXERCISE_STYLES, exercise)) {
      return { line, text, problem: `exercise must be one of ${EXERCISE_STYLES.join(", ")} (got “${cells[7]}”)` };
    }
    option.exercise = exercise;
  }
  const model = cells[8] ?? "";
  if (model !== "") option.model = model;
  return { line, text, option };
}

/** Every non-blank, non-comment line; a first line starting with `spot` is a header. */
export function parseBatchCsv(input: string): BatchLine[] {
  const result: BatchLine[] = [];
  input.split(/\r\n|\r|\n/).forEach((raw, index) => {
    const text = raw.trim();
    if (text === "" || text.startsWith("#")) return;
    if (result.length === 0 && /^spot\s*,/i.test(text)) return;
    result.push(parseBatchLine(text, index + 1));
  });
  return result;
}
