// sha256 of a model file, streamed (models are many GB); the store caches it by size and mtime.
import crypto from 'node:crypto';
import fs from 'node:fs';

export async function sha256File(p: string): Promise<string> {
  const h = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(p, { highWaterMark: 4 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}
