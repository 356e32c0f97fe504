import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from 'node:worker_threads';
import type { BinnedMatrix } from './binning.js';
import {
  BLOCK_INTS,
  CATEGORY_WORDS,
  COMMAND_SPLITS,
  CONTROL,
  createScratch,
  type KernelBuffers,
  type KernelScratch,
  RESULT_WIDTH,
  runShare,
  SETTING,
  type SharedBuffers,
  TASK_INTS,
  TASK_STATS,
  WORKER_KERNELS,
  type WorkerStart,
  workerLoop,
} from './kernels.js';

export interface TeamSettings {
  readonly lambda: number;
  readonly alpha: number;
  readonly minChildWeight: number;
  readonly maxCatToOnehot: number;
  readonly maxCatThreshold: number;
}

/**
 * Steps with less work than this (in histogram cells, ~1 ns each) run on the calling thread
 * alone: measured, a round trip to a spinning worker costs 5-15 us and to a sleeping one ~0.1 ms.
 */
const SOLO_BELOW = 30_000;
/** Feature chunks per thread: enough items for a thread held up by the OS to fall behind gracefully. */
const CHUNKS_PER_THREAD = 2;
/** How long workers may take to start, or to finish their part of a step, before training gives up. */
const WORKER_DEADLINE_MS = 120_000;

/**
 * The worker source: the kernels' own text plus a one-line bootstrap. Built from the functions
 * rather than a file so that it works the same under tsx, vitest and a bundled Lambda.
 * `__name` is esbuild's keep-names helper, which tsx adds inside function bodies.
 */
function workerSource(): string {
  return [
    '"use strict";',
    'var __name = function (target) { return target; };',
    ...WORKER_KERNELS.map((kernel) => kernel.toString()),
    'const threads = require("node:worker_threads");',
    `${workerLoop.name}(threads.workerData, threads.receiveMessageOnPort);`,
  ].join('\n');
}

/**
 * Worker threads live as long as the process (unref'd, so they never keep it alive): starting
 * one costs ~50 ms and its JIT warm-up more, which short training runs could not repay. One
 * pool per JavaScript thread; training is synchronous, so one run uses it at a time.
 */
class WorkerPool {
  readonly control = new Int32Array(new SharedArrayBuffer(CONTROL.length * 4));
  readonly ports: MessagePort[] = [];
  private readonly workers: Worker[] = [];
  private version = 0;

  get size(): number {
    return this.workers.length;
  }

  /** Makes sure `count` workers exist and waits until they run. */
  ensure(count: number): void {
    const source = workerSource();
    while (this.workers.length < count) {
      const channel = new MessageChannel();
      const start: WorkerStart = {
        control: this.control.buffer as SharedArrayBuffer,
        port: channel.port2,
        index: this.workers.length,
      };
      // execArgv: [] keeps loaders such as tsx out of the worker: its source is plain JavaScript.
      const worker = new Worker(source, {
        eval: true,
        workerData: start,
        transferList: [channel.port2],
        execArgv: [],
      });
      worker.unref();
      this.workers.push(worker);
      this.ports.push(channel.port1);
    }
    const deadline = Date.now() + WORKER_DEADLINE_MS;
    for (;;) {
      const ready = Atomics.load(this.control, CONTROL.ready);
      if (ready >= count) break;
      if (Date.now() > deadline) throw new Error('gbdt: histogram worker threads did not start');
      Atomics.wait(this.control, CONTROL.ready, ready, 1000);
    }
  }

  /** Sends a run's buffers to every worker; they pick them up at their next step. */
  send(buffers: Omit<SharedBuffers, 'version'>): void {
    this.version += 1;
    for (const port of this.ports) port.postMessage({ ...buffers, version: this.version });
    Atomics.store(this.control, CONTROL.version, this.version);
  }
}

let pool: WorkerPool | undefined;

/** Sleeps until no worker is inside the step (rare: most steps end within the spin). */
function sleepUntilDone(control: Int32Array): void {
  const deadline = Date.now() + WORKER_DEADLINE_MS;
  for (;;) {
    const active = Atomics.load(control, CONTROL.active);
    if (active <= 0) return;
    if (Date.now() > deadline) throw new Error('gbdt: a histogram worker thread stopped answering');
    Atomics.wait(control, CONTROL.active, active, 1000);
  }
}

/** Throws what a failed worker reported (kept out of the step loop, which it would deoptimise). */
function workerFailure(workers: WorkerPool): never {
  Atomics.store(workers.control, CONTROL.failed, 0);
  const reports = workers.ports.map((port) => receiveMessageOnPort(port)?.message).filter(Boolean);
  throw new Error(`gbdt: a histogram worker thread failed: ${reports.map(String).join('\n')}`);
}

function sharedOrPlain(bytes: number, shared: boolean): ArrayBuffer | SharedArrayBuffer {
  return shared ? new SharedArrayBuffer(Math.max(bytes, 8)) : new ArrayBuffer(Math.max(bytes, 8));
}

/**
 * The threads that do one training run's work: the calling thread plus `threads - 1` pooled
 * workers over shared memory, taking items of each step from a shared counter. With one thread
 * it is the same code on plain buffers. A step is synchronous: `run` returns when it is done.
 */
export class HistogramTeam {
  readonly threads: number;
  readonly buffers: KernelBuffers;
  /** Result slots per candidate: the most feature chunks a tree can have. */
  readonly maxChunks: number;
  private readonly shared: boolean;
  private readonly scratch: KernelScratch;
  private readonly workers: WorkerPool | undefined;
  private readonly slotsWide: boolean;
  private readonly histogramDoubles: number;
  private histogramCapacity = 0;
  private taskCapacity = 0;
  private blockCapacity = 0;
  private readonly freeHistograms: number[] = [];
  /** Features the current tree uses. */
  featuresAssigned = 0;
  /** Feature chunks of the current tree. */
  chunks = 1;
  /** Histogram slots of the features the current tree uses. */
  slotsAssigned = 0;

  constructor(binned: BinnedMatrix, settings: TeamSettings, threads: number) {
    this.threads = threads;
    this.shared = threads > 1;
    this.maxChunks = threads > 1 ? CHUNKS_PER_THREAD * threads : 1;
    this.scratch = createScratch(binned.rows);
    this.slotsWide = binned.slots instanceof Uint32Array;
    const featureCount = binned.featureCount;
    const rows = binned.rows;
    this.histogramDoubles = binned.totalSlots * 2;
    const copy = <T extends Uint8Array | Uint16Array | Uint32Array | Int32Array>(
      source: T,
      make: (buffer: ArrayBuffer | SharedArrayBuffer) => T,
    ): T => {
      const target = make(sharedOrPlain(source.byteLength, this.shared));
      target.set(source);
      return target;
    };
    const settingsView = new Float64Array(sharedOrPlain(SETTING.length * 8, this.shared));
    settingsView[SETTING.lambda] = settings.lambda;
    settingsView[SETTING.alpha] = settings.alpha;
    settingsView[SETTING.minChildWeight] = settings.minChildWeight;
    settingsView[SETTING.maxCatToOnehot] = settings.maxCatToOnehot;
    settingsView[SETTING.maxCatThreshold] = settings.maxCatThreshold;
    settingsView[SETTING.maxChunks] = this.maxChunks;
    settingsView[SETTING.featureCount] = featureCount;
    settingsView[SETTING.totalSlots] = binned.totalSlots;
    settingsView[SETTING.rows] = rows;
    if (this.shared) {
      pool ??= new WorkerPool();
      pool.ensure(threads - 1);
      this.workers = pool;
    }
    this.buffers = {
      slots: this.slotsWide
        ? copy(binned.slots as Uint32Array, (buffer) => new Uint32Array(buffer))
        : copy(binned.slots as Uint16Array, (buffer) => new Uint16Array(buffer)),
      columns: copy(binned.columns, (buffer) => new Uint8Array(buffer)),
      slotOffset: copy(binned.slotOffset, (buffer) => new Int32Array(buffer)),
      binCounts: copy(binned.binCounts, (buffer) => new Int32Array(buffer)),
      categorical: copy(binned.categorical, (buffer) => new Uint8Array(buffer)),
      gradients: new Float64Array(sharedOrPlain(rows * 2 * 8, this.shared)),
      rowIndex: new Uint32Array(sharedOrPlain(rows * 4, this.shared)),
      margins: new Float64Array(sharedOrPlain(rows * 8, this.shared)),
      labels: new Float64Array(sharedOrPlain(rows * 8, this.shared)),
      rowWeight: new Float64Array(sharedOrPlain(rows * 8, this.shared)),
      histograms: new Float64Array(0),
      tasks: new Int32Array(0),
      taskStats: new Float64Array(0),
      blocks: new Int32Array(0),
      results: new Float64Array(0),
      resultCategories: new Int32Array(0),
      featureList: new Int32Array(sharedOrPlain(featureCount * 4, this.shared)),
      chunkBounds: new Int32Array(sharedOrPlain((this.maxChunks + 1) * 4, this.shared)),
      settings: settingsView,
      // Single-threaded runs keep their own control block; pooled runs share the pool's.
      control: this.workers?.control ?? new Int32Array(CONTROL.length),
    };
    this.grow(16, 8, 16);
  }

  /** Replaces the growable buffers by larger ones (contents kept) and tells the workers. */
  private grow(histograms: number, tasks: number, blocks: number): void {
    const { buffers } = this;
    if (histograms > this.histogramCapacity) {
      const next = new Float64Array(sharedOrPlain(histograms * this.histogramDoubles * 8, this.shared));
      next.set(buffers.histograms);
      buffers.histograms = next;
      for (let id = histograms - 1; id >= this.histogramCapacity; id--) this.freeHistograms.push(id);
      this.histogramCapacity = histograms;
    }
    if (tasks > this.taskCapacity) {
      const candidates = tasks * 2 * this.maxChunks;
      buffers.tasks = new Int32Array(sharedOrPlain(tasks * TASK_INTS * 4, this.shared));
      buffers.taskStats = new Float64Array(sharedOrPlain(tasks * TASK_STATS * 8, this.shared));
      buffers.results = new Float64Array(sharedOrPlain(candidates * RESULT_WIDTH * 8, this.shared));
      buffers.resultCategories = new Int32Array(sharedOrPlain(candidates * CATEGORY_WORDS * 4, this.shared));
      this.taskCapacity = tasks;
    }
    if (blocks > this.blockCapacity) {
      buffers.blocks = new Int32Array(sharedOrPlain(blocks * BLOCK_INTS * 4, this.shared));
      this.blockCapacity = blocks;
    }
    this.workers?.send(this.sharedBuffers());
  }

  private sharedBuffers(): Omit<SharedBuffers, 'version'> {
    const { buffers } = this;
    const sab = (view: { buffer: ArrayBufferLike }): SharedArrayBuffer => view.buffer as SharedArrayBuffer;
    return {
      slots: sab(buffers.slots),
      slotsWide: this.slotsWide,
      columns: sab(buffers.columns),
      slotOffset: sab(buffers.slotOffset),
      binCounts: sab(buffers.binCounts),
      categorical: sab(buffers.categorical),
      gradients: sab(buffers.gradients),
      rowIndex: sab(buffers.rowIndex),
      margins: sab(buffers.margins),
      labels: sab(buffers.labels),
      rowWeight: sab(buffers.rowWeight),
      featureList: sab(buffers.featureList),
      chunkBounds: sab(buffers.chunkBounds),
      settings: sab(buffers.settings),
      histograms: sab(buffers.histograms),
      tasks: sab(buffers.tasks),
      taskStats: sab(buffers.taskStats),
      blocks: sab(buffers.blocks),
      results: sab(buffers.results),
      resultCategories: sab(buffers.resultCategories),
    };
  }

  /** A free histogram of the pool (grown when none is left). */
  acquireHistogram(): number {
    let id = this.freeHistograms.pop();
    if (id === undefined) {
      this.grow(this.histogramCapacity * 2, this.taskCapacity, this.blockCapacity);
      id = this.freeHistograms.pop();
    }
    if (id === undefined) throw new Error('histogram pool: growing left no free histogram');
    return id;
  }

  releaseHistogram(id: number): void {
    if (id >= 0) this.freeHistograms.push(id);
  }

  /** Makes room for `count` tasks (and `blocks` row blocks) in the next step; call before writing them. */
  reserveTasks(count: number, blocks = 0): void {
    if (count > this.taskCapacity || blocks > this.blockCapacity) {
      this.grow(
        this.histogramCapacity,
        Math.max(count, count > this.taskCapacity ? this.taskCapacity * 2 : this.taskCapacity),
        Math.max(blocks, blocks > this.blockCapacity ? this.blockCapacity * 2 : this.blockCapacity),
      );
    }
  }

  /**
   * The features of the next tree (ascending), cut into chunks of near-equal length: a
   * histogram step has `tasks x chunks` items. How features are chunked never changes a result
   * (each feature's histogram is summed by one thread in row order), only the balance of work.
   */
  assignFeatures(features: readonly number[]): void {
    const { featureList, chunkBounds, control } = this.buffers;
    featureList.set(features);
    const chunks = Math.max(1, Math.min(this.maxChunks, features.length));
    for (let chunk = 0; chunk <= chunks; chunk++)
      chunkBounds[chunk] = Math.round((chunk * features.length) / chunks);
    Atomics.store(control, CONTROL.chunks, chunks);
    this.chunks = chunks;
    this.featuresAssigned = features.length;
    const { slotOffset } = this.buffers;
    this.slotsAssigned = features.reduce(
      (sum, feature) => sum + (slotOffset[feature + 1] ?? 0) - (slotOffset[feature] ?? 0),
      0,
    );
  }

  /**
   * Runs a step: `taskCount` tasks of kind `command` (already written to `buffers.tasks`; for a
   * build step, the number of row blocks). Workers join while it is open; the calling thread
   * takes items too, closes the step when none is left and waits only for workers still
   * finishing one. A step with a single item, or with `work` (cells or rows) below SOLO_BELOW,
   * stays on the calling thread: a round trip would cost more than it could save.
   */
  run(command: number, taskCount: number, work: number): void {
    const { control } = this.buffers;
    const workers = this.workers;
    Atomics.store(control, CONTROL.next, 0);
    const items = command === COMMAND_SPLITS ? taskCount * this.chunks : taskCount;
    if (workers === undefined || work < SOLO_BELOW || items < 2) {
      runShare(this.buffers, command, taskCount, this.scratch);
      return;
    }
    this.runShared(workers, command, taskCount);
  }

  /** A step shared with the workers (a method of its own, so V8 optimises both paths apart). */
  private runShared(workers: WorkerPool, command: number, taskCount: number): void {
    const { control } = this.buffers;
    Atomics.store(control, CONTROL.allowed, this.threads - 1);
    Atomics.store(control, CONTROL.taskCount, taskCount);
    Atomics.store(control, CONTROL.command, command);
    const sequence = Atomics.load(control, CONTROL.sequence) + 1;
    Atomics.store(control, CONTROL.open, sequence);
    Atomics.store(control, CONTROL.sequence, sequence);
    Atomics.notify(control, CONTROL.sequence);
    runShare(this.buffers, command, taskCount, this.scratch);
    // Every item is taken: workers that have not joined yet stay out.
    Atomics.store(control, CONTROL.open, -1);
    // Indices as locals: under tsx, an imported constant read in a loop is a getter call.
    const activeAt = CONTROL.active;
    const spinUntil = performance.now() + 0.5;
    while (Atomics.load(control, activeAt) > 0 && performance.now() < spinUntil) {
      for (let spin = 0; spin < 256 && Atomics.load(control, activeAt) > 0; spin++);
    }
    if (Atomics.load(control, activeAt) > 0) sleepUntilDone(control);
    if (Atomics.load(control, CONTROL.failed) !== 0) workerFailure(workers);
  }

  /** The run is over; pooled workers keep waiting for the next one. */
  close(): void {
    if (this.workers !== undefined) Atomics.store(this.buffers.control, CONTROL.allowed, 0);
  }
}
