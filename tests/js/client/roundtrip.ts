// Usage: node client/dist/roundtrip.js <base-url> <run-id>
// A client generated from the service's OpenAPI document (openapi-typescript types, openapi-fetch
// calls): writes a batch, reads history, latest and stats, and makes two failing requests. The
// compiler checks every request and response against the document; the results are printed as
// one JSON line for the test to check.
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/metrics-api.js";

type Problem = components["schemas"]["ProblemDetails"];
type ValidationProblem = components["schemas"]["ValidationProblemDetails"];

const [baseUrl, runId] = process.argv.slice(2);
if (!baseUrl || !runId) {
  console.error("usage: roundtrip.js <base-url> <run-id>");
  process.exit(2);
}

const client = createClient<paths>({ baseUrl });
const metric = "train/loss";

const written = await client.POST("/api/v1/metrics/batch", {
  body: {
    metrics: [
      { run_id: runId, metric_name: metric, step: 1, value: 0.5, time: "2024-05-01T12:00:00Z" },
      { run_id: runId, metric_name: metric, step: 2, value: 0.25, time: "2024-05-01T12:00:01Z" },
      { run_id: runId, metric_name: metric, step: 3, value: "Infinity", time: "2024-05-01T12:00:02Z" },
    ],
  },
});
if (!written.data) throw new Error(`write failed: ${written.response.status}`);

const path = { run_id: runId, metric_name: metric };
const history = await client.GET("/api/v1/runs/{run_id}/metrics/{metric_name}", { params: { path, query: { order: "asc" } } });
const latest = await client.GET("/api/v1/runs/{run_id}/metrics/{metric_name}/latest", { params: { path } });
const stats = await client.GET("/api/v1/runs/{run_id}/metrics/{metric_name}/stats", { params: { path } });
if (!history.data || !latest.data || !stats.data) throw new Error("a read failed");

const bad = await client.POST("/api/v1/metrics/batch", { body: { metrics: [{ run_id: runId, metric_name: "", value: 1 }] } });
const validation: ValidationProblem | undefined = bad.response.status === 400 ? (bad.error as ValidationProblem) : undefined;
const missing = await client.GET("/api/v1/runs/{run_id}/metrics/{metric_name}/latest", {
  params: { path: { run_id: runId, metric_name: "no-such-metric" } },
});
const notFound: Problem | undefined = missing.error;

console.log(JSON.stringify({
  inserted: written.data.inserted,
  history_steps: history.data.metrics.map((m) => m.step),
  history_values: history.data.metrics.map((m) => String(m.value)),
  latest_step: latest.data.step,
  latest_value: String(latest.data.value),
  stats: { count: stats.data.count, inf_count: stats.data.inf_count, min: stats.data.min_value, max: stats.data.max_value },
  bad_status: bad.response.status,
  bad_content_type: bad.response.headers.get("content-type"),
  bad_error_keys: Object.keys(validation?.errors ?? {}),
  bad_trace_id: validation?.traceId ?? null,
  not_found_status: missing.response.status,
  not_found_detail: notFound?.detail ?? null,
}));
