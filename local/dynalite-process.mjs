// Runs dynalite in its own process so that the database and the gateway use separate cores.
// Plain JavaScript: it starts without a TypeScript loader. Arguments: <port> [<data directory>].
import dynalite from 'dynalite';

const [port = '0', path] = process.argv.slice(2);
const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(path ? { path } : {}) });
server.listen(Number(port), '127.0.0.1', () => {
  process.send?.({ port: server.address().port });
});
// The parent owns this process: when it goes away, so do we.
process.on('disconnect', () => server.close(() => process.exit(0)));
