// A small prom-client service: HTTP requests counted by method, route and status, their
// durations in a histogram with custom buckets, a gauge of requests in flight, and prom-client's
// default metrics, served at /metrics. Written for prom-client; the one change that moves it to
// statsfs is the require line below (`require("prom-client")` before).
//
//   node examples/prom-client-service.cjs [PORT]     # prints the port it listens on
"use strict";
const http = require("node:http");
const client = require("statsfs/prom-client");

client.collectDefaultMetrics({ labels: { service: "demo" } });

const requests = new client.Counter({
  name: "http_requests_total",
  help: "HTTP requests served.",
  labelNames: ["method", "route", "code"],
});
const duration = new client.Histogram({
  name: "http_request_duration_seconds",
  help: "HTTP request duration in seconds.",
  labelNames: ["method", "route"],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
});
const inflight = new client.Gauge({ name: "http_requests_in_flight", help: "Requests being served." });

// What a few requests leave behind (fixed durations, so the numbers can be compared).
const getUser = requests.labels("GET", "/users/:id", "200");
for (const [method, route, code, seconds] of [
  ["GET", "/users/:id", 200, 0.004],
  ["GET", "/users/:id", 200, 0.02],
  ["POST", "/users", 201, 0.3],
  ["GET", "/health", 200, 0.0001],
  ["GET", "/users/:id", 404, 2],
]) {
  inflight.inc();
  requests.inc({ method, route, code });
  duration.observe({ method, route }, seconds);
  inflight.dec();
}
getUser.inc(3);
inflight.set(2);

const server = http.createServer(async (req, res) => {
  if (req.url === "/metrics") {
    res.setHeader("Content-Type", client.register.contentType);
    res.end(await client.register.metrics());
    return;
  }
  res.statusCode = 404;
  res.end();
});
server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
  process.stdout.write(`${server.address().port}\n`);
});
