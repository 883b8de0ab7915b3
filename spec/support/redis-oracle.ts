// A private redis-server and a minimal RESP2 client for differential tests: emberkv's replies are
// compared with what real Redis answers. Each call gets a fresh server on a free loopback port with
// persistence off and its own temp dir, so parallel spec files never share state.
//
// The client is deliberately tiny: commands go out as RESP arrays of bulk strings, replies are
// matched to calls in order (so firing many calls before awaiting them pipelines them), and error
// replies resolve as `{ error }` values instead of rejecting, so tests can compare them like data.
// The socket keeps the process alive only while replies are outstanding, and the server is killed
// from a process 'exit' handler, so a test that forgets `stop()` neither hangs nor leaks a server.

import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** A RESP2 reply: integer, bulk or simple string, nil, array, or an error reply as a value. */
export type OracleReply = number | string | Uint8Array | null | OracleReply[] | { error: string };

export interface RedisOracle {
  /** Sends one command; resolves with its reply. Calls made without awaiting are pipelined. */
  call(...args: Array<string | number | Uint8Array>): Promise<OracleReply>;
  /** Kills the server and removes its temp dir. Safe to call twice. */
  stop(): Promise<void>;
}

function findOnPath(program: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

const redisServerPath = findOnPath('redis-server');

/** Whether `redis-server` is on PATH (looked up once, synchronously, at import). */
export const redisAvailable: boolean = redisServerPath !== null;

// Everything still running when the process exits, whatever the reason it exits.
const liveServers = new Set<{ child: ChildProcess; dir: string }>();
process.on('exit', () => {
  for (const server of liveServers) {
    try { server.child.kill('SIGKILL'); } catch { /* already gone */ }
    try { rmSync(server.dir, { recursive: true, force: true }); } catch { /* best effort */ }
  }
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function connect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => { socket.removeAllListeners('error'); resolve(socket); });
    socket.once('error', (error) => { socket.destroy(); reject(error); });
  });
}

/**
 * Starts a private redis-server and connects to it; null when redis-server is not installed (the
 * caller prints `SKIP <suite>: redis-server not installed` and passes). Throws when the server is
 * installed but will not start, with its log in the message.
 */
export async function startRedis(): Promise<RedisOracle | null> {
  if (redisServerPath === null) return null;
  let lastFailure = '';
  // Another process can take the probed port before redis binds it: try a few ports.
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'emberkv-oracle-'));
    const logPath = join(dir, 'redis.log');
    const logFd = openSync(logPath, 'w');
    const child = spawn(
      redisServerPath,
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', dir],
      // Output to a file, not a pipe, so the child holds no handle that keeps this process alive.
      { stdio: ['ignore', logFd, logFd], detached: false },
    );
    closeSync(logFd);
    child.unref();
    const server = { child, dir };
    liveServers.add(server);
    let exited = false;
    child.once('exit', () => { exited = true; });
    child.once('error', () => { exited = true; });

    let socket: Socket | null = null;
    const deadline = Date.now() + 5000;
    while (socket === null && !exited && Date.now() < deadline) {
      try {
        socket = await connect(port);
      } catch {
        await sleep(20);
      }
    }
    if (socket !== null) return new OracleClient(socket, server);
    lastFailure = readLog(logPath);
    child.kill('SIGKILL');
    liveServers.delete(server);
    rmSync(dir, { recursive: true, force: true });
  }
  throw new Error(`redis-server did not start on 127.0.0.1:\n${lastFailure}`);
}

function readLog(path: string): string {
  try {
    return readFileSync(path, 'utf8').slice(-2000);
  } catch {
    return '(no log)';
  }
}

const CRLF = Buffer.from('\r\n');
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Thrown inside the parser when the buffer ends mid-reply; the parse is retried with more data. */
const INCOMPLETE = Symbol('incomplete');

class OracleClient implements RedisOracle {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly pending: Array<{ resolve: (reply: OracleReply) => void; reject: (error: Error) => void }> = [];
  private closedError: Error | null = null;
  private stopped = false;

  constructor(private readonly socket: Socket, private readonly server: { child: ChildProcess; dir: string }) {
    socket.setNoDelay(true);
    socket.unref();
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection to redis-server closed')));
  }

  call(...args: Array<string | number | Uint8Array>): Promise<OracleReply> {
    if (this.closedError !== null) return Promise.reject(this.closedError);
    const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
    for (const arg of args) {
      const bytes = typeof arg === 'string' ? Buffer.from(arg, 'utf8')
        : typeof arg === 'number' ? Buffer.from(String(arg))
          : Buffer.from(arg.buffer, arg.byteOffset, arg.byteLength);
      parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, CRLF);
    }
    return new Promise((resolve, reject) => {
      // Hold the event loop open only while a reply is owed (uvu awaits promises, which do not).
      if (this.pending.length === 0) this.socket.ref();
      this.pending.push({ resolve, reject });
      this.socket.write(Buffer.concat(parts));
    });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.socket.destroy();
    const { child, dir } = this.server;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      // Referenced again so the process waits for the exit instead of ending mid-`await`.
      child.ref();
      child.kill('SIGKILL');
      await exited;
    }
    liveServers.delete(this.server);
    rmSync(dir, { recursive: true, force: true });
  }

  private fail(error: Error): void {
    if (this.closedError === null) this.closedError = error;
    for (const waiter of this.pending.splice(0)) waiter.reject(error);
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    let offset = 0;
    while (offset < this.buffer.length && this.pending.length > 0) {
      let parsed: { reply: OracleReply; next: number };
      try {
        parsed = parseReply(this.buffer, offset);
      } catch (error) {
        if (error === INCOMPLETE) break;
        throw error;
      }
      offset = parsed.next;
      this.pending.shift()!.resolve(parsed.reply);
    }
    this.buffer = offset === this.buffer.length ? Buffer.alloc(0) : this.buffer.subarray(offset);
    if (this.pending.length === 0) this.socket.unref();
  }
}

function readLine(buffer: Buffer, offset: number): { line: string; next: number } {
  const end = buffer.indexOf(CRLF, offset);
  if (end < 0) throw INCOMPLETE;
  return { line: buffer.toString('latin1', offset, end), next: end + 2 };
}

function parseReply(buffer: Buffer, offset: number): { reply: OracleReply; next: number } {
  if (offset >= buffer.length) throw INCOMPLETE;
  const type = buffer[offset];
  const { line, next } = readLine(buffer, offset + 1);
  switch (type) {
    case 0x2b: // '+'
      return { reply: line, next };
    case 0x2d: // '-'
      return { reply: { error: Buffer.from(line, 'latin1').toString('utf8') }, next };
    case 0x3a: // ':'
      return { reply: Number(line), next };
    case 0x24: { // '$'
      const length = Number(line);
      if (length < 0) return { reply: null, next };
      if (next + length + 2 > buffer.length) throw INCOMPLETE;
      const bytes = buffer.subarray(next, next + length);
      let reply: OracleReply;
      try {
        reply = utf8.decode(bytes);
      } catch {
        reply = new Uint8Array(bytes);
      }
      return { reply, next: next + length + 2 };
    }
    case 0x2a: { // '*'
      const count = Number(line);
      if (count < 0) return { reply: null, next };
      const items: OracleReply[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, at);
        items.push(item.reply);
        at = item.next;
      }
      return { reply: items, next: at };
    }
    default:
      throw new Error(`unexpected RESP type byte 0x${type.toString(16)} from redis-server`);
  }
}
