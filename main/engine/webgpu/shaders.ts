// Finds shaders/*.wgsl and composes a kernel's source: its shared parts, the type's functions,
// then the kernel. WGSL declarations are order-independent, so concatenation is enough.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let dir: string | undefined;

// The source (main/engine/webgpu) and the build (dist/main/engine/webgpu) both find shaders/ by
// walking up to the directory that holds it.
function shaderDir(): string {
  if (dir) return dir;
  let d = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = path.join(d, 'shaders');
    if (fs.existsSync(path.join(candidate, 'dequantize.wgsl'))) return (dir = candidate);
    d = path.dirname(d);
  }
  throw new Error('WGSL shaders not found: shaders/dequantize.wgsl is missing from the installation');
}

const cache = new Map<string, string>();

export function shaderFile(name: string): string {
  let s = cache.get(name);
  if (s === undefined) {
    s = fs.readFileSync(path.join(shaderDir(), `${name}.wgsl`), 'utf8');
    cache.set(name, s);
  }
  return s;
}

/** Block geometry of a type, as the shaders need it (bytes per block a multiple of 1, not 4). */
export interface ShaderType {
  name: string;
  blockSize: number;
  typeSize: number;
}

/** Types the WGSL decoders cover: every type of the native registry. */
export const DEQUANT_TYPES = ['F32', 'F16', 'BF16', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K',
  'IQ4_NL', 'IQ4_XS', 'MXFP4'] as const;

/** Types with a WGSL round-to-nearest quantizer (bit-exact with the C++ plain quantizers). */
export const QUANT_TYPES = ['F16', 'BF16', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'MXFP4', 'IQ4_NL', 'IQ4_XS', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K'] as const;

function geometry(t: ShaderType): string {
  return `const BLOCK_SIZE = ${t.blockSize}u;\nconst TYPE_SIZE = ${t.typeSize}u;\n`;
}

/** Source of a kernel that reads blocks of `t` (dequantize, matmul). */
export function blockKernelSource(kernel: 'dequantize' | 'matmul', t: ShaderType): string {
  if (!(DEQUANT_TYPES as readonly string[]).includes(t.name)) throw new Error(`no WGSL decoder for type ${t.name}`);
  return [
    geometry(t),
    `fn dequant(b: u32, e: u32) -> u32 { return dq_${t.name}(b, e); }\n`,
    shaderFile('bytes'), shaderFile('halfbits'), shaderFile('decode'), shaderFile(kernel),
  ].join('\n');
}

export function quantizeSource(t: ShaderType): string {
  if (!(QUANT_TYPES as readonly string[]).includes(t.name)) {
    throw new Error(`no WGSL quantizer for type ${t.name} (have ${QUANT_TYPES.join(', ')})`);
  }
  return [
    geometry(t),
    `fn quant(x0: u32, o: u32) { q_${t.name}(x0, o); }\n`,
    shaderFile('halfbits'), shaderFile('softfloat'), shaderFile('guarded'), shaderFile('bytes_out'), shaderFile('quantize'), shaderFile('quantize_nl'), shaderFile('quantize_k'),
  ].join('\n');
}
