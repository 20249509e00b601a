// A benchmark peer: a plain Socket.IO server, as its documentation shows it, websocket transport only.
// Rooms are Socket.IO rooms; a publish goes to the others in the room, and is acknowledged when the client asks.
const http = require("http");
const { Server } = require("socket.io");

const port = Number(process.argv[2] || 0);
const server = http.createServer();
const io = new Server(server, { transports: ["websocket"], serveClient: false });

io.on("connection", (socket) => {
  socket.on("join", (room, ack) => {
    socket.join(room);
    if (typeof ack === "function") ack("ok");
  });
  socket.on("publish", (room, payload, ack) => {
    socket.to(room).emit("msg", payload);
    if (typeof ack === "function") ack("ok");
  });
});

server.listen(port, "127.0.0.1", () => {
  console.log(`url: http://127.0.0.1:${server.address().port}`); // the load generator reads this line
});
