// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// The client side of the end-to-end tests, run in the client namespace: many
// Socket.IO clients, each from its own source address, driven by one-line
// commands on stdin, each answered by one line on stdout (the shell test
// holds this process as a coprocess and acts on the balancer in between).
//
//   node client.js [--vip4 10.77.100.1] [--vip6 fd77::100] [--port 3000]
//
// Commands:
//   start polling|default N4 N6   N4 more IPv4 and N6 more IPv6 clients connect
//   wait MS [upgraded] [not=bN] [pings=N]
//                                 until every client is connected (on WebSocket)
//                                 (to a node other than bN) (and saw N pings)
//   backends ADDR,ADDR...         the nodes' own addresses, for reset/stats/emit
//   reset                         zero the counters, here and on every node
//   stats                         one line of key=value counters, both sides
//   emit ADDR MS                  io.emit from node ADDR; wait until all have it
//   stop                          close every client
//   settle MS                     until no node has a Socket.IO session left
//   quit
"use strict";

const http = require("node:http");
const readline = require("node:readline");
const { io } = require("socket.io-client");

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const vip4 = option("vip4", "10.77.100.1");
const vip6 = option("vip6", "fd77::100");
const port = Number(option("port", 3000));
// The client's backoff; the kill test's reconnect bound adds it to detection.
const reconnectionDelay = 500;
const reconnectionDelayMax = 1000;

// The same client addresses as scripts/topology.sh.
const addr4 = (i) => `10.77.${2 + Math.floor((i - 1) / 250)}.${((i - 1) % 250) + 1}`;
const addr6 = (i) => `fd77::2:${i.toString(16)}`;

let clients = [];
let nodes = []; // the nodes' own addresses (control endpoint on the same port)
let seq = 0;
// The next client address of each family: a second `start` adds new clients.
let next4 = 1;
let next6 = 1;

const now = () => Date.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const count = (map, key) => {
  map[key] = (map[key] || 0) + 1;
};

function freshCounters(c) {
  c.connects = 0;
  c.connectErrors = 0;
  c.disconnects = {};
  c.upgrades = 0;
  c.messages = 0;
  c.pings = 0;
  c.reconnectMs = [];
  c.backendAtReset = c.connected ? c.backend : null;
  c.disconnectedFrom = null;
}

function startClient(addr, vip, transports) {
  const url = vip.includes(":") ? `http://[${vip}]:${port}` : `http://${vip}:${port}`;
  const c = { addr, backend: null, connected: false, addrOk: false, lastSeq: 0, downSince: null };
  freshCounters(c);
  // keepAlive off: every polling request is a new TCP connection from a new
  // port, as the stickiness problem needs.
  c.agent = new http.Agent({ keepAlive: false, localAddress: addr });
  c.socket = io(url, {
    transports,
    forceNew: true,
    // Polling requests go through http.request with this agent, and
    // engine.io-client passes only `agent` on to it, so the source address
    // must live in the agent.
    agent: c.agent,
    // The WebSocket transport (ws) takes it directly.
    localAddress: addr,
    reconnectionDelay,
    reconnectionDelayMax,
    randomizationFactor: 0.5,
    timeout: 5000,
  });
  const s = c.socket;
  s.io.on("open", () => s.io.engine.on("upgrade", () => c.upgrades++));
  s.io.on("ping", () => c.pings++);
  s.on("connect", () => c.connects++);
  // Connected once the node has said who it is and whom it saw.
  s.on("welcome", (w) => {
    c.backend = w.backend;
    c.addrOk = w.address === addr;
    c.connected = true;
    if (c.downSince !== null) c.reconnectMs.push(now() - c.downSince);
    c.downSince = null;
  });
  s.on("connect_error", () => c.connectErrors++);
  s.on("disconnect", (reason) => {
    count(c.disconnects, reason);
    if (c.connected) c.disconnectedFrom = c.backend;
    c.connected = false;
    if (c.downSince === null) c.downSince = now();
  });
  s.on("hi", (m) => {
    c.messages++;
    c.lastSeq = Math.max(c.lastSeq, m.seq);
  });
  return c;
}

function request(method, addr, path) {
  return new Promise((resolve) => {
    const req = http.request({ host: addr, port, method, path, timeout: 2000 }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => {
        try {
          resolve(JSON.parse(body));
        } catch {
          resolve(null);
        }
      });
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(null));
    req.end();
  });
}

async function waitFor(pred, ms) {
  const t0 = now();
  while (!pred()) {
    if (now() - t0 > ms) return false;
    await sleep(20);
  }
  return true;
}

const upgraded = (c) => c.connected && c.socket.io.engine && c.socket.io.engine.transport.name === "websocket";
const list = (map) =>
  Object.keys(map)
    .sort()
    .map((k) => `${k}:${map[k]}`)
    .join(",") || "-";
const sum = (xs) => xs.reduce((a, b) => a + b, 0);

async function stats() {
  const out = {};
  const reasons = {};
  const perBackend = {};
  const from = {};
  const rec = [];
  for (const c of clients) {
    for (const [r, n] of Object.entries(c.disconnects)) reasons[r] = (reasons[r] || 0) + n;
    if (c.connected) count(perBackend, c.backend);
    if (c.disconnectedFrom) count(from, c.disconnectedFrom);
    rec.push(...c.reconnectMs);
  }
  out.clients = clients.length;
  out.connected = clients.filter((c) => c.connected).length;
  out.websocket = clients.filter(upgraded).length;
  out.addr_ok = clients.filter((c) => c.connected && c.addrOk).length;
  out.connects = sum(clients.map((c) => c.connects));
  out.connect_errors = sum(clients.map((c) => c.connectErrors));
  out.disconnects = sum(Object.values(reasons));
  out.disconnected_clients = clients.filter((c) => Object.keys(c.disconnects).length).length;
  out.reasons = list(reasons).replace(/ /g, "_");
  out.disconnected_from = list(from);
  out.upgrades = sum(clients.map((c) => c.upgrades));
  out.messages = sum(clients.map((c) => c.messages));
  // Ping cycles every client saw since the reset (the fewest of any client).
  out.pings_min = clients.length ? Math.min(...clients.map((c) => c.pings)) : 0;
  out.per_backend = list(perBackend);
  // Clients whose node changed since the reset (they were connected then).
  out.moved = clients.filter((c) => c.backendAtReset && c.connected && c.backend !== c.backendAtReset).length;
  out.reconnects = rec.length;
  out.reconnect_ms_max = rec.length ? Math.max(...rec) : 0;
  out.reconnect_ms_avg = rec.length ? Math.round(sum(rec) / rec.length) : 0;

  // The nodes' side. A node that does not answer (killed) is left out.
  const mine = new Set(clients.map((c) => c.addr));
  const seenOn = {}; // client address -> nodes that served or refused it
  const srvReasons = {};
  const srv = {
    connected: 0,
    connections: 0,
    session_errors: 0,
    wrong_node: 0,
    conn_errors: 0,
    disconnects: 0,
    upgrades: 0,
    foreign: 0,
  };
  const answered = [];
  for (const n of nodes) {
    const s = await request("GET", n, "/stats");
    if (!s) continue;
    answered.push(s.name);
    srv.connected += s.connected;
    srv.connections += s.connections;
    srv.session_errors += s.connectionErrors["1"] || 0;
    srv.wrong_node += s.wrongNode;
    srv.conn_errors += sum(Object.values(s.connectionErrors));
    srv.disconnects += sum(Object.values(s.disconnects));
    for (const [r, n] of Object.entries(s.disconnects)) srvReasons[r] = (srvReasons[r] || 0) + n;
    srv.upgrades += s.upgrades;
    srv.foreign += s.foreign;
    for (const a of [...Object.keys(s.requests), ...Object.keys(s.errorsFrom)]) {
      if (!mine.has(a)) continue; // the balancer's health probes, the driver
      (seenOn[a] = seenOn[a] || new Set()).add(s.name);
    }
  }
  for (const [k, v] of Object.entries(srv)) out[`srv_${k}`] = v;
  // Client addresses served by more than one node since the reset.
  out.srv_split = Object.values(seenOn).filter((s) => s.size > 1).length;
  out.srv_reasons = list(srvReasons).replace(/ /g, "_");
  out.srv_nodes = answered.join(",") || "-";
  return Object.entries(out)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
}

async function command(line) {
  const [cmd, ...args] = line.trim().split(/\s+/);
  switch (cmd) {
    case "start": {
      const transports = args[0] === "polling" ? ["polling"] : ["polling", "websocket"];
      const n4 = Number(args[1] || 0);
      const n6 = Number(args[2] || 0);
      for (let i = 0; i < n4; i++) clients.push(startClient(addr4(next4++), vip4, transports));
      for (let i = 0; i < n6; i++) clients.push(startClient(addr6(next6++), vip6, transports));
      return `started clients=${clients.length}`;
    }
    case "wait": {
      const t0 = now();
      const not = (args.find((a) => a.startsWith("not=")) || "").slice(4);
      const base = args.includes("upgraded") ? upgraded : (c) => c.connected;
      const pings = Number((args.find((a) => a.startsWith("pings=")) || "pings=0").slice(6));
      const ready = (c) => base(c) && c.backend !== not && c.pings >= pings;
      const ok = await waitFor(() => clients.every(ready), Number(args[0]));
      const n = clients.filter(ready).length;
      return `${ok ? "ok" : "timeout"} ready=${n} of=${clients.length} ms=${now() - t0}`;
    }
    case "backends":
      nodes = (args[0] || "").split(",").filter(Boolean);
      return `backends ${nodes.length}`;
    case "reset":
      clients.forEach(freshCounters);
      await Promise.all(nodes.map((n) => request("POST", n, "/reset")));
      return "reset";
    case "stats":
      return await stats();
    case "emit": {
      seq++;
      const want = seq;
      const t0 = now();
      const ok = await request("POST", args[0], `/emit?seq=${want}`);
      if (!ok) return `emit error node=${args[0]} did not answer`;
      const live = clients.filter((c) => c.connected);
      await waitFor(() => live.every((c) => c.lastSeq >= want), Number(args[1] || 5000));
      const got = live.filter((c) => c.lastSeq >= want).length;
      return `emit seq=${want} delivered=${got} of=${live.length} ms=${now() - t0}`;
    }
    case "stop":
      // close() leaves a request whose connection is still being set up to
      // go out later; destroying the agent's sockets ends those too.
      for (const c of clients) {
        c.socket.close();
        c.agent.destroy();
      }
      clients = [];
      next4 = next6 = 1;
      await sleep(300);
      return "stopped";
    case "settle": {
      // Sessions a node still holds for closed clients end at its ping
      // timeout; the next scenario starts without them.
      // Late requests of closed clients are refused; wait for a quiet second.
      const t0 = now();
      let left = -1;
      let errors = -1;
      let quietSince = now();
      while (now() - t0 < Number(args[0] || 8000)) {
        const all = (await Promise.all(nodes.map((n) => request("GET", n, "/stats")))).filter(Boolean);
        left = sum(all.map((s) => s.connected));
        const e = sum(all.map((s) => sum(Object.values(s.connectionErrors))));
        if (e !== errors) quietSince = now();
        errors = e;
        if (left === 0 && now() - quietSince >= 1000) break;
        await sleep(200);
      }
      const ok = left === 0 && now() - quietSince >= 1000;
      return `${ok ? "ok" : "timeout"} sessions=${left} ms=${now() - t0}`;
    }
    case "quit":
      for (const c of clients) c.socket.close();
      process.stdout.write("bye\n", () => process.exit(0));
      return null;
    default:
      return `error unknown command '${cmd}'`;
  }
}

async function main() {
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let reply;
    try {
      reply = await command(line);
    } catch (e) {
      reply = `error ${e.message}`;
    }
    if (reply !== null) process.stdout.write(`${reply}\n`);
  }
  for (const c of clients) c.socket.close();
  process.exit(0);
}

main();
