// Single flight: at most one load per key at a time, in this process. The first caller to find a
// key missing starts a Flight; every caller arriving while it runs awaits the same promise, so a
// thousand concurrent misses make one loader call.
//
// What it covers: callers of one Cache object, and of several Cache objects only if they share the
// object (two caches over the same prefix each have their own flights). What it does not: other
// processes opening the same data directory (emberkv allows one store per directory, so there is
// one process per store, but several stores may front one source), and loads started before a
// write: set() and invalidate() supersede the running flight, which detaches it (later callers start
// a fresh load that sees the write) and stops it from storing its result (docs/CACHE.md).
//
// Invariant: flights.get(key), when present, is the newest flight for key and is still running.

import { assert } from '../assert.ts';

export class Flight<R> {
  readonly controller = new AbortController();
  /** Set when a write after the start made the result out of date: it must not be stored. */
  superseded = false;
  /**
   * Settles with the run's result. It exists before the run starts, so a loader that synchronously
   * asks for its own key again can already join it.
   */
  readonly promise: Promise<R>;
  private settle!: { resolve: (value: R) => void; reject: (error: unknown) => void };

  constructor() {
    this.promise = new Promise<R>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
  }

  /** @internal Used by SingleFlight.start only. */
  follow(run: Promise<R>): void {
    run.then(this.settle.resolve, this.settle.reject);
  }
}

export class SingleFlight<R> {
  private readonly flights = new Map<string, Flight<R>>();

  get size(): number {
    return this.flights.size;
  }

  get(key: string): Flight<R> | undefined {
    return this.flights.get(key);
  }

  has(key: string): boolean {
    return this.flights.has(key);
  }

  /**
   * Registers a flight for key, then runs `run` with it (synchronously up to its first await, so
   * a loader that reads the same key again joins this flight instead of recursing).
   * Requires: no flight for key.
   */
  start(key: string, run: (flight: Flight<R>) => Promise<R>): Flight<R> {
    assert(!this.flights.has(key), 'one flight per key');
    const flight = new Flight<R>();
    this.flights.set(key, flight);
    flight.follow(run(flight));
    return flight;
  }

  /** The flight is over (result stored, or failed); a newer flight for the key is left alone. */
  finish(key: string, flight: Flight<R>): void {
    if (this.flights.get(key) === flight) this.flights.delete(key);
  }

  /** A write happened: the running flight, if any, must not store, and later callers must not join it. */
  supersede(key: string): void {
    const flight = this.flights.get(key);
    if (flight === undefined) return;
    flight.superseded = true;
    this.flights.delete(key);
  }
}
