// An offline-first client: a cache in front of an HTTP API that keeps answering when the API is
// down, and after a restart, because the cache lives in a durable emberkv store.
//
//   npx tsx examples/offline-first.ts
//
// It starts a tiny API on 127.0.0.1 (a free port), then walks through: the first read comes from
// the API; the second from the cache; after the entry expires the API is asked again; with the API
// stopped, the expired entry is served anyway (stale-if-error) and the failure is reported as a
// 'loadError' event; the store is closed and reopened as a restarted process would, and the entry is
// still there; the API comes back and the next read is fresh. The data lives in ./data/offline-first,
// wiped at the start so every run shows the same story.

import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { open, type Store } from '../lib/index.ts';
import { type Cache, createCache } from '../lib/cache/cache.ts';
import { jsonCodec } from '../lib/cache/codec.ts';

interface User {
  id: number;
  name: string;
  version: number;
}

// -----------------------------------------------------------------------------------------------
// The API: GET /users/:id, with a request counter so we can tell where each answer came from.

const users = new Map<number, string>([
  [1, 'Ada Lovelace'],
  [2, 'Grace Hopper'],
]);
let apiRequests = 0;

function startApi(port = 0): Promise<Server> {
  const server = createServer((request, response) => {
    apiRequests++;
    const match = /^\/users\/(\d+)$/.exec(request.url ?? '');
    const name = match === null ? undefined : users.get(Number(match[1]));
    if (match === null || name === undefined) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ id: Number(match[1]), name, version: apiRequests }));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function stopApi(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

// -----------------------------------------------------------------------------------------------
// The client: a cache whose loader is the API.

const TTL_MS = 300; // short, so the walk-through can wait it out
const STALE_IF_ERROR_MS = 7 * 24 * 3600 * 1000; // serve a week-old copy rather than nothing

let baseUrl = '';

async function fetchUser(key: string, { signal }: { signal: AbortSignal }): Promise<User | undefined> {
  const response = await fetch(`${baseUrl}/users/${key}`, { signal });
  if (response.status === 404) return undefined;
  if (!response.ok) throw new Error(`API answered ${response.status}`);
  return (await response.json()) as User;
}

function userCache(store: Store): Cache<User> {
  const cache = createCache(store, {
    prefix: 'user:',
    codec: jsonCodec<User>(),
    ttlMs: TTL_MS,
    staleIfErrorMs: STALE_IF_ERROR_MS,
    negativeTtlMs: 5_000,
    timeoutMs: 1_000,
  });
  cache.on('loadError', ({ key, error, servedStale }) => {
    const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    console.log(`    (loadError for ${key}: ${reason}; ${servedStale ? 'served the cached copy' : 'nothing cached to serve'})`);
  });
  return cache;
}

async function read(cache: Cache<User>, id: string, label: string): Promise<void> {
  const before = apiRequests;
  try {
    const user = await cache.get(id, fetchUser);
    const source = apiRequests > before ? 'from the API' : 'from the cache';
    const age = cache.peek(id)?.state === 'stale' ? ' (stale copy)' : '';
    console.log(`${label.padEnd(34)} user ${id} = ${JSON.stringify(user)} ${source}${age}`);
  } catch (error) {
    console.log(`${label.padEnd(34)} user ${id}: failed, ${(error as Error).message}`);
  }
}

// -----------------------------------------------------------------------------------------------
// The walk-through

const dir = join(new URL('..', import.meta.url).pathname, 'data', 'offline-first');
rmSync(dir, { recursive: true, force: true });

let api = await startApi();
const port = (api.address() as AddressInfo).port;
baseUrl = `http://127.0.0.1:${port}`;
console.log(`API listening on ${baseUrl}; cache in ${dir}\n`);

let store = await open(dir);
let cache = userCache(store);

await read(cache, '1', '1. first read');
await read(cache, '1', '2. read again');
await sleep(TTL_MS + 50);
await read(cache, '1', '3. after the TTL, API up');

await stopApi(api);
console.log('\n-- API stopped --');
await sleep(TTL_MS + 50);
await read(cache, '1', '4. after the TTL, API down');
await read(cache, '2', '5. never cached, API down');

console.log('\n-- restart: close the store, open it again --');
await store.close();
store = await open(dir);
cache = userCache(store);
await read(cache, '1', '6. after the restart, API down');

api = await startApi(port);
console.log('\n-- API back --');
await read(cache, '1', '7. API back');
await read(cache, '3', '8. unknown user (404)');
await read(cache, '3', '9. unknown user again');

console.log('\nstats since the restart:', cache.stats());
await stopApi(api);
await store.close();
console.log('done; run it again to see the same story.');
