// A plain-language line for each trace event, used for bare traces (no lesson text) and as the
// "events in this step" list under a lesson's narration.
import { callText, discardReason, fmtTime, returnText, segLabel, type NumberMode } from './format';
import type { Model } from './model';
import type { TraceEvent } from './types';

type T = (key: string, args?: Record<string, string | number>) => string;

export interface NarrateHelpers {
  t: T;
  mode: NumberMode;
  timerName: (n: string) => string;
  stateName: (s: string) => string;
  noteText: (code: string, args: Record<string, unknown>) => string;
  reason: (r: string) => string;
  /** the engine catalogue's sentence for a discard reason, '' when it has none */
  discardText?: (r: string) => string;
}

export function narrateEvent(m: Model, e: TraceEvent, h: NarrateHelpers): string | undefined {
  const { t } = h;
  const host = e.host ?? '';
  switch (e.kind) {
    case 'call': return t('narr.call', { host, app: e.app, call: callText(e) });
    case 'return': return t('narr.return', { host, call: callText({ call: e.call, sock: e.sock }), ret: returnText(e) });
    case 'send': {
      const s = m.segs.get(e.seg.id);
      return t('narr.send', { host, id: e.seg.id, label: segLabel(e, h.mode), to: s?.to ?? e.seg.dst });
    }
    case 'deliver': {
      const s = m.segs.get(e.seg_id);
      return t('narr.deliver', { host, id: e.seg_id, label: s ? segLabel(s.send, h.mode) : '' });
    }
    case 'drop': {
      const s = m.segs.get(e.seg_id);
      return t('narr.drop', { id: e.seg_id, label: s ? segLabel(s.send, h.mode) : '', reason: h.reason(e.reason) });
    }
    case 'discard': return t('narr.discard', { host, id: e.seg_id, reason: (h.discardText?.(e.reason) || discardReason(t, e.reason)).replace(/[.。]$/, '') });
    case 'state': return t('narr.state', { host, from: h.stateName(e.from), to: h.stateName(e.to) });
    case 'timer':
      return t(`narr.timer.${e.action}`, { host, timer: h.timerName(e.timer), t: e.expires_us !== undefined ? fmtTime(e.expires_us) : '' });
    case 'action': return t('narr.action', { host, action: t(`action.${e.action}`) });
    case 'signal': return t('narr.signal', { host, signal: e.signal });
    case 'note': return t('narr.note', { host: host || '—', code: h.noteText(e.code, e.args ?? {}) });
    case 'queue': return t('narr.queue', { host, syn: e.syn_queue, synmax: e.syn_max, acc: e.accept_queue, accmax: e.accept_max });
    default: return undefined;
  }
}
