// The place where real captures plug in. The capture logic (reading .pcap/.pcapng, turning a
// trace into a capture) lives in ../capture/ and is mounted here when that module exists.
import type { Engine } from '../engine';
import type { PlayerLesson } from '../lessons';
import { clear, el } from './dom';

export interface CaptureHost {
  engine: Engine | undefined;
  t: (key: string, args?: Record<string, string | number>) => string;
  /** Opens a trace made from a capture in the player. */
  open: (lesson: PlayerLesson) => void;
}

type CaptureModule = { mount?: (root: HTMLElement, host: CaptureHost) => void };
const modules = import.meta.glob('../capture/index.ts');

export function mountCapture(root: HTMLElement, host: CaptureHost): void {
  clear(root);
  const load = modules['../capture/index.ts'];
  if (!load) { root.hidden = true; return; }
  void load().then((m) => (m as CaptureModule).mount?.(root, host), () => {
    root.append(el('p', { class: 'muted' }, host.t('capture.unavailable')));
  });
}
