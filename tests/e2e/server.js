// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// One Socket.IO node of the end-to-end tests, run in a backend's namespace.
//
//   node server.js --name b1 [--port 3000] [--redis redis://10.77.0.2:6379]
//                  [--ping-interval 1000] [--ping-timeout 2000]
//
// It listens on [::]:PORT, so the VIPs that backend-setup.sh puts on lo (IPv4
// and IPv6) reach it: with direct server return the packets arrive addressed
// to the VIP. Nodes share a Redis adapter, so io.emit on one node reaches the
// clients of every node. Besides /socket.io/ it answers, on the backend's own
// address, GET /stats (counters as JSON), POST /reset (zero them) and
// POST /emit?seq=N (io.emit("hi") from this node), for the test driver.
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");
const { createAdapter } = require("@socket.io/redis-adapter");
const { createClient } = require("redis");

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const name = option("name", "node");
const port = Number(option("port", 3000));
const redisUrl = option("redis", "redis://10.77.0.2:6379");

// Dual-stack sockets report IPv4 peers as ::ffff:a.b.c.d; the tests use a.b.c.d.
const plain = (addr) => (addr || "").replace(/^::ffff:/, "");

let stats;
function resetStats() {
  stats = {
    connections: 0, // Socket.IO sessions opened
    disconnects: {}, // reason -> count
    connectionErrors: {}, // engine.io error code -> count (1 = Session ID unknown)
    upgrades: 0, // sessions moved from polling to WebSocket
    requests: {}, // client address -> HTTP requests and upgrades served
    errorsFrom: {}, // client address -> refused requests
    foreign: 0, // requests of a session from an address other than its handshake's
    wrongNode: 0, // refused requests whose session this node never created
    errorLog: [], // the first refused requests, in full
  };
}
resetStats();

const count = (map, key) => {
  map[key] = (map[key] || 0) + 1;
};

const httpServer = http.createServer((req, res) => {
  // Socket.IO handles /socket.io/ itself; anything else is the driver's.
  const url = new URL(req.url, "http://x");
  const reply = (code, body) => {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  if (req.method === "GET" && url.pathname === "/stats") {
    return reply(200, {
      name,
      connected: io.of("/").sockets.size,
      sessions: [...io.of("/").sockets.values()].map((s) => ({
        address: plain(s.handshake.address),
        transport: s.conn.transport.name,
      })),
      ...stats,
    });
  }
  if (req.method === "POST" && url.pathname === "/reset") {
    resetStats();
    return reply(200, { ok: true });
  }
  if (req.method === "POST" && url.pathname === "/emit") {
    // Through the adapter: every node sends it to its own clients.
    io.emit("hi", { from: name, seq: Number(url.searchParams.get("seq")) });
    return reply(200, { ok: true });
  }
  reply(404, { error: "not found" });
});

const io = new Server(httpServer, {
  pingInterval: Number(option("ping-interval", 1000)),
  pingTimeout: Number(option("ping-timeout", 2000)),
  // No cookie: stickiness must come from the balancer, by client address.
  cookie: false,
});

// Every request a node refuses; code 1 is "Session ID unknown", the error
// that a request reaching the wrong node gets.
// Every session this node created: a request for a session it never created
// reached the wrong node; one for a session it has closed came too late.
const issued = new Set();

io.engine.on("connection_error", (err) => {
  count(stats.connectionErrors, err.code);
  const sid = err.req && err.req._query && err.req._query.sid;
  if (err.code === 1 && sid && !issued.has(sid)) stats.wrongNode++;
  count(stats.errorsFrom, plain(err.req && err.req.socket && err.req.socket.remoteAddress));
  // The first few in full, to tell a wrong node from a late request.
  if (stats.errorLog.length < 10) {
    stats.errorLog.push({
      at: Date.now(),
      code: err.code,
      message: err.message,
      from: plain(err.req && err.req.socket && err.req.socket.remoteAddress),
      method: err.req && err.req.method,
      url: err.req && err.req.url,
    });
  }
});

// Every request served, by the address it came from: shows which node each
// client's connections reached, and that they all came from the client's own
// address.
io.engine.on("connection", (conn) => issued.add(conn.id));

io.engine.on("headers", (headers, req) => {
  const from = plain(req.socket.remoteAddress);
  count(stats.requests, from);
  const sid = req._query && req._query.sid;
  const conn = sid && io.engine.clients[sid];
  if (conn && plain(conn.remoteAddress) !== from) stats.foreign++;
});

io.on("connection", (socket) => {
  stats.connections++;
  socket.conn.on("upgrade", () => stats.upgrades++);
  socket.on("disconnect", (reason) => count(stats.disconnects, reason));
  // Tells the client which node it reached and the address the node saw.
  socket.emit("welcome", { backend: name, address: plain(socket.handshake.address) });
});

async function main() {
  const pub = createClient({ url: redisUrl });
  const sub = pub.duplicate();
  for (const c of [pub, sub]) c.on("error", (e) => console.error(`${name}: redis: ${e.message}`));
  await Promise.all([pub.connect(), sub.connect()]);
  io.adapter(createAdapter(pub, sub));
  httpServer.listen(port, "::", () => console.log(`${name}: listening on [::]:${port}, pid ${process.pid}`));
}

main().catch((e) => {
  console.error(`${name}: ${e.message}`);
  process.exit(1);
});
