/**
 * The host's refusals as plain text, in both UI languages: a browser that
 * opens the host without its token (an old bookmark, a typed address) shows
 * this page as it is, before any of the app has loaded, so it cannot pick
 * one language.
 */
import type { LocalizedText } from '../api/errors';

export const REASONS = {
  foreignHost: { en: 'foreign Host header', zh: 'Host 请求头不是本机名称' },
  foreignOrigin: { en: 'foreign Origin', zh: '请求来源（Origin）不是本应用' },
  crossSite: { en: 'cross-site request', zh: '跨站请求' },
  wrongToken: { en: 'wrong token', zh: '令牌不正确' },
  missingToken: { en: 'missing token', zh: '缺少令牌' },
  outsideApp: { en: 'path outside the app', zh: '路径不在应用目录内' },
  noEndpoint: { en: 'no such endpoint', zh: '没有这个端点' },
  noStream: { en: 'no such output stream', zh: '没有这个输出流' },
  streamNotTaken: { en: 'the native I/O process cannot take the stream', zh: '原生 I/O 进程无法接管该输出流' },
  socketNotTaken: { en: 'the native I/O process cannot take the socket', zh: '原生 I/O 进程无法接管该连接' },
} satisfies Record<string, LocalizedText>;

export type RefusalStatus = 401 | 403 | 404 | 503;

/** HTTP's reason phrase, and the same in Chinese. */
const STATUS: Record<RefusalStatus, LocalizedText> = {
  401: { en: 'Unauthorized', zh: '未授权' },
  403: { en: 'Forbidden', zh: '禁止访问' },
  404: { en: 'Not Found', zh: '未找到' },
  503: { en: 'Service Unavailable', zh: '服务不可用' },
};

const OPEN_PRINTED_URL: LocalizedText = {
  en: ' Open the URL that EdgeForge printed at start (it carries ?token=...).',
  zh: '请打开 EdgeForge 启动时打印的地址（带有 ?token=...）。',
};

/** The page's text: a line in English, then the same in Chinese. */
export function refusalText(status: RefusalStatus, reason: LocalizedText): string {
  const hint = status === 401 ? OPEN_PRINTED_URL : { en: '', zh: '' };
  return `${status} ${STATUS[status].en}: ${reason.en}.${hint.en}\n${status} ${STATUS[status].zh}：${reason.zh}。${hint.zh}\n`;
}

/** The whole response, for a socket taken out of Node's HTTP server (an upgrade, a stream handed to another process). */
export function rawRefusal(status: RefusalStatus, reason: LocalizedText): string {
  return `HTTP/1.1 ${status} ${STATUS[status].en}\r\nContent-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${refusalText(status, reason)}`;
}
