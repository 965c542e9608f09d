// Job events go from the engine process straight to the window over a MessagePort pair: main
// creates the pair each time the window (re)loads, gives one end to each side, and is not on
// the path of the messages after that.
import { EVENTS_PORT_CHANNEL } from '../contract/api.js';
import { isTrustedUrl } from './security.js';

export interface PortPair<P> {
  port1: P;
  port2: P;
}

export interface EngineLike<P> {
  postMessage(message: unknown, transfer?: P[]): void;
}

export interface ContentsLike<P> {
  getURL(): string;
  postMessage(channel: string, message: unknown, transfer?: P[]): void;
}

/** Connects a freshly loaded window to the engine's job events; refuses pages that are not ours. */
export function connectJobEvents<P>(engine: EngineLike<P>, contents: ContentsLike<P>, newPair: () => PortPair<P>): boolean {
  if (!isTrustedUrl(contents.getURL())) return false;
  const { port1, port2 } = newPair();
  engine.postMessage({ type: 'events-port' }, [port1]);
  contents.postMessage(EVENTS_PORT_CHANNEL, null, [port2]);
  return true;
}
