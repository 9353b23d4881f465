// UI message catalogue (en, zh-CN), lesson text selection and the glossary.
import { en, type MessageKey } from './locales/en';
import { zhCN } from './locales/zh-CN';
import type { Localized } from './types';

export type Lang = 'en' | 'zh-CN';
export const LANGS: readonly Lang[] = ['en', 'zh-CN'];
export const catalogues: Record<Lang, Record<string, string>> = { en, 'zh-CN': zhCN };

let lang: Lang = 'en';
export const getLang = (): Lang => lang;
export function setLang(l: Lang): void { lang = l; }

export function format(template: string, args: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in args ? String(args[k]) : m));
}

/** A UI string; an unknown key is shown as itself so a gap is visible, never a crash. */
export function t(key: MessageKey | string, args?: Record<string, string | number>): string {
  const s = catalogues[lang][key] ?? catalogues.en[key] ?? key;
  return format(s, args);
}

export function has(key: string): boolean {
  return key in catalogues[lang];
}

/** Text from a lesson or the engine, in the current language (English if that one is missing). */
export function loc(x: Localized | Record<string, string> | string | undefined | null): string {
  if (x === undefined || x === null) return '';
  if (typeof x === 'string') return x;
  return x[lang] ?? x.en ?? Object.values(x)[0] ?? '';
}

export function detectLang(stored: string | null, navLangs: readonly string[]): Lang {
  if (stored === 'en' || stored === 'zh-CN') return stored;
  return navLangs.some((l) => l.toLowerCase().startsWith('zh')) ? 'zh-CN' : 'en';
}

export interface GlossaryEntry { zh: string; en: string; meaning: Localized }

/** Terms as Chinese and English interview material names them. */
export const GLOSSARY: GlossaryEntry[] = [
  { zh: '三次握手', en: 'three-way handshake', meaning: { en: 'SYN, SYN+ACK, ACK: both sides learn each other\'s initial sequence number.', 'zh-CN': 'SYN、SYN+ACK、ACK：双方交换并确认各自的初始序号。' } },
  { zh: '四次挥手', en: 'four-way close (FIN handshake)', meaning: { en: 'Each direction is closed by its own FIN and the ACK for it, so usually four segments.', 'zh-CN': '两个方向各用一个 FIN 和对它的 ACK 关闭，通常共四个报文。' } },
  { zh: '半连接队列', en: 'SYN queue (incomplete connections)', meaning: { en: 'Connections that received a SYN and sent SYN+ACK, waiting for the final ACK (SYN_RECEIVED).', 'zh-CN': '收到 SYN、已回 SYN+ACK、正等最后一个 ACK 的连接（SYN_RECEIVED）。' } },
  { zh: '全连接队列', en: 'accept queue (completed connections)', meaning: { en: 'Connections whose handshake is complete, waiting for accept(); its limit is the listen() backlog.', 'zh-CN': '握手已完成、等待 accept() 取走的连接；上限由 listen() 的 backlog 决定。' } },
  { zh: '2MSL', en: '2MSL (twice the maximum segment lifetime)', meaning: { en: 'How long TIME_WAIT lasts, so old duplicates die out and a lost last ACK can be resent.', 'zh-CN': 'TIME_WAIT 持续的时间，让旧报文在网络中消失，并能重发丢失的最后一个 ACK。' } },
  { zh: '初始序号', en: 'ISN (initial sequence number)', meaning: { en: 'The first sequence number a side uses; the SYN carries it.', 'zh-CN': '一端使用的第一个序号，由 SYN 携带。' } },
  { zh: '确认号', en: 'acknowledgment number', meaning: { en: 'The next byte the sender of the ACK expects to receive.', 'zh-CN': '发送这个 ACK 的一方期望收到的下一个字节的序号。' } },
  { zh: '重传超时', en: 'RTO (retransmission timeout)', meaning: { en: 'How long a sender waits for an ACK before sending the data again.', 'zh-CN': '发送方等待确认的时间，超时就重发数据。' } },
  { zh: '同时打开', en: 'simultaneous open', meaning: { en: 'Both sides send a SYN at once; both pass through SYN_RECEIVED.', 'zh-CN': '双方同时发送 SYN，都经过 SYN_RECEIVED。' } },
  { zh: '同时关闭', en: 'simultaneous close', meaning: { en: 'Both sides send a FIN at once; both pass through CLOSING.', 'zh-CN': '双方同时发送 FIN，都经过 CLOSING。' } },
  { zh: '复位', en: 'RST (reset)', meaning: { en: 'Aborts a connection at once; the peer\'s calls then fail with ECONNRESET or EPIPE.', 'zh-CN': '立即中止连接；对端随后的调用返回 ECONNRESET 或 EPIPE。' } },
  { zh: '保活', en: 'keepalive', meaning: { en: 'Probes sent on an idle connection to find out whether the peer is still there.', 'zh-CN': '在空闲连接上发送探测，检查对端是否还在。' } },
  { zh: 'MSL（报文最大生存时间）', en: 'MSL (maximum segment lifetime)', meaning: { en: 'The longest a segment is assumed to survive in the network (RFC 9293 §3.4.2 takes 2 minutes); TIME_WAIT lasts twice that. Linux has no MSL setting: its TIME_WAIT is a fixed 60 s.', 'zh-CN': '假定报文在网络中最多能存活的时间（RFC 9293 §3.4.2 取 2 分钟）；TIME_WAIT 持续它的两倍。Linux 没有 MSL 这个设置，TIME_WAIT 固定为 60 秒。' } },
  { zh: 'TIME_WAIT 状态', en: 'TIME_WAIT', meaning: { en: 'Where the side that closed first waits 2MSL after the last ACK, to answer a retransmitted FIN and let old duplicates die.', 'zh-CN': '先关闭的一方发出最后一个 ACK 后等待 2MSL 的状态：能重发对 FIN 的确认，也让旧报文在网络里消失。' } },
  { zh: 'CLOSE_WAIT 状态', en: 'CLOSE_WAIT', meaning: { en: 'The peer has closed; our application has not called close() yet. Many of them point at a program that forgets to close.', 'zh-CN': '对端已经关闭，我方应用还没调用 close()。大量出现通常说明程序忘了关闭连接。' } },
  { zh: '延迟确认', en: 'delayed ACK', meaning: { en: 'The receiver waits briefly before acknowledging, so the ACK can ride on data or a FIN it sends soon (Linux: at least 40 ms once data has arrived).', 'zh-CN': '接收方收到数据后稍等一会儿再确认，好让 ACK 搭上随后要发的数据或 FIN（Linux 在收到过数据后至少等 40 毫秒）。' } },
  { zh: 'SYN cookie', en: 'SYN cookie', meaning: { en: 'A defence against SYN floods: when the SYN queue is full, the server encodes the connection in its ISN instead of remembering it, and rebuilds it from the final ACK.', 'zh-CN': '抵御 SYN 洪水攻击的办法：半连接队列满时，服务器不保存连接，而是把它编码进自己的 ISN，等最后一个 ACK 回来再据此重建连接。' } },
  { zh: '最大报文段长度', en: 'MSS (maximum segment size)', meaning: { en: 'The largest payload a side wants in one segment; announced in the SYN.', 'zh-CN': '一端希望单个报文携带的最大数据量，在 SYN 中通告。' } },
];
