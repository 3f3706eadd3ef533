// Usage: node live-client.mjs <base-url> <run-id> <metric-name>...
// Connects to /hubs/metrics with the official client, follows the run (filtered to the given
// names), prints "ready", then prints each `metrics` event as one JSON line; exits after the
// second event (or 1 on timeout/error).
import * as signalR from "@microsoft/signalr";

const [baseUrl, runId, ...names] = process.argv.slice(2);
const timeout = setTimeout(() => { console.error("timed out"); process.exit(1); }, 20000);

const connection = new signalR.HubConnectionBuilder()
  .withUrl(`${baseUrl}/hubs/metrics`, { accessTokenFactory: () => process.env.KEY ?? "" }) // KEY: an API key, when required
  .configureLogging(signalR.LogLevel.Warning)
  .build();

let received = 0;
connection.on("metrics", async (message) => {
  console.log(JSON.stringify(message));
  if (++received === 2) {
    clearTimeout(timeout);
    await connection.stop();
    process.exit(0);
  }
});

try {
  await connection.start();
  await connection.invoke("SubscribeToRun", runId, names.length ? names : null);
  console.log("ready");
} catch (err) {
  console.error(`failed: ${err}`);
  process.exit(1);
}
