import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The TensorFlow.js namespace, whichever package provides it (tfjs-node re-exports tfjs). */
export type Tf = typeof import('@tensorflow/tfjs');

export interface TfRuntime {
  readonly tf: Tf;
  /** `tensorflow` (native, from @tensorflow/tfjs-node), `wasm` or `cpu`. */
  readonly backend: string;
}

let runtime: Promise<TfRuntime> | undefined;

const require = createRequire(import.meta.url);

/** `@tensorflow/tfjs-node` when it can be loaded (an optional peer: a Lambda layer, or a machine that can fetch libtensorflow). */
async function loadNative(): Promise<TfRuntime | undefined> {
  if (process.env.CHURN_TF_BACKEND !== undefined && process.env.CHURN_TF_BACKEND !== 'tensorflow')
    return undefined;
  try {
    const specifier = '@tensorflow/tfjs-node';
    // A variable specifier keeps bundlers and tsc from requiring the optional package.
    const tf = (await import(specifier)) as Tf;
    await tf.setBackend('tensorflow');
    await tf.ready();
    return { tf, backend: 'tensorflow' };
  } catch {
    return undefined;
  }
}

/**
 * Where the backend's .wasm files are: `TFJS_WASM_DIR`, else beside this module (a Lambda bundle
 * gets them copied next to its code), else in the installed package (no fetch in Node).
 */
function wasmDirectory(): string {
  const configured = process.env.TFJS_WASM_DIR;
  if (configured !== undefined && configured !== '') return configured;
  const here = dirname(fileURLToPath(import.meta.url));
  if (existsSync(join(here, 'tfjs-backend-wasm-simd.wasm'))) return here;
  return dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
}

async function loadPortable(): Promise<TfRuntime> {
  const tf = await import('@tensorflow/tfjs');
  const wanted = process.env.CHURN_TF_BACKEND === 'cpu' ? 'cpu' : 'wasm';
  if (wanted === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(`${wasmDirectory()}/`);
    if (await tf.setBackend('wasm')) {
      await tf.ready();
      return { tf, backend: 'wasm' };
    }
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { tf, backend: 'cpu' };
}

/**
 * TensorFlow.js, loaded once per process: the native backend when `@tensorflow/tfjs-node` is
 * installed, else the WebAssembly backend that ships with the project (SIMD, one thread), else
 * the pure-JS CPU backend. `CHURN_TF_BACKEND=wasm|cpu|tensorflow` forces one. Models give the
 * same results on every backend up to float32 rounding.
 */
export function loadTf(): Promise<TfRuntime> {
  runtime ??= (async () => (await loadNative()) ?? (await loadPortable()))();
  return runtime;
}
