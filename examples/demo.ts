// `npm start`: a short tour of emberkv on a data directory under the project (./data/demo).
// Run it twice: the counter and the leaderboard carry over, because every write went to the
// append-only file and the second run replays it.

import { join } from 'node:path';
import { open } from '../lib/index.ts';

const dir = join(new URL('..', import.meta.url).pathname, 'data', 'demo');
const store = await open(dir);

const runs = store.incr('demo:runs');
console.log(`emberkv demo, run #${runs}, data in ${dir}`);

// Strings, with and without a TTL.
store.set('greeting', 'hello from emberkv');
store.set('session:42', JSON.stringify({ user: 'ada' }), { ex: 60 });
console.log('greeting   ', store.get('greeting'));
console.log('session TTL', store.ttl('session:42'), 's');

// A hash.
store.hset('user:ada', { name: 'Ada', lang: 'en', visits: '0' });
store.hincrby('user:ada', 'visits', 1);
console.log('user:ada   ', store.hgetall('user:ada'));

// A sorted set.
store.zadd('leaderboard', [[runs * 10, `run-${runs}`], [15, 'alice'], [25, 'bob']]);
console.log('top 3      ', store.zrange('leaderboard', 0, 2, { rev: true, withScores: true }));

// Redis's own interface works too, with Redis's replies and errors.
console.log('ZSCORE     ', store.call('ZSCORE', 'leaderboard', 'bob'));
try {
  store.call('INCR', 'greeting');
} catch (error) {
  console.log('INCR error ', (error as Error).message);
}

// A transaction: logged as one unit, so a crash keeps both writes or neither.
const [moved, added] = store.multi().call('HINCRBY', 'user:ada', 'visits', 1).call('ZINCRBY', 'leaderboard', 1, 'alice').exec();
console.log('multi      ', moved, added);

console.log('keys       ', store.dbsize(), 'persistence', store.persistenceStatus());
await store.close();
console.log('closed; run `npm start` again to see the data come back.');
