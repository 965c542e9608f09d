// One llama.cpp instance (node-llama-cpp, CPU build shipped in the npm package) per test process.
import type { Llama } from 'node-llama-cpp';

let instance: Promise<Llama> | undefined;

export async function llamaCpp(): Promise<Llama> {
  instance ??= import('node-llama-cpp').then(({ getLlama, LlamaLogLevel }) =>
    getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error }),
  );
  return instance;
}
