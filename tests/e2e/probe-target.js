// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
// A bare Socket.IO server for the socketio probe test (tests/netns/test_daemon.sh):
// listens on port 3000 (or argv[2]) and logs every Engine.IO session's open and close.
const { createServer } = require("http");
const { Server } = require("socket.io");

const port = Number(process.argv[2] || 3000);
const http = createServer();
const io = new Server(http);
io.engine.on("connection", (conn) => {
  console.log(`open ${conn.id}`);
  conn.on("close", (reason) => console.log(`close ${conn.id} ${reason}`));
});
http.listen(port, () => console.log(`listening ${port}`));
