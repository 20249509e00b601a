// A benchmark peer: a plain Socket.IO server, as its documentation shows it, websocket transport only.
// Rooms are Socket.IO rooms; a join is confirmed with a "joined" event; a publish goes to the others in the room
// (fire-and-forget, Socket.IO's default emit).
const http = require("http");
const { Server } = require("socket.io");

const port = Number(process.argv[2] || 0);
const server = http.createServer();
const io = new Server(server, { transports: ["websocket"], serveClient: false });

io.on("connection", (socket) => {
  socket.on("join", (room) => {
    socket.join(room);
    socket.emit("joined", room);
  });
  socket.on("publish", (room, payload) => {
    socket.to(room).emit("msg", payload);
  });
});

server.listen(port, "127.0.0.1", () => {
  console.log(`url: http://127.0.0.1:${server.address().port}`); // the load generator reads this line
});
