// The Socket.IO side of the load generator: the benchmark drives Socket.IO through its own client library
// (socket.io-client), in this process, commanded by chorus-bench over stdin/stdout, one command per line:
//   in:  connect <id> <url> <room>   a new client <id> connects (websocket transport only) and joins <room>
//        pub <id> <bytes>            client <id> publishes a payload of <bytes> bytes, stamped with the monotonic clock
//   out: connected <id> | error <id> <message>
//        d <id> <micros> [<id> <micros> ...]   deliveries: receiving client and end-to-end latency in microseconds
// The stamp is process.hrtime.bigint() in nanoseconds: CLOCK_MONOTONIC, the clock .NET's Stopwatch reads on Linux.
const { io } = require("socket.io-client");
const readline = require("readline");

const clients = new Map();
let pending = [];

function flush() {
  if (pending.length > 0) {
    process.stdout.write("d " + pending.join(" ") + "\n");
    pending = [];
  }
}
setInterval(flush, 5);

readline.createInterface({ input: process.stdin }).on("line", (line) => {
  const [op, id, a, b] = line.split(" ");
  if (op === "connect") {
    const socket = io(a, { transports: ["websocket"], reconnection: false, forceNew: true, timeout: 60000 });
    clients.set(id, { socket, room: b });
    socket.on("msg", (payload) => {
      const sent = BigInt(payload.slice(0, payload.indexOf(";")));
      pending.push(id, Number((process.hrtime.bigint() - sent) / 1000n));
      if (pending.length >= 2000) flush();
    });
    socket.on("joined", () => process.stdout.write(`connected ${id}\n`));
    socket.on("connect", () => socket.emit("join", b));
    socket.on("connect_error", (e) => process.stdout.write(`error ${id} ${String(e.message).replace(/\s+/g, " ")}\n`));
  } else if (op === "pub") {
    const client = clients.get(id);
    const stamp = process.hrtime.bigint().toString() + ";";
    client.socket.emit("publish", client.room, stamp + "x".repeat(Math.max(0, Number(a) - stamp.length)));
  } else if (op === "close") {
    const client = clients.get(id);
    if (client) {
      client.socket.disconnect();
      clients.delete(id);
    }
  }
});
process.stdin.on("end", () => process.exit(0));
